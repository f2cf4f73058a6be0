import { companyKinds, companyPrefixes, countries, emailSafe, type Country } from './dictionaries.ts';
import { crmId, prefixes } from './ids.ts';
import { holderAt, pickActive, teamFor, type Org } from './org.ts';
import { AliasTable, type Rng } from './rng.ts';
import { crmDateTime, DAY, HOUR } from './time.ts';
import { csv, csvHeader, money, TextFileWriter } from './writer.ts';

/**
 * B2B accounts (companies). Planned before the people so that business contacts can join one;
 * their creation date, type and owner are settled after the people and deals exist.
 */
export interface Account {
  index: number;
  id: string;
  name: string;
  industry: string;
  country: Country;
  enterprise: boolean;
  employees: number;
  revenueCents: number;
  team: number;
  domain: string;
  website: string;
  /** The first contact to join (the deals' primary contact). */
  firstContactId: string;
  firstContactAt: number;
  firstContactSource: string;
  firstContactCampaign: string;
  contacts: number;
  won: boolean;
}

export function planAccounts(rng: Rng, count: number): { accounts: Account[]; table: AliasTable } {
  const countryTable = new AliasTable(countries.map((c) => c.weight));
  const accounts: Account[] = [];
  const weights: number[] = [];
  for (let i = 0; i < count; i++) {
    const country = countries[countryTable.sample(rng)];
    const kind = rng.pick(companyKinds);
    const enterprise = rng.chance(kind.enterprise);
    const employees = Math.round(enterprise ? rng.lognormal(4000, 0.9) + 1000 : Math.min(999, rng.lognormal(90, 0.9) + 10));
    const prefix = rng.pick(companyPrefixes);
    const base = `${prefix} ${kind.suffix}`;
    const name = `${base} ${rng.pick(country.legalForms)}`;
    // Domains carry the account number so that work e-mails never collide across same-named companies.
    const domain = `${emailSafe(prefix)}${emailSafe(kind.suffix)}${i}.${country.domain}`;
    accounts.push({
      index: i,
      id: crmId(prefixes.account, 1000 + i),
      name,
      industry: kind.industry,
      country,
      enterprise,
      employees,
      revenueCents: Math.round((employees * rng.lognormal(180_000, 0.5)) / 1000) * 100_000,
      team: teamFor(country.region, enterprise),
      domain,
      website: `www.${domain}`,
      firstContactId: '',
      firstContactAt: Infinity,
      firstContactSource: '',
      firstContactCampaign: '',
      contacts: 0,
      won: false,
    });
    weights.push(enterprise ? 3 : 1);
  }
  return { accounts, table: new AliasTable(weights.length ? weights : [1]) };
}

export const accountColumns = ['Account ID', 'Account Name', 'Type', 'Industry', 'Employees', 'Annual Revenue', 'Billing Country', 'Sales Region', 'Website', 'Account Owner ID', 'Created Date'];

/** Writes accounts: created a little before their first contact (prospects without contacts at random times). */
export function writeAccounts(path: string, rng: Rng, accounts: Account[], org: Org, start: number, end: number): TextFileWriter {
  const w = new TextFileWriter(path, csvHeader(accountColumns));
  for (const a of accounts) {
    const created = a.firstContactAt < Infinity ? a.firstContactAt - rng.uniform(0.5, 30) * DAY : start + rng.float() * (end - start - HOUR);
    const team = org.teams[a.team];
    const owner = pickActive(rng, team.seats, end - 1, holderAt([team.manager], end - 1) ?? team.manager);
    w.row(
      [a.id, csv(a.name), a.won ? 'Customer' : a.contacts > 0 ? 'Prospect' : 'Other', a.industry, String(a.employees), money(a.revenueCents), a.country.name, a.country.region, a.website, owner.id, crmDateTime(created)].join(','),
    );
  }
  w.close();
  return w;
}
