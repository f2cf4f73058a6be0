import type { Account } from './accounts.ts';
import type { ActivityLog, ActivityType } from './activities.ts';
import type { BadKind, BadRows } from './bad-rows.ts';
import { latestBefore, runningAt, type Campaign, type CampaignBook } from './campaigns.ts';
import type { Catalog } from './catalog.ts';
import { callOutcomes, countries, emailSafe, firstNames, lastNames, personalDomains, jobTitles, streetNames, subjects, type Country } from './dictionaries.ts';
import { crmId, prefixes, SHOP_CUSTOMER_BASE, SHOP_ORDER_BASE, SHOP_ORDER_NAME_BASE, subscriptionId, TICKET_BASE, UNKNOWN_BASE } from './ids.ts';
import { businessMoment, consumerMoment, orderWarp, salesSeasonKeep } from './moments.ts';
import { pickActive, teamFor, type Org } from './org.ts';
import type { DemoParameters } from './params.ts';
import { AliasTable, weighted, type Rng } from './rng.ts';
import { addMonths, civil, crmDateTime, DAY, HOUR, isoUtc, MINUTE, nyLocal, shopDateTime, WEEK, weekday } from './time.ts';
import { csv, json, money, type TextFileWriter } from './writer.ts';

/**
 * The people: buyers (web-shop customers whose orders follow BG/NBD with Gamma-Gamma spend) and
 * CRM-only prospects, generated one person at a time in order of acquisition, each written to
 * every file they appear in (CRM contact, shop customer, orders and lines, campaign members,
 * activities, tickets, subscription). Per-person buffers are reused; rows are built as strings.
 */
export interface PeopleWriters {
  contacts: TextFileWriter;
  shopCustomers: TextFileWriter;
  orders: TextFileWriter;
  lines: TextFileWriter;
  members: TextFileWriter;
  tickets: TextFileWriter;
  subscriptions: TextFileWriter;
  activities: ActivityLog;
}

export interface PeopleContext {
  rng: Rng;
  badRng: Rng;
  bad: BadRows;
  p: DemoParameters;
  start: number;
  end: number;
  buyers: number;
  leads: number;
  catalog: Catalog;
  book: CampaignBook;
  org: Org;
  accounts: Account[];
  accountTable: AliasTable;
  writers: PeopleWriters;
  onProgress?: (done: number, total: number) => void;
}

export const contactColumns = ['Contact ID', 'First Name', 'Last Name', 'Email Address', 'Phone Number', 'Account ID', 'Title', 'Mailing Street', 'Mailing City', 'Mailing State/Province', 'Mailing Zip/Postal Code', 'Mailing Country', 'Sales Region', 'Contact Owner ID', 'Lead Source', 'Primary Campaign ID', 'Lifecycle Stage', 'Customer Since', 'Email Opt In', 'SMS Opt In', 'Do Not Call', 'Do Not Contact', 'Unsubscribed Date', 'Created Date', 'Last Modified Date'];
export const shopCustomerColumns = ['Customer ID', 'First Name', 'Last Name', 'Email', 'Phone', 'Accepts Email Marketing', 'Accepts SMS Marketing', 'Default Address Company', 'Default Address Address1', 'Default Address City', 'Default Address Province Code', 'Default Address Country Code', 'Default Address Zip', 'Total Spent', 'Total Orders', 'Tags', 'Created At', 'Updated At'];
export const orderColumns = ['Id', 'Name', 'Customer ID', 'Email', 'Created at', 'Financial Status', 'Fulfillment Status', 'Cancelled at', 'Currency', 'Subtotal', 'Discount Amount', 'Shipping', 'Taxes', 'Total', 'Item Count', 'Source', 'UTM Campaign', 'Shipping Country Code'];
export const orderLineColumns = ['Order ID', 'Line Number', 'Lineitem SKU', 'Lineitem name', 'Lineitem quantity', 'Lineitem price', 'Lineitem discount', 'Line Total'];
export const memberColumns = ['Campaign Member ID', 'Campaign ID', 'Contact ID', 'Campaign Type', 'Member Status', 'Sent Date', 'Opened Date', 'Clicked Date', 'Converted Date'];
/** Columns of the billing export (written to CSV first, then to Parquet with these types). */
export const subscriptionColumns: ReadonlyArray<readonly [string, string]> = [
  ['id', 'VARCHAR'],
  ['customer_external_id', 'VARCHAR'],
  ['plan_name', 'VARCHAR'],
  ['status', 'VARCHAR'],
  ['mrr', 'DECIMAL(10,2)'],
  ['currency', 'VARCHAR'],
  ['billing_interval', 'VARCHAR'],
  ['start_date', 'TIMESTAMPTZ'],
  ['canceled_at', 'TIMESTAMPTZ'],
  ['current_period_end', 'TIMESTAMPTZ'],
];

/** CRM lead sources for buyers (how they were acquired) and for prospects, with weights. */
const buyerSources: ReadonlyArray<readonly [string, number]> = [
  ['Organic Search', 0.21], ['Paid Search', 0.19], ['Social Media', 0.14], ['Email', 0.08], ['Referral', 0.11], ['Direct', 0.15], ['Trade Show', 0.04], ['Partner', 0.05], ['Webinar', 0.03],
];
const leadSources: ReadonlyArray<readonly [string, number]> = [
  ['Web', 0.3], ['Trade Show', 0.14], ['Social Media', 0.14], ['Paid Search', 0.1], ['Partner', 0.1], ['Purchased List', 0.1], ['Referral', 0.05], ['Webinar', 0.07],
];
const leadStages: ReadonlyArray<readonly [string, number]> = [['Lead', 0.55], ['Marketing Qualified Lead', 0.25], ['Sales Qualified Lead', 0.12], ['Opportunity', 0.08]];
const shopSources: ReadonlyArray<readonly [string, number]> = [['web', 0.64], ['iphone', 0.15], ['android', 0.11], ['pos', 0.05], ['draft_order', 0.05]];
const ticketCategories: ReadonlyArray<readonly [string, number]> = [['Shipping & Delivery', 0.4], ['Product Quality', 0.2], ['Billing', 0.15], ['Account', 0.1], ['Technical Support', 0.15]];
const priorities: ReadonlyArray<readonly [string, number]> = [['low', 0.25], ['normal', 0.55], ['high', 0.15], ['urgent', 0.05]];
const vias: ReadonlyArray<readonly [string, number]> = [['email', 0.5], ['web', 0.25], ['chat', 0.15], ['phone', 0.1]];
const ticketSubjects: Record<string, string[]> = {
  'Shipping & Delivery': ['Where is my order?', 'Package arrived damaged', 'Wrong item delivered', 'Delivery address change'],
  'Product Quality': ['Beans taste stale', 'Grinder makes a strange noise', 'Mug arrived chipped'],
  Billing: ['Charged twice', 'Need an invoice with VAT number', 'Discount code not applied'],
  Account: ['Cannot log in', 'Update my e-mail address', 'Delete my account'],
  'Technical Support': ['Espresso machine not heating', 'Descaling light stays on', 'Grind settings for espresso'],
  'Returns & Refunds': ['Return request', 'Refund not received', 'Exchange for a different size'],
};
const responseHours: Record<string, number> = { urgent: 0.5, high: 2, normal: 5, low: 10 };
const resolveDays: Record<string, number> = { urgent: 0.4, high: 1, normal: 1.5, low: 3 };

interface PersonState {
  k: number;
  country: Country;
  city: Country['cities'][number];
  first: string;
  last: string;
  crmEmail: string;
  shopEmail: string;
  crmPhone: string;
  shopPhone: string;
  account: Account | null;
}

