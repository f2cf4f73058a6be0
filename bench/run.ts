/**
 * `npm run bench [-- SCENARIO... ] [--customers N]`: runs the benchmark scenarios in
 * bench/scenarios/*.ts and prints one table. Each scenario exports
 * `default { name, description, run(opts) }` and returns rows of measurements.
 * Numbers go to BENCHMARKS.md by hand, with the machine and the date.
 */
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../src/cli/format.ts';

export interface BenchOptions {
  customers: number;
  /** Scratch folder for generated data and warehouses. */
  workDir: string;
}
export interface BenchRow {
  scenario: string;
  step: string;
  seconds: number | null;
  rows?: number | null;
  target?: string;
  result?: string;
  peak_rss_mb?: number | null;
}
export interface Scenario {
  name: string;
  description: string;
  run(opts: BenchOptions): Promise<BenchRow[]>;
}

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const customersFlag = args.indexOf('--customers');
const customers = customersFlag >= 0 ? Number(args[customersFlag + 1]) : 1_000_000;
const wanted = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--customers');

const files = readdirSync(join(here, 'scenarios')).filter((f) => f.endsWith('.ts')).sort();
const scenarios: Scenario[] = [];
for (const f of files) scenarios.push((await import(join(here, 'scenarios', f))).default as Scenario);
const selected = wanted.length ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios;
if (!selected.length) {
  console.error(`unknown scenario; available: ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

console.log(`crm-analytics bench — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${customers.toLocaleString('en')} customers`);
const rows: BenchRow[] = [];
for (const s of selected) {
  console.error(`running ${s.name}: ${s.description}`);
  rows.push(...(await s.run({ customers, workDir: join(here, '..', 'data', 'bench') })));
}
console.log(formatTable(rows.map((r) => ({ scenario: r.scenario, step: r.step, seconds: r.seconds === null ? null : Number(r.seconds.toFixed(2)), rows: r.rows ?? null, peak_rss_mb: r.peak_rss_mb ?? null, target: r.target ?? '', result: r.result ?? '' }))));
