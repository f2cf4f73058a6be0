import { z } from 'zod';
import { parseJobsConfig, registerStepType, type JobsConfig, type StepContext, type StepOutcome } from '../../src/scheduler/index.ts';

/**
 * A step type for tests: `{ "type": "probe", "key": "x" }` runs the behaviour registered under "x".
 * Each call is recorded (key, attempt, signal) so tests can assert what ran, when and how often.
 */
export type Behaviour = (ctx: StepContext) => Promise<StepOutcome | void> | StepOutcome | void;
export const behaviours = new Map<string, Behaviour>();
export const calls: { key: string; attempt: number; at: number; runDate: string; jobRunId: number }[] = [];

registerStepType('probe', {
  description: 'test probe',
  options: z.object({ key: z.string() }).strict(),
  async run(ctx, o) {
    calls.push({ key: o.key, attempt: ctx.attempt, at: Date.now(), runDate: ctx.runDate, jobRunId: ctx.jobRunId });
    const b = behaviours.get(o.key);
    if (!b) throw new Error(`no behaviour "${o.key}"`);
    return (await b(ctx)) ?? { status: 'succeeded', summary: `${o.key} ok` };
  },
});

/** A step that waits until released (or aborted): for overlap and shutdown tests. */
export function gate(key: string): { release: () => void; started: Promise<void> } {
  let release!: () => void;
  let markStarted!: () => void;
  const started = new Promise<void>((r) => (markStarted = r));
  const released = new Promise<void>((r) => (release = r));
  behaviours.set(key, async (ctx) => {
    markStarted();
    await new Promise<void>((resolve, reject) => {
      void released.then(resolve);
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
    });
  });
  return { release, started };
}

/** A config of jobs made of probe steps; other keys as in the jobs file. */
export function probeConfig(jobs: Record<string, { cron?: string; timezone?: string; steps: (string | Record<string, unknown>)[]; [k: string]: unknown }>, extra: Record<string, unknown> = {}): JobsConfig {
  return parseJobsConfig(
    {
      defaults: { retries: 0, timeout: '1m' },
      ...extra,
      jobs: Object.fromEntries(
        Object.entries(jobs).map(([name, { steps, cron, ...rest }]) => [
          name,
          { cron: cron ?? '0 2 * * *', ...rest, steps: steps.map((s) => (typeof s === 'string' ? { name: s, type: 'probe', key: s } : { type: 'probe', ...s })) },
        ]),
      ),
    },
    'test-jobs.json',
  );
}
