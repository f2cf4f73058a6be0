import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../../errors.ts';
import { findPipelineFiles, loadPipelineFile, orderByDependencies, runPipeline, type RunResult } from '../../ingest/index.ts';
import { recoverInterrupted, withWriter } from '../../scheduler/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { formatOf, formatRows } from '../format.ts';
import { intOption } from '../main.ts';
import { progressBar } from '../progress.ts';
import type { RegisterCommands } from './index.ts';
import { printFreshness, printJobRuns } from './jobs.ts';

const formatOption = (cmd: Command) => cmd.option('--format <format>', 'table | csv | json', 'table');

/** Loads pipelines in dependency order with a progress bar; returns the results. */
export async function ingestFiles(wh: Warehouse, files: string[], log: (line: string) => void): Promise<RunResult[]> {
  const items = orderByDependencies(files.map((file) => ({ file, pipeline: loadPipelineFile(file) })));
  const results: RunResult[] = [];
  for (const { file, pipeline } of items) {
    const bar = progressBar(pipeline.name);
    const r = await runPipeline(wh, pipeline, { file, onStep: bar.update });
    bar.done();
    const note = r.status === 'succeeded' ? (r.rowsQuarantined ? ` (${r.rowsQuarantined} quarantined)` : '') : `: ${r.error}`;
    log(`${r.status === 'succeeded' ? 'ok  ' : 'FAIL'} ${pipeline.name} → ${pipeline.entity}, run ${r.runId}, ${r.rowsRead} read${note}`);
    results.push(r);
  }
  return results;
}

/**
 * Loads as the warehouse's single writer (the lock file keeps schedulers and other loads out); first
 * marks loads a crashed process left 'running' as failed, since they committed nothing.
 */
export async function loadAsWriter(wh: Warehouse, label: string, files: string[], log: (line: string) => void): Promise<RunResult[]> {
  return withWriter(wh, label, async () => {
    const recovered = await recoverInterrupted(wh);
    for (const r of recovered.pipelineRuns) log(`run ${r.run_id} of ${r.pipeline} (started ${r.started_at}) was interrupted; marked failed, nothing of it was loaded`);
    return ingestFiles(wh, files, log);
  });
}

export function summaryRows(results: RunResult[]) {
  return results.map((r) => ({
    run: r.runId,
    pipeline: r.pipeline,
    entity: r.entity,
    status: r.status,
    read: r.rowsRead,
    inserted: r.rowsInserted,
    updated: r.rowsUpdated,
    unchanged: r.rowsUnchanged,
    deleted: r.rowsDeleted,
    quarantined: r.rowsQuarantined,
    tests_failed: r.testsFailed,
    seconds: Number((r.durationMs / 1000).toFixed(2)),
  }));
}

export const register: RegisterCommands = (program, ctx, setExit) => {
  program
    .command('ingest')
    .description('load pipeline files into the warehouse (all of pipelines/demo with --all)')
    .argument('[files...]', 'pipeline files (.json/.yaml)')
    .option('--all [dir]', 'every pipeline file under a folder', false)
    .action(async (files: string[], opts: { all: boolean | string }) => {
      const dir = typeof opts.all === 'string' ? opts.all : 'pipelines/demo';
      const list = opts.all ? findPipelineFiles(dir) : files;
      if (!list.length) throw new AppError('VALIDATION', opts.all ? `no pipeline files under ${dir}` : 'name pipeline files, or use --all');
      for (const f of list) if (!existsSync(f)) throw new AppError('NOT_FOUND', `${f}: pipeline file not found`);
      const wh = await ctx.warehouse();
      const results = await loadAsWriter(wh, 'crm ingest', list, ctx.err);
      ctx.out(formatRows(summaryRows(results), 'table'));
      const failed = results.filter((r) => r.status === 'failed');
      for (const r of results.filter((x) => x.testsFailed > 0)) {
        for (const t of r.dataTests.filter((x) => x.failures > 0)) ctx.err(`data test failed: ${r.entity}.${t.column} ${t.test}: ${t.failures} rows (e.g. ${t.sample})`);
      }
      if (failed.length) setExit(1);
    });

  formatOption(
    program
      .command('runs')
      .description('pipeline load history, newest first (--jobs: scheduled job runs and source freshness)')
      .option('--limit <n>', 'how many', intOption(1, 10_000), 20)
      .option('--pipeline <name>', 'only this pipeline')
      .option('--jobs [job]', 'job runs (skipped triggers included) and source freshness instead'),
  ).action(async (opts: { limit: number; pipeline?: string; format: string; jobs?: boolean | string }) => {
    const wh = await ctx.warehouse();
    if (opts.jobs) return printJobRuns(wh, ctx.out, { limit: opts.limit, job: typeof opts.jobs === 'string' ? opts.jobs : undefined, format: formatOf(opts.format) });
    const rows = await wh.all(
      `select run_id as run, pipeline, entity, status, started_at, round(duration_ms / 1000, 2) as seconds,
         rows_read as read, rows_inserted as inserted, rows_updated as updated, rows_deleted as deleted,
         rows_quarantined as quarantined, tests_failed, error
       from pipeline_runs where $pipeline is null or pipeline = $pipeline
       order by run_id desc limit $limit`,
      { pipeline: opts.pipeline ?? null, limit: opts.limit },
    );
    ctx.out(formatRows(rows, formatOf(opts.format)));
    if (formatOf(opts.format) === 'table') await printFreshness(wh, ctx.out);
  });

  formatOption(
    program
      .command('quarantine')
      .description('rows a load rejected: file, row, field, reason and the raw row')
      .option('--run <id>', 'pipeline run id (default: the latest run with quarantined rows)', intOption(1))
      .option('--limit <n>', 'how many', intOption(1, 1_000_000), 100),
  ).action(async (opts: { run?: number; limit: number; format: string }) => {
    const wh = await ctx.warehouse();
    const [latest] = await wh.all<{ run: number | null }>('select max(run_id) as run from quarantine');
    const run = opts.run ?? latest?.run;
    if (run == null) {
      ctx.out('no quarantined rows');
      return;
    }
    const [exists] = await wh.all('select 1 from pipeline_runs where run_id = $run', { run });
    if (!exists) throw new AppError('NOT_FOUND', `no pipeline run ${run} (see: crm runs)`);
    const rows = await wh.all(
      `select run_id as run, pipeline, source_file as file, row_number as row, field, reason, raw_row::varchar as raw
       from quarantine where run_id = $run order by source_file, row_number, field limit $limit`,
      { run, limit: opts.limit },
    );
    ctx.out(formatRows(rows, formatOf(opts.format)));
  });
};
