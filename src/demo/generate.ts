import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { AppError, ValidationError } from '../errors.ts';
import { planAccounts, writeAccounts } from './accounts.ts';
import { ActivityLog } from './activities.ts';
import { BadRows } from './bad-rows.ts';
import { buildCampaigns, writeCampaigns } from './campaigns.ts';
import { buildCatalog, type Catalog } from './catalog.ts';
import { generateDeals, historyColumns, opportunityColumns } from './deals.ts';
import { buildOrg, nextQuarter, teamSpecs, writeQuotas, writeUsers } from './org.ts';
import { defaultParameters, type BadRow, type DemoOptions, type DemoParameters, type Manifest, type ManifestFile } from './params.ts';
import { contactColumns, generatePeople, memberColumns, orderColumns, orderLineColumns, shopCustomerColumns, subscriptionColumns } from './people.ts';
import { Rng } from './rng.ts';
import { addMonths, isoUtc, parseDay, quarterStart } from './time.ts';
import { csv, csvHeader, money, TextFileWriter } from './writer.ts';

/** The export's files: path in the export folder → format, source system, entity, pipeline file. */
export const demoFiles = {
  'crm/users.csv': { format: 'csv', system: 'crm', entity: 'employees', pipeline: 'pipelines/demo/users.json' },
  'crm/quotas.csv': { format: 'csv', system: 'crm', entity: 'quotas', pipeline: 'pipelines/demo/quotas.json' },
  'crm/products.csv': { format: 'csv', system: 'crm', entity: 'products', pipeline: 'pipelines/demo/crm-products.json' },
  'crm/campaigns.csv': { format: 'csv', system: 'crm', entity: 'campaigns', pipeline: 'pipelines/demo/campaigns.json' },
  'crm/accounts.csv': { format: 'csv', system: 'crm', entity: 'accounts', pipeline: 'pipelines/demo/accounts.json' },
  'crm/contacts.csv': { format: 'csv', system: 'crm', entity: 'customers', pipeline: 'pipelines/demo/contacts.json' },
  'crm/campaign_members.csv': { format: 'csv', system: 'crm', entity: 'campaign_touches', pipeline: 'pipelines/demo/campaign-members.json' },
  'crm/opportunities.csv': { format: 'csv', system: 'crm', entity: 'deals', pipeline: 'pipelines/demo/opportunities.json' },
  'crm/opportunity_history.csv': { format: 'csv', system: 'crm', entity: 'deal_stage_history', pipeline: 'pipelines/demo/opportunity-history.json' },
  'crm/activities.csv': { format: 'csv', system: 'crm', entity: 'interactions', pipeline: 'pipelines/demo/activities.json' },
  'shop/products.csv': { format: 'csv', system: 'shop', entity: 'products', pipeline: 'pipelines/demo/products.json' },
  'shop/customers.csv': { format: 'csv', system: 'shop', entity: 'customers', pipeline: 'pipelines/demo/shop-customers.json' },
  'shop/orders.csv': { format: 'csv', system: 'shop', entity: 'orders', pipeline: 'pipelines/demo/orders.json' },
  'shop/order_lines.csv': { format: 'csv', system: 'shop', entity: 'order_lines', pipeline: 'pipelines/demo/order-lines.json' },
  'helpdesk/tickets.ndjson': { format: 'ndjson', system: 'helpdesk', entity: 'tickets', pipeline: 'pipelines/demo/tickets.json' },
  'billing/subscriptions.parquet': { format: 'parquet', system: 'billing', entity: 'subscriptions', pipeline: 'pipelines/demo/subscriptions.json' },
} as const satisfies Record<string, Omit<ManifestFile, 'rows' | 'badRows' | 'bytes'>>;
export type DemoFile = keyof typeof demoFiles;

/** Top-level entries of an export folder that `--force` replaces (nothing else is touched). */
const ownEntries = ['crm', 'shop', 'helpdesk', 'billing', 'manifest.json'];

export const MAX_CUSTOMERS = 1_000_000;

