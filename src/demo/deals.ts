import type { Account } from './accounts.ts';
import type { ActivityLog, ActivityType } from './activities.ts';
import type { BadKind, BadRows } from './bad-rows.ts';
import type { Catalog, Product } from './catalog.ts';
import { callOutcomes, subjects } from './dictionaries.ts';
import { crmId, prefixes, UNKNOWN_BASE } from './ids.ts';
import { businessMoment, salesSeasonKeep } from './moments.ts';
import { pickActive, type Employee, type Org } from './org.ts';
import type { DemoParameters } from './params.ts';
import { weighted, type Rng } from './rng.ts';
import { addMonths, civil, crmDate, crmDateTime, DAY, daysFromCivil, fromNyLocal, nyLocal, quarterStart } from './time.ts';
import { csv, csvHeader, money, TextFileWriter } from './writer.ts';

/**
 * B2B deals (opportunities) per account: a first New Business deal after the account's first
 * contact for most accounts, later deals at a steady yearly rate (Expansion once the account has
 * won), and a Renewal ten months after each won annual contract. Each deal walks the stages
 * with per-stage conversion and log-normal durations; Q4 closes faster and wins more; wins early
 * in a quarter are often pulled into the end of the previous one. Deals open at the export sit
 * in their current stage; some have slipped past their expected close date.
 */
export const opportunityColumns = ['Opportunity ID', 'Opportunity Name', 'Account ID', 'Primary Contact ID', 'Pipeline', 'Stage', 'Amount', 'Currency', 'Probability (%)', 'Forecast Category', 'Owner ID', 'Lead Source', 'Primary Campaign Source', 'Product Code', 'Created Date', 'Close Date', 'Date Closed', 'Loss Reason'];
export const historyColumns = ['History ID', 'Opportunity ID', 'Stage', 'Entered Date', 'Exited Date'];

const probability = [10, 20, 40, 60, 80];
const forecast = ['Pipeline', 'Pipeline', 'Best Case', 'Best Case', 'Commit'];
const lostReasons: ReadonlyArray<ReadonlyArray<readonly [string, number]>> = [
  [['No Response', 0.4], ['No Budget', 0.25], ['Timing', 0.2], ['Not a Fit', 0.15]],
  [['No Response', 0.3], ['No Budget', 0.3], ['Timing', 0.2], ['Not a Fit', 0.2]],
  [['Price', 0.3], ['Competitor', 0.3], ['No Decision', 0.2], ['Timing', 0.2]],
  [['Price', 0.35], ['Competitor', 0.3], ['No Decision', 0.2], ['Timing', 0.15]],
  [['Price', 0.35], ['Competitor', 0.35], ['Legal/Procurement', 0.1], ['No Decision', 0.2]],
];
const stageActivities: ReadonlyArray<ReadonlyArray<readonly [ActivityType, number]>> = [
  [['Email', 0.5], ['Call', 0.5]],
  [['Call', 0.5], ['Email', 0.3], ['Meeting', 0.2]],
  [['Meeting', 0.4], ['Presentation', 0.3], ['Call', 0.2], ['Email', 0.1]],
  [['Email', 0.4], ['Presentation', 0.2], ['Meeting', 0.2], ['Call', 0.2]],
  [['Call', 0.4], ['Email', 0.3], ['Meeting', 0.3]],
];

const opportunityKinds: BadKind[] = [
  { kind: 'negative_amount', column: 'Amount', field: 'amount', check: 'range', reason: 'negative deal amount' },
  { kind: 'unknown_status', column: 'Stage', field: 'status', check: 'enum', reason: 'stage "Closed - Pending Review" maps to no status' },
  { kind: 'bad_date', column: 'Created Date', field: 'created_at', check: 'type', reason: 'impossible date (day 00)' },
  { kind: 'unknown_owner', column: 'Owner ID', field: 'owner_id', check: 'reference', reason: 'owner user id that does not exist' },
];
const historyKinds: BadKind[] = [
  { kind: 'unknown_deal', column: 'Opportunity ID', field: 'deal_id', check: 'reference', reason: 'stage row of an opportunity that does not exist' },
  { kind: 'bad_date', column: 'Entered Date', field: 'entered_at', check: 'type', reason: 'impossible date (month 00)' },
];

