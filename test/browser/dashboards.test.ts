import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Warehouse } from '../../src/warehouse/index.ts';
import { startServer, type RunningServer } from '../../src/server/index.ts';
import { DashboardService, exportHtml } from '../../src/publish/dashboards/index.ts';
import { tempDir } from '../helpers.ts';
import { fixtureRange, seedDashboardFixture, seedModelOutputs } from '../publish/dashboards/fixture.ts';

/**
 * Dashboards in a real browser: Debian's chromium (`apt-get install -y chromium`) driven by playwright-core,
 * no browser download. Missing chromium fails the suite with that instruction; nothing is skipped.
 */
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const artifacts = resolve('test-artifacts/browser');
const names = ['executive', 'marketing', 'sales', 'service', 'ops'];
const range = `from=${fixtureRange.from}&to=${fixtureRange.to}`;

let wh: Warehouse;
let server: RunningServer;
let browser: Browser;
let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: the browser tests need Debian's chromium (apt-get install -y chromium) or CHROMIUM_PATH`);
  }
  mkdirSync(artifacts, { recursive: true });
  const t = tempDir();
  dir = t.dir;
  cleanup = t.cleanup;
  wh = await Warehouse.open(join(dir, 'crm.duckdb'));
  await seedDashboardFixture(wh);
  server = await startServer({ warehouse: wh, port: 0, dashboards: new DashboardService(wh, { versionTtlMs: 0 }), log: (l) => process.stderr.write(`${l}\n`) });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await wh?.close();
  cleanup?.();
});