/**
 * Generates the demo export into `options.out`: CRM, web-shop, help-desk and billing files plus
 * manifest.json. Deterministic: the same options give byte-identical files. Writes into a
 * sibling folder first and moves the result into place, so a failed run leaves any earlier
 * export as it was.
 *
 * @example
 * const manifest = await generateDemo({ customers: 1000, seed: 7, out: '/tmp/demo', exportDate: '2026-10-31' });
 * manifest.files['shop/orders.csv'].rows; // ≈ 10 000
 */
export async function generateDemo(options: DemoOptions, params: DemoParameters = defaultParameters): Promise<Manifest> {
  const { customers, seed, out } = options;
  if (!Number.isInteger(customers) || customers < 1 || customers > MAX_CUSTOMERS) throw new ValidationError(`customers must be an integer from 1 to ${MAX_CUSTOMERS}`, { field: 'customers' });
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ValidationError('seed must be an integer from 0 to 4294967295', { field: 'seed' });
  let end: number;
  try {
    end = parseDay(options.exportDate);
  } catch {
    throw new ValidationError(`export date "${options.exportDate}" is not a date in the form YYYY-MM-DD`, { field: 'exportDate' });
  }
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new AppError('CONFLICT', `${out} exists and is not a folder; choose another --out`);
    if (readdirSync(out).length > 0 && !options.force) {
      throw new AppError('CONFLICT', `${out} is not empty${existsSync(join(out, 'manifest.json')) ? ' (it holds an earlier export)' : ''}; pass --force to replace the export, or choose another --out`);
    }
  }
  const base = out.replace(/[\\/]+$/, '');
  const tmp = `${base}.partial-${process.pid}`;
  removeStalePartials(base);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const manifest = await generateInto(tmp, { ...options, end }, params);
    mkdirSync(out, { recursive: true });
    for (const e of ownEntries) rmSync(join(out, e), { recursive: true, force: true });
    for (const e of readdirSync(tmp)) renameSync(join(tmp, e), join(out, e));
    rmSync(tmp, { recursive: true, force: true });
    return manifest;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

