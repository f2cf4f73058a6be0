import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFiles, generateDemo, type DemoFile, type Manifest } from '../../src/demo/index.ts';
import { AppError } from '../../src/errors.ts';
import { loadPipelineFile } from '../../src/ingest/pipeline-schema.ts';
import { entityKeys } from '../../src/warehouse/entities.ts';
import { tempDir } from '../helpers.ts';
import { readCsv, readNdjson, readParquet } from './files.ts';

const WEEK = 7 * 86_400_000;
const { dir, cleanup } = tempDir();
const out = join(dir, 'export');
let manifest: Manifest;

/** Every row of a demo file as text values, and its column names. */
async function rowsOf(file: DemoFile): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  const path = join(out, file);
  if (file.endsWith('.csv')) return readCsv(path);
  if (file.endsWith('.ndjson')) {
    const rows = readNdjson(path);
    return { columns: [...new Set(rows.flatMap((r) => Object.keys(r)))], rows };
  }
  return readParquet(path);
}

function badLines(file: DemoFile): Set<number> {
  return new Set(manifest.badRows.filter((b) => b.file === file).map((b) => b.row));
}

/** Good rows of a file (bad rows removed by their manifest row number). */
async function goodRows(file: DemoFile): Promise<Record<string, string>[]> {
  const bad = badLines(file);
  return (await rowsOf(file)).rows.filter((_, i) => !bad.has(i + 1)) as Record<string, string>[];
}

beforeAll(async () => {
  manifest = await generateDemo({ customers: 5000, seed: 42, out, exportDate: '2026-10-31' });
}, 120_000);
afterAll(() => cleanup());

