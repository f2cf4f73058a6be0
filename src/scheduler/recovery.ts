import type { Warehouse } from '../warehouse/index.ts';

export interface Recovered {
  pipelineRuns: { run_id: number; pipeline: string; started_at: string }[];
  jobRuns: { job_run_id: number; job: string; run_date: string; pid: number; host: string; step: string | null }[];
  stepRuns: number;
}

/**
 * Marks the runs a dead process left 'running' as failed/interrupted. A load writes its data in one
 * transaction that commits together with its run row turning 'succeeded', so a run still 'running'
 * after its process died committed nothing: the warehouse holds the previous state, and re-running the
 * load (or the job) completes it.
 *
 * Call it only as the warehouse's single writer — inside `withWriter`, or in a fresh process that
 * holds the writer lock before it starts loading — since any run still 'running' then is an orphan.
 *
 * @example
 * await withWriter(wh, 'crm ingest', async () => { await recoverInterrupted(wh); … });
 */
export async function recoverInterrupted(wh: Warehouse): Promise<Recovered> {
  return wh.transaction(async (tx) => {
    const pipelineRuns = await tx.all<Recovered['pipelineRuns'][number]>(
      "select run_id, pipeline, started_at from pipeline_runs where status = 'running' order by run_id",
    );
    if (pipelineRuns.length) {
      await tx.run(
        `update pipeline_runs set status = 'failed', finished_at = now(),
           duration_ms = cast(epoch_ms(now()) - epoch_ms(started_at) as bigint),
           rows_inserted = 0, rows_updated = 0, rows_deleted = 0, rows_unchanged = 0,
           error = 'interrupted: the process running this load ended before it committed; nothing of it was loaded (the next run loads it again)'
         where status = 'running'`,
      );
    }
    const jobRuns = await tx.all<Recovered['jobRuns'][number]>(
      `select r.job_run_id, r.job, r.run_date, r.pid, r.host,
         (select step from job_step_runs s where s.job_run_id = r.job_run_id and s.status = 'running' order by step_index desc limit 1) as step
       from job_runs r where r.status = 'running' order by r.job_run_id`,
    );
    const stepRuns = await tx.run(
      `update job_step_runs set status = 'interrupted', finished_at = now(),
         duration_ms = cast(epoch_ms(now()) - epoch_ms(started_at) as bigint),
         error = 'interrupted: the scheduler process ended during this step'
       where status = 'running'`,
    );
    for (const r of jobRuns) {
      await tx.run(
        `update job_runs set status = 'interrupted', finished_at = now(),
           duration_ms = cast(epoch_ms(now()) - epoch_ms(started_at) as bigint),
           failed_step = $step,
           error = $error
         where job_run_id = $id`,
        { id: r.job_run_id, step: r.step, error: `interrupted: process ${r.pid} on ${r.host} ended${r.step ? ` during step ${r.step}` : ''} (crash, kill or power loss)` },
      );
    }
    return { pipelineRuns, jobRuns, stepRuns };
  });
}
