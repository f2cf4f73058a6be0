import { crmId, prefixes } from './ids.ts';
import type { Org } from './org.ts';
import type { Rng } from './rng.ts';
import { civil, crmDay, DAY, daysFromCivil, HOUR, utc, weekday } from './time.ts';
import { csv, csvHeader, money, TextFileWriter } from './writer.ts';

/**
 * The marketing calendar from the start of the history: a monthly newsletter, seasonal promotions (spring, summer, Black
 * Friday, holiday gift guide, VIP early access), quarterly win-back and lead-nurture e-mails,
 * always-on paid search and paid social per quarter, a webinar every other month, three trade
 * shows a year, a holiday catalogue by post and a yearly refer-a-friend programme. Campaigns that
 * start after the export date are "Planned" and have no members. Costs follow from what each
 * campaign did (members, acquisitions) once the people are generated.
 */
export type CampaignType = 'Email' | 'Webinar' | 'Trade Show' | 'Paid Search' | 'Paid Social' | 'Direct Mail' | 'Referral Program';

export type Segment = 'All subscribers' | 'Customers' | 'Leads' | 'Lapsed customers' | 'VIP customers' | 'Leads and customers' | 'New visitors' | 'Referred friends';

export interface Campaign {
  index: number;
  id: string;
  name: string;
  type: CampaignType;
  /** First and last day (UTC midnight of the calendar day). */
  startDay: number;
  endDay: number;
  /** When its e-mails/invitations go out (or the event starts). */
  sendAt: number;
  segment: Segment;
  /** Share of the segment that is contacted. */
  sampleRate: number;
  attributionDays: number;
  ownerId: string;
  members: number;
  acquisitions: number;
  conversions: number;
}

