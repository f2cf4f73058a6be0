/**
 * Scenario `clv`: `--customers` buyers (default 1M, ~10M orders) → RFM summary, BG/NBD and Gamma-Gamma
 * fits, per-customer P(alive), expected purchases, spend, CLV and churn tier written to customer_value
 * and churn_risk (`runClv`, end to end) — beside the bare DuckDB summary query over the same orders.
 * Target: end to end ≤ 5 s and peak RSS ≤ 2 GiB on the 2-core machine (lifetimes: > 40 s).
 *
 * Data: the demo generator (`generateDemo`, seed 42, BG/NBD + Gamma-Gamma orders) under
 * data/bench/clv-<N>/, its shop orders and order lines loaded with plain SQL once (reused later; the
 * CSVs are deleted after loading). The measured part runs in a child process, so its peak RSS is the
 * model's own (not the generator's); each step runs three times, the median is reported.
 * The warehouse is opened with 2 threads and CRM_MEMORY_LIMIT if set (default: DuckDB's).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchRow, Scenario } from '../run.ts';
import { generateDemo } from '../../src/demo/index.ts';
import { runClv } from '../../src/models/clv/index.ts';
import { Warehouse } from '../../src/warehouse/index.ts';

const self = fileURLToPath(import.meta.url);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const EXPORT_DATE = '2026-10-31';
const CALIBRATION_END = '2026-10-30';

/** The plain RFM summary a DuckDB user would write over `orders` (days, weeks = days / 7), materialised. */
const bareSummary = `
  create or replace temp table bare_summary as
  with days as (
    select customer_id, cast(epoch_us(ordered_at) // 86400000000 as integer) as d, sum(total_amount) as v
    from orders
    where status in ('completed', 'returned') and total_amount >= 0 and ordered_at < timestamptz '${EXPORT_DATE} 00:00:00+00'
    group by all
  )
  select customer_id, count(*) - 1 as frequency, (max(d) - min(d)) / 7 as recency,
         (cast(date '${CALIBRATION_END}' - date '1970-01-01' as integer) - min(d)) / 7 as t,
         case when count(*) > 1 then (sum(v) - arg_min(v, d)) / (count(*) - 1) else 0 end as monetary
  from days group by customer_id`;

async function setup(dir: string, customers: number, rows: BenchRow[]): Promise<string> {
  const db = join(dir, 'crm.duckdb');
  if (existsSync(join(dir, 'loaded'))) return db;
  mkdirSync(dir, { recursive: true });
  rmSync(db, { force: true });
  const exportDir = join(dir, 'export');
  let t = performance.now();
  if (!existsSync(join(exportDir, 'manifest.json')) || !existsSync(join(exportDir, 'shop/orders.csv'))) {
    await generateDemo({ customers, seed: 42, out: exportDir, exportDate: EXPORT_DATE, force: true });
    rows.push({ scenario: 'clv', step: `setup: generate ${customers.toLocaleString('en')} customers`, seconds: (performance.now() - t) / 1000 });
  }
  t = performance.now();
  const wh = await Warehouse.open(db, { threads: 2 });
  try {
    // Same meaning as pipelines/demo/orders.json and order-lines.json, without the contract checks.
    await wh.run(
      `insert into orders (order_id, customer_id, ordered_at, status, currency, total_amount, item_count)
       select "Id", cast("Customer ID" as bigint), strptime("Created at", '%Y-%m-%d %H:%M:%S %z'),
              case "Financial Status" when 'paid' then 'completed' when 'voided' then 'cancelled'
                when 'refunded' then 'returned' when 'partially_refunded' then 'returned' else 'pending' end,
              "Currency", cast("Subtotal" as decimal(18, 2)), cast("Item Count" as integer)
       from read_csv($f, header = true, all_varchar = true)
       where try_cast("Customer ID" as bigint) is not null and try_strptime("Created at", '%Y-%m-%d %H:%M:%S %z') is not null
         and try_cast("Subtotal" as decimal(18, 2)) is not null and try_cast("Item Count" as integer) is not null`,
      { f: join(exportDir, 'shop/orders.csv') },
    );
    await wh.run(
      `insert into order_lines (order_id, line_no, product_id, quantity, unit_price, line_amount)
       select "Order ID", cast("Line Number" as integer), "Lineitem SKU", cast("Lineitem quantity" as integer),
              cast("Lineitem price" as decimal(18, 2)), cast("Line Total" as decimal(18, 2))
       from read_csv($f, header = true, all_varchar = true)
       where try_cast("Line Number" as integer) is not null and try_cast("Lineitem quantity" as integer) is not null
         and try_cast("Lineitem price" as decimal(18, 2)) is not null and try_cast("Line Total" as decimal(18, 2)) is not null`,
      { f: join(exportDir, 'shop/order_lines.csv') },
    );
    await wh.run('checkpoint');
  } finally {
    await wh.close();
  }
  for (const f of ['shop', 'crm', 'helpdesk', 'billing']) rmSync(join(exportDir, f), { recursive: true, force: true });
  mkdirSync(join(dir, 'loaded'), { recursive: true });
  rows.push({ scenario: 'clv', step: 'setup: load shop orders and order lines with SQL', seconds: (performance.now() - t) / 1000 });
  return db;
}