async function generateInto(dir: string, options: DemoOptions & { end: number }, params: DemoParameters): Promise<Manifest> {
  const { customers, seed, end } = options;
  const p = params;
  const start = addMonths(end, -12 * p.acquisitionYears);
  const rng = new Rng(seed, 0);
  const badRng = new Rng(seed, 1);
  const path = (f: string) => join(dir, f);

  const leads = Math.round(customers * p.leadsPerBuyer);
  const catalog = buildCatalog(rng, start, end);
  const businessContacts = (customers * p.buyersInCrm + leads * 1.4) * p.businessContactShare;
  const { accounts, table: accountTable } = planAccounts(rng, Math.max(1, Math.round(businessContacts / p.contactsPerAccount)));
  const load: Record<string, number> = {};
  for (const a of accounts) load[teamSpecs[a.team].name] = (load[teamSpecs[a.team].name] ?? 0) + 1;
  const org = buildOrg(rng, load, Math.max(3, Math.min(60, Math.round(customers / 6000))), start, end);
  const book = buildCampaigns(rng, org, start, end);

  const bad = new BadRows(badRng, p.badRowRate);
  const subscriptionsCsv = path('billing/subscriptions.csv');
  const writers = {
    contacts: new TextFileWriter(path('crm/contacts.csv'), csvHeader(contactColumns)),
    shopCustomers: new TextFileWriter(path('shop/customers.csv'), csvHeader(shopCustomerColumns)),
    orders: new TextFileWriter(path('shop/orders.csv'), csvHeader(orderColumns)),
    lines: new TextFileWriter(path('shop/order_lines.csv'), csvHeader(orderLineColumns)),
    members: new TextFileWriter(path('crm/campaign_members.csv'), csvHeader(memberColumns)),
    tickets: new TextFileWriter(path('helpdesk/tickets.ndjson')),
    subscriptions: new TextFileWriter(subscriptionsCsv, csvHeader(subscriptionColumns.map(([c]) => c))),
    activities: new ActivityLog(path('crm/activities.csv'), bad, badRng),
  };
  const opportunities = new TextFileWriter(path('crm/opportunities.csv'), csvHeader(opportunityColumns));
  const history = new TextFileWriter(path('crm/opportunity_history.csv'), csvHeader(historyColumns));

  const people = generatePeople({ rng, badRng, bad, p, start, end, buyers: customers, leads, catalog, book, org, accounts, accountTable, writers, onProgress: options.onProgress });
  const deals = generateDeals({ rng, badRng, bad, p, end, org, accounts, catalog, activities: writers.activities, opportunities, history });
  bad.finish();
  for (const w of [...Object.values(writers).map((w) => ('writer' in w ? w.writer : w)), opportunities, history]) w.close();

  const small: Record<string, TextFileWriter> = {
    'shop/products.csv': writeShopProducts(path('shop/products.csv'), catalog, end),
    'crm/products.csv': writeCrmProducts(path('crm/products.csv'), catalog),
    'crm/users.csv': writeUsers(path('crm/users.csv'), org),
    'crm/accounts.csv': writeAccounts(path('crm/accounts.csv'), rng, accounts, org, start, end),
    'crm/campaigns.csv': writeCampaigns(path('crm/campaigns.csv'), rng, book, end),
  };
  const quarters: number[] = [];
  for (let q = quarterStart(start); q < end; q = nextQuarter(q)) quarters.push(q);
  small['crm/quotas.csv'] = writeQuotas(path('crm/quotas.csv'), org, deals.wonByTeamQuarter, quarters, end).writer;

  await csvToParquet(subscriptionsCsv, path('billing/subscriptions.parquet'), subscriptionColumns);
  rmSync(subscriptionsCsv);

  const rowsOf: Record<DemoFile, number> = {
    'crm/users.csv': small['crm/users.csv'].rows,
    'crm/quotas.csv': small['crm/quotas.csv'].rows,
    'crm/products.csv': small['crm/products.csv'].rows,
    'crm/campaigns.csv': small['crm/campaigns.csv'].rows,
    'crm/accounts.csv': small['crm/accounts.csv'].rows,
    'crm/contacts.csv': writers.contacts.rows,
    'crm/campaign_members.csv': writers.members.rows,
    'crm/opportunities.csv': opportunities.rows,
    'crm/opportunity_history.csv': history.rows,
    'crm/activities.csv': writers.activities.rows,
    'shop/products.csv': small['shop/products.csv'].rows,
    'shop/customers.csv': writers.shopCustomers.rows,
    'shop/orders.csv': writers.orders.rows,
    'shop/order_lines.csv': writers.lines.rows,
    'helpdesk/tickets.ndjson': writers.tickets.rows,
    'billing/subscriptions.parquet': writers.subscriptions.rows,
  };
  const files = {} as Record<DemoFile, ManifestFile>;
  for (const [f, info] of Object.entries(demoFiles) as Array<[DemoFile, (typeof demoFiles)[DemoFile]]>) {
    files[f] = { ...info, rows: rowsOf[f], badRows: bad.countFor(f), bytes: statSync(path(f)).size };
  }
  const badRows: BadRow[] = [...bad.entries].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.row - b.row));
  const good = (f: DemoFile) => files[f].rows - files[f].badRows;

  const manifest: Manifest = {
    generator: { name: 'crm-analytics demo', version: 1 },
    seed,
    customers,
    exportDate: options.exportDate,
    observationStart: isoUtc(start),
    observationEnd: isoUtc(end),
    timeZones: {
      crm: 'America/New_York (wall-clock times without offset, "%m/%d/%Y %I:%M %p")',
      shop: 'America/New_York with offset ("%Y-%m-%d %H:%M:%S %z")',
      helpdesk: 'UTC (ISO 8601 with Z)',
      billing: 'UTC (Parquet TIMESTAMP WITH TIME ZONE)',
    },
    parameters: {
      ...p,
      units: {
        'bgnbd.r, bgnbd.a, bgnbd.b': 'dimensionless',
        'bgnbd.alpha': 'weeks (rate of the Gamma for λ per week); in days multiply by 7',
        'gammaGamma.p, gammaGamma.q': 'dimensionless',
        'gammaGamma.gamma': 'USD (ν is a rate per USD, transaction value z ~ Gamma(p, ν) in USD)',
        'subscriptions.alpha, subscriptions.beta': 'per calendar-month renewal',
        'deals.medianDays': 'days',
        'deals.medianAmountCents': 'US cents',
        acquisition: 'intensity over the observation window, no unit',
      },
    },
    counts: {
      persons: people.persons,
      buyers: people.buyers,
      leads: people.leads,
      crmContacts: people.crmContacts,
      shopCustomers: people.shopCustomers,
      inBothSystems: people.inBothSystems,
      matchByEmail: people.matchByEmail,
      matchByPhoneOnly: people.matchByPhoneOnly,
      businessContacts: people.businessContacts,
      accounts: accounts.length,
      employees: org.employees.length,
      activeEmployees: org.employees.filter((e) => e.leftAt === Infinity).length,
      products: catalog.products.length,
      campaigns: book.all.length,
      transactions: people.transactions,
      repeatBuyers: people.repeatBuyers,
      orders: people.orders,
      cancelledOrders: people.cancelledOrders,
      returnedOrders: people.returnedOrders,
      pendingOrders: people.pendingOrders,
      orderLines: people.orderLines,
      returnLines: people.returnLines,
      revenueCents: people.revenueCents,
      campaignTouches: people.touches,
      campaignConversions: people.conversions,
      unsubscribed: people.unsubscribed,
      tickets: people.tickets,
      subscriptions: people.subscriptions,
      activeSubscriptions: people.activeSubscriptions,
      deals: deals.deals,
      dealsWon: deals.won,
      dealsLost: deals.lost,
      dealsOpen: deals.open,
      dealStageRows: deals.historyRows,
      wonAmountCents: deals.wonAmountCents,
      interactions: good('crm/activities.csv'),
      badRows: badRows.length,
    },
    expected: {
      customers: people.persons,
      customerSources: people.crmContacts + people.shopCustomers,
      orders: people.orders,
      /** Orders whose status is not cancelled: the BG/NBD transactions. */
      transactions: people.transactions,
      order_lines: people.orderLines,
      products: catalog.products.length,
      employees: org.employees.length,
      accounts: accounts.length,
      campaigns: book.all.length,
      campaign_touches: people.touches,
      deals: deals.deals,
      deal_stage_history: deals.historyRows,
      interactions: good('crm/activities.csv'),
      tickets: people.tickets,
      subscriptions: people.subscriptions,
      quotas: good('crm/quotas.csv'),
      quarantined: badRows.length,
    },
    files,
    badRows,
  };
  writeFileSync(path('manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Removes half-written exports of runs that were killed (their process is gone). */
function removeStalePartials(base: string): void {
  const parent = dirname(base);
  if (!existsSync(parent)) return;
  const prefix = `${basename(base)}.partial-`;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

export const shopProductColumns = ['Handle', 'Title', 'Vendor', 'Product Type', 'Variant SKU', 'Variant Price', 'Cost per item', 'Status'];

function writeShopProducts(file: string, catalog: Catalog, end: number): TextFileWriter {
  const w = new TextFileWriter(file, csvHeader(shopProductColumns));
  for (const p of catalog.shop) {
    const status = p.archivedAt <= end ? 'archived' : 'active';
    w.row([p.handle, csv(p.title), csv(p.vendor), csv(p.category), p.sku, money(p.priceCents), money(p.costCents), status].join(','));
  }
  w.close();
  return w;
}

export const crmProductColumns = ['Product Code', 'Product Name', 'Product Family', 'List Price', 'Standard Cost', 'Active'];

function writeCrmProducts(file: string, catalog: Catalog): TextFileWriter {
  const w = new TextFileWriter(file, csvHeader(crmProductColumns));
  for (const p of catalog.service) w.row([p.sku, csv(p.title), p.category, money(p.priceCents), money(p.costCents), 'TRUE'].join(','));
  w.close();
  return w;
}

/** Converts a CSV written by the generator to Parquet with the given column types (one thread: stable bytes). */
async function csvToParquet(src: string, dst: string, columns: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  try {
    await conn.run("set TimeZone = 'UTC'");
    const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
    const cols = `{${columns.map(([c, t]) => `${lit(c)}: ${lit(t)}`).join(', ')}}`;
    await conn.run(`copy (select * from read_csv(${lit(src)}, header = true, columns = ${cols}, auto_detect = false)) to ${lit(dst)} (format parquet, compression zstd)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