const contactKinds: BadKind[] = [
  { kind: 'malformed_email', column: 'Email Address', field: 'email', check: 'email', reason: 'e-mail address without "@"' },
  { kind: 'bad_date', column: 'Created Date', field: 'created_at', check: 'type', reason: 'impossible date (February 30)' },
  { kind: 'unknown_owner', column: 'Contact Owner ID', field: 'owner_id', check: 'reference', reason: 'owner user id that does not exist' },
  { kind: 'unknown_account', column: 'Account ID', field: 'account_id', check: 'reference', reason: 'account id that does not exist' },
];
const shopCustomerKinds: BadKind[] = [
  { kind: 'malformed_email', column: 'Email', field: 'email', check: 'email', reason: 'e-mail address with two "@"' },
  { kind: 'bad_date', column: 'Updated At', field: 'updated_at', check: 'type', reason: 'impossible date (month 13)' },
];
const orderKinds: BadKind[] = [
  { kind: 'bad_date', column: 'Created at', field: 'ordered_at', check: 'type', reason: 'impossible date (month 13)' },
  { kind: 'unknown_customer', column: 'Customer ID', field: 'customer_id', check: 'reference', reason: 'shop customer id that does not exist' },
  { kind: 'missing_customer', column: 'Customer ID', field: 'customer_id', check: 'required', reason: 'customer id is empty' },
  { kind: 'unknown_status', column: 'Financial Status', field: 'status', check: 'enum', reason: 'financial status "chargeback" is not a known status' },
  { kind: 'negative_item_count', column: 'Item Count', field: 'item_count', check: 'range', reason: 'negative item count on an order that is not a return' },
  { kind: 'not_a_number', column: 'Subtotal', field: 'total_amount', check: 'type', reason: 'amount is not a number' },
];
const lineKinds: BadKind[] = [
  { kind: 'unknown_product', column: 'Lineitem SKU', field: 'product_id', check: 'reference', reason: 'SKU that is not in the product catalogue' },
  { kind: 'negative_price', column: 'Lineitem price', field: 'unit_price', check: 'range', reason: 'negative unit price' },
  { kind: 'unknown_order', column: 'Order ID', field: 'order_id', check: 'reference', reason: 'line of an order that does not exist' },
];
const memberKinds: BadKind[] = [
  { kind: 'unknown_campaign', column: 'Campaign ID', field: 'campaign_id', check: 'reference', reason: 'campaign id that does not exist' },
  { kind: 'unknown_contact', column: 'Contact ID', field: 'customer_id', check: 'reference', reason: 'contact id that exists nowhere in the CRM' },
  { kind: 'bad_date', column: 'Sent Date', field: 'sent_at', check: 'type', reason: 'impossible date (day 32)' },
];
const ticketKinds: BadKind[] = [
  { kind: 'csat_out_of_range', column: 'satisfaction_score', field: 'satisfaction', check: 'range', reason: 'satisfaction score above 5' },
  { kind: 'unknown_priority', column: 'priority', field: 'priority', check: 'enum', reason: 'priority "p1" is not a known priority' },
  { kind: 'unknown_requester', column: 'requester_external_id', field: 'customer_id', check: 'reference', reason: 'requester that exists nowhere in the CRM' },
];
const subscriptionKinds: BadKind[] = [
  { kind: 'negative_mrr', column: 'mrr', field: 'mrr', check: 'range', reason: 'negative MRR' },
  { kind: 'unknown_customer', column: 'customer_external_id', field: 'customer_id', check: 'reference', reason: 'customer that exists nowhere in the CRM' },
];

/** Everything the run learned that the manifest reports. */
export interface PeopleStats {
  persons: number;
  buyers: number;
  leads: number;
  crmContacts: number;
  shopCustomers: number;
  inBothSystems: number;
  matchByEmail: number;
  matchByPhoneOnly: number;
  businessContacts: number;
  transactions: number;
  repeatBuyers: number;
  cancelledOrders: number;
  returnedOrders: number;
  pendingOrders: number;
  orders: number;
  orderLines: number;
  returnLines: number;
  touches: number;
  conversions: number;
  unsubscribed: number;
  tickets: number;
  subscriptions: number;
  activeSubscriptions: number;
  revenueCents: number;
}

export function generatePeople(ctx: PeopleContext): PeopleStats {
  return new People(ctx).run();
}

class People {
  private readonly rng: Rng;
  private readonly w: PeopleWriters;
  private readonly stats: PeopleStats;
  private readonly countryTable = new AliasTable(countries.map((c) => c.weight));
  private readonly buyerSourceTable = new AliasTable(buyerSources.map(([, x]) => x));
  private readonly shopSourceTable = new AliasTable(shopSources.map(([, x]) => x));

  // Per-person buffers, reused (grown when a heavy buyer needs more).
  private cap = 1024;
  private oTime = new Float64Array(this.cap);
  private oValue = new Float64Array(this.cap);
  private oCancelled = new Uint8Array(this.cap);
  private oCampaign = new Int32Array(this.cap);
  private oSeq = new Float64Array(this.cap);
  private nOrders = 0;
  private tCap = 256;
  private tCamp = new Int32Array(this.tCap);
  private tSent = new Float64Array(this.tCap);
  private tOpen = new Float64Array(this.tCap);
  private tClick = new Float64Array(this.tCap);
  private tConv = new Float64Array(this.tCap);
  private nTouches = 0;
  private lProd = new Int32Array(16);
  private lQty = new Int32Array(16);
  private lNet = new Int32Array(16);

  // Sequences.
  private contactSeq = 0;
  private shopSeq = 0;
  private orderSeq = 0;
  private memberSeq = 0;
  private ticketSeq = 0;
  private subSeq = 0;
  private unknownSeq = 0;

  // The last good row of each file with bad rows, for making a bad one next to it.
  private lastContact: string[] = [];
  private lastShopCustomer: string[] = [];
  private lastOrder = '';
  private lastLine = { order: '', lineNo: 0, sku: '', name: '', qty: '1', price: '1.00', disc: '0.00', total: '1.00' };
  private lastMember: string[] = [];
  private lastTicket: Record<string, unknown> = {};
  private lastSub: string[] = [];
  private handles: Record<string, number> = {};

  constructor(private readonly ctx: PeopleContext) {
    this.rng = ctx.rng;
    this.w = ctx.writers;
    this.stats = {
      persons: 0, buyers: 0, leads: 0, crmContacts: 0, shopCustomers: 0, inBothSystems: 0, matchByEmail: 0, matchByPhoneOnly: 0, businessContacts: 0,
      transactions: 0, repeatBuyers: 0, cancelledOrders: 0, returnedOrders: 0, pendingOrders: 0, orders: 0, orderLines: 0, returnLines: 0,
      touches: 0, conversions: 0, unsubscribed: 0, tickets: 0, subscriptions: 0, activeSubscriptions: 0, revenueCents: 0,
    };
    this.registerBadRows();
  }

  run(): PeopleStats {
    const { rng, ctx } = this;
    const buyerTimes = acquisitionTimes(rng, ctx.buyers, ctx.start, ctx.end, ctx.p);
    const leadTimes = acquisitionTimes(rng, ctx.leads, ctx.start, ctx.end, ctx.p);
    const total = ctx.buyers + ctx.leads;
    let i = 0;
    let j = 0;
    for (let k = 0; k < total; k++) {
      if (j >= leadTimes.length || (i < buyerTimes.length && buyerTimes[i] <= leadTimes[j])) this.buyer(k, buyerTimes[i++]);
      else this.lead(k, leadTimes[j++]);
      if (ctx.onProgress && (k & 8191) === 8191) ctx.onProgress(k + 1, total);
    }
    ctx.onProgress?.(total, total);
    this.stats.persons = total;
    return this.stats;
  }

  // --- one person --------------------------------------------------------------------------

