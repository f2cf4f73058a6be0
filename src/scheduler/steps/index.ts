import { execStep } from './exec.ts';
import { ingestStep } from './ingest.ts';
import { modelsStep } from './models.ts';
import { dashboardsStep, exportsStep, segmentsStep } from './publish.ts';
import type { StepType } from './types.ts';

export { StepUnavailable, type StepContext, type StepOutcome, type StepType } from './types.ts';
export { resolvePipelineFiles, type PipelineOutcome } from './ingest.ts';

/** Step types by name; a jobs file's `type` must be one of these. */
export const stepTypes = new Map<string, StepType<never>>();

/**
 * Adds a step type (before the jobs file is parsed). Built in: ingest, models, segments, exports,
 * dashboards, exec.
 *
 * @example
 * registerStepType('vacuum', { description: 'checkpoint the warehouse', options: z.object({}).strict(),
 *   run: async (ctx) => { await ctx.wh.run('checkpoint'); return { status: 'succeeded', summary: 'checkpointed' }; } });
 */
export function registerStepType<O>(name: string, type: StepType<O>): void {
  stepTypes.set(name, type as unknown as StepType<never>);
}

registerStepType('ingest', ingestStep);
registerStepType('models', modelsStep);
registerStepType('segments', segmentsStep);
registerStepType('exports', exportsStep);
registerStepType('dashboards', dashboardsStep);
registerStepType('exec', execStep);