/** A page that records console errors, page errors and failed requests. */
async function open(url: string, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()} (${m.location().url})`));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  await page.goto(url);
  await settled(page);
  return { page, problems };
}

/** Waits until every panel of the current filter state has been drawn. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.loading === 'false', null, { timeout: 30_000 });
}

/** Per chart panel: its state and the number of marks vega drew into its SVG. */
async function chartMarks(page: Page) {
  return page.$$eval('section.panel', (sections) =>
    sections.map((s) => ({
      id: (s as HTMLElement).dataset.panel!,
      kind: (s as HTMLElement).dataset.kind!,
      state: (s as HTMLElement).dataset.state ?? 'pending',
      hasSvg: !!s.querySelector('.chart svg'),
      marks: s.querySelectorAll('.chart svg .role-mark > path, .chart svg .role-mark > line, .chart svg .role-mark > text, .chart svg .role-mark > g').length,
      tableRows: s.querySelectorAll('.chart table tbody tr').length,
      text: (s.querySelector('.chart') as HTMLElement).innerText.slice(0, 200),
    })),
  );
}

describe('dashboards in headless Chromium', () => {
  it('has chromium', () => {
    expect(existsSync(chromiumPath)).toBe(true);
  });

  it('before the models run: every dashboard loads, model panels show an empty state, no console errors', async () => {
    const { page, problems } = await open(`${server.url}/dashboards/marketing?${range}`);
    const panels = await chartMarks(page);
    const byId = Object.fromEntries(panels.map((p) => [p.id, p]));
    expect(byId.cohort_retention.state).toBe('empty');
    expect(byId.cohort_retention.text).toContain('crm models run retention');
    expect(byId.clv_distribution.state).toBe('empty');
    expect(byId.new_customers_by_channel.state).toBe('drawn');
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(artifacts, 'marketing-before-models.png'), fullPage: true });
    await page.close();
    await seedModelOutputs(wh, dir);
    await wh.run(`update warehouse_meta set value = '2' where key = 'data_version'`);
  });

  for (const name of names) {
    it(`${name}: loads without console errors, every chart draws marks, every KPI shows a value`, async () => {
      const { page, problems } = await open(`${server.url}/dashboards/${name}?${range}`);
      const panels = await chartMarks(page);
      expect(panels.length).toBeGreaterThan(0);
      for (const p of panels) {
        expect(p.state, `${name}/${p.id}: ${p.text}`).toBe('drawn');
        if (p.kind === 'chart') {
          expect(p.hasSvg, `${name}/${p.id} has an svg`).toBe(true);
          expect(p.marks, `${name}/${p.id} draws marks`).toBeGreaterThan(0);
        } else {
          expect(p.tableRows, `${name}/${p.id} has rows`).toBeGreaterThan(0);
        }
      }
      const kpis = await page.$$eval('.kpi', (tiles) => tiles.map((t) => ({ id: t.id, value: (t.querySelector('.value') as HTMLElement).innerText })));
      for (const k of kpis) expect(k.value, k.id).not.toBe('…');
      // every chart has an accessible name and description
      const unlabeled = await page.$$eval('section.panel', (ss) => ss.filter((s) => !s.getAttribute('aria-labelledby') || !s.getAttribute('aria-describedby')).length);
      expect(unlabeled).toBe(0);
      const svgLabels = await page.$$eval('section.panel[data-kind="chart"] .chart svg', (svgs) => svgs.map((s) => s.getAttribute('aria-label') ?? ''));
      for (const l of svgLabels) expect(l.length).toBeGreaterThan(10);
      expect(problems).toEqual([]);
      await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
      await page.close();
    });
  }

  it('changing a filter changes the data shown, the URL and the CSV links', async () => {
    const { page, problems } = await open(`${server.url}/dashboards/executive?${range}`);
    const revenue = () => page.$eval('#kpi-revenue .value', (e) => (e as HTMLElement).innerText);
    const tableText = () =>
      page.$eval('#panel-revenue_by_period .data-table table', (t) =>
        [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent).join(' ')).join('\n'),
      );
    expect(await revenue()).toBe('480.50');
    const before = await tableText();
    await page.selectOption('select[name="region"]', 'AMER');
    await page.waitForFunction(() => document.querySelector('#kpi-revenue .value')?.textContent === '120.00', null, { timeout: 20_000 });
    await settled(page);
    expect(before).toContain('2026-02-01 2026-03-01 250.5 2 2 125.25');
    expect(await tableText()).toContain('2026-02-01 2026-03-01 0 0 0 0');
    expect(page.url()).toContain('region=AMER');
    expect(await page.$eval('#panel-revenue_by_period .csv-link', (a) => a.getAttribute('href'))).toContain('region=AMER');
    // the chart itself was redrawn with the new rows: March holds AMER's 120, February nothing
    const rows = await page.$eval('#panel-revenue_by_period', (s) => (s as HTMLElement).dataset.rows);
    expect(rows).toBe('6');
    await page.selectOption('select[name="granularity"]', 'quarter');
    await page.waitForFunction(() => document.querySelector('#panel-revenue_by_period')?.getAttribute('data-rows') === '2', null, { timeout: 20_000 });
    await settled(page);
    expect(await tableText()).toBe('2026-01-01 2026-04-01 120 2 2 60\n2026-04-01 2026-07-01 0 0 0 0');
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(artifacts, 'executive-amer-quarter.png'), fullPage: true });
    await page.close();
  });

  it('a bad filter shows the API’s message instead of failing silently', async () => {
    const { page } = await open(`${server.url}/dashboards/sales?${range}`);
    await page.fill('input[name="from"]', '2026-12-01');
    await page.dispatchEvent('input[name="from"]', 'change');
    await page.waitForFunction(() => (document.querySelector('.filter-status')?.textContent ?? '').includes('after'), null, { timeout: 20_000 });
    await page.close();
  });

  it('the CSV download matches the API', async () => {
    const { page } = await open(`${server.url}/dashboards/sales?${range}&rep=e2`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#panel-rep_leaderboard .csv-link')]);
    expect(download.suggestedFilename()).toBe('sales-rep_leaderboard.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    const api = await (await fetch(`${server.url}/api/dashboards/sales/panels/rep_leaderboard?${range}&rep=e2`)).json();
    const lines = csv.trim().split('\r\n');
    expect(lines[0].split(',')).toEqual(api.columns.map((c: { name: string }) => c.name));
    expect(lines.length - 1).toBe(api.rows.length);
    const cells = lines[1].split(',');
    api.columns.forEach((c: { name: string }, i: number) => expect(cells[i]).toBe(api.rows[0][c.name] === null ? '' : String(api.rows[0][c.name])));
    expect(cells[1]).toBe('Bob Ortiz');
    await page.close();
  });

  it('usable on a tablet: no horizontal scrolling, panels stacked', async () => {
    for (const name of ['executive', 'marketing']) {
      const { page, problems } = await open(`${server.url}/dashboards/${name}?${range}`, { width: 768, height: 1024 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, name).toBeLessThanOrEqual(0);
      expect(problems).toEqual([]);
      await page.screenshot({ path: join(artifacts, `${name}-tablet.png`), fullPage: true });
      await page.close();
    }
  });

  it('the static HTML export opens from a file with the network off and draws every chart', async () => {
    const svc = new DashboardService(wh, { versionTtlMs: 0 });
    const d = svc.get('executive');
    const html = await exportHtml(svc, d, await svc.filters(d, fixtureRange));
    const file = join(dir, 'executive.html');
    writeFileSync(file, html);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(pathToFileURL(file).href);
    await settled(page);
    const panels = await chartMarks(page);
    for (const p of panels) expect(p.state, p.id).toBe('drawn');
    expect(await page.$eval('#kpi-revenue .value', (e) => (e as HTMLElement).innerText)).toBe('480.50');
    const csvHref = await page.$eval('#panel-revenue_by_period .csv-link', (a) => a.getAttribute('href')!);
    expect(decodeURIComponent(csvHref.replace(/^data:text\/csv;charset=utf-8,/, ''))).toContain('2026-02-01,2026-03-01,250.5,2,2,125.25');
    expect(requests).toEqual([]);
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(artifacts, 'executive-static-export.png'), fullPage: true });
    await page.close();
  });
});
