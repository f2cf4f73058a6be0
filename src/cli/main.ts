import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { AppError } from '../errors.ts';
import { commands } from './commands/index.ts';
import { createContext } from './context.ts';

/** Exit codes: 0 ok, 1 failure, 2 bad input, 3 conflict (e.g. warehouse in use). */
export function exitCodeFor(e: unknown): number {
  if (e instanceof AppError) return e.code === 'VALIDATION' || e.code === 'NOT_FOUND' ? 2 : e.code === 'CONFLICT' ? 3 : 1;
  return 1;
}

/** Parses a flag as an integer within bounds, for commander option parsers. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

export async function main(argv: string[]): Promise<number> {
  const ctx = createContext();
  const program = new Command('crm')
    .description('crm-analytics: customer warehouse, models, segments and dashboards')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let code = 0;
  for (const register of commands) register(program, ctx, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    ctx.err(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (!(e instanceof AppError) && process.env.CRM_DEBUG) ctx.err(String((e as Error).stack));
    return exitCodeFor(e);
  } finally {
    await ctx.close().catch(() => undefined);
  }
}