export interface CampaignBook {
  all: Campaign[];
  /** Campaigns that contact existing contacts, by send time. */
  outreach: Campaign[];
  byType: Map<CampaignType, Campaign[]>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const webinarTopics = ['Brewing Better Office Coffee', 'Espresso at Home: The Basics', 'Sustainable Sourcing Explained', 'Cold Brew for Teams', 'Choosing a Grinder', 'Coffee Service ROI for Facilities Managers'];

export function buildCampaigns(rng: Rng, org: Org, windowStart: number, end: number): CampaignBook {
  const list: Omit<Campaign, 'index' | 'id'>[] = [];
  const first = civil(Math.floor(windowStart / DAY));
  const last = civil(Math.floor((end + 62 * DAY) / DAY));
  const owner = () => rng.pick(org.marketing).id;
  const add = (c: Omit<Campaign, 'index' | 'id' | 'ownerId' | 'members' | 'acquisitions' | 'conversions' | 'sendAt'> & { sendHour?: number }) => {
    const { sendHour, ...rest } = c;
    // E-mails go out at 10:00 New York time (15:00 UTC is close enough all year for a send time).
    list.push({ ...rest, sendAt: c.startDay + (sendHour ?? 15) * HOUR, ownerId: owner(), members: 0, acquisitions: 0, conversions: 0 });
  };
  for (let ym = first.y * 12 + first.m - 1; ym <= last.y * 12 + last.m - 1; ym++) {
    const y = Math.floor(ym / 12);
    const mo = (ym % 12) + 1;
    const day = (d: number) => utc(y, mo, d);
    const label = `${MONTHS[mo - 1]} ${y}`;
    add({ name: `Newsletter - ${label}`, type: 'Email', startDay: day(4 + rng.int(4)), endDay: day(20), segment: 'All subscribers', sampleRate: 0.22, attributionDays: 7 });
    if (mo === 1) {
      add({ name: `New Year Reset ${y}`, type: 'Email', startDay: day(6), endDay: day(16), segment: 'All subscribers', sampleRate: 0.3, attributionDays: 7 });
      add({ name: `Refer-a-Friend ${y}`, type: 'Referral Program', startDay: day(1), endDay: utc(y, 12, 31), segment: 'Referred friends', sampleRate: 0, attributionDays: 7 });
    }
    if (mo === 3) add({ name: `Spring Sale ${y}`, type: 'Email', startDay: day(14), endDay: day(24), segment: 'All subscribers', sampleRate: 0.35, attributionDays: 7 });
    if (mo === 7) add({ name: `Summer Sale ${y}`, type: 'Email', startDay: day(9), endDay: day(19), segment: 'All subscribers', sampleRate: 0.35, attributionDays: 7 });
    if (mo === 10) add({ name: `VIP Early Access ${y}`, type: 'Email', startDay: day(20), endDay: day(27), segment: 'VIP customers', sampleRate: 0.9, attributionDays: 7 });
    if (mo === 11) {
      const nov1 = daysFromCivil(y, 11, 1);
      const thanksgiving = nov1 + ((4 - weekday(nov1) + 7) % 7) + 21;
      add({ name: `Black Friday ${y}`, type: 'Email', startDay: (thanksgiving + 1) * DAY, endDay: (thanksgiving + 4) * DAY, segment: 'All subscribers', sampleRate: 0.45, attributionDays: 7 });
      add({ name: `Holiday Catalog ${y}`, type: 'Direct Mail', startDay: day(2), endDay: day(30), segment: 'Customers', sampleRate: 0.25, attributionDays: 21 });
    }
    if (mo === 12) add({ name: `Holiday Gift Guide ${y}`, type: 'Email', startDay: day(2), endDay: day(20), segment: 'Customers', sampleRate: 0.4, attributionDays: 7 });
    if (mo % 3 === 1) {
      const q = (mo + 2) / 3;
      const qEnd = utc(mo === 10 ? y + 1 : y, mo === 10 ? 1 : mo + 3, 1) - DAY;
      add({ name: `${y} Q${q} Paid Search - Generic`, type: 'Paid Search', startDay: day(1), endDay: qEnd, segment: 'New visitors', sampleRate: 0, attributionDays: 7 });
      add({ name: `${y} Q${q} Paid Social - Prospecting`, type: 'Paid Social', startDay: day(1), endDay: qEnd, segment: 'New visitors', sampleRate: 0, attributionDays: 7 });
      add({ name: `Win-back Q${q} ${y}`, type: 'Email', startDay: day(15), endDay: day(28), segment: 'Lapsed customers', sampleRate: 0.5, attributionDays: 7 });
      add({ name: `Lead Nurture Q${q} ${y}`, type: 'Email', startDay: day(22), endDay: utc(y, mo + 1, 5), segment: 'Leads', sampleRate: 0.4, attributionDays: 7 });
    }
    if (mo % 2 === 0) {
      add({ name: `Webinar: ${webinarTopics[(ym / 2) % webinarTopics.length | 0]}`, type: 'Webinar', startDay: day(19), endDay: day(19), segment: 'Leads and customers', sampleRate: 0.05, attributionDays: 14, sendHour: 14 });
    }
    if (mo === 4) add({ name: `Coffee Fest Chicago ${y}`, type: 'Trade Show', startDay: day(17), endDay: day(19), segment: 'Leads and customers', sampleRate: 0.015, attributionDays: 30 });
    if (mo === 6) add({ name: `Specialty Coffee Expo ${y}`, type: 'Trade Show', startDay: day(5), endDay: day(7), segment: 'Leads and customers', sampleRate: 0.015, attributionDays: 30 });
    if (mo === 9) add({ name: `Workplace Expo London ${y}`, type: 'Trade Show', startDay: day(23), endDay: day(25), segment: 'Leads and customers', sampleRate: 0.015, attributionDays: 30 });
  }
  list.sort((a, b) => a.startDay - b.startDay || a.name.localeCompare(b.name));
  const all: Campaign[] = list.map((c, index) => ({ ...c, index, id: crmId(prefixes.campaign, 500 + index) }));
  const byType = new Map<CampaignType, Campaign[]>();
  for (const c of all) byType.set(c.type, [...(byType.get(c.type) ?? []), c]);
  const outreach = all.filter((c) => c.sampleRate > 0).sort((a, b) => a.sendAt - b.sendAt || a.index - b.index);
  return { all, outreach, byType };
}

/** The campaign of a type running at t (start day ≤ t < day after end day). */
export function runningAt(book: CampaignBook, type: CampaignType, t: number): Campaign | undefined {
  for (const c of book.byType.get(type) ?? []) if (c.startDay <= t && t < c.endDay + DAY) return c;
  return undefined;
}

/** The latest campaign of a type sent at least `minAge` and at most `maxAge` ms before t. */
export function latestBefore(book: CampaignBook, type: CampaignType, t: number, minAge: number, maxAge: number): Campaign | undefined {
  let best: Campaign | undefined;
  for (const c of book.byType.get(type) ?? []) {
    const age = t - c.sendAt;
    if (age >= minAge && age <= maxAge && (!best || c.sendAt > best.sendAt)) best = c;
  }
  return best;
}

export const campaignColumns = ['Campaign ID', 'Campaign Name', 'Type', 'Status', 'Start Date', 'End Date', 'Budgeted Cost', 'Actual Cost', 'Target Audience', 'Owner ID', 'Number of Members'];

/** Cost model per type: fixed cost, per member, per acquired customer (USD). */
const costModel: Record<CampaignType, [number, number, number]> = {
  Email: [400, 0.03, 0],
  Webinar: [2500, 1.5, 0],
  'Trade Show': [30000, 20, 0],
  'Paid Search': [0, 38, 0],
  'Paid Social': [0, 52, 0],
  'Direct Mail': [3000, 1.25, 0],
  'Referral Program': [1000, 0, 15],
};

export function writeCampaigns(path: string, rng: Rng, book: CampaignBook, end: number): TextFileWriter {
  const w = new TextFileWriter(path, csvHeader(campaignColumns));
  for (const c of book.all) {
    const status = c.startDay >= end ? 'Planned' : c.endDay + DAY <= end ? 'Completed' : 'In Progress';
    const [fixed, perMember, perAcq] = costModel[c.type];
    const actualCents = status === 'Planned' ? 0 : Math.round((fixed + perMember * c.members + perAcq * c.acquisitions) * rng.uniform(0.92, 1.08) * 100);
    const planned = status === 'Planned' ? (fixed + perMember * 400) * 100 : actualCents * rng.uniform(0.85, 1.2);
    const budgetCents = Math.max(100_000, Math.round(planned / 100_000) * 100_000);
    w.row(
      [c.id, csv(c.name), c.type, status, crmDay(c.startDay), crmDay(c.endDay), money(budgetCents), status === 'Planned' ? '' : money(actualCents), c.segment, c.ownerId, String(c.members)].join(','),
    );
  }
  w.close();
  return w;
}