  private identity(k: number, account: Account | null, sameEmailShare: number, rng: Rng = this.rng): PersonState & { sameEmail: boolean } {
    const country = account ? account.country : countries[this.countryTable.sample(rng)];
    const city = rng.pick(country.cities);
    const first = rng.pick(firstNames[country.names]);
    const last = rng.pick(lastNames[country.names]);
    const f = emailSafe(first);
    const l = emailSafe(last);
    // Every address carries the person number, so no two people share one.
    const personal = (variant: number, domain: string) =>
      `${variant === 0 ? `${f}.${l}` : variant === 1 ? `${f}${l}` : variant === 2 ? `${f[0]}${l}` : variant === 3 ? `${f}_${l}` : `${l}.${f}`}${k}@${domain}`;
    const homeDomain = country.code === 'DE' ? rng.pick(['gmail.com', 'gmx.de', 'web.de']) : country.code === 'FR' ? rng.pick(['gmail.com', 'orange.fr']) : country.code === 'GB' ? rng.pick(['gmail.com', 'btinternet.com', 'outlook.com']) : rng.pick(personalDomains.slice(0, 7));
    const crmEmail = account ? `${f}.${l}${k}@${account.domain}` : personal(rng.int(5), homeDomain);
    const sameEmail = rng.chance(sameEmailShare);
    const shopBase = sameEmail ? crmEmail : `${f}${l}.${k}@${rng.pick(personalDomains.filter((d) => !crmEmail.endsWith(d)))}`;
    // The same phone for both systems, written differently: last ten digits are unique per person.
    const sub = String(2_000_000 + ((k * 2_654_437) % 8_000_000));
    const e164 = `+${country.callingCode}${city.area}${sub}`;
    return {
      k, country, city, first, last, account, sameEmail,
      crmEmail: rng.chance(0.15) ? capitalise(crmEmail) : crmEmail,
      shopEmail: shopEmailVariant(rng, shopBase),
      crmPhone: crmPhone(rng, country, city.area, sub),
      shopPhone: e164,
    };
  }

  private buyer(k: number, tRaw: number): void {
    const { rng, ctx, stats } = this;
    const p = ctx.p;
    const end = ctx.end;
    const warped = orderWarp.apply(tRaw);
    const t0 = warped < end ? warped : tRaw;
    stats.buyers++;
    const inCrm = rng.chance(p.buyersInCrm);
    const business = inCrm && ctx.accounts.length > 0 && rng.chance(p.businessContactShare);
    const account = business ? ctx.accounts[ctx.accountTable.sample(rng)] : null;
    const id = this.identity(k, account, business ? 0.6 : 0.96);

    // Acquisition: channel, campaign, and when the CRM first knew the person.
    let source = buyerSources[this.buyerSourceTable.sample(rng)][0];
    let campaign = this.acquisitionCampaign(source, t0);
    if (campaign === null) source = 'Organic Search';
    let created = t0 + rng.uniform(1, 180) * MINUTE;
    let leadFirst = false;
    if (campaign && (source === 'Email' || source === 'Trade Show' || source === 'Webinar')) {
      leadFirst = true;
      created = source === 'Trade Show' ? businessMoment(rng, campaign.startDay + rng.int(3) * DAY) : campaign.sendAt - rng.uniform(1, source === 'Email' ? 90 : 14) * DAY;
      if (created >= t0) created = t0 - rng.uniform(1, 24) * HOUR;
    } else if (source === 'Partner') {
      leadFirst = true;
      created = t0 - rng.uniform(3, 60) * DAY;
    }
    if (created >= end) created = t0 + (end - t0) * 0.5;

    // Orders: BG/NBD transactions with Gamma-Gamma values, then cancelled extras, returns.
    const lambda = rng.gamma(p.bgnbd.r, p.bgnbd.alpha) / WEEK;
    const dropout = rng.beta(p.bgnbd.a, p.bgnbd.b);
    const nu = rng.gamma(p.gammaGamma.q, p.gammaGamma.gamma);
    const txTimes: number[] = [t0];
    for (let t = t0; ; ) {
      t += rng.exp(lambda);
      if (t >= end) break;
      txTimes.push(t);
      if (rng.float() < dropout) break;
    }
    // Hour-of-day warp within each New York day (keeps counts per day); the first order is t0.
    txTimes[0] = t0;
    for (let n = 1; n < txTimes.length; n++) {
      let tw = orderWarp.apply(txTimes[n]);
      if (tw >= end) tw = txTimes[n];
      txTimes[n] = tw > txTimes[n - 1] ? tw : txTimes[n - 1] + 1000;
    }
    this.nOrders = 0;
    for (let n = 0; n < txTimes.length; n++) {
      this.pushOrder(txTimes[n], Math.max(1, Math.round(rng.gamma(p.gammaGamma.p, nu) * 100)), 0);
      if (rng.float() < p.orders.cancelledExtra) {
        const next = n + 1 < txTimes.length ? txTimes[n + 1] : end;
        const tc = txTimes[n] + rng.uniform(5 * MINUTE, Math.max(6 * MINUTE, Math.min(36 * HOUR, (next - txTimes[n]) * 0.9)));
        if (tc < next) this.pushOrder(tc, Math.max(1, Math.round(rng.gamma(p.gammaGamma.p, nu) * 100)), 1);
      }
    }
    stats.transactions += txTimes.length;
    if (txTimes.length > 1) stats.repeatBuyers++;

    // CRM side: consent, campaign touches, attribution.
    const dnc = inCrm && rng.chance(0.01);
    const emailOptIn = inCrm && !dnc && rng.chance(business ? 0.55 : 0.7);
    this.nTouches = 0;
    let unsubAt = NaN;
    if (campaign) this.acquisitionTouch(campaign, source, t0, created, true);
    if (inCrm && !dnc) unsubAt = this.outreach(created, emailOptIn, true, t0, campaign);
    this.attribute(campaign, source);

    // Shop: customer, orders, lines.
    const shopId = String(SHOP_CUSTOMER_BASE + ++this.shopSeq);
    const orderSource = shopSources[this.shopSourceTable.sample(rng)][0];
    const spent = this.writeOrders(id, shopId, business && rng.chance(0.5) ? 'draft_order' : orderSource);
    let lastTx = t0;
    for (let n = 0; n < this.nOrders; n++) if (!this.oCancelled[n]) lastTx = this.oTime[n];
    const acceptsEmail = inCrm ? (emailOptIn && Number.isNaN(unsubAt) ? rng.chance(0.92) : rng.chance(0.03)) : rng.chance(0.65);
    const shopHasPhone = inCrm && !id.sameEmail ? true : rng.chance(0.65);
    this.writeShopCustomer(id, shopId, t0 - rng.uniform(1, 20) * MINUTE, lastTx, spent, acceptsEmail, shopHasPhone, business);
    stats.shopCustomers++;

    if (!inCrm) return;
    stats.inBothSystems++;
    if (id.sameEmail) stats.matchByEmail++;
    else stats.matchByPhoneOnly++;
    const crmHasPhone = !id.sameEmail || rng.chance(0.85);
    const owner = this.contactOwner(account, id.country, created, leadFirst);
    const contactId = crmId(prefixes.contact, 1000 + ++this.contactSeq);
    this.noteAccountContact(account, contactId, created, source, campaign);
    let modified = Math.max(created, lastTx);
    modified = Math.max(modified, this.crmActivities(contactId, id, created, leadFirst, source, campaign, dnc, true));
    if (this.nTouches) modified = Math.max(modified, this.writeTouches(contactId));
    modified = Math.max(modified, this.ticketsAndService(contactId, created, t0));
    this.subscription(contactId, t0);
    const stage = lastTx >= ctx.end - 365 * DAY ? 'Customer' : 'Former Customer';
    this.writeContact(contactId, id, owner, source, campaign, stage, t0, emailOptIn && Number.isNaN(unsubAt), dnc, unsubAt, created, Math.min(modified + rng.uniform(0, 3) * DAY, ctx.end - MINUTE), crmHasPhone);
  }