describe('crm generate: files and manifest', () => {
  it('writes every file of the export and a manifest that describes them', () => {
    expect(Object.keys(manifest.files).sort()).toEqual(Object.keys(demoFiles).sort());
    for (const f of Object.keys(demoFiles)) expect(existsSync(join(out, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toEqual(manifest);
    expect(manifest).toMatchObject({ seed: 42, customers: 5000, exportDate: '2026-10-31', observationEnd: '2026-10-31T00:00:00Z', observationStart: '2023-10-31T00:00:00Z' });
    expect(manifest.parameters.bgnbd).toEqual({ r: 0.75, alpha: 3.2, a: 0.55, b: 8 });
    expect(manifest.counts.buyers).toBe(5000);
    expect(manifest.counts.persons).toBe(manifest.counts.buyers + manifest.counts.leads);
  });

  it('counts in the manifest match the rows in the files', async () => {
    for (const f of Object.keys(demoFiles) as DemoFile[]) {
      const { rows } = await rowsOf(f);
      expect(rows.length, f).toBe(manifest.files[f].rows);
      expect(manifest.files[f].badRows, f).toBe(manifest.badRows.filter((b) => b.file === f).length);
    }
    const c = manifest.counts;
    expect(manifest.files['shop/orders.csv'].rows - manifest.files['shop/orders.csv'].badRows).toBe(c.orders);
    expect(manifest.files['shop/order_lines.csv'].rows - manifest.files['shop/order_lines.csv'].badRows).toBe(c.orderLines);
    expect(manifest.files['shop/customers.csv'].rows - manifest.files['shop/customers.csv'].badRows).toBe(c.shopCustomers);
    expect(manifest.files['crm/contacts.csv'].rows - manifest.files['crm/contacts.csv'].badRows).toBe(c.crmContacts);
    expect(manifest.files['helpdesk/tickets.ndjson'].rows - manifest.files['helpdesk/tickets.ndjson'].badRows).toBe(c.tickets);
    expect(c.orders).toBe(c.transactions + c.cancelledOrders);
    expect(c.crmContacts).toBe(c.inBothSystems + c.leads);
    expect(c.inBothSystems).toBe(c.matchByEmail + c.matchByPhoneOnly);
  });

  it('puts every deliberately bad row where the manifest says, with the bad value in the named column', async () => {
    const byFile = new Map<DemoFile, typeof manifest.badRows>();
    for (const b of manifest.badRows) byFile.set(b.file as DemoFile, [...(byFile.get(b.file as DemoFile) ?? []), b]);
    expect(byFile.size).toBeGreaterThanOrEqual(10);
    for (const [file, bad] of byFile) {
      const { columns, rows } = await rowsOf(file);
      for (const b of bad) {
        expect(columns, `${file}: ${b.column}`).toContain(b.column);
        const row = rows[b.row - 1];
        expect(String(row[b.column] ?? ''), `${file}:${b.row} ${b.kind}`).toBe(String(b.value ?? ''));
        expect(b.line).toBe(file.endsWith('.csv') ? b.row + 1 : b.row);
      }
    }
    // About 0.1 % of the large files' rows.
    const lines = manifest.files['shop/order_lines.csv'];
    expect(lines.badRows / lines.rows).toBeGreaterThan(0.0004);
    expect(lines.badRows / lines.rows).toBeLessThan(0.002);
  });

  it('has unique keys in every file, bad rows included (a bad row never collides with a good one)', async () => {
    process.env.CRM_DEMO_DIR = out;
    for (const [file, info] of Object.entries(demoFiles) as Array<[DemoFile, (typeof demoFiles)[DemoFile]]>) {
      const p = loadPipelineFile(info.pipeline);
      const cols = entityKeys[p.entity].map((k) => {
        const m = p.mapping[k];
        return typeof m === 'string' ? m : m.from!;
      });
      const { rows } = await rowsOf(file);
      const keys = new Set(rows.map((r) => cols.map((c) => String(r[c])).join('|')));
      expect(keys.size, file).toBe(rows.length);
    }
  });

  it('has a pipeline for every file that parses, reads the file and maps only columns the file has', async () => {
    process.env.CRM_DEMO_DIR = out;
    const pipelineFiles = readdirSync('pipelines/demo').filter((f) => f.endsWith('.json'));
    expect(pipelineFiles.sort()).toEqual(Object.values(demoFiles).map((d) => basename(d.pipeline)).sort());
    for (const [file, info] of Object.entries(demoFiles) as Array<[DemoFile, (typeof demoFiles)[DemoFile]]>) {
      const p = loadPipelineFile(info.pipeline);
      expect(p.entity, info.pipeline).toBe(info.entity);
      expect(p.source.type).toBe(info.format);
      expect('path' in p.source && p.source.path).toBe(join(out, file));
      expect(p.identity.system ?? p.system).toBe(info.system === 'shop' ? 'shop' : 'crm');
      const { columns } = await rowsOf(file);
      for (const [field, m] of Object.entries(p.mapping)) {
        const from = typeof m === 'string' ? m : m.from;
        if (from !== undefined) expect(columns, `${info.pipeline}: mapping.${field}`).toContain(from);
      }
    }
    // Without CRM_DEMO_DIR the pipelines read the default folder.
    delete process.env.CRM_DEMO_DIR;
    expect(loadPipelineFile('pipelines/demo/orders.json').source).toMatchObject({ path: 'data/demo-export/shop/orders.csv' });
  });
});

describe('crm generate: the stories behind the data', () => {
  it('orders per buyer follow the BG/NBD expectation for the manifest parameters', async () => {
    const { r, alpha, a, b } = manifest.parameters.bgnbd;
    const end = Date.parse(manifest.observationEnd);
    const orders = (await goodRows('shop/orders.csv')).filter((o) => o['Financial Status'] !== 'voided');
    const byCustomer = new Map<string, number[]>();
    for (const o of orders) {
      const t = Date.parse(o['Created at'].replace(' ', 'T').replace(/ ([+-]\d\d)(\d\d)$/, '$1:$2'));
      byCustomer.set(o['Customer ID'], [...(byCustomer.get(o['Customer ID']) ?? []), t]);
    }
    expect(byCustomer.size).toBe(manifest.counts.buyers);
    let observed = 0;
    let expected = 0;
    let sq = 0;
    let repeat = 0;
    let repeatExpected = 0;
    let repeatVar = 0;
    for (const times of byCustomer.values()) {
      const T = (end - Math.min(...times)) / WEEK;
      const e = 1 + bgnbdExpected(r, alpha, a, b, T);
      const p0 = Math.pow(alpha / (alpha + T), r);
      observed += times.length;
      expected += e;
      sq += times.length ** 2;
      if (times.length > 1) repeat++;
      repeatExpected += 1 - p0;
      repeatVar += p0 * (1 - p0);
    }
    const n = byCustomer.size;
    const sd = Math.sqrt(sq / n - (observed / n) ** 2);
    expect(Math.abs(observed / n - expected / n)).toBeLessThan((4 * sd) / Math.sqrt(n));
    expect(observed / n).toBeGreaterThan(8);
    expect(observed / n).toBeLessThan(12);
    expect(Math.abs(repeat - repeatExpected)).toBeLessThan(4 * Math.sqrt(repeatVar));
  });

  it('transaction values follow Gamma-Gamma: mean p·γ/(q−1)', async () => {
    const { p, q, gamma } = manifest.parameters.gammaGamma;
    const orders = (await goodRows('shop/orders.csv')).filter((o) => o['Financial Status'] !== 'voided');
    const byCustomer = new Map<string, [number, number]>();
    for (const o of orders) {
      const s = byCustomer.get(o['Customer ID']) ?? [0, 0];
      s[0] += Number(o.Subtotal);
      s[1]++;
      byCustomer.set(o['Customer ID'], s);
    }
    let total = 0;
    let count = 0;
    for (const [s, x] of byCustomer.values()) {
      total += s;
      count += x;
    }
    const mean = total / count;
    let v = 0;
    for (const [s, x] of byCustomer.values()) v += (s - mean * x) ** 2;
    const se = Math.sqrt(v) / count;
    expect(Math.abs(mean - (p * gamma) / (q - 1))).toBeLessThan(4 * se);
  });

  it('order lines add up to the order to the cent; returns are negative lines', async () => {
    const orders = await goodRows('shop/orders.csv');
    const lines = await goodRows('shop/order_lines.csv');
    const cents = (s: string) => Math.round(Number(s) * 100);
    const sums = new Map<string, { net: number; disc: number; items: number; returned: number }>();
    // Collect mismatches rather than asserting per row (100 000 lines).
    const wrong: string[] = [];
    for (const l of lines) {
      const qty = Number(l['Lineitem quantity']);
      const price = cents(l['Lineitem price']);
      const disc = cents(l['Lineitem discount']);
      const total = cents(l['Line Total']);
      if (!(price > 0 && disc >= 0 && total === qty * price - Math.sign(qty) * disc)) wrong.push(`line ${l['Order ID']}/${l['Line Number']}`);
      const s = sums.get(l['Order ID']) ?? { net: 0, disc: 0, items: 0, returned: 0 };
      if (qty > 0) {
        s.net += total;
        s.disc += disc;
        s.items += qty;
      } else s.returned++;
      sums.set(l['Order ID'], s);
    }
    let returned = 0;
    for (const o of orders) {
      const s = sums.get(o.Id);
      const isReturn = o['Financial Status'].endsWith('refunded');
      if (isReturn) returned++;
      if (
        !s ||
        s.net !== cents(o.Subtotal) ||
        s.disc !== cents(o['Discount Amount']) ||
        s.items !== Number(o['Item Count']) ||
        cents(o.Total) !== cents(o.Subtotal) + cents(o.Shipping) + cents(o.Taxes) ||
        s.returned > 0 !== isReturn
      ) {
        wrong.push(`order ${o.Id}`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(returned).toBe(manifest.counts.returnedOrders);
    expect(lines.length / orders.length).toBeGreaterThan(1.5);
    expect(lines.length / orders.length).toBeLessThan(3);
  });

  it('links shop customers to CRM contacts by normalised e-mail or phone exactly as the manifest says', async () => {
    const contacts = await goodRows('crm/contacts.csv');
    const shop = await goodRows('shop/customers.csv');
    const phone = (s: string) => {
      const d = s.replace(/\D/g, '');
      return d.length >= 7 ? d.slice(-10) : '';
    };
    const byEmail = new Map<string, string>();
    const byPhone = new Map<string, string>();
    const emailOf = new Map(contacts.map((c) => [c['Contact ID'], c['Email Address']]));
    for (const c of contacts) {
      const e = c['Email Address'].trim().toLowerCase();
      expect(byEmail.has(e), e).toBe(false);
      byEmail.set(e, c['Contact ID']);
      const ph = phone(c['Phone Number']);
      if (ph) {
        expect(byPhone.has(ph), ph).toBe(false);
        byPhone.set(ph, c['Contact ID']);
      }
    }
    let email = 0;
    let phoneOnly = 0;
    let differentCase = 0;
    for (const s of shop) {
      const e = s.Email.trim().toLowerCase();
      const ph = phone(s.Phone);
      const viaEmail = byEmail.get(e);
      const viaPhone = ph ? byPhone.get(ph) : undefined;
      if (viaEmail && viaPhone) expect(viaPhone).toBe(viaEmail);
      if (viaEmail) email++;
      else if (viaPhone) phoneOnly++;
      if (viaEmail && s.Email !== emailOf.get(viaEmail)) differentCase++;
    }
    expect(email).toBe(manifest.counts.matchByEmail);
    expect(phoneOnly).toBe(manifest.counts.matchByPhoneOnly);
    // Identity resolution has real work: many e-mails differ in case or spacing, phones in format.
    expect(differentCase / email).toBeGreaterThan(0.4);
    expect(shop.filter((s) => s.Phone && !s.Phone.startsWith('+')).length).toBe(0);
    expect(contacts.filter((c) => c['Phone Number'].startsWith('(')).length).toBeGreaterThan(contacts.length * 0.1);
  });

  it('sales activities happen on weekdays, consumer contacts any day of the week', async () => {
    const acts = await goodRows('crm/activities.csv');
    const weekend = (type: string) => {
      const of = acts.filter((a) => a.Type === type);
      const w = of.filter((a) => {
        const [m, d, y] = a['Activity Date'].slice(0, 10).split('/').map(Number);
        const wd = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
        return wd === 0 || wd === 6;
      });
      return { n: of.length, share: w.length / of.length };
    };
    for (const t of ['Meeting', 'Presentation', 'Call']) {
      const { n, share } = weekend(t);
      expect(n, t).toBeGreaterThan(100);
      expect(share, t).toBeLessThan(0.1);
    }
    for (const t of ['Chat', 'Social', 'Web Form']) {
      const { n, share } = weekend(t);
      expect(n, t).toBeGreaterThan(100);
      expect(share, t).toBeGreaterThan(0.2);
    }
    expect(new Set(acts.map((a) => a.Type))).toEqual(new Set(['Call', 'Email', 'Meeting', 'Event', 'Presentation', 'Web Form', 'Chat', 'Social']));
  });

  it('deals convert stage by stage, with lost reasons, and wins bunch up at quarter ends', async () => {
    const deals = await goodRows('crm/opportunities.csv');
    const nb = deals.filter((d) => d.Pipeline === 'New Business');
    const won = nb.filter((d) => d.Stage === 'Closed Won').length;
    const lost = nb.filter((d) => d.Stage === 'Closed Lost');
    const winRate = won / (won + lost.length);
    const stages = manifest.parameters.deals.advance;
    expect(winRate).toBeGreaterThan(stages.reduce((x, y) => x * y, 1) * 0.75);
    expect(winRate).toBeLessThan(stages.reduce((x, y) => x * y, 1) * 1.5);
    expect(lost.every((d) => d['Loss Reason'] !== '')).toBe(true);
    expect(deals.some((d) => !d.Stage.startsWith('Closed'))).toBe(true);
    const dayOfQuarter = deals
      .filter((d) => d.Stage === 'Closed Won')
      .map((d) => {
        const [m, day] = d['Date Closed'].split('/').map(Number);
        return { lastTen: m % 3 === 0 && day > 20, firstTen: m % 3 === 1 && day <= 10 };
      });
    expect(dayOfQuarter.filter((x) => x.lastTen).length).toBeGreaterThan(dayOfQuarter.filter((x) => x.firstTen).length * 1.3);
  });

  it('subscriptions churn at the first renewal with probability α/(α+β)', async () => {
    const { alpha, beta } = manifest.parameters.subscriptions;
    const subs = await goodRows('billing/subscriptions.parquet');
    const end = Date.parse(manifest.observationEnd);
    const monthLater = (s: string) => {
      const d = new Date(s.replace(' ', 'T').replace(/\+00$/, 'Z'));
      const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
      const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
      return Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
    };
    const reached = subs.filter((s) => monthLater(s.start_date) < end);
    const first = reached.filter((s) => s.canceled_at !== null && Date.parse(s.canceled_at.replace(' ', 'T').replace(/\+00$/, 'Z')) === monthLater(s.start_date));
    const p = alpha / (alpha + beta);
    expect(reached.length).toBeGreaterThan(200);
    expect(Math.abs(first.length / reached.length - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / reached.length));
  });

  it('keeps every event before the export date', async () => {
    const end = manifest.observationEnd;
    for (const t of (await goodRows('helpdesk/tickets.ndjson')).map((x) => x.created_at)) expect(t < end).toBe(true);
    const lastOrder = (await goodRows('shop/orders.csv')).map((o) => Date.parse(o['Created at'].replace(' ', 'T').replace(/ ([+-]\d\d)(\d\d)$/, '$1:$2'))).reduce((x, y) => Math.max(x, y), 0);
    expect(lastOrder).toBeLessThan(Date.parse(end));
    expect(lastOrder).toBeGreaterThan(Date.parse(end) - 7 * 86_400_000);
  });
});

describe('crm generate: determinism and the output folder', () => {
  const hashes = (folder: string) =>
    Object.fromEntries([...Object.keys(demoFiles), 'manifest.json'].map((f) => [f, createHash('sha256').update(readFileSync(join(folder, f))).digest('hex')]));

  it('gives byte-identical files for the same seed and different files for another seed', async () => {
    const opts = { customers: 300, exportDate: '2026-10-31' };
    await generateDemo({ ...opts, seed: 7, out: join(dir, 'a') });
    await generateDemo({ ...opts, seed: 7, out: join(dir, 'b') });
    await generateDemo({ ...opts, seed: 8, out: join(dir, 'c') });
    const [a, b, c] = [hashes(join(dir, 'a')), hashes(join(dir, 'b')), hashes(join(dir, 'c'))];
    expect(b).toEqual(a);
    for (const f of ['shop/orders.csv', 'crm/contacts.csv', 'helpdesk/tickets.ndjson', 'billing/subscriptions.parquet']) expect(c[f], f).not.toBe(a[f]);
  }, 60_000);

  it('refuses to overwrite an export without force, and with force replaces only its own files', async () => {
    const folder = join(dir, 'a');
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    const before = hashes(folder);
    const attempt = generateDemo({ customers: 300, seed: 9, out: folder, exportDate: '2026-10-31' });
    await expect(attempt).rejects.toThrow(AppError);
    await expect(attempt).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('--force') });
    expect(hashes(folder)).toEqual(before);
    const m = await generateDemo({ customers: 300, seed: 9, out: folder, exportDate: '2026-10-31', force: true });
    expect(m.seed).toBe(9);
    expect(readFileSync(join(folder, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  }, 60_000);

  it('cleans up half-written exports left by killed runs', async () => {
    const stale = join(dir, 'k.partial-999999999');
    mkdirSync(join(stale, 'shop'), { recursive: true });
    writeFileSync(join(stale, 'shop/orders.csv'), 'Id\n1\n');
    await generateDemo({ customers: 100, seed: 1, out: join(dir, 'k'), exportDate: '2026-10-31' });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(dir, 'k', 'manifest.json'))).toBe(true);
  });

  it('rejects bad options with a clear message', async () => {
    await expect(generateDemo({ customers: 0, seed: 1, out: join(dir, 'x'), exportDate: '2026-10-31' })).rejects.toThrow(/customers/);
    await expect(generateDemo({ customers: 10, seed: 1, out: join(dir, 'x'), exportDate: '2026-02-30' })).rejects.toThrow(/export date/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

/**
 * E[X(t)] of BG/NBD (Fader, Hardie & Lee 2005, eq. 9): expected repeat transactions in (0, t],
 * with the Gauss hypergeometric series summed until its terms vanish.
 */
function bgnbdExpected(r: number, alpha: number, a: number, b: number, t: number): number {
  const z = t / (alpha + t);
  const c = a + b - 1;
  let term = 1;
  let sum = 1;
  for (let n = 0; n < 1_000_000; n++) {
    term *= ((r + n) * (b + n) * z) / ((c + n) * (n + 1));
    sum += term;
    if (term < 1e-15 * sum) break;
  }
  return ((a + b - 1) / (a - 1)) * (1 - Math.pow(alpha / (alpha + t), r) * sum);
}
