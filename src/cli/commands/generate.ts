import { InvalidArgumentError } from 'commander';
import { defaultDemoOptions, generateDemo, MAX_CUSTOMERS } from '../../demo/index.ts';
import { AppError } from '../../errors.ts';
import { formatRows, type OutputFormat } from '../format.ts';
import { intOption } from '../main.ts';
import type { RegisterCommands } from './index.ts';

function dayOption(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v) {
    throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  }
  return v;
}

/** `crm generate`: writes the deterministic demo export (CRM, web shop, help desk, billing) and its manifest. */
export const register: RegisterCommands = (program, ctx) => {
  program
    .command('generate')
    .description('generate a deterministic demo export: CRM, web-shop, help-desk and billing files plus manifest.json')
    .option('--customers <n>', `buyers (web-shop customers) to generate, 100 to ${MAX_CUSTOMERS.toLocaleString('en')}`, intOption(100, MAX_CUSTOMERS), defaultDemoOptions.customers)
    .option('--seed <n>', 'random seed: the same seed gives byte-identical files', intOption(0, 0xffffffff), defaultDemoOptions.seed)
    .option('--out <dir>', 'output folder (default: $CRM_DEMO_DIR or data/demo-export)')
    .option('--export-date <date>', 'day of the export; history ends at its 00:00 UTC', dayOption, defaultDemoOptions.exportDate)
    .option('--force', 'replace an existing export in the output folder', false)
    .option('--format <format>', 'summary format: table | csv | json', 'table')
    .action(async (opts: { customers: number; seed: number; out?: string; exportDate: string; force: boolean; format: string }) => {
      if (!['table', 'csv', 'json'].includes(opts.format)) throw new AppError('VALIDATION', `--format must be table, csv or json (got "${opts.format}")`);
      const out = opts.out ?? ctx.config.demoDir;
      const tty = process.stderr.isTTY === true;
      const started = Date.now();
      let shown = -1;
      const manifest = await generateDemo({
        customers: opts.customers,
        seed: opts.seed,
        out,
        exportDate: opts.exportDate,
        force: opts.force,
        onProgress: (done, total) => {
          const pct = Math.floor((done / total) * 100);
          if (!tty || pct === shown) return;
          shown = pct;
          process.stderr.write(`\r\x1b[Kgenerating people [${'#'.repeat(Math.floor(pct / 5))}${'.'.repeat(20 - Math.floor(pct / 5))}] ${pct}% ${((Date.now() - started) / 1000).toFixed(1)}s`);
        },
      });
      if (tty) process.stderr.write('\r\x1b[K');
      const rows = Object.entries(manifest.files).map(([file, f]) => ({
        file,
        system: f.system,
        entity: f.entity,
        rows: f.rows,
        bad_rows: f.badRows,
        mb: Number((f.bytes / 1e6).toFixed(2)),
        pipeline: f.pipeline,
      }));
      ctx.out(formatRows(rows, opts.format as OutputFormat));
      const c = manifest.counts;
      ctx.err(
        `generated ${c.buyers.toLocaleString('en')} customers (+${c.leads.toLocaleString('en')} prospects), ${c.orders.toLocaleString('en')} orders, ${c.deals.toLocaleString('en')} deals, ${c.badRows} deliberately bad rows ` +
          `(seed ${manifest.seed}, export date ${manifest.exportDate}) into ${out} in ${((Date.now() - started) / 1000).toFixed(1)}s; parameters and bad rows: ${out}/manifest.json`,
      );
    });
};
