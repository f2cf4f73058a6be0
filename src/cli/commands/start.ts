import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDemoOptions, generateDemo } from '../../demo/index.ts';
import { findPipelineFiles } from '../../ingest/index.ts';
import { runModels } from '../../models/index.ts';
import { startServer } from '../../server/index.ts';
import { formatRows } from '../format.ts';
import { intOption } from '../main.ts';
import type { RegisterCommands } from './index.ts';
import { loadAsWriter, summaryRows } from './ingest.ts';
import { untilSignal } from './serve.ts';

/**
 * `crm start` (what `npm start` runs): the whole demo on a fresh machine — generate the demo export
 * when there is none, load it, run the models, serve the dashboards. Re-running reloads the same
 * export (loads are idempotent merges) and re-runs the models.
 */
export const register: RegisterCommands = (program, ctx, setExit) => {
  program
    .command('start')
    .description('the demo end to end: generate the demo export if missing, load it, run the models, serve the dashboards')
    .option('--pipelines <dir>', 'pipeline folder to load', 'pipelines/demo')
    .option('--customers <n>', 'customers to generate when there is no export yet', intOption(100, 1_000_000), defaultDemoOptions.customers)
    .option('--port <n>', 'port to listen on (env PORT)', intOption(0, 65535))
    .option('--host <host>', 'interface to bind (env HOST)')
    .option('--no-serve', 'stop after the models (no server)')
    .action(async (opts: { pipelines: string; customers: number; port?: number; host?: string; serve: boolean }) => {
      const demoDir = ctx.config.demoDir;
      if (!existsSync(join(demoDir, 'manifest.json'))) {
        ctx.err(`1/3 generating the demo export (${opts.customers} customers, seed ${defaultDemoOptions.seed}) into ${demoDir}`);
        await generateDemo({ ...defaultDemoOptions, customers: opts.customers, out: demoDir, force: true });
      } else ctx.err(`1/3 using the demo export in ${demoDir} (delete it or run crm generate --force for a new one)`);

      ctx.err(`2/3 loading ${opts.pipelines} into ${ctx.config.db}`);
      const wh = await ctx.warehouse();
      const loads = await loadAsWriter(wh, 'crm start', findPipelineFiles(opts.pipelines), ctx.err);
      ctx.out(formatRows(summaryRows(loads), 'table'));

      ctx.err('3/3 running the models');
      const models = await runModels(wh, { onResult: (r) => ctx.err(`${r.status === 'succeeded' ? '✓' : '✗'} ${r.model}: ${r.summary}`) });
      ctx.out(formatRows(models, 'table', ['model', 'status', 'run_id', 'seconds']));
      const failures = loads.filter((r) => r.status === 'failed').length + models.filter((m) => m.status !== 'succeeded').length;
      if (failures) ctx.err(`${failures} loads or models did not succeed (see above); the dashboards show what did`);
      if (!opts.serve) {
        if (failures) setExit(1);
        return;
      }

      // The demo runs open (admin for everyone), which startServer allows on a loopback address only.
      const server = await startServer({ warehouse: wh, port: opts.port ?? ctx.config.port, host: opts.host ?? ctx.config.host, auth: 'open' });
      ctx.out(`crm-analytics demo: dashboards at ${server.url}/ (warehouse ${ctx.config.db}; Ctrl-C stops)`);
      ctx.err('open demo: no login, reachable from this machine only; `crm serve` requires tokens (see docs/api.md)');
      await untilSignal();
      await server.close();
    });
};