export interface DealStats {
  deals: number;
  won: number;
  lost: number;
  open: number;
  historyRows: number;
  wonAmountCents: number;
  /** Won amount (cents) per "team|quarter start ms". */
  wonByTeamQuarter: Map<string, number>;
}

export interface DealContext {
  rng: Rng;
  badRng: Rng;
  bad: BadRows;
  p: DemoParameters;
  end: number;
  org: Org;
  accounts: Account[];
  catalog: Catalog;
  activities: ActivityLog;
  opportunities: TextFileWriter;
  history: TextFileWriter;
}

interface Pending {
  at: number;
  pipeline: 'New Business' | 'Expansion' | 'Renewal';
  amountCents: number;
  product: Product | null;
}

export function generateDeals(ctx: DealContext): DealStats {
  const { rng, p, end, org, catalog } = ctx;
  const d = p.deals;
  const stats: DealStats = { deals: 0, won: 0, lost: 0, open: 0, historyRows: 0, wonAmountCents: 0, wonByTeamQuarter: new Map() };
  let dealSeq = 0;
  let historySeq = 0;
  let unknown = 0;
  let lastDeal: string[] = [];
  let lastHistory: string[] = [];
  const maxSeason = Math.max(...d.monthSeasonality);

  const oppHandle = ctx.bad.register('crm/opportunities.csv', ctx.opportunities, opportunityKinds, 1, (k) => {
    const cells = [...lastDeal];
    cells[0] = crmId(prefixes.opportunity, 1000 + ++dealSeq);
    let value: string;
    if (k.kind === 'negative_amount') value = cells[6] = `-${cells[6]}`;
    else if (k.kind === 'unknown_status') value = cells[5] = 'Closed - Pending Review';
    else if (k.kind === 'bad_date') value = cells[14] = cells[14].replace(/^(\d{2})\/\d{2}/, '$1/00');
    else value = cells[10] = crmId(prefixes.user, UNKNOWN_BASE + ++unknown);
    ctx.opportunities.row(cells.join(','));
    return value;
  });
  const historyHandle = ctx.bad.register('crm/opportunity_history.csv', ctx.history, historyKinds, 1, (k) => {
    const cells = [...lastHistory];
    cells[0] = crmId(prefixes.history, 1000 + ++historySeq);
    let value: string;
    if (k.kind === 'unknown_deal') value = cells[1] = crmId(prefixes.opportunity, UNKNOWN_BASE + ++unknown);
    else value = cells[3] = cells[3].replace(/^\d{2}/, '00');
    ctx.history.row(cells.join(','));
    return value;
  });

  const productFor = (amountCents: number): Product | null => {
    if (rng.float() < 0.3) return null;
    const dollars = amountCents / 100;
    const sku = dollars < 4000 ? rng.pick(['SVC-TRAIN', 'SVC-MAINT']) : dollars < 9000 ? 'OCS-START' : dollars < 15000 ? 'LEASE-36' : dollars < 35000 ? 'OCS-TEAM' : 'OCS-ENT';
    return catalog.service.find((s) => s.sku === sku) ?? null;
  };

  for (const account of ctx.accounts) {
    if (account.firstContactAt === Infinity || account.firstContactAt >= end) continue;
    const team = org.teams[account.team];
    const size = account.enterprise ? 1.5 : 1;
    const queue: Pending[] = [];
    const baseAmount = account.enterprise ? d.medianAmountCents.enterprise : d.medianAmountCents.midMarket;
    if (rng.float() < d.firstDeal) queue.push({ at: account.firstContactAt + rng.exp(1 / (30 * DAY)), pipeline: 'New Business', amountCents: 0, product: null });
    // Later deals: a Poisson stream from the first contact on, thinned by month.
    for (let t = account.firstContactAt + rng.exp(d.laterDealsPerYear / (365 * DAY)); t < end; t += rng.exp(d.laterDealsPerYear / (365 * DAY))) {
      const m = civil(Math.floor(nyLocal(t) / DAY)).m;
      if (rng.float() < d.monthSeasonality[m - 1] / maxSeason) queue.push({ at: t, pipeline: 'New Business', amountCents: 0, product: null });
    }
    let hasWon = false;
    while (queue.length) {
      let i = 0;
      for (let j = 1; j < queue.length; j++) if (queue[j].at < queue[i].at) i = j;
      const next = queue.splice(i, 1)[0];
      const created = businessMoment(rng, next.at);
      if (created >= end) continue;
      const pipeline = next.pipeline === 'New Business' && hasWon ? 'Expansion' : next.pipeline;
      const amountCents =
        pipeline === 'Renewal'
          ? Math.round((next.amountCents * rng.uniform(0.95, 1.15)) / 10_000) * 10_000
          : Math.max(50_000, Math.round(rng.lognormal(baseAmount * (pipeline === 'Expansion' ? d.expansionFactor : 1), 0.6) / 10_000) * 10_000);
      const product = pipeline === 'Renewal' ? next.product : productFor(amountCents);
      const id = crmId(prefixes.opportunity, 1000 + ++dealSeq);
      let owner: Employee = pickActive(rng, team.seats, created, team.manager);

      // Walk the stages.
      const firstStage = pipeline === 'Renewal' ? 3 : pipeline === 'Expansion' ? 1 : 0;
      const speed = (pipeline === 'Renewal' ? 0.6 : 1) * size;
      const entered: number[] = [created];
      let s = firstStage;
      let outcome: 'won' | 'lost' | 'open' = 'open';
      let closed = NaN;
      let lossReason = '';
      for (;;) {
        const since = entered[entered.length - 1];
        const q4 = civil(Math.floor(nyLocal(since) / DAY)).m >= 10;
        // Now and then a deal stalls in a stage (the buyer goes quiet): four times as long.
        const stall = rng.float() < d.stall ? 4 : 1;
        const next = since + rng.lognormal(d.medianDays[s] * speed * stall * (q4 ? d.q4Speedup : 1) * DAY, 0.6);
        if (next >= end) break;
        const nextQ4 = civil(Math.floor(nyLocal(next) / DAY)).m >= 10;
        const advance = pipeline === 'Renewal' ? (s === 4 ? 0.85 : 0.95) : d.advance[s] + (s === 4 && nextQ4 ? d.q4WinBoost : 0);
        const at = businessMoment(rng, next);
        if (at >= end) break;
        if (rng.float() < advance) {
          if (s === 4) {
            outcome = 'won';
            closed = at;
            // Reps pull early-quarter wins into the last days of the quarter before.
            const qs = quarterStart(nyLocal(at));
            if (nyLocal(at) - qs < 25 * DAY && rng.float() < d.quarterEndPull) {
              const room = Math.min(10 * DAY, qs - nyLocal(since) - 3_600_000);
              for (let tries = 0; tries < 3 && room > 0; tries++) {
                const pulled = businessMoment(rng, fromNyLocal(qs - rng.uniform(0.05, 1) * room));
                if (pulled > since && nyLocal(pulled) < qs) {
                  closed = pulled;
                  break;
                }
              }
            }
            break;
          }
          s++;
          entered.push(at);
        } else {
          outcome = 'lost';
          closed = at;
          lossReason = weighted(rng, lostReasons[s]);
          break;
        }
      }
      // Reassign deals of reps who left before the deal closed (or before today).
      const horizon = outcome === 'open' ? end - 1 : closed;
      if (owner.leftAt <= horizon) owner = pickActive(rng, team.seats, owner.leftAt + DAY, team.manager);

      const stageName = outcome === 'won' ? 'Closed Won' : outcome === 'lost' ? 'Closed Lost' : d.stages[s];
      // Reps expect deals to close sooner than they do; half of the open deals whose date has
      // passed were moved out, the others sit past due.
      const expectedDays = d.medianDays.slice(firstStage).reduce((a, b) => a + b, 0) * speed * rng.uniform(0.6, 1.2);
      let expected = endOfMonth(created + expectedDays * DAY);
      if (outcome === 'open' && expected < end && rng.float() < 0.5) expected = endOfMonth(end + rng.uniform(0, 45) * DAY);
      const closeDate = outcome === 'open' ? crmDate(expected) : crmDate(closed);
      const name = `${account.name} - ${product ? product.title.replace(/ \(.*\)$/, '') : pipeline === 'Expansion' ? 'Additional Locations' : 'Office Coffee Program'}${pipeline === 'New Business' ? '' : ` (${pipeline})`}`;
      const cells = [
        id, csv(name), account.id, account.firstContactId, pipeline, stageName, money(amountCents), 'USD',
        String(outcome === 'won' ? 100 : outcome === 'lost' ? 0 : probability[s]), outcome === 'won' ? 'Closed' : outcome === 'lost' ? 'Omitted' : forecast[s],
        owner.id, account.firstContactSource, created - account.firstContactAt < 120 * DAY ? account.firstContactCampaign : '', product?.sku ?? '',
        crmDateTime(created), closeDate, Number.isNaN(closed) ? '' : crmDateTime(closed), lossReason,
      ];
      ctx.opportunities.row(cells.join(','));
      lastDeal = cells;
      ctx.bad.after(oppHandle);
      stats.deals++;

      // Stage history and the activities while in each stage.
      for (let k = 0; k < entered.length; k++) {
        const exit = k + 1 < entered.length ? entered[k + 1] : closed;
        const stage = d.stages[firstStage + k];
        const h = [crmId(prefixes.history, 1000 + ++historySeq), id, stage, crmDateTime(entered[k]), Number.isNaN(exit) ? '' : crmDateTime(exit)];
        ctx.history.row(h.join(','));
        lastHistory = h;
        ctx.bad.after(historyHandle);
        stats.historyRows++;
        stageWork(ctx, rng, firstStage + k, entered[k], Number.isNaN(exit) ? end : exit, account.firstContactId, owner.id, id);
      }
      if (outcome !== 'open') {
        const h = [crmId(prefixes.history, 1000 + ++historySeq), id, stageName, crmDateTime(closed), ''];
        ctx.history.row(h.join(','));
        lastHistory = h;
        ctx.bad.after(historyHandle);
        stats.historyRows++;
      }

      if (outcome === 'won') {
        hasWon = true;
        account.won = true;
        stats.won++;
        stats.wonAmountCents += amountCents;
        const key = `${team.name}|${quarterStart(nyLocal(closed))}`;
        stats.wonByTeamQuarter.set(key, (stats.wonByTeamQuarter.get(key) ?? 0) + amountCents);
        if (product && product.sku !== 'SVC-TRAIN') queue.push({ at: addMonths(closed, 10), pipeline: 'Renewal', amountCents, product });
      } else if (outcome === 'lost') stats.lost++;
      else stats.open++;
    }
  }
  return stats;
}

