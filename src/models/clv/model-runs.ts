/**
 * The `model_runs` / `model_fits` log shared by the clv, churn and retention models: a run is
 * recorded as `running` before any work, then finished with its status, parameters and diagnostics —
 * a failed or non-converged run is recorded too, never silently dropped.
 */
import type { Queryable, Warehouse } from '../../warehouse/index.ts';
import type { FitResult } from './numeric/fit.ts';

export type ModelName = 'clv' | 'churn' | 'retention';
export type RunStatus = 'running' | 'succeeded' | 'not_converged' | 'failed';

export interface ModelRunsTable {
  run_id: number;
  model: ModelName;
  status: RunStatus;
  as_of_date: string | null;
  data_start: string | null;
  data_end: string | null;
  holdout_end: string | null;
  time_unit: string | null;
  n_customers: number | null;
  converged: boolean | null;
  log_likelihood: number | null;
  inputs: string | null;
  parameters: string | null;
  std_errors: string | null;
  diagnostics: string | null;
  warnings: string | null;
  summary: string | null;
  error: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface ModelFitsTable {
  run_id: number;
  submodel: string;
  group_key: string;
  n_observations: number;
  n_distinct: number | null;
  log_likelihood: number | null;
  converged: boolean;
  iterations: number | null;
  evaluations: number | null;
  gradient_norm: number | null;
  message: string | null;
  parameters: string | null;
  std_errors: string | null;
  derived: string | null;
}

/** Records a new run as `running` and returns its id. */
export async function startModelRun(wh: Queryable, model: ModelName, inputs: unknown): Promise<number> {
  const [row] = await wh.all<{ run_id: number }>(
    `insert into model_runs (run_id, model, status, inputs, started_at)
     values (nextval('model_run_id_seq'), $model, 'running', cast($inputs as json), now())
     returning run_id`,
    { model, inputs: JSON.stringify(inputs ?? {}) },
  );
  return row.run_id;
}

export interface RunOutcome {
  status: Exclude<RunStatus, 'running'>;
  asOfDate?: string | null;
  dataStart?: string | null;
  dataEnd?: string | null;
  holdoutEnd?: string | null;
  timeUnit?: string | null;
  nCustomers?: number | null;
  converged?: boolean | null;
  logLikelihood?: number | null;
  parameters?: unknown;
  stdErrors?: unknown;
  diagnostics?: unknown;
  warnings?: string[];
  summary?: string | null;
  error?: string | null;
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x)));
/**
 * A double for a DOUBLE column, bound as text and cast in SQL: node-api infers the bind type from the
 * JS value, and a huge integral double (e.g. 4e290) would be bound as BIGINT and fail.
 */
const finite = (v: number | null | undefined) => (v === undefined || v === null || !Number.isFinite(v) ? null : String(v));

/** Finishes a run with what it produced. */
export async function finishModelRun(wh: Queryable, runId: number, o: RunOutcome): Promise<void> {
  await wh.run(
    `update model_runs set
       status = $status, as_of_date = cast($as_of as date), data_start = cast($data_start as date), data_end = cast($data_end as date),
       holdout_end = cast($holdout_end as date), time_unit = $time_unit, n_customers = $n_customers, converged = $converged,
       log_likelihood = cast($ll as double), parameters = cast($parameters as json), std_errors = cast($std_errors as json),
       diagnostics = cast($diagnostics as json), warnings = cast($warnings as json), summary = $summary, error = $error,
       finished_at = now(), duration_ms = cast(date_diff('millisecond', started_at, now()) as bigint)
     where run_id = $run_id`,
    {
      run_id: runId,
      status: o.status,
      as_of: o.asOfDate ?? null,
      data_start: o.dataStart ?? null,
      data_end: o.dataEnd ?? null,
      holdout_end: o.holdoutEnd ?? null,
      time_unit: o.timeUnit ?? null,
      n_customers: o.nCustomers ?? null,
      converged: o.converged ?? null,
      ll: finite(o.logLikelihood),
      parameters: json(o.parameters),
      std_errors: json(o.stdErrors),
      diagnostics: json(o.diagnostics),
      warnings: json(o.warnings ?? []),
      summary: o.summary ?? null,
      error: o.error ?? null,
    },
  );
}

/** Records one fitted sub-model of a run. */
export async function recordFit(wh: Queryable, runId: number, submodel: string, groupKey: string, fit: FitResult, derived?: Record<string, unknown>): Promise<void> {
  await wh.run(
    `insert into model_fits values ($run_id, $submodel, $group_key, $n, $n_distinct, cast($ll as double), $converged, $iterations, $evaluations,
       cast($gradient_norm as double), $message, cast($parameters as json), cast($std_errors as json), cast($derived as json))`,
    {
      run_id: runId,
      submodel,
      group_key: groupKey,
      n: fit.nObservations,
      n_distinct: fit.nDistinct,
      ll: finite(fit.logLikelihood),
      converged: fit.converged,
      iterations: fit.iterations,
      evaluations: fit.evaluations,
      gradient_norm: finite(fit.gradientNorm),
      message: fit.message,
      parameters: json(fit.params),
      std_errors: json(fit.stdErrors),
      derived: json(derived ?? null),
    },
  );
}

/** The latest run of a model, or of any model; null when there is none. */
export async function latestModelRun(wh: Warehouse | Queryable, model?: ModelName, status?: RunStatus): Promise<ModelRunsTable | null> {
  const rows = await wh.all<ModelRunsTable>(
    `select * from model_runs where ($model is null or model = $model) and ($status is null or status = $status) order by run_id desc limit 1`,
    { model: model ?? null, status: status ?? null },
  );
  return rows[0] ?? null;
}
