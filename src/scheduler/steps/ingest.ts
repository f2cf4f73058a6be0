import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { findPipelineFiles, interpolateEnv, loadPipelineFile, orderByDependencies, runPipeline, type Pipeline, type RunResult } from '../../ingest/index.ts';
import { PermanentError, StepAborted } from '../retry.ts';
import type { StepContext, StepOutcome, StepType } from './types.ts';

const options = z
  .object({
    /** Pipeline files or folders of them (searched recursively); ${RUN_DATE} & co. allowed. Loaded in dependency order. */
    pipelines: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** Fail the step when a load's data tests fail (by default they are logged as warnings). */
    failOnTestFailures: z.boolean().default(false),
    /**
     * By default every load runs (each all-or-nothing) and the step fails at the end if any failed, so one
     * broken source does not leave the others stale; the next steps (models…) then do not run. True: stop at the first failure.
     */
    stopOnFirstFailure: z.boolean().default(false),
  })
  .strict();
type Options = z.infer<typeof options>;

/** Pipeline files a step names, with ${VAR}s replaced by the run's environment. */
export function resolvePipelineFiles(pipelines: string | string[], env: Record<string, string | undefined>, where: string): string[] {
  const paths = (Array.isArray(pipelines) ? pipelines : [pipelines]).map((p, i) => interpolateEnv(p, env, where, ['pipelines', String(i)]) as string);
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new PermanentError(`${where}: pipelines: ${p} does not exist`);
    if (statSync(p).isDirectory()) {
      const found = findPipelineFiles(p);
      if (!found.length) throw new PermanentError(`${where}: pipelines: no pipeline files under ${p}`);
      files.push(...found);
    } else files.push(p);
  }
  return [...new Set(files)];
}

export interface PipelineOutcome {
  pipeline: string;
  file: string;
  run_id: number;
  status: RunResult['status'];
  rows_read: number;
  rows_inserted: number;
  rows_updated: number;
  rows_deleted: number;
  rows_quarantined: number;
  tests_failed: number;
  duration_ms: number;
  attempt: number;
  error?: string;
}

/**
 * Loads pipeline files in dependency order, each in its own transaction (runPipeline). A failed load
 * fails the step once the others have run (or at once with stopOnFirstFailure); a retry runs only the
 * loads that have not succeeded in this job run. A load rejected for too many bad rows is not retried.
 */
export const ingestStep: StepType<Options> = {
  description: 'load pipeline files (ingest) in dependency order',
  options,
  async run(ctx: StepContext, o: Options): Promise<StepOutcome> {
    const where = `jobs.${ctx.job}.steps.${ctx.step}`;
    const files = resolvePipelineFiles(o.pipelines, ctx.env, where);
    let items: { file: string; pipeline: Pipeline }[];
    try {
      items = orderByDependencies(files.map((file) => ({ file, pipeline: loadPipelineFile(file, ctx.env as NodeJS.ProcessEnv) })));
    } catch (e) {
      throw new PermanentError((e as Error).message);
    }
    const done = (ctx.state.get('done') as PipelineOutcome[] | undefined) ?? [];
    ctx.state.set('done', done);
    const outcomes: PipelineOutcome[] = [...done];
    const failed: { out: PipelineOutcome; permanent: boolean; why: string }[] = [];
    for (const { file, pipeline } of items) {
      if (done.some((d) => d.file === file)) continue;
      if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new StepAborted('aborted', 'shutdown');
      ctx.progress('pipeline', { pipeline: pipeline.name, phase: 'start' });
      const r = await runPipeline(ctx.wh, pipeline, {
        file,
        onStep: (phase) => {
          // A cancellation point between phases: throwing here makes runPipeline roll back and record the run failed.
          if (ctx.signal.aborted) throw ctx.signal.reason;
          ctx.progress('pipeline', { pipeline: pipeline.name, phase });
        },
      });
      const out: PipelineOutcome = {
        pipeline: r.pipeline,
        file,
        run_id: r.runId,
        status: r.status,
        rows_read: r.rowsRead,
        rows_inserted: r.rowsInserted,
        rows_updated: r.rowsUpdated,
        rows_deleted: r.rowsDeleted,
        rows_quarantined: r.rowsQuarantined,
        tests_failed: r.testsFailed,
        duration_ms: r.durationMs,
        attempt: ctx.attempt,
        ...(r.error ? { error: r.error } : {}),
      };
      outcomes.push(out);
      ctx.progress('pipeline', { pipeline: pipeline.name, phase: 'done', status: r.status, run_id: r.runId });
      const { pipeline: _p, file: _f, run_id, status: _s, attempt: _a, ...counts } = out;
      ctx.log(r.status === 'succeeded' ? 'info' : 'error', `load ${r.status}`, { pipeline: r.pipeline, pipeline_run_id: run_id, ...counts });
      if (r.status !== 'succeeded') {
        if (ctx.signal.aborted && ctx.signal.reason instanceof Error) throw Object.assign(ctx.signal.reason, { detail: { pipelines: outcomes } });
        // Too many rejected rows: the same files give the same answer, so a retry cannot help.
        const permanent = r.rowsRead > 0 && r.rowsQuarantined / r.rowsRead > pipeline.maxQuarantineRatio;
        failed.push({ out, permanent, why: r.error ?? 'failed' });
        if (o.stopOnFirstFailure) break;
        continue;
      }
      for (const t of r.dataTests.filter((x) => x.failures > 0)) {
        ctx.log('warn', 'data test failed', { pipeline: r.pipeline, pipeline_run_id: r.runId, test: `${r.entity}.${t.column} ${t.test}`, failures: t.failures });
      }
      done.push(out);
      if (o.failOnTestFailures && r.testsFailed > 0) failed.push({ out, permanent: true, why: `${r.testsFailed} data tests failed (failOnTestFailures is set)` });
    }
    if (failed.length) {
      const line = (f: (typeof failed)[number]) => `pipeline ${f.out.pipeline} (run ${f.out.run_id}): ${f.why}`;
      const message =
        failed.length === 1
          ? line(failed[0])
          : `${failed.length} loads failed: ${failed.map((f) => line({ ...f, why: f.why.split('\n')[0].replace(/\s*First problems:$/, '') })).join('; ')}`;
      const E = failed.every((f) => f.permanent) ? PermanentError : Error;
      throw Object.assign(new E(message), { detail: { pipelines: outcomes } });
    }
    const sum = (k: keyof PipelineOutcome) => outcomes.reduce((a, x) => a + (x[k] as number), 0);
    return {
      status: 'succeeded',
      summary: `${outcomes.length} load${outcomes.length === 1 ? '' : 's'}: ${sum('rows_read').toLocaleString('en-US')} rows read, ${sum('rows_inserted').toLocaleString('en-US')} inserted, ${sum('rows_updated').toLocaleString('en-US')} updated, ${sum('rows_deleted').toLocaleString('en-US')} deleted, ${sum('rows_quarantined').toLocaleString('en-US')} quarantined`,
      detail: { pipelines: outcomes },
    };
  },
};