  private lead(k: number, tRaw: number): void {
    const { rng, ctx, stats } = this;
    stats.leads++;
    const business = ctx.accounts.length > 0 && rng.chance(ctx.p.businessContactShare * 1.4);
    const account = business ? ctx.accounts[ctx.accountTable.sample(rng)] : null;
    const id = this.identity(k, account, 1);
    let source = weighted(rng, leadSources);
    let campaign: Campaign | null = null;
    let created = consumerMoment(rng, tRaw);
    if (source === 'Trade Show') {
      campaign = latestBefore(ctx.book, 'Trade Show', tRaw, 0, 21 * DAY) ?? null;
      if (campaign) created = businessMoment(rng, campaign.startDay + rng.int(3) * DAY);
    } else if (source === 'Webinar') {
      campaign = latestBefore(ctx.book, 'Webinar', tRaw + 14 * DAY, 0, 14 * DAY) ?? null;
      if (campaign) created = campaign.sendAt - rng.uniform(1, 14) * DAY;
    } else if (source === 'Paid Search' || source === 'Social Media' || source === 'Referral') {
      campaign = this.acquisitionCampaign(source, created);
    }
    if ((source === 'Trade Show' || source === 'Webinar' || source === 'Paid Search' || source === 'Social Media' || source === 'Referral') && !campaign) source = 'Web';
    if (source === 'Partner' || source === 'Purchased List') created = businessMoment(rng, tRaw);
    if (created >= ctx.end) created = ctx.end - rng.uniform(1, 12) * HOUR;
    const dnc = rng.chance(0.01);
    const emailOptIn = !dnc && rng.chance(source === 'Purchased List' ? 0.2 : 0.6);
    this.nOrders = 0;
    this.nTouches = 0;
    if (campaign) this.acquisitionTouch(campaign, source, NaN, created, false);
    const unsubAt = dnc ? NaN : this.outreach(created, emailOptIn, false, NaN, campaign);
    const owner = this.contactOwner(account, id.country, created, true);
    const contactId = crmId(prefixes.contact, 1000 + ++this.contactSeq);
    this.noteAccountContact(account, contactId, created, source, campaign);
    let modified = this.crmActivities(contactId, id, created, true, source, campaign, dnc, false);
    if (this.nTouches) modified = Math.max(modified, this.writeTouches(contactId));
    const stage = weighted(rng, leadStages);
    this.writeContact(contactId, id, owner, source, campaign, stage, NaN, emailOptIn && Number.isNaN(unsubAt), dnc, unsubAt, created, Math.min(Math.max(created, modified) + rng.uniform(0, 5) * DAY, ctx.end - MINUTE), rng.chance(0.8));
  }

