import { spawn } from 'node:child_process';
import { z } from 'zod';
import { interpolateEnv } from '../../ingest/index.ts';
import type { StepContext, StepOutcome, StepType } from './types.ts';

const options = z
  .object({
    /** Program and arguments (no shell), e.g. ["rsync", "-a", "sftp:/exports/${RUN_DATE}/", "data/in/${RUN_DATE}/"]. */
    command: z.array(z.string().min(1)).min(1),
    cwd: z.string().optional(),
  })
  .strict();
type Options = z.infer<typeof options>;

/** How long a command may take to exit after SIGTERM before it is killed. */
const KILL_GRACE_MS = 10_000;

/**
 * Runs an external command (fetch files before a load, notify a downstream system). Its output goes
 * to the log line by line; a non-zero exit fails the step; a timeout or shutdown sends SIGTERM, then SIGKILL.
 */
export const execStep: StepType<Options> = {
  description: 'run an external command (no shell); non-zero exit fails the step',
  options,
  run(ctx: StepContext, o: Options): Promise<StepOutcome> {
    const where = `jobs.${ctx.job}.steps.${ctx.step}`;
    const argv = o.command.map((a, i) => interpolateEnv(a, ctx.env, where, ['command', String(i)]) as string);
    const cwd = o.cwd ? (interpolateEnv(o.cwd, ctx.env, where, ['cwd']) as string) : undefined;
    return new Promise((resolve, reject) => {
      // Its own process group: a Ctrl-C or SIGTERM meant for the scheduler must not kill the step it lets finish.
      const child = spawn(argv[0], argv.slice(1), { cwd, env: ctx.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const kill = (sig: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, sig);
        } catch {
          child.kill(sig);
        }
      };
      const tail: string[] = [];
      const lines = (stream: 'stdout' | 'stderr') => {
        let buf = '';
        return (chunk: Buffer) => {
          buf += chunk.toString('utf8');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            ctx.log(stream === 'stderr' ? 'warn' : 'info', 'command output', { stream, line });
            tail.push(line);
            if (tail.length > 5) tail.shift();
          }
        };
      };
      child.stdout.on('data', lines('stdout'));
      child.stderr.on('data', lines('stderr'));
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        kill('SIGTERM');
        killTimer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => {
        ctx.signal.removeEventListener('abort', onAbort);
        reject(new Error(`cannot run ${argv[0]}: ${e.message}`));
      });
      child.on('close', (code, sig) => {
        ctx.signal.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
        if (ctx.signal.aborted) return reject(ctx.signal.reason);
        if (code === 0) return resolve({ status: 'succeeded', summary: `${argv.join(' ')}: exit 0`, detail: { command: argv, exit_code: 0 } });
        reject(new Error(`${argv.join(' ')} ${sig ? `was killed by ${sig}` : `exited with ${code}`}${tail.length ? `: ${tail.join(' | ')}` : ''}`));
      });
    });
  },
};