/** Calls, e-mails, meetings and presentations while a deal sits in a stage. */
function stageWork(ctx: DealContext, rng: Rng, stage: number, from: number, to: number, contactId: string, ownerId: string, dealId: string): void {
  const n = rng.poisson(0.8 + 0.5 * stage);
  for (let i = 0; i < n; i++) {
    const t = businessMoment(rng, from + rng.float() * (to - from));
    if (t <= from || t >= to || t >= ctx.end || !salesSeasonKeep(rng, t)) continue;
    const type = weighted(rng, stageActivities[stage]);
    switch (type) {
      case 'Call':
        ctx.activities.add(contactId, ownerId, 'Call', rng.float() < 0.15, t, 60 + rng.lognormal(900, 0.6), rng.pick(callOutcomes), rng.pick(subjects.dealCall), dealId);
        break;
      case 'Email':
        ctx.activities.add(contactId, ownerId, 'Email', rng.float() < 0.2, t, -1, rng.float() < 0.3 ? 'Replied' : 'Sent', rng.pick(subjects.dealEmail), dealId);
        break;
      case 'Meeting':
        ctx.activities.add(contactId, ownerId, 'Meeting', false, t, rng.lognormal(2700, 0.4), weighted(rng, [['Completed', 0.85], ['Rescheduled', 0.1], ['No-show', 0.05]] as const), rng.pick(subjects.dealMeeting), dealId);
        break;
      default:
        ctx.activities.add(contactId, ownerId, 'Presentation', false, t, rng.lognormal(3600, 0.3), 'Completed', rng.pick(subjects.dealPresentation), dealId);
    }
  }
}

function endOfMonth(ms: number): number {
  const { y, m } = civil(Math.floor(nyLocal(ms) / DAY));
  return (daysFromCivil(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1) - 1) * DAY + 12 * 3_600_000;
}