  private pushOrder(t: number, cents: number, cancelled: number): void {
    if (this.nOrders === this.cap) {
      this.cap *= 2;
      const grow = <T extends Float64Array | Uint8Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(this.cap);
        b.set(a);
        return b;
      };
      this.oTime = grow(this.oTime);
      this.oValue = grow(this.oValue);
      this.oCancelled = grow(this.oCancelled);
      this.oCampaign = grow(this.oCampaign);
      this.oSeq = grow(this.oSeq);
    }
    const n = this.nOrders++;
    this.oTime[n] = t;
    this.oValue[n] = cents;
    this.oCancelled[n] = cancelled;
    this.oCampaign[n] = -1;
  }

  private acquisitionCampaign(source: string, t: number): Campaign | null {
    const book = this.ctx.book;
    switch (source) {
      case 'Paid Search':
        return runningAt(book, 'Paid Search', t) ?? null;
      case 'Social Media':
        return runningAt(book, 'Paid Social', t) ?? null;
      case 'Referral':
        return runningAt(book, 'Referral Program', t) ?? null;
      case 'Email':
        return latestBefore(book, 'Email', t, DAY, 30 * DAY) ?? null;
      case 'Trade Show':
        return latestBefore(book, 'Trade Show', t, 3 * DAY, 180 * DAY) ?? null;
      case 'Webinar':
        return latestBefore(book, 'Webinar', t, DAY, 90 * DAY) ?? null;
      default:
        return null;
    }
  }

  private addTouch(c: Campaign, sent: number, open: number, click: number, conv: number): void {
    if (this.nTouches === this.tCap) {
      this.tCap *= 2;
      const g = (a: Float64Array) => {
        const b = new Float64Array(this.tCap);
        b.set(a);
        return b;
      };
      const camp = new Int32Array(this.tCap);
      camp.set(this.tCamp);
      this.tCamp = camp;
      this.tSent = g(this.tSent);
      this.tOpen = g(this.tOpen);
      this.tClick = g(this.tClick);
      this.tConv = g(this.tConv);
    }
    const n = this.nTouches++;
    this.tCamp[n] = c.index;
    this.tSent[n] = sent;
    this.tOpen[n] = open;
    this.tClick[n] = click;
    this.tConv[n] = conv;
    c.members++;
  }

  /** The touch of the campaign a person came through (buyers convert at their first order). */
  private acquisitionTouch(c: Campaign, source: string, t0: number, created: number, buyer: boolean): void {
    const rng = this.rng;
    if (buyer) c.acquisitions++;
    if (c.type === 'Email') {
      const click = t0 - rng.uniform(5, 120) * MINUTE;
      this.addTouch(c, c.sendAt, Math.max(c.sendAt, click - rng.uniform(1, 60) * MINUTE), Math.max(c.sendAt, click), t0);
    } else if (c.type === 'Trade Show' || c.type === 'Webinar') {
      // Met at the booth (created there), or registered for the webinar (created) and attended it.
      const attended = c.type === 'Trade Show' ? created : c.sendAt + rng.uniform(0, 20) * MINUTE;
      this.addTouch(c, created, created, attended < this.ctx.end ? attended : NaN, buyer ? t0 : NaN);
    } else {
      // Paid search/social and referrals: the ad (or referral link) click is the touch.
      const at = buyer ? t0 : created;
      const click = Math.max(c.startDay, at - rng.uniform(2, source === 'Referral' ? 14 * 24 * 60 : 90) * MINUTE);
      this.addTouch(c, click, NaN, click, buyer ? t0 : NaN);
    }
  }

  /**
   * Outreach campaigns the person is picked for while they are a contact: e-mails by segment,
   * the holiday catalogue by post, webinar and trade-show invitations. Returns when they
   * unsubscribed (NaN if never).
   */
  private outreach(created: number, optIn: boolean, buyer: boolean, t0: number, acquiredBy: Campaign | null): number {
    const { rng, ctx } = this;
    const list = ctx.book.outreach;
    let unsub = NaN;
    let subscribed = optIn;
    let o = 0; // orders before the send time
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].sendAt < created) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length; i++) {
      const c = list[i];
      // Campaigns planned after the export have no members yet.
      if (c.startDay >= ctx.end) break;
      const event = c.type === 'Webinar' || c.type === 'Trade Show';
      // Invitations to events go out three weeks ahead; e-mails and mail on the day.
      const sent = (event ? c.sendAt - 21 * DAY : c.sendAt) + rng.float() * 2 * HOUR;
      if (c === acquiredBy || sent < created || sent >= ctx.end) continue;
      while (o < this.nOrders && this.oTime[o] < sent) o++;
      const isCustomer = buyer && t0 <= sent;
      let eligible: boolean;
      switch (c.segment) {
        case 'Customers':
          eligible = isCustomer;
          break;
        case 'Leads':
          eligible = !isCustomer;
          break;
        case 'Lapsed customers':
          eligible = isCustomer && o > 0 && this.oTime[o - 1] < sent - 120 * DAY;
          break;
        case 'VIP customers':
          eligible = isCustomer && o >= 8;
          break;
        default:
          eligible = true;
      }
      if (!eligible) continue;
      const byPost = c.type === 'Direct Mail';
      if (!byPost && !subscribed) continue;
      if (rng.float() >= c.sampleRate) continue;
      if (byPost) {
        this.addTouch(c, sent, NaN, NaN, NaN);
        continue;
      }
      const openP = event ? 0.3 : c.segment === 'VIP customers' ? 0.45 : 0.26;
      let open = NaN;
      let click = NaN;
      if (rng.float() < openP) {
        // E-mail: opened, clicked. Event: registered, attended.
        open = event ? Math.min(sent + rng.exp(1 / (3 * DAY)), c.sendAt - HOUR) : sent + rng.exp(1 / (6 * HOUR));
        if (open >= ctx.end) open = NaN;
        else if (rng.float() < (event ? 0.55 : 0.17)) {
          click = event ? c.sendAt + rng.int(c.type === 'Trade Show' ? 3 : 1) * DAY + rng.uniform(0, 15) * MINUTE : open + rng.uniform(10, 600) * 1000;
          if (click >= ctx.end) click = NaN;
        }
      }
      this.addTouch(c, sent, open, click, NaN);
      if (c.type === 'Email' && rng.float() < 0.003) {
        unsub = Math.min(sent + rng.uniform(0, 2) * DAY, ctx.end - MINUTE);
        subscribed = false;
      }
    }
    return unsub;
  }

  /** Credits orders placed within a campaign's attribution window after a click (or a mailing). */
  private attribute(acquiredBy: Campaign | null, source: string): void {
    if (this.nOrders && acquiredBy && (source === 'Paid Search' || source === 'Social Media' || source === 'Email' || source === 'Referral')) {
      this.oCampaign[0] = acquiredBy.index;
    }
    const all = this.ctx.book.all;
    for (let i = 0; i < this.nTouches; i++) {
      if (!Number.isNaN(this.tConv[i])) {
        all[this.tCamp[i]].conversions++;
        continue;
      }
      const c = all[this.tCamp[i]];
      const from = c.type === 'Direct Mail' ? this.tSent[i] : this.tClick[i];
      if (Number.isNaN(from)) continue;
      const until = from + c.attributionDays * DAY;
      for (let n = 0; n < this.nOrders; n++) {
        const t = this.oTime[n];
        if (t <= from || this.oCancelled[n]) continue;
        if (t > until) break;
        this.tConv[i] = t;
        c.conversions++;
        if (this.oCampaign[n] < 0) this.oCampaign[n] = c.index;
        break;
      }
    }
  }

  // --- shop rows ---------------------------------------------------------------------------

  /** Writes the person's orders and lines; returns net spend in cents (Shopify's "Total Spent"). */
  private writeOrders(id: PersonState, shopId: string, source: string): number {
    const { rng, ctx, stats, w } = this;
    const p = ctx.p.orders;
    const all = ctx.book.all;
    const taxRate = id.country.taxRate;
    const domestic = id.country.code === 'US';
    const email = quoteSpaces(id.shopEmail);
    let spent = 0;
    for (let n = 0; n < this.nOrders; n++) {
      const t = this.oTime[n];
      const v = this.oValue[n];
      const cancelled = this.oCancelled[n] === 1;
      const nLines = this.fillLines(t, v);
      let disc = 0;
      let items = 0;
      for (let l = 0; l < nLines; l++) {
        disc += this.lQty[l] * ctx.catalog.shop[this.lProd[l]].priceCents - this.lNet[l];
        items += this.lQty[l];
      }
      const shipping = v >= 5000 ? 0 : domestic ? 599 : 899;
      const tax = Math.round(v * taxRate);
      const returnedAt = !cancelled && rng.float() < p.returned ? t + rng.uniform(5, 30) * DAY : Infinity;
      const returned = returnedAt < ctx.end;
      const pending = !cancelled && !returned && t > ctx.end - p.pendingDays * DAY && rng.float() < 0.6;
      let financial: string;
      let fulfillment: string;
      let cancelledAt = '';
      if (cancelled) {
        financial = 'voided';
        fulfillment = 'unfulfilled';
        cancelledAt = shopDateTime(Math.min(t + rng.uniform(10, 24 * 60) * MINUTE, ctx.end - 1000));
        stats.cancelledOrders++;
      } else if (pending) {
        financial = 'pending';
        fulfillment = 'unfulfilled';
        stats.pendingOrders++;
      } else {
        financial = 'paid';
        fulfillment = t > ctx.end - DAY ? 'unfulfilled' : 'fulfilled';
      }
      const orderSeq = ++this.orderSeq;
      this.oSeq[n] = orderSeq;
      const orderId = String(SHOP_ORDER_BASE + orderSeq);
      const campaign = this.oCampaign[n] >= 0 ? all[this.oCampaign[n]].id : '';
      // Return lines: part or all of one line comes back.
      let refund = 0;
      let rLine = -1;
      let rQty = 0;
      if (returned) {
        rLine = rng.int(nLines);
        rQty = rng.float() < 0.7 ? this.lQty[rLine] : 1 + rng.int(this.lQty[rLine]);
        refund = Math.round((this.lNet[rLine] * rQty) / this.lQty[rLine]);
        financial = rQty === this.lQty[rLine] && nLines === 1 ? 'refunded' : 'partially_refunded';
        stats.returnedOrders++;
      }
      const row = `${orderId},#${SHOP_ORDER_NAME_BASE + orderSeq - 1},${shopId},${email},${shopDateTime(t)},${financial},${fulfillment},${cancelledAt},USD,${money(v)},${money(disc)},${money(shipping)},${money(tax)},${money(v + shipping + tax)},${items},${source},${campaign},${id.country.code}`;
      w.orders.row(row);
      this.lastOrder = row;
      ctx.bad.after(this.handles.orders);
      stats.orders++;
      if (!cancelled) {
        spent += v - refund;
        stats.revenueCents += v;
      }
      for (let l = 0; l < nLines; l++) {
        const prod = ctx.catalog.shop[this.lProd[l]];
        this.line(orderId, l + 1, prod.sku, prod.title, this.lQty[l], prod.priceCents, this.lQty[l] * prod.priceCents - this.lNet[l], this.lNet[l]);
      }
      if (rLine >= 0) {
        const prod = ctx.catalog.shop[this.lProd[rLine]];
        this.line(orderId, nLines + 1, prod.sku, prod.title, -rQty, prod.priceCents, rQty * prod.priceCents - refund, -refund);
        stats.returnLines++;
      }
      // Remember when the return happened, for tickets (encoded in the sign of the value).
      if (returned) this.oValue[n] = -returnedAt;
    }
    return spent;
  }

  private line(orderId: string, lineNo: number, sku: string, title: string, qty: number, price: number, disc: number, total: number): void {
    const l = this.lastLine;
    l.order = orderId;
    l.lineNo = lineNo;
    l.sku = sku;
    l.name = csv(title);
    l.qty = String(qty);
    l.price = money(price);
    l.disc = money(disc);
    l.total = money(total);
    this.w.lines.row(`${orderId},${lineNo},${sku},${l.name},${l.qty},${l.price},${l.disc},${l.total}`);
    this.stats.orderLines++;
    this.ctx.bad.after(this.handles.lines);
  }

  /**
   * Picks products whose list prices add up to at least the order value — a number of lines
   * (1 + Poisson(1.2), at most 8), each aiming at an equal share of what is left, popular
   * products first — then sells them at a markdown so that the line totals add up to the value
   * to the cent: net ≤ list on every line.
   */
  private fillLines(t: number, value: number): number {
    const { rng } = this;
    const { shop, table, byPrice } = this.ctx.catalog;
    const want = 1 + Math.min(7, rng.poisson(1.2));
    let n = 0;
    let rem = value;
    for (let line = 0; line < want && rem > 0; line++) {
      const target = rem / (want - line);
      const cap = target * 1.3;
      let pick = -1;
      for (let tries = 0; tries < 6 && pick < 0; tries++) {
        const j = table.sample(rng);
        const pr = shop[j];
        if (pr.priceCents <= cap && t >= pr.launchedAt && t < pr.archivedAt) pick = j;
      }
      if (pick < 0) {
        let cheaper = 0;
        while (cheaper < byPrice.length && shop[byPrice[cheaper]].priceCents <= cap) cheaper++;
        for (let tries = 0; tries < 8 && pick < 0; tries++) {
          const j = byPrice[rng.int(Math.max(1, cheaper))];
          if (t >= shop[j].launchedAt && t < shop[j].archivedAt) pick = j;
        }
        if (pick < 0) pick = byPrice[0];
      }
      const price = shop[pick].priceCents;
      // The last line covers the rest; others buy about their share (rounded at random).
      const qty = line === want - 1 ? Math.max(1, Math.ceil(rem / price)) : Math.max(1, Math.floor(target / price + rng.float()));
      let existing = -1;
      for (let l = 0; l < n; l++) if (this.lProd[l] === pick) existing = l;
      if (existing >= 0) this.lQty[existing] += qty;
      else {
        this.lProd[n] = pick;
        this.lQty[n] = qty;
        n++;
      }
      rem -= qty * price;
    }
    let gross = 0;
    for (let l = 0; l < n; l++) gross += this.lQty[l] * shop[this.lProd[l]].priceCents;
    const f = value / gross;
    let sum = 0;
    for (let l = 0; l < n; l++) {
      this.lNet[l] = Math.round(this.lQty[l] * shop[this.lProd[l]].priceCents * f);
      sum += this.lNet[l];
    }
    // Rounding leaves a few cents over or under: move them one at a time where a line has room.
    for (let l = 0; sum !== value; l = (l + 1) % n) {
      const g = this.lQty[l] * shop[this.lProd[l]].priceCents;
      if (sum < value && this.lNet[l] < g) {
        this.lNet[l]++;
        sum++;
      } else if (sum > value && this.lNet[l] > 0) {
        this.lNet[l]--;
        sum--;
      }
    }
    return n;
  }

  private writeShopCustomer(id: PersonState, shopId: string, created: number, updated: number, spent: number, acceptsEmail: boolean, hasPhone: boolean, business: boolean): void {
    const { rng } = this;
    let txs = 0;
    for (let n = 0; n < this.nOrders; n++) if (!this.oCancelled[n]) txs++;
    const tags = [txs >= 10 ? 'vip' : '', business ? 'wholesale' : '', rng.float() < 0.1 ? 'newsletter' : ''].filter(Boolean).join(', ');
    const cells = [
      shopId, csv(id.first), csv(id.last), quoteSpaces(id.shopEmail), hasPhone ? id.shopPhone : '', acceptsEmail ? 'yes' : 'no', rng.float() < 0.2 ? 'yes' : 'no',
      id.account ? csv(id.account.name) : '', csv(id.country.street(1 + rng.int(400), rng.pick(streetNames[id.country.names]))), csv(id.city.name), id.city.province ?? '', id.country.code, postalCode(rng, id.country, id.city.zip),
      money(spent), String(txs), csv(tags), shopDateTime(created), shopDateTime(Math.max(created, updated)),
    ];
    this.w.shopCustomers.row(cells.join(','));
    this.lastShopCustomer = cells;
    this.ctx.bad.after(this.handles.shopCustomers);
  }

  // --- CRM rows ----------------------------------------------------------------------------

  private contactOwner(account: Account | null, country: Country, created: number, leadFirst: boolean): string {
    const { org } = this.ctx;
    if (account) {
      const team = org.teams[account.team];
      return pickActive(this.rng, team.seats, created, team.manager).id;
    }
    if (!leadFirst) return org.integration.id;
    const team = org.teams[teamFor(country.region, false)];
    return pickActive(this.rng, team.sdrs, created, team.manager).id;
  }

  private noteAccountContact(account: Account | null, contactId: string, created: number, source: string, campaign: Campaign | null): void {
    if (!account) return;
    this.stats.businessContacts++;
    account.contacts++;
    if (created < account.firstContactAt) {
      account.firstContactAt = created;
      account.firstContactId = contactId;
      account.firstContactSource = source;
      account.firstContactCampaign = campaign?.id ?? '';
    }
  }

  private writeContact(contactId: string, id: PersonState, owner: string, source: string, campaign: Campaign | null, stage: string, customerSince: number, emailOptIn: boolean, dnc: boolean, unsubAt: number, created: number, modified: number, hasPhone: boolean): void {
    const { rng } = this;
    this.stats.crmContacts++;
    const smsOptIn = !dnc && hasPhone && rng.float() < 0.3;
    const doNotCall = dnc || rng.float() < 0.08;
    const cells = [
      contactId, csv(id.first), csv(id.last), id.crmEmail, hasPhone ? id.crmPhone : '', id.account?.id ?? '', id.account ? rng.pick(jobTitles) : '',
      csv(id.country.street(1 + rng.int(400), rng.pick(streetNames[id.country.names]))), csv(id.city.name), id.city.province ?? '', postalCode(rng, id.country, id.city.zip), id.country.name, id.country.region,
      owner, source, campaign?.id ?? '', stage, Number.isNaN(customerSince) ? '' : crmDateTime(customerSince),
      emailOptIn ? 'Yes' : 'No', smsOptIn ? 'Yes' : 'No', doNotCall ? 'Yes' : 'No', dnc ? 'Yes' : 'No', Number.isNaN(unsubAt) ? '' : crmDateTime(unsubAt),
      crmDateTime(created), crmDateTime(Math.max(created, modified)),
    ];
    if (!Number.isNaN(unsubAt)) this.stats.unsubscribed++;
    this.w.contacts.row(cells.join(','));
    this.lastContact = cells;
    this.ctx.bad.after(this.handles.contacts);
  }

  /** Writes the touches collected for the person; returns the latest moment among them. */
  private writeTouches(contactId: string): number {
    const all = this.ctx.book.all;
    let latest = 0;
    for (let i = 0; i < this.nTouches; i++) {
      const c = all[this.tCamp[i]];
      const sent = this.tSent[i];
      const open = this.tOpen[i];
      const click = this.tClick[i];
      const conv = this.tConv[i];
      const event = c.type === 'Webinar' || c.type === 'Trade Show';
      const status = !Number.isNaN(conv) ? 'Converted' : !Number.isNaN(click) ? (event ? 'Attended' : c.type === 'Email' ? 'Clicked' : 'Responded') : !Number.isNaN(open) ? (event ? 'Registered' : 'Opened') : 'Sent';
      const cells = [crmId(prefixes.member, 1000 + ++this.memberSeq), c.id, contactId, c.type, status, crmDateTime(sent), fmt(open), fmt(click), fmt(conv)];
      this.w.members.row(cells.join(','));
      this.lastMember = cells;
      this.ctx.bad.after(this.handles.members);
      this.stats.touches++;
      if (!Number.isNaN(conv)) this.stats.conversions++;
      latest = Math.max(latest, sent, Number.isNaN(click) ? 0 : click);
      // Attending an event or a webinar is an interaction too.
      if (event && !Number.isNaN(click)) {
        this.w.activities.add(contactId, c.ownerId, 'Event', true, click, c.type === 'Webinar' ? 2700 + this.rng.int(1800) : -1, 'Attended', c.type === 'Webinar' ? 'Attended webinar' : this.rng.pick(subjects.event), '', c.id);
      }
    }
    return latest;
  }

  /** Lead follow-up by sales development, web forms and social mentions; returns the latest activity time. */
  private crmActivities(contactId: string, id: PersonState, created: number, leadFirst: boolean, source: string, campaign: Campaign | null, dnc: boolean, buyer: boolean): number {
    const { rng, ctx } = this;
    const acts = this.w.activities;
    const end = ctx.end;
    let latest = created;
    const add = (emp: string, type: ActivityType, inbound: boolean, t: number, dur: number, outcome: string, subject: string, campaignId = '') => {
      if (t >= end || t < created) return;
      acts.add(contactId, emp, type, inbound, t, dur, outcome, subject, '', campaignId);
      if (t > latest) latest = t;
    };
    if (source === 'Web' || (source === 'Organic Search' && leadFirst)) add(ctx.org.marketing[1].id, 'Web Form', true, created, -1, 'Submitted', rng.pick(subjects.webForm));
    if (leadFirst && !dnc) {
      const team = ctx.org.teams[teamFor(id.country.region, false)];
      const sdr = pickActive(rng, team.sdrs, created, team.manager).id;
      let t = created;
      const touches = 1 + rng.poisson(1.2);
      for (let i = 0; i < touches; i++) {
        t = businessMoment(rng, t + rng.uniform(0.5, 4) * DAY);
        if (!salesSeasonKeep(rng, t)) continue;
        if (rng.float() < 0.55) add(sdr, 'Email', false, t, -1, rng.float() < 0.2 ? 'Replied' : 'Sent', rng.pick(subjects.leadEmail), campaign?.id ?? '');
        else add(sdr, 'Call', false, t, 30 + rng.lognormal(180, 0.8), rng.pick(callOutcomes), rng.pick(subjects.leadCall));
      }
    }
    // Social mentions and messages: any day, evenings, about one every five years.
    const years = (end - created) / (365 * DAY);
    const social = rng.poisson((buyer ? 0.2 : 0.08) * years);
    for (let i = 0; i < social; i++) add(ctx.org.marketing[2].id, 'Social', true, consumerMoment(rng, created + rng.float() * (end - created)), -1, '', rng.pick(subjects.social));
    return latest;
  }

  /** Tickets (help desk) and service contacts (chat, phone, e-mail) about orders, plus general tickets. */
  private ticketsAndService(contactId: string, created: number, t0: number): number {
    const { rng, ctx } = this;
    const p = ctx.p;
    const end = ctx.end;
    let latest = 0;
    for (let n = 0; n < this.nOrders; n++) {
      if (this.oCancelled[n]) continue;
      const t = this.oTime[n];
      const returnedAt = this.oValue[n] < 0 ? -this.oValue[n] : NaN;
      const orderName = `#${SHOP_ORDER_NAME_BASE + this.oSeq[n] - 1}`;
      if (rng.float() < p.orders.serviceContact) {
        const at = consumerMoment(rng, t + rng.exp(1 / (4 * DAY)));
        if (at < end && at >= created) {
          const r = rng.float();
          const agent = pickActive(rng, ctx.org.support, at, ctx.org.supportManager).id;
          if (r < 0.45) this.w.activities.add(contactId, agent, 'Chat', true, at, 120 + rng.lognormal(420, 0.6), rng.pick(['Resolved', 'Resolved', 'Escalated to ticket']), rng.pick(subjects.serviceChat));
          else if (r < 0.8) this.w.activities.add(contactId, agent, 'Call', rng.float() < 0.85, at, 60 + rng.lognormal(300, 0.7), rng.pick(['Resolved', 'Resolved', 'Follow-up needed']), rng.pick(subjects.servicePhone));
          else this.w.activities.add(contactId, agent, 'Email', rng.float() < 0.7, at, -1, 'Sent', rng.pick(subjects.serviceEmail));
          latest = Math.max(latest, at);
        }
      }
      if (rng.float() < p.orders.ticket) latest = Math.max(latest, this.ticket(contactId, t + rng.exp(1 / (3 * DAY)), weighted(rng, ticketCategories), orderName));
      if (!Number.isNaN(returnedAt) && rng.float() < p.tickets.returnTicket) latest = Math.max(latest, this.ticket(contactId, returnedAt - rng.uniform(0, 3) * DAY, 'Returns & Refunds', orderName));
    }
    const general = rng.poisson(p.tickets.generalPerYear * ((end - created) / (365 * DAY)));
    for (let i = 0; i < general; i++) latest = Math.max(latest, this.ticket(contactId, Math.max(created, t0) + rng.float() * (end - Math.max(created, t0)), rng.pick(['Account', 'Billing', 'Technical Support']), ''));
    return latest;
  }

  private ticket(contactId: string, opened: number, category: string, orderName: string): number {
    const { rng, ctx } = this;
    const end = ctx.end;
    const at = consumerMoment(rng, opened);
    if (at >= end) return 0;
    const priority = category === 'Returns & Refunds' ? weighted(rng, [['low', 0.3], ['normal', 0.6], ['high', 0.1]] as const) : weighted(rng, priorities);
    const via = weighted(rng, vias);
    // First response: business queue; weekend tickets often wait for Monday.
    let responded = at + rng.lognormal(responseHours[priority] * HOUR, 0.8);
    const wd = weekday(Math.floor(nyLocal(at) / DAY));
    if ((wd === 0 || wd === 6) && priority !== 'urgent' && rng.float() < 0.5) responded = businessMoment(rng, at + (wd === 6 ? 2 : 1) * DAY);
    const solved = responded + rng.lognormal(resolveDays[priority] * DAY, 0.9);
    const agent = pickActive(rng, ctx.org.support, at, ctx.org.supportManager).id;
    let status: string;
    if (responded >= end) status = 'new';
    else if (solved >= end) status = weighted(rng, [['open', 0.7], ['pending', 0.2], ['hold', 0.1]] as const);
    else status = solved < end - 4 * DAY ? 'closed' : 'solved';
    let score: number | null = null;
    if ((status === 'solved' || status === 'closed') && rng.float() < ctx.p.tickets.rated) {
      const hours = (solved - at) / HOUR;
      const q = 4.9 - 0.012 * Math.min(hours, 200) - (category === 'Returns & Refunds' ? 0.4 : 0) + rng.normal() * 0.9;
      score = Math.max(1, Math.min(5, Math.round(q)));
    }
    const rec: Record<string, unknown> = {
      id: TICKET_BASE + this.ticketSeq++,
      requester_external_id: contactId,
      assignee_external_id: status === 'new' ? null : agent,
      via,
      subject: rng.pick(ticketSubjects[category]),
      category,
      priority,
      status,
      created_at: isoUtc(at),
      first_response_at: status === 'new' ? null : isoUtc(responded),
      solved_at: status === 'solved' || status === 'closed' ? isoUtc(solved) : null,
      satisfaction_score: score,
      order_name: orderName || null,
      tags: [category.toLowerCase().replace(/[^a-z]+/g, '_'), via],
    };
    this.writeTicket(rec);
    this.lastTicket = rec;
    this.ctx.bad.after(this.handles.tickets);
    this.stats.tickets++;
    return Math.min(status === 'solved' || status === 'closed' ? solved : at, end - MINUTE);
  }

  private writeTicket(rec: Record<string, unknown>): void {
    let s = '{';
    let first = true;
    for (const [k, v] of Object.entries(rec)) {
      s += `${first ? '' : ','}"${k}":${typeof v === 'string' ? json(v) : JSON.stringify(v)}`;
      first = false;
    }
    this.w.tickets.row(`${s}}`);
  }

  /** A monthly subscription for some buyers; churn at each renewal with the buyer's θ ~ Beta. */
  private subscription(contactId: string, t0: number): void {
    const { rng, ctx } = this;
    const s = ctx.p.subscriptions;
    if (rng.float() >= s.share) return;
    const started = t0 + rng.exp(1 / (60 * DAY));
    if (started >= ctx.end) return;
    const theta = rng.beta(s.alpha, s.beta);
    const plan = weighted(rng, s.plans.map((x) => [x, x.weight] as const));
    let k = 1;
    let cancelled = NaN;
    for (;;) {
      const renewal = addMonths(started, k);
      if (renewal >= ctx.end) break;
      if (rng.float() < theta) {
        cancelled = renewal;
        break;
      }
      k++;
    }
    const periodEnd = Number.isNaN(cancelled) ? addMonths(started, k) : cancelled;
    const cells = [subscriptionId(++this.subSeq), contactId, plan.plan, Number.isNaN(cancelled) ? 'active' : 'canceled', money(plan.mrrCents), 'usd', 'month', isoUtc(started), Number.isNaN(cancelled) ? '' : isoUtc(cancelled), isoUtc(periodEnd)];
    this.w.subscriptions.row(cells.join(','));
    this.lastSub = cells;
    ctx.bad.after(this.handles.subscriptions);
    this.stats.subscriptions++;
    if (Number.isNaN(cancelled)) this.stats.activeSubscriptions++;
  }

  // --- bad rows ----------------------------------------------------------------------------

  private registerBadRows(): void {
    const { bad, badRng } = this.ctx;
    const w = this.w;
    const unknownCrm = (prefix: string) => crmId(prefix, UNKNOWN_BASE + ++this.unknownSeq);
    this.handles.contacts = bad.register('crm/contacts.csv', w.contacts, contactKinds, 1, (k) => {
      // A made-up person (own id, address and phone), valid but for one field.
      const fake = this.identity(7_999_999 - this.unknownSeq++, null, 1, badRng);
      const cells = [...this.lastContact];
      cells[0] = crmId(prefixes.contact, 1000 + ++this.contactSeq);
      cells[1] = csv(fake.first);
      cells[2] = csv(fake.last);
      cells[3] = fake.crmEmail;
      cells[4] = fake.crmPhone;
      cells[5] = '';
      cells[6] = '';
      let value: string;
      if (k.kind === 'malformed_email') value = cells[3] = fake.crmEmail.replace('@', '.');
      else if (k.kind === 'bad_date') value = cells[23] = `02/30/${2024 + badRng.int(2)} 0${1 + badRng.int(9)}:15 PM`;
      else if (k.kind === 'unknown_owner') value = cells[13] = unknownCrm(prefixes.user);
      else value = cells[5] = unknownCrm(prefixes.account);
      this.w.contacts.row(cells.join(','));
      return value;
    });
    this.handles.shopCustomers = bad.register('shop/customers.csv', w.shopCustomers, shopCustomerKinds, 1, (k) => {
      const fake = this.identity(7_999_999 - this.unknownSeq++, null, 1, badRng);
      const cells = [...this.lastShopCustomer];
      cells[0] = String(SHOP_CUSTOMER_BASE + ++this.shopSeq);
      cells[1] = csv(fake.first);
      cells[2] = csv(fake.last);
      cells[3] = fake.crmEmail;
      cells[4] = fake.shopPhone;
      cells[7] = '';
      cells[13] = '0.00';
      cells[14] = '0';
      let value: string;
      if (k.kind === 'malformed_email') value = cells[3] = fake.crmEmail.replace('@', '@@');
      else value = cells[17] = `${2024 + badRng.int(2)}-13-${String(1 + badRng.int(28)).padStart(2, '0')} 1${badRng.int(10)}:04:11 -0500`;
      this.w.shopCustomers.row(cells.join(','));
      return value;
    });
    this.handles.orders = bad.register('shop/orders.csv', w.orders, orderKinds, 1, (k) => {
      // Order rows hold no commas inside fields, so the last row splits back into its cells.
      const cells = this.lastOrder.split(',');
      const seq = ++this.orderSeq;
      cells[0] = String(SHOP_ORDER_BASE + seq);
      cells[1] = `#${SHOP_ORDER_NAME_BASE + seq - 1}`;
      cells[7] = '';
      if (cells[5] === 'voided' || cells[5].endsWith('refunded')) cells[5] = 'paid';
      let value: string;
      if (k.kind === 'bad_date') value = cells[4] = cells[4].replace(/^(\d{4})-\d{2}/, '$1-13');
      else if (k.kind === 'unknown_customer') value = cells[2] = String(SHOP_CUSTOMER_BASE + 800_000_000_000 + ++this.unknownSeq);
      else if (k.kind === 'missing_customer') value = cells[2] = '';
      else if (k.kind === 'unknown_status') value = cells[5] = 'chargeback';
      else if (k.kind === 'negative_item_count') value = cells[14] = `-${1 + badRng.int(4)}`;
      else value = cells[9] = 'N/A';
      this.w.orders.row(cells.join(','));
      return value;
    });
    this.handles.lines = bad.register('shop/order_lines.csv', w.lines, lineKinds, 1, (k) => {
      const l = this.lastLine;
      let { order, sku, price } = l;
      const lineNo = l.lineNo + 1 + badRng.int(3) + 10;
      let value: string;
      if (k.kind === 'unknown_product') value = sku = `XX-${900 + badRng.int(99)}-DISC`;
      else if (k.kind === 'negative_price') value = price = `-${price}`;
      else value = order = String(SHOP_ORDER_BASE + 900_000_000_000 + ++this.unknownSeq);
      this.w.lines.row(`${order},${lineNo},${sku},${l.name},${l.qty},${price},${l.disc},${l.total}`);
      return value;
    });
    this.handles.members = bad.register('crm/campaign_members.csv', w.members, memberKinds, 1, (k) => {
      const cells = [...this.lastMember];
      cells[0] = crmId(prefixes.member, 1000 + ++this.memberSeq);
      let value: string;
      if (k.kind === 'unknown_campaign') value = cells[1] = unknownCrm(prefixes.campaign);
      else if (k.kind === 'unknown_contact') value = cells[2] = unknownCrm(prefixes.contact);
      else value = cells[5] = cells[5].replace(/^(\d{2})\/\d{2}/, '$1/32');
      this.w.members.row(cells.join(','));
      return value;
    });
    this.handles.tickets = bad.register('helpdesk/tickets.ndjson', w.tickets, ticketKinds, 0, (k) => {
      const rec: Record<string, unknown> = { ...this.lastTicket, id: TICKET_BASE + this.ticketSeq++ };
      let value: string | number;
      if (k.kind === 'csat_out_of_range') {
        value = rec.satisfaction_score = 6 + badRng.int(5);
        rec.status = 'closed';
        rec.first_response_at ??= rec.created_at;
        rec.solved_at ??= rec.first_response_at;
        rec.assignee_external_id ??= this.ctx.org.supportManager.id;
      } else if (k.kind === 'unknown_priority') value = rec.priority = 'p1';
      else value = rec.requester_external_id = unknownCrm(prefixes.contact);
      this.writeTicket(rec);
      return value;
    });
    this.handles.subscriptions = bad.register('billing/subscriptions.parquet', w.subscriptions, subscriptionKinds, 0, (k) => {
      const cells = [...this.lastSub];
      cells[0] = subscriptionId(++this.subSeq);
      let value: string;
      if (k.kind === 'negative_mrr') value = cells[4] = `-${cells[4]}`;
      else value = cells[1] = unknownCrm(prefixes.contact);
      this.w.subscriptions.row(cells.join(','));
      return value;
    });
  }
}

