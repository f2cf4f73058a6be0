import { sql, type RawBuilder } from 'kysely';

/**
 * Who can be contacted on a channel, as SQL over a customer row `c`. The first reason that applies
 * excludes a customer, in this order: do_not_contact, unsubscribed (any unsubscribe on record — a
 * list is always sent now), no_opt_in (email, sms and phone need an explicit opt-in = true; postal
 * mail does not), missing_address, malformed_address. Contactable customers are then deduplicated on
 * the channel's normalised address (`address_key`), one row per person.
 */

export const channels = ['email', 'sms', 'phone', 'mail'] as const;
export type Channel = (typeof channels)[number];

export const exclusionReasons = ['do_not_contact', 'unsubscribed', 'no_opt_in', 'missing_address', 'malformed_address', 'duplicate'] as const;
export type ExclusionReason = (typeof exclusionReasons)[number];

interface ChannelRule {
  /** The customers column holding the opt-in, when the channel needs one. */
  optIn: 'email_opt_in' | 'sms_opt_in' | 'phone_opt_in' | null;
  /** The normalised address people are deduplicated on; null when there is none. */
  key: RawBuilder<string>;
  missing: RawBuilder<boolean>;
  /** Only asked when the address is present. */
  malformed: RawBuilder<boolean>;
  /** Columns a file gets when --fields is not given. */
  defaultFields: string[];
}

/**
 * Null, empty or only whitespace — `nullif(trim(x), '') is null`, written so that it costs nothing on
 * ordinary values: a value starting with printable ASCII (! to ~) cannot be blank, since trim removes
 * only spaces (' ' and Unicode space separators); the rest are checked with ltrim. ltrim, not trim:
 * DuckDB hoists a `trim(x)` that also occurs in an address key out of the CASE and runs it on every row.
 */
export const blank = (col: string) => {
  const x = sql.ref(col);
  return sql<boolean>`(case when ${x} is null then true when ${x} >= '!' and ${x} < chr(127) then false else ltrim(${x}) = '' end)`;
};
/** The ingest's phone key: the last 10 digits when there are at least 7 (src/ingest/load.ts). */
const phoneKey = sql<string>`coalesce(c.phone_norm, case when length(regexp_replace(c.phone, '[^0-9]', '', 'g')) >= 7 then right(regexp_replace(c.phone, '[^0-9]', '', 'g'), 10) end)`;
const phoneRule = (optIn: 'sms_opt_in' | 'phone_opt_in', defaultFields: string[]): ChannelRule => ({
  optIn,
  key: phoneKey,
  missing: blank('c.phone'),
  // digits with the usual punctuation only, and at least 7 digits
  malformed: sql<boolean>`(not regexp_full_match(trim(c.phone), '\\+?[0-9 ()./-]+') or length(regexp_replace(c.phone, '[^0-9]', '', 'g')) < 7)`,
  defaultFields,
});

export const channelRules: Record<Channel, ChannelRule> = {
  email: {
    optIn: 'email_opt_in',
    key: sql<string>`coalesce(c.email_norm, lower(trim(c.email)))`,
    missing: blank('c.email'),
    malformed: sql<boolean>`not regexp_full_match(coalesce(c.email_norm, lower(trim(c.email))), '[^@\\s]+@[^@\\s]+\\.[^@\\s.]+')`,
    defaultFields: ['customer_id', 'email', 'first_name', 'last_name'],
  },
  sms: phoneRule('sms_opt_in', ['customer_id', 'phone', 'first_name']),
  phone: phoneRule('phone_opt_in', ['customer_id', 'phone', 'first_name', 'last_name', 'country']),
  mail: {
    optIn: null,
    key: sql<string>`lower(regexp_replace(trim(c.street), '\\s+', ' ', 'g')) || '|' || upper(replace(c.postal_code, ' ', '')) || '|' || upper(trim(c.country))`,
    missing: sql<boolean>`(${blank('c.street')} or ${blank('c.postal_code')} or ${blank('c.city')} or ${blank('c.country')})`,
    malformed: sql<boolean>`not regexp_full_match(trim(c.postal_code), '[A-Za-z0-9][A-Za-z0-9 -]{1,9}')`,
    defaultFields: ['customer_id', 'first_name', 'last_name', 'street', 'postal_code', 'city', 'country'],
  },
};

/** The first exclusion reason that applies to `c` on a channel, or null when contactable (before dedup). */
export function exclusionReason(channel: Channel): RawBuilder<string | null> {
  const r = channelRules[channel];
  return sql<string | null>`case
    when c.do_not_contact is true then 'do_not_contact'
    when c.unsubscribed_at is not null then 'unsubscribed'
    ${r.optIn ? sql`when ${sql.ref(`c.${r.optIn}`)} is not true then 'no_opt_in'` : sql``}
    when ${r.missing} then 'missing_address'
    when ${r.malformed} then 'malformed_address'
  end`;
}
