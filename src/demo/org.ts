import { emailSafe, firstNames, lastNames, type Region } from './dictionaries.ts';
import { crmId, prefixes } from './ids.ts';
import type { Rng } from './rng.ts';
import { crmDay, DAY, isoDay } from './time.ts';
import { csv, csvHeader, TextFileWriter } from './writer.ts';

/**
 * The company's people: a VP of sales, regional sales teams (a manager, account executives and a
 * sales development rep each), customer support, marketing and a shop-integration user that owns
 * contacts synced from the web shop. Reps come and go: each seat is held by a chain of people,
 * so some users are inactive and their successors took over their accounts and deals.
 */
export interface Employee {
  index: number;
  id: string;
  name: string;
  email: string;
  title: string;
  team: string;
  region: Region | 'Global';
  managerId: string;
  hiredAt: number;
  /** When they left; Infinity while employed. */
  leftAt: number;
  /** Quota ramp factor per seat holder (0.85–1.15). */
  quotaFactor: number;
}

export interface Team {
  name: string;
  region: Region;
  segment: 'Enterprise' | 'Mid-Market' | 'All';
  manager: Employee;
  /** Account-executive seats; each seat is a chain of holders over time. */
  seats: Employee[][];
  sdrs: Employee[][];
}

export interface Org {
  employees: Employee[];
  teams: Team[];
  support: Employee[][];
  supportManager: Employee;
  marketing: Employee[];
  integration: Employee;
}

/** Accounts per team, to size the teams. */
export type TeamLoad = Record<string, number>;

export const teamSpecs: ReadonlyArray<{ name: string; region: Region; segment: Team['segment'] }> = [
  { name: 'NA Enterprise', region: 'North America', segment: 'Enterprise' },
  { name: 'NA Mid-Market', region: 'North America', segment: 'Mid-Market' },
  { name: 'EMEA Enterprise', region: 'EMEA', segment: 'Enterprise' },
  { name: 'EMEA Mid-Market', region: 'EMEA', segment: 'Mid-Market' },
  { name: 'APAC', region: 'APAC', segment: 'All' },
];

export function teamFor(region: Region, enterprise: boolean): number {
  if (region === 'APAC') return 4;
  return (region === 'EMEA' ? 2 : 0) + (enterprise ? 0 : 1);
}

export function buildOrg(rng: Rng, load: TeamLoad, supportSeats: number, windowStart: number, end: number): Org {
  const employees: Employee[] = [];
  const used = new Set<string>();
  const person = (title: string, team: string, region: Employee['region'], managerId: string, hiredAt: number, leftAt: number): Employee => {
    let first: string, last: string;
    do {
      const culture = region === 'EMEA' ? rng.pick(['en', 'de', 'fr', 'nl'] as const) : 'en';
      first = rng.pick(firstNames[culture]);
      last = rng.pick(lastNames[culture]);
    } while (used.has(`${first} ${last}`));
    used.add(`${first} ${last}`);
    const e: Employee = {
      index: employees.length,
      id: crmId(prefixes.user, 1000 + employees.length),
      name: `${first} ${last}`,
      email: `${emailSafe(first)}.${emailSafe(last)}@ridgelineroasters.com`,
      title,
      team,
      region,
      managerId,
      hiredAt,
      leftAt,
      quotaFactor: rng.uniform(0.85, 1.15),
    };
    employees.push(e);
    return e;
  };
  const longAgo = () => windowStart - rng.uniform(0.3, 5) * 365 * DAY;
  /** A seat held by a chain of people: each leaves at 15 % a year and is replaced 2–8 weeks later. */
  const seat = (title: string, team: string, region: Employee['region'], managerId: string): Employee[] => {
    const chain: Employee[] = [];
    let hired = longAgo();
    for (;;) {
      const left = hired + rng.exp(0.15 / (365 * DAY));
      const e = person(title, team, region, managerId, hired, left >= end - 7 * DAY ? Infinity : left);
      chain.push(e);
      if (e.leftAt === Infinity) break;
      hired = e.leftAt + rng.uniform(14, 60) * DAY;
      if (hired >= end) break;
    }
    return chain;
  };
  const vp = person('VP of Sales', 'Sales Leadership', 'Global', '', windowStart - 6 * 365 * DAY, Infinity);
  const teams: Team[] = teamSpecs.map((spec) => {
    const manager = person('Sales Manager', spec.name, spec.region, vp.id, longAgo(), Infinity);
    const seats = Math.max(2, Math.min(40, Math.round((load[spec.name] ?? 0) / 450)));
    return {
      ...spec,
      manager,
      seats: Array.from({ length: seats }, () => seat('Account Executive', spec.name, spec.region, manager.id)),
      sdrs: Array.from({ length: Math.max(1, Math.round(seats / 4)) }, () => seat('Sales Development Rep', spec.name, spec.region, manager.id)),
    };
  });
  const supportManager = person('Support Manager', 'Customer Support', 'Global', vp.id, longAgo(), Infinity);
  const support = Array.from({ length: supportSeats }, () => seat('Support Agent', 'Customer Support', 'Global', supportManager.id));
  const marketingManager = person('Marketing Manager', 'Marketing', 'Global', vp.id, longAgo(), Infinity);
  const marketing = [marketingManager, person('Marketing Specialist', 'Marketing', 'Global', marketingManager.id, longAgo(), Infinity), person('Community Manager', 'Marketing', 'Global', marketingManager.id, longAgo(), Infinity)];
  const integration = person('Integration User', 'Systems', 'Global', '', windowStart - 2 * 365 * DAY, Infinity);
  integration.name = 'Shop Integration';
  integration.email = 'shop-integration@ridgelineroasters.com';
  return { employees, teams, support, supportManager, marketing, integration };
}

