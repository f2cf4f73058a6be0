/**
 * PII masking for roles without `pii:read`. Columns known to hold personal data are replaced by
 * column name: e-mail and phone by a keyed hash (equal inputs give equal hashes, so analysts can still
 * count and join, but the hash cannot be reversed by guessing without the key), names by initials,
 * street and postal code by a placeholder. Every other string is scanned as a second line of defence:
 * anything shaped like an e-mail address or a phone number is hashed too (free text, ticket subjects).
 */
import { createHash } from 'node:crypto';
import type { Plain } from '../../warehouse/index.ts';

type Masker = (v: string) => string;

/** Column names that hold personal data, and how each is masked. */
export const piiColumns = ['email', 'email_norm', 'phone', 'phone_norm', 'first_name', 'last_name', 'customer_name', 'contact_name', 'street', 'address', 'postal_code'] as const;

const emailRe = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// International (+CC …) or grouped national numbers with separators; not ISO dates or times.
const phoneRe = /(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,5}\)|\b0?\d{2,5})[ .-]\d{3}[ .-]?\d{3,4}\b|\+\d{7,15}\b/g;

export interface MaskOptions {
  key: string;
}

export class PiiMasker {
  private readonly byColumn: Record<string, Masker>;

  constructor(private readonly key: string) {
    const hash = (v: string) => this.hash(v);
    const initials: Masker = (v) =>
      v
        .split(/\s+/)
        .filter(Boolean)
        .map((w) => `${[...w][0]!.toUpperCase()}.`)
        .join(' ');
    const blank: Masker = () => '•••';
    this.byColumn = {
      email: hash,
      email_norm: hash,
      phone: hash,
      phone_norm: hash,
      first_name: initials,
      last_name: initials,
      customer_name: initials,
      contact_name: initials,
      street: blank,
      address: blank,
      postal_code: blank,
    };
  }

  /** `h:` and 16 hex digits of sha256(key ':' trimmed lower-cased value) — the same as `maskSql` computes in DuckDB. */
  hash(v: string): string {
    return `h:${createHash('sha256').update(`${this.key}:${v.trim().toLowerCase()}`).digest('hex').slice(0, 16)}`;
  }

  /** Hashes e-mail addresses and phone numbers inside free text. */
  scrub(s: string): string {
    if (s.length > 5 && (s.includes('@') || /\d/.test(s))) return s.replace(emailRe, (m) => this.hash(m)).replace(phoneRe, (m) => this.hash(m));
    return s;
  }

  value(column: string, v: Plain): Plain {
    if (typeof v !== 'string') return v;
    const m = this.byColumn[column];
    return m ? m(v) : this.scrub(v);
  }

  row<T extends Record<string, Plain>>(row: T): T {
    const out: Record<string, Plain> = {};
    for (const [k, v] of Object.entries(row)) out[k] = this.value(k, v);
    return out as T;
  }

  rows<T extends Record<string, Plain>>(rows: readonly T[]): T[] {
    return rows.map((r) => this.row(r));
  }

  /** Any JSON value: objects by key, arrays element-wise, bare strings scrubbed. */
  deep(v: unknown, column = ''): unknown {
    if (typeof v === 'string') return this.value(column, v);
    if (Array.isArray(v)) return v.map((x) => this.deep(x, column));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.deep(x, k)]));
    return v;
  }
}

/**
 * The masking of one PII column as a DuckDB expression over `ref` (the key bound as a parameter), for
 * masking files in SQL; agrees with `PiiMasker.value`.
 */
export function maskSql(column: string, ref: string): string | null {
  switch (column) {
    case 'email':
    case 'email_norm':
    case 'phone':
    case 'phone_norm':
      return `case when ${ref} is null then null else 'h:' || left(sha256($mask_key || ':' || lower(trim(cast(${ref} as varchar)))), 16) end`;
    case 'first_name':
    case 'last_name':
    case 'customer_name':
    case 'contact_name':
      return `case when ${ref} is null then null else array_to_string(list_transform(list_filter(string_split_regex(trim(cast(${ref} as varchar)), '\\s+'), w -> w <> ''), w -> upper(left(w, 1)) || '.'), ' ') end`;
    case 'street':
    case 'address':
    case 'postal_code':
      return `case when ${ref} is null then null else '•••' end`;
    default:
      return null;
  }
}

/** Whether a column of a result holds personal data. */
export const isPiiColumn = (name: string) => (piiColumns as readonly string[]).includes(name);
