/** /models, /pipelines, /jobs: model runs and their parameters, pipeline runs, job runs and manual triggers. */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { models, modelsInOrder, runModels } from '../../models/index.ts';
import { defaultJobsFile, jobRunRows, loadJobsConfig, runJob, stepRunRows, withWriter, type JobsConfig, type SchedulerHandle } from '../../scheduler/index.ts';
import { route, table } from './route.ts';
import { idParam, intQuery, isoDate, nameParam, slug, text } from './schemas.ts';

export interface OpsOptions {
  /** The scheduler running in this process (`crm serve --schedule`): triggers go through it. */
  scheduler?: SchedulerHandle;
  /** Jobs file for triggers without a scheduler (default config/jobs.json or CRM_JOBS). */
  jobsFile?: string;
}

const jsonColumns = ['inputs', 'parameters', 'std_errors', 'diagnostics', 'warnings'] as const;
const parseJson = (row: Record<string, unknown>) => {
  const out = { ...row };
  for (const k of jsonColumns) if (typeof out[k] === 'string') out[k] = JSON.parse(out[k] as string);
  return out;
};

export function opsRoutes(o: OpsOptions) {
  const jobsConfig = (): JobsConfig => {
    const file = o.jobsFile ?? defaultJobsFile();
    if (!existsSync(file)) throw new AppError('NOT_FOUND', `no jobs file (${file}); see docs/scheduler.md`);
    return loadJobsConfig(file);
  };

  return [
    route({
      method: 'get',
      path: '/models',
      permission: 'models:read',
      tag: 'models',
      summary: 'The models `crm models run` runs, in dependency order',
      async handler() {
        return { models: modelsInOrder().map((m) => ({ name: m.name, description: m.description, dependsOn: m.dependsOn ?? [] })) };
      },
    }),
    route({
      method: 'get',
      path: '/models/runs',
      permission: 'models:read',
      tag: 'models',
      summary: 'Model runs, newest first',
      query: z.object({ model: slug.optional(), status: text(40).optional(), limit: intQuery(1, 1000, 20) }).strict(),
      tabular: true,
      async handler({ wh, query }) {
        const rows = await wh.all(
          `select run_id, model, status, as_of_date, time_unit, n_customers, converged, round(log_likelihood, 3) as log_likelihood,
                  started_at, finished_at, duration_ms, coalesce(error, summary) as summary
           from model_runs where ($model is null or model = $model) and ($status is null or status = $status) order by run_id desc limit $limit`,
          { model: query.model ?? null, status: query.status ?? null, limit: query.limit },
        );
        return table(rows);
      },
    }),
    route({
      method: 'get',
      path: '/models/runs/:id',
      permission: 'models:read',
      tag: 'models',
      summary: 'One model run: inputs, fitted parameters, standard errors, diagnostics and validation, warnings',
      params: idParam('id'),
      async handler({ wh, params }) {
        const [row] = await wh.all(
          `select run_id, model, status, as_of_date, data_start, data_end, holdout_end, time_unit, n_customers, converged, log_likelihood,
                  cast(inputs as varchar) as inputs, cast(parameters as varchar) as parameters, cast(std_errors as varchar) as std_errors,
                  cast(diagnostics as varchar) as diagnostics, cast(warnings as varchar) as warnings, summary, error, started_at, finished_at, duration_ms
           from model_runs where run_id = $id`,
          { id: params.id },
        );
        if (!row) throw new AppError('NOT_FOUND', `no model run ${params.id}`);
        return parseJson(row);
      },
    }),
    route({
      method: 'post',
      path: '/models/run',
      permission: 'models:run',
      tag: 'models',
      summary: 'Run models now (in dependency order) and wait for them',
      body: z.object({ models: z.array(slug).max(20).optional(), asOf: isoDate.optional() }).strict(),
      writes: true,
      async handler({ wh, body, audit }) {
        const unknown = (body.models ?? []).filter((n) => !models.some((m) => m.name === n));
        if (unknown.length) throw new AppError('VALIDATION', `unknown model ${unknown.join(', ')}; models: ${models.map((m) => m.name).join(', ')}`, { field: 'models' });
        // As the single writer: waits for a running load or job of this process instead of writing beside it.
        const rows = await withWriter(wh, 'api: models run', () => runModels(wh, { names: body.models, asOf: body.asOf }));
        await audit({ action: 'models.run', target: (body.models ?? ['all']).join(','), details: { asOf: body.asOf ?? null, results: rows.map((r) => ({ model: r.model, status: r.status, runId: r.run_id })) } });
        return { results: rows };
      },
    }),
    route({
      method: 'get',
      path: '/pipelines/runs',
      permission: 'pipelines:read',
      tag: 'pipelines',
      summary: 'Pipeline (load) runs, newest first',
      query: z.object({ pipeline: text(200).optional(), status: text(40).optional(), limit: intQuery(1, 1000, 20) }).strict(),
      tabular: true,
      async handler({ wh, query }) {
        const rows = await wh.all(
          `select run_id, pipeline, entity, status, started_at, finished_at, duration_ms, rows_read, rows_inserted, rows_updated, rows_quarantined, error
           from pipeline_runs where ($pipeline is null or pipeline = $pipeline) and ($status is null or status = $status) order by run_id desc limit $limit`,
          { pipeline: query.pipeline ?? null, status: query.status ?? null, limit: query.limit },
        );
        return table(rows);
      },
    }),
    route({
      method: 'get',
      path: '/jobs',
      permission: 'jobs:read',
      tag: 'jobs',
      summary: 'The configured jobs: schedule, steps, whether enabled',
      async handler() {
        const c = jobsConfig();
        return { jobs: [...c.jobs.entries()].map(([name, j]) => ({ ...j, name })) };
      },
    }),
    route({
      method: 'get',
      path: '/jobs/runs',
      permission: 'jobs:read',
      tag: 'jobs',
      summary: 'Job runs (skipped triggers included), newest first',
      query: z.object({ job: text(200).optional(), status: text(40).optional(), limit: intQuery(1, 1000, 20) }).strict(),
      tabular: true,
      async handler({ wh, query }) {
        return table(await jobRunRows(wh, query));
      },
    }),
    route({
      method: 'get',
      path: '/jobs/runs/:id',
      permission: 'jobs:read',
      tag: 'jobs',
      summary: 'One job run with its steps',
      params: idParam('id'),
      async handler({ wh, params }) {
        const [run] = await wh.all('select * from job_runs where job_run_id = $id', { id: params.id });
        if (!run) throw new AppError('NOT_FOUND', `no job run ${params.id}`);
        return { run, steps: await stepRunRows(wh, params.id as number) };
      },
    }),
    route({
      method: 'post',
      path: '/jobs/:name/trigger',
      permission: 'jobs:trigger',
      tag: 'jobs',
      summary: 'Run a job now (manual trigger); answers 202 with the job run id once it has started',
      params: nameParam('name'),
      body: z.object({ runDate: isoDate.optional() }).strict(),
      status: 202,
      writes: true,
      async handler({ wh, params, body, audit }) {
        const name = params.name as string;
        let started: (id: number) => void = () => undefined;
        const startedId = new Promise<number>((resolve) => (started = resolve));
        const onProgress = (e: { jobRunId: number }) => started(e.jobRunId);
        const done = o.scheduler
          ? o.scheduler.runNow(name, { runDate: body.runDate, onProgress })
          : (() => {
              const config = jobsConfig();
              if (!config.jobs.has(name)) throw new AppError('NOT_FOUND', `no job "${name}"; jobs: ${[...config.jobs.keys()].join(', ')}`);
              return runJob(wh, config, name, { trigger: 'manual', runDate: body.runDate, onStart: started, onProgress });
            })();
        // Failures after the start are recorded in the run; the client follows /jobs/runs/{id}.
        done.catch(() => undefined);
        const first = await Promise.race([startedId.then((id) => ({ jobRunId: id, status: 'running' as string })), done.then((r) => ({ jobRunId: r.jobRunId, status: r.status as string }))]);
        await audit({ action: 'job.trigger', target: name, details: { ...first, runDate: body.runDate ?? null } });
        return { job: name, ...first, follow: `/api/v1/jobs/runs/${first.jobRunId}` };
      },
    }),
  ];
}
