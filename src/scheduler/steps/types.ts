import type { z } from 'zod';
import type { Warehouse } from '../../warehouse/index.ts';
import type { Logger } from '../log.ts';

/** What a step gets for one attempt. */
export interface StepContext {
  /** The warehouse; queries it runs are interrupted (rolled back) when the attempt times out or is aborted. */
  wh: Warehouse;
  job: string;
  step: string;
  jobRunId: number;
  /** The run's logical date, YYYY-MM-DD (also ${RUN_DATE} in env). */
  runDate: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** For ${VAR} interpolation and child processes: the process env, the job's and step's env, RUN_DATE & co. */
  env: Record<string, string | undefined>;
  /** Aborted when the attempt times out or a shutdown's grace period ends. */
  signal: AbortSignal;
  /** Survives the retries of this step within one job run (e.g. the pipelines already loaded). */
  state: Map<string, unknown>;
  log: Logger;
  /** Progress for callers (CLI, tests): e.g. progress('pipeline', { pipeline: 'orders', phase: 'merge' }). */
  progress: (event: string, fields?: Record<string, unknown>) => void;
}

export interface StepOutcome {
  /** skipped: nothing to do, or the feature is not installed and the step is optional. */
  status: 'succeeded' | 'skipped';
  /** One line for logs and `crm runs --jobs`. */
  summary: string;
  /** JSON kept in job_step_runs.detail (pipeline run ids, row counts, model runs, files written). */
  detail?: unknown;
}

/** A kind of step. Failing = throwing; a PermanentError is not retried. */
export interface StepType<O = Record<string, unknown>> {
  description: string;
  /** The step's own keys in the jobs file (besides name, type, optional, retries, backoff, timeout, env). */
  options: z.ZodType<O>;
  run(ctx: StepContext, options: O): Promise<StepOutcome>;
}

/** Thrown when a step's feature is not part of this installation; an optional step is then skipped. */
export class StepUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepUnavailable';
  }
}
