import { z } from 'zod';
import { interpolateEnv } from '../../ingest/index.ts';
import { models, modelsInOrder } from '../../models/index.ts';
import { PermanentError } from '../retry.ts';
import type { StepContext, StepOutcome, StepType } from './types.ts';

const options = z
  .object({
    /** Models to run (with what they depend on); default: every registered model. */
    models: z.array(z.string().min(1)).min(1).optional(),
    /** Models not to run here, e.g. ["segments"] when a segments step of its own snapshots them. */
    exclude: z.array(z.string().min(1)).default([]),
    /** The as-of date passed to each model. */
    asOf: z.string().default('${RUN_DATE}'),
  })
  .strict();
type Options = z.infer<typeof options>;

interface ModelOutcome {
  model: string;
  run_id: string | number;
  summary: string;
  duration_ms: number;
}

/** Runs the registered models (src/models/index.ts) in dependency order, as of the run date. */
export const modelsStep: StepType<Options> = {
  description: 'run the registered models in dependency order, as of the run date',
  options,
  async run(ctx: StepContext, o: Options): Promise<StepOutcome> {
    const where = `jobs.${ctx.job}.steps.${ctx.step}`;
    const unknown = (o.models ?? []).filter((n) => !models.some((m) => m.name === n));
    if (unknown.length) {
      throw new PermanentError(`${where}: unknown model${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; registered: ${models.map((m) => m.name).join(', ') || '(none)'}`);
    }
    const list = modelsInOrder(o.models).filter((m) => !o.exclude.includes(m.name));
    if (!list.length) return { status: 'skipped', summary: models.length ? 'every registered model is excluded' : 'no models are registered', detail: { models: [] } };
    const asOf = interpolateEnv(o.asOf, ctx.env, where, ['asOf']) as string;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new PermanentError(`${where}: asOf must be a date YYYY-MM-DD (got "${asOf}")`);
    const done = (ctx.state.get('done') as ModelOutcome[] | undefined) ?? [];
    ctx.state.set('done', done);
    for (const m of list) {
      if (done.some((d) => d.model === m.name)) continue;
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const started = Date.now();
      ctx.progress('model', { model: m.name, phase: 'start' });
      const r = await m.run(ctx.wh, { asOf });
      const out = { model: m.name, run_id: r.runId, summary: r.summary, duration_ms: Date.now() - started };
      ctx.log('info', 'model run', { model: m.name, model_run_id: r.runId, as_of: asOf, duration_ms: out.duration_ms, summary: r.summary });
      done.push(out);
    }
    return { status: 'succeeded', summary: done.map((d) => `${d.model}: ${d.summary}`).join('; '), detail: { as_of: asOf, models: done } };
  },
};
