import { defaultJobsFile, loadJobsConfig, startScheduler, type SchedulerHandle } from '../../scheduler/index.ts';
import { startServer } from '../../server/index.ts';
import { listUsers } from '../../server/auth/index.ts';
import { intOption } from '../main.ts';
import type { RegisterCommands } from './index.ts';

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** `crm serve`: the dashboards and API over the configured warehouse, until SIGINT/SIGTERM; optionally the scheduler too. */
export const registerServe: RegisterCommands = (program, ctx) => {
  program
    .command('serve')
    .description('serve the dashboards and the panel data API over the warehouse (Ctrl-C stops)')
    .option('--port <n>', 'port to listen on (env PORT)', intOption(0, 65535))
    .option('--host <host>', 'interface to bind (env HOST)')
    .option('--schedule', 'also run the job scheduler in this process (one process serves and loads)')
    .option('--config <file>', 'jobs file for --schedule (env CRM_JOBS, default config/jobs.json)')
    .action(async (opts: { port?: number; host?: string; schedule?: boolean; config?: string }) => {
      // Read the jobs file first: a mistake in it should stop the start, not a night's load.
      const jobs = opts.schedule ? loadJobsConfig(opts.config ?? defaultJobsFile()) : undefined;
      const warehouse = await ctx.warehouse();
      let scheduler: SchedulerHandle | undefined;
      if (jobs) scheduler = await startScheduler({ warehouse, config: jobs, log: ctx.out });
      // Tokens or sessions on every route (src/server/auth); the API's job triggers go through this scheduler.
      const server = await startServer({ warehouse, port: opts.port ?? ctx.config.port, host: opts.host ?? ctx.config.host, auth: 'required', access: { scheduler } });
      ctx.out(`crm-analytics serving ${ctx.config.db} at ${server.url}${scheduler ? ', scheduler running' : ''} (Ctrl-C stops)`);
      if (!(await listUsers(warehouse)).some((u) => u.active_tokens > 0 && !u.disabled_at))
        ctx.err('nobody can sign in yet: stop the server, then crm user add NAME --role admin and crm token create --user NAME (docs/api.md)');
      await untilSignal();
      // Stop taking triggers and let a running step finish before the server goes.
      await scheduler?.stop();
      await server.close();
    });
};