// --- helpers ---------------------------------------------------------------------------------

/**
 * Acquisition times over the window: intensity grows linearly (1 → 1 + growth) and varies by
 * month (holiday peak, summer dip). Sorted ascending.
 */
export function acquisitionTimes(rng: Rng, n: number, start: number, end: number, p: DemoParameters): Float64Array {
  const out = new Float64Array(n);
  const maxS = Math.max(...p.acquisitionSeasonality);
  const top = (1 + p.acquisitionGrowth) * maxS;
  for (let i = 0; i < n; ) {
    const x = rng.float();
    const t = start + x * (end - start);
    const m = civil(Math.floor(t / DAY)).m;
    if (rng.float() * top < (1 + p.acquisitionGrowth * x) * p.acquisitionSeasonality[m - 1]) out[i++] = t;
  }
  return out.sort();
}

/** The shop's copy of an address: other case and stray spaces for about half of them. */
function shopEmailVariant(rng: Rng, email: string): string {
  const r = rng.float();
  if (r < 0.45) return email;
  if (r < 0.7) return capitalise(email);
  if (r < 0.8) return email.toUpperCase();
  if (r < 0.92) return `${email} `;
  return ` ${capitalise(email)}`;
}

function fmt(t: number): string {
  return Number.isNaN(t) ? '' : crmDateTime(t);
}

