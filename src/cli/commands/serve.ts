import { startServer } from '../../server/index.ts';
import { intOption } from '../main.ts';
import type { RegisterCommands } from './index.ts';

/** `crm serve`: the dashboards and API over the configured warehouse, until SIGINT/SIGTERM. */
export const registerServe: RegisterCommands = (program, ctx) => {
  program
    .command('serve')
    .description('serve the dashboards and the panel data API over the warehouse (Ctrl-C stops)')
    .option('--port <n>', 'port to listen on (env PORT)', intOption(0, 65535))
    .option('--host <host>', 'interface to bind (env HOST)')
    .action(async (opts: { port?: number; host?: string }) => {
      const warehouse = await ctx.warehouse();
      const server = await startServer({ warehouse, port: opts.port ?? ctx.config.port, host: opts.host ?? ctx.config.host });
      ctx.out(`crm-analytics serving ${ctx.config.db} at ${server.url} (Ctrl-C stops)`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
    });
};
