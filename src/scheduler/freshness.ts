import { AppError } from '../errors.ts';
import { loadPipelineFile } from '../ingest/index.ts';
import { entityNames, fieldSpecs, quoteIdent, type EntityName, type Warehouse } from '../warehouse/index.ts';
import { formatDuration, type FreshnessRule, type JobsConfig } from './config.ts';
import type { Logger } from './log.ts';
import type { Notifier } from './notify.ts';
import { runVariables } from './run-date.ts';
import { resolvePipelineFiles } from './steps/index.ts';

export type FreshnessStatus = 'ok' | 'warn' | 'error';

/** dbt's rule: older than errorAfter → error, older than warnAfter → warn; never loaded → error. */
export function freshnessStatus(ageMs: number | null, warnAfterMs: number, errorAfterMs: number): FreshnessStatus {
  if (ageMs === null) return 'error';
  if (ageMs > errorAfterMs) return 'error';
  if (ageMs > warnAfterMs) return 'warn';
  return 'ok';
}

/**
 * The freshness rules in force: the config's `sources`, plus `default` thresholds for every pipeline
 * that an enabled job's ingest steps load (pipeline files that cannot be read are reported, not fatal).
 */
export function freshnessRules(config: JobsConfig, env: NodeJS.ProcessEnv = process.env): { rules: FreshnessRule[]; problems: string[] } {
  const rules = new Map(config.freshness.sources.map((r) => [r.source, r]));
  const problems: string[] = [];
  const d = config.freshness.default;
  if (d) {
    for (const job of config.jobs.values()) {
      if (!job.enabled) continue;
      const vars = runVariables(job, new Date().toISOString().slice(0, 10), 0);
      for (const step of job.steps.filter((s) => s.type === 'ingest')) {
        const runEnv = { ...env, ...job.env, ...step.env, ...vars };
        try {
          for (const file of resolvePipelineFiles(step.options.pipelines as string | string[], runEnv, `jobs.${job.name}.steps.${step.name}`)) {
            const name = loadPipelineFile(file, runEnv).name;
            if (!rules.has(name)) rules.set(name, { source: name, warnAfterMs: d.warnAfterMs, errorAfterMs: d.errorAfterMs });
          }
        } catch (e) {
          problems.push((e as Error).message);
        }
      }
    }
  }
  return { rules: [...rules.values()].sort((a, b) => a.source.localeCompare(b.source)), problems };
}

export interface SourceFreshness {
  source: string;
  entity: string | null;
  basis: 'load' | 'field';
  loaded_at_field: string | null;
  /** When the data was last fresh: the last successful load, or the newest loaded_at_field value. */
  fresh_as_of: string | null;
  last_loaded_at: string | null;
  age_s: number | null;
  warn_after_s: number;
  error_after_s: number;
  status: FreshnessStatus;
  checked_at: string;
}

/** Freshness per source as of now, worst first, from the ops_source_freshness view. */
export async function freshnessReport(wh: Warehouse): Promise<{ status: FreshnessStatus | 'unknown'; sources: SourceFreshness[] }> {
  const sources = await wh.all<SourceFreshness>(
    `select * from ops_source_freshness order by case status when 'error' then 0 when 'warn' then 1 else 2 end, source`,
  );
  const status = !sources.length ? 'unknown' : sources.some((s) => s.status === 'error') ? 'error' : sources.some((s) => s.status === 'warn') ? 'warn' : 'ok';
  return { status, sources };
}

/**
 * Checks the rules: stores them (with the newest loaded_at_field values) in source_freshness, reads
 * the live status back, and notifies when a source turns stale (source_stale) or fresh again
 * (source_recovered) — once per change, not at every check.
 */
export async function checkFreshness(wh: Warehouse, rules: FreshnessRule[], options: { notify?: Notifier; log?: Logger } = {}): Promise<SourceFreshness[]> {
  const previous = new Map(
    (await wh.all<{ source: string; notified_status: string | null }>('select source, notified_status from source_freshness')).map((r) => [r.source, r.notified_status]),
  );
  const entities = new Map(
    (await wh.all<{ pipeline: string; entity: string }>('select pipeline, arg_max(entity, run_id) as entity from pipeline_runs group by pipeline')).map((r) => [r.pipeline, r.entity]),
  );
  const rows: Record<string, string | number | null>[] = [];
  for (const r of rules) {
    const entity = entities.get(r.source) ?? null;
    let lastDataAt: string | null = null;
    if (r.loadedAtField && entity) lastDataAt = await newestValue(wh, entity, r.loadedAtField, r.source);
    rows.push({
      source: r.source,
      entity,
      basis: r.loadedAtField ? 'field' : 'load',
      loaded_at_field: r.loadedAtField ?? null,
      warn_after_s: Math.round(r.warnAfterMs / 1000),
      error_after_s: Math.round(r.errorAfterMs / 1000),
      last_data_at: lastDataAt,
      notified_status: previous.get(r.source) ?? null,
    });
  }
  await wh.transaction(async (tx) => {
    await tx.run('delete from source_freshness');
    for (const row of rows) {
      await tx.run(
        `insert into source_freshness values ($source, $entity, $basis, $loaded_at_field, $warn_after_s, $error_after_s, $last_data_at::timestamptz, now(), $notified_status)`,
        row,
      );
    }
  });
  const { sources } = await freshnessReport(wh);
  for (const s of sources) {
    const before = previous.get(s.source) ?? 'ok';
    if (s.status === before) continue;
    if (s.status !== 'ok') {
      await options.notify?.({
        event: 'source_stale',
        severity: s.status === 'error' ? 'error' : 'warning',
        text: `${s.source} is stale (${s.status}): ${s.fresh_as_of ? `last ${s.basis === 'load' ? 'loaded' : `${s.loaded_at_field}`} ${formatDuration((s.age_s ?? 0) * 1000)} ago` : 'never loaded'}; ${s.status} after ${formatDuration((s.status === 'error' ? s.error_after_s : s.warn_after_s) * 1000)}`,
        source: s.source,
        status: s.status,
        age_s: s.age_s,
        fresh_as_of: s.fresh_as_of,
      });
    } else {
      await options.notify?.({ event: 'source_recovered', severity: 'info', text: `${s.source} is fresh again (loaded ${formatDuration((s.age_s ?? 0) * 1000)} ago)`, source: s.source, status: s.status });
    }
    await wh.run('update source_freshness set notified_status = $status where source = $source', { status: s.status, source: s.source });
  }
  options.log?.('info', 'freshness checked', { sources: sources.length, warn: sources.filter((s) => s.status === 'warn').length, error: sources.filter((s) => s.status === 'error').length });
  return sources;
}

/** max(field) over the rows this pipeline loaded; the field must be a date/timestamp of the entity (whitelist). */
async function newestValue(wh: Warehouse, entity: string, field: string, pipeline: string): Promise<string | null> {
  if (!entityNames.includes(entity as EntityName)) return null;
  const spec = fieldSpecs(entity as EntityName).find((f) => f.name === field);
  if (!spec || (spec.kind !== 'timestamp' && spec.kind !== 'date')) {
    throw new AppError('VALIDATION', `freshness: loadedAtField "${field}" is not a date or timestamp field of ${entity}; use one of ${fieldSpecs(entity as EntityName).filter((f) => f.kind === 'timestamp' || f.kind === 'date').map((f) => f.name).join(', ')}`);
  }
  const [row] = await wh.all<{ v: string | null }>(`select max(${quoteIdent(field)})::timestamptz as v from ${quoteIdent(entity)} where _pipeline = $p`, { p: pipeline });
  return row?.v ?? null;
}