/** "john.smith12@gmail.com" → "John.Smith12@Gmail.com". */
function capitalise(email: string): string {
  let out = '';
  let up = true;
  for (let i = 0; i < email.length; i++) {
    const ch = email[i];
    out += up ? ch.toUpperCase() : ch;
    up = ch === '.' || ch === '_' || ch === '@' ? ch !== '.' || !out.includes('@') : false;
  }
  return out;
}

/** Values with leading or trailing spaces are quoted, as exports do, so readers keep the spaces. */
function quoteSpaces(s: string): string {
  return s !== s.trim() ? `"${s}"` : s;
}

/** The CRM's way of writing a phone: national or international, with the country's punctuation. */
function crmPhone(rng: Rng, country: Country, area: string, sub: string): string {
  const a = sub.slice(0, 3);
  const b = sub.slice(3);
  if (country.callingCode === '1') {
    const r = rng.float();
    if (r < 0.45) return `(${area}) ${a}-${b}`;
    if (r < 0.65) return `${area}-${a}-${b}`;
    if (r < 0.8) return `${area}.${a}.${b}`;
    return `+1 ${area}-${a}-${b}`;
  }
  if (country.national && rng.float() < 0.6) return `0${area} ${a} ${b}`;
  return `+${country.callingCode} ${area} ${a} ${b}`;
}

function postalCode(rng: Rng, country: Country, prefix: string): string {
  const digits = (n: number) => String(rng.int(10 ** n)).padStart(n, '0');
  const letter = () => 'ABCDEFGHJKLMNPRSTUVWXYZ'[rng.int(23)];
  switch (country.code) {
    case 'US':
      return prefix + digits(2);
    case 'CA':
      return `${prefix} ${rng.int(10)}${letter()}${rng.int(10)}`;
    case 'GB':
      return `${prefix} ${rng.int(10)}${letter()}${letter()}`;
    case 'NL':
      return `${prefix}${rng.int(10)} ${letter()}${letter()}`;
    case 'DE':
      return prefix + digits(3);
    case 'FR':
      return prefix + digits(2);
    default:
      return prefix + digits(2);
  }
}
