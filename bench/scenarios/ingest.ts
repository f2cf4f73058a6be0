/**
 * Scenario `ingest`: the demo export at `--customers` buyers (1M ≈ 10M orders, generated once under
 * data/bench/ingest-<N>/export, seed 42) loaded through pipelines/demo into a fresh warehouse. The
 * orders file's full load (stage, validate, quarantine, identity, merge, data tests, one transaction)
 * is timed beside a bare DuckDB `create table … as select * from read_csv(…)` of the same file into the
 * same warehouse file (so both pay for writing the table to disk), in the same process; then the
 * unchanged re-run of that load. Target: full load ≤ 1.5× the bare read.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions, BenchRow, Scenario } from '../run.ts';
import { generateDemo } from '../../src/demo/index.ts';
import { findPipelineFiles, loadPipelineFile, orderByDependencies, runPipeline } from '../../src/ingest/index.ts';
import { Warehouse } from '../../src/warehouse/index.ts';

const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function run({ customers, workDir }: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = join(workDir, `ingest-${customers}`);
  const exportDir = join(dir, 'export');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(exportDir, 'manifest.json'))) {
    const t = performance.now();
    await generateDemo({ customers, seed: 42, out: exportDir, exportDate: '2026-10-31', force: true });
    rows.push({ scenario: 'ingest', step: `setup: generate ${customers.toLocaleString('en')} customers`, seconds: (performance.now() - t) / 1000 });
  }
  const db = join(dir, 'crm.duckdb');
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  const env = { ...process.env, CRM_DEMO_DIR: exportDir };
  const items = orderByDependencies(findPipelineFiles('pipelines/demo').map((file) => ({ file, pipeline: loadPipelineFile(file, env) })));
  const wh = await Warehouse.open(db);
  try {
    let total = 0;
    for (const { file, pipeline } of items) {
      if (pipeline.name === 'orders') {
        // A checkpoint before each measured step, so neither pays for writing out what came before.
        await wh.run('checkpoint');
        const t0 = performance.now();
        await wh.run('create table bench_bare as select * from read_csv($f)', { f: join(exportDir, 'shop/orders.csv') });
        const bare = (performance.now() - t0) / 1000;
        const [{ n }] = await wh.all<{ n: number }>('select count(*) as n from bench_bare');
        await wh.run('drop table bench_bare');
        await wh.run('checkpoint');
        rows.push({ scenario: 'ingest', step: 'orders: bare read_csv into a warehouse table', seconds: bare, rows: n, peak_rss_mb: rssMb() });

        const t1 = performance.now();
        const r = await runPipeline(wh, pipeline, { file });
        const full = (performance.now() - t1) / 1000;
        total += full;
        const ratio = full / bare;
        rows.push({
          scenario: 'ingest',
          step: `orders: crm load (${r.status}, ${r.rowsInserted.toLocaleString('en')} in, ${r.rowsQuarantined} quarantined)`,
          seconds: full,
          rows: r.rowsRead,
          target: '≤ 1.5× bare',
          result: `${ratio.toFixed(2)}× ${ratio <= 1.5 ? 'met' : 'missed'}`,
          peak_rss_mb: rssMb(),
        });
        await wh.run('checkpoint');
        const t2 = performance.now();
        const again = await runPipeline(wh, pipeline, { file });
        rows.push({
          scenario: 'ingest',
          step: `orders: re-run (${again.rowsUnchanged.toLocaleString('en')} unchanged, ${again.rowsInserted + again.rowsUpdated} written)`,
          seconds: (performance.now() - t2) / 1000,
          rows: again.rowsRead,
          result: `${((performance.now() - t2) / 1000 / bare).toFixed(2)}× bare`,
        });
        continue;
      }
      const t = performance.now();
      const r = await runPipeline(wh, pipeline, { file });
      total += (performance.now() - t) / 1000;
      if (r.status !== 'succeeded') throw new Error(`${pipeline.name}: ${r.error}`);
      if (r.rowsRead >= 1_000_000) rows.push({ scenario: 'ingest', step: `${pipeline.name}: crm load`, seconds: (performance.now() - t) / 1000, rows: r.rowsRead });
    }
    rows.push({ scenario: 'ingest', step: `all ${items.length} demo pipelines`, seconds: total, peak_rss_mb: rssMb() });
  } finally {
    await wh.close();
  }
  return rows;
}

const scenario: Scenario = { name: 'ingest', description: 'demo pipelines at N customers; orders load vs a bare read_csv', run };
export default scenario;