/** The holder of a seat at time t, if the seat is filled. */
export function holderAt(chain: Employee[], t: number): Employee | undefined {
  for (const e of chain) if (e.hiredAt <= t && t < e.leftAt) return e;
  return undefined;
}

/** A random filled seat's holder at time t, falling back to `fallback` when every seat is vacant. */
export function pickActive(rng: Rng, seats: Employee[][], t: number, fallback: Employee): Employee {
  const start = rng.int(seats.length);
  for (let i = 0; i < seats.length; i++) {
    const e = holderAt(seats[(start + i) % seats.length], t);
    if (e) return e;
  }
  return fallback;
}

export const userColumns = ['User ID', 'Full Name', 'Email', 'Title', 'Team', 'Manager ID', 'Sales Region', 'Hire Date', 'Termination Date', 'Active'];

export function writeUsers(path: string, org: Org): TextFileWriter {
  const w = new TextFileWriter(path, csvHeader(userColumns));
  for (const e of org.employees) {
    w.row(
      [e.id, csv(e.name), e.email, e.title, e.team, e.managerId, e.region, crmDay(startOfDay(e.hiredAt)), e.leftAt === Infinity ? '' : crmDay(startOfDay(e.leftAt)), e.leftAt === Infinity ? 'TRUE' : 'FALSE'].join(','),
    );
  }
  w.close();
  return w;
}

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

export const quotaColumns = ['Quota Owner ID', 'Period Type', 'Start Date', 'Quota Amount', 'Currency'];

/**
 * Quarterly quotas per account executive: the team's won bookings of that calendar year (its
 * complete quarters) per rep, plus 15 %, times the rep's own factor; new hires ramp (50 % in
 * their first quarter, 75 % in the second). Reps in a seat for under 30 days of a quarter get none.
 */
export function writeQuotas(path: string, org: Org, wonByTeamQuarter: Map<string, number>, quarters: number[], end: number): { writer: TextFileWriter; rows: number } {
  const w = new TextFileWriter(path, csvHeader(quotaColumns));
  const year = (q: number) => isoDay(q).slice(0, 4);
  for (const team of org.teams) {
    const reps = team.seats.flat();
    const perRepByYear = new Map<string, number>();
    for (const q of quarters) {
      const y = year(q);
      if (perRepByYear.has(y)) continue;
      const complete = quarters.filter((x) => year(x) === y && nextQuarter(x) <= end);
      const won = complete.map((x) => wonByTeamQuarter.get(`${team.name}|${x}`) ?? 0);
      const mean = won.length ? won.reduce((s, x) => s + x, 0) / won.length : NaN;
      perRepByYear.set(y, mean / Math.max(1, team.seats.length));
    }
    let last = NaN;
    for (const q of quarters) {
      let perRep = perRepByYear.get(year(q))!;
      if (!Number.isFinite(perRep)) perRep = last * 1.1;
      if (Number.isFinite(perRep)) last = perRep;
      const qEnd = nextQuarter(q);
      for (const e of reps) {
        const from = Math.max(q, e.hiredAt);
        const to = Math.min(qEnd, e.leftAt);
        if (to - from < 30 * DAY) continue;
        const tenureQuarters = Math.floor((q - e.hiredAt) / (91 * DAY));
        const ramp = tenureQuarters < 0 ? 0.5 : tenureQuarters < 1 ? 0.75 : 1;
        const amount = Math.max(10_000, Math.round(((Number.isFinite(perRep) ? perRep : 0) * 1.15 * e.quotaFactor * ramp) / 100_000) * 1000);
        w.row(`${e.id},Quarter,${crmDay(q)},${amount}.00,USD`);
      }
    }
  }
  w.close();
  return { writer: w, rows: w.rows };
}

export function nextQuarter(q: number): number {
  const d = new Date(q);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 3, 1);
}