/** The measured part, in a child process: bare summary and runClv, alternating, three times each. */
async function child(db: string): Promise<void> {
  const wh = await Warehouse.open(db, { threads: 2, memoryLimit: process.env.CRM_MEMORY_LIMIT || undefined });
  const out: Record<string, unknown> = { bare: [], clv: [], timings: [], bareCpu: [], clvCpu: [] };
  // CPU seconds (user + system, all threads) beside wall time: on a shared 2-core machine the wall time
  // depends on what else runs; the CPU time much less.
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  try {
    const [{ orders, customers }] = await wh.all<{ orders: number; customers: number }>('select count(*) as orders, count(distinct customer_id) as customers from orders');
    Object.assign(out, { orders, customers });
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      let c = cpu();
      await wh.withConnection(async (q) => {
        await q.run(bareSummary);
        await q.run('drop table bare_summary');
      });
      (out.bare as number[]).push((performance.now() - t) / 1000);
      (out.bareCpu as number[]).push(cpu() - c);
      t = performance.now();
      c = cpu();
      const r = await runClv(wh, { calibrationEnd: CALIBRATION_END, unit: 'week' });
      (out.clv as number[]).push((performance.now() - t) / 1000);
      (out.clvCpu as number[]).push(cpu() - c);
      (out.timings as unknown[]).push(r.timings);
      Object.assign(out, { status: r.status, scored: r.nCustomers, distinct: r.bgnbd.nDistinct, params: r.bgnbd.params, gg: r.gammaGamma?.params });
    }
    const [{ n }] = await wh.all<{ n: number }>('select count(*) as n from customer_value');
    out.customerValueRows = n;
  } finally {
    await wh.close();
  }
  out.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

const scenario: Scenario = {
  name: 'clv',
  description: 'summary + BG/NBD + Gamma-Gamma + per-customer CLV and P(alive) written to the warehouse (runClv), beside the bare DuckDB summary query (target ≤ 5 s, ≤ 2 GiB)',
  async run(opts: BenchOptions): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const dir = join(opts.workDir, `clv-${opts.customers}`);
    const db = await setup(dir, opts.customers, rows);
    const r = spawnSync(process.execPath, [...process.execArgv, self, 'child', db], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`clv bench child failed (${r.status}): ${r.stderr}`);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      orders: number;
      customers: number;
      bare: number[];
      clv: number[];
      bareCpu: number[];
      clvCpu: number[];
      timings: Record<string, number>[];
      status: string;
      scored: number;
      distinct: number;
      params: Record<string, number>;
      gg: Record<string, number>;
      customerValueRows: number;
      peakRssMb: number;
    };
    const manifest = JSON.parse(readFileSync(join(dir, 'export/manifest.json'), 'utf8'));
    const fmt = (p: Record<string, number>) => Object.entries(p).map(([k, v]) => `${k}=${v.toPrecision(4)}`).join(' ');
    const steps = Object.keys(res.timings[0]);
    const stepText = steps.map((k) => `${k.replace(/_ms$/, '')} ${(median(res.timings.map((t) => t[k])) / 1000).toFixed(2)}`).join(', ');
    rows.push(
      {
        scenario: 'clv',
        step: `bare DuckDB RFM summary (${res.orders.toLocaleString('en')} orders)`,
        seconds: median(res.bare),
        rows: res.customers,
        result: `CPU ${median(res.bareCpu).toFixed(2)} s; load average ${loadavg()[0].toFixed(1)}`,
      },
      {
        scenario: 'clv',
        step: 'runClv end to end: summary → BG/NBD + GG → scores written',
        seconds: median(res.clv),
        rows: res.customerValueRows,
        target: '≤ 5 s, ≤ 2048 MB',
        peak_rss_mb: res.peakRssMb,
        result: `CPU ${median(res.clvCpu).toFixed(2)} s; ${res.status}; BG/NBD ${fmt(res.params)} (truth ${fmt(manifest.parameters.bgnbd)}); GG ${fmt(res.gg)}; ${res.distinct.toLocaleString('en')} distinct triples`,
      },
      { scenario: 'clv', step: 'runClv steps (median s)', seconds: null, result: stepText },
    );
    return rows;
  },
};

export default scenario;

if (process.argv[1] === self && process.argv[2] === 'child') await child(process.argv[3]);
