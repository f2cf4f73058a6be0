import { listValue } from '@duckdb/node-api';
import pg from 'pg';
import { AppError, formatLocation } from '../../errors.ts';
import type { ConnectionQueries, Warehouse } from '../../warehouse/connection.ts';
import { fieldSpecs, type FieldSpec } from '../../warehouse/entities.ts';
import { quoteIdent } from '../../warehouse/sql-files.ts';
import { compileContract } from '../contract.ts';
import { pipelineKey, type FieldMapping, type Pipeline } from '../pipeline-schema.ts';
import { resolveFiles, stageFiles } from './files.ts';
import { dropTemp, stagingObjects } from './index.ts';
import {
  describeRelation,
  mappingOf,
  openSession,
  planIncremental,
  referencedColumns,
  sourceLabel,
  stagePostgres,
  type PostgresSource,
  type RelationInfo,
  type SourceColumn,
} from './postgres.ts';

/**
 * `crm sources test`: can the pipeline's source be reached, does its mapping fit the source's
 * columns and types, and would a sample of rows pass the entity contract — without loading
 * anything (staging goes to temp tables, dropped afterwards).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckLine {
  check: string;
  status: CheckStatus;
  detail: string;
  /** Examples (the sample's first rejected rows as "source:row:field: reason"). */
  examples?: string[];
}

export interface MappingLine {
  field: string;
  /** text, integer, decimal, boolean, timestamp, date (and "enum" for text fields with accepted values). */
  kind: string;
  from: string;
  source_type: string | null;
  staged_as: string | null;
  status: CheckStatus;
  note: string;
}

export interface SourceCheckReport {
  pipeline: string;
  entity: string;
  source: string;
  ok: boolean;
  checks: CheckLine[];
  mapping: MappingLine[];
}

export interface CheckOptions {
  /** The pipeline file, for messages. */
  file?: string;
  /** How many rows to run through the contract (default 100). */
  sample?: number;
  /** False when `wh` is a stand-in (no warehouse yet): reference checks are left out. */
  references?: boolean;
  env?: NodeJS.ProcessEnv;
}

const intOids = new Set([20, 21, 23]);
const OID = { date: 1082, timestamp: 1114, timestamptz: 1184 };


/** How well a PostgreSQL column fits a field, before any row is read. */
function typeFit(f: FieldSpec, c: SourceColumn, m: Exclude<FieldMapping, string>, tz: string): { status: CheckStatus; note: string } {
  const text = c.category === 'S' || c.category === 'E';
  const parsed = { status: 'warn' as const, note: `${c.type} values are parsed row by row; see the sample` };
  const wrong = { status: 'fail' as const, note: `a ${c.type} column cannot be read as ${f.kind}` };
  if (m.format && (c.baseOid === OID.date || c.baseOid === OID.timestamp || c.baseOid === OID.timestamptz)) {
    return { status: 'warn', note: `"format" is for text columns: this ${c.type} column is staged as ISO 8601, which the format may not match; drop "format"` };
  }
  switch (f.kind) {
    case 'text':
      return { status: 'ok', note: c.category === 'A' || c.category === 'C' || c.type.startsWith('json') ? 'loaded as JSON text' : '' };
    case 'integer':
      if (intOids.has(c.baseOid)) return { status: 'ok', note: m.scale ? `scaled by ${m.scale}` : '' };
      if (c.category === 'N') return { status: 'warn', note: `${c.type} into an integer field: fractions are rounded` };
      return text ? parsed : wrong;
    case 'decimal':
      if (c.category === 'N') return { status: 'ok', note: 'kept to 2 decimal places' };
      return text ? parsed : wrong;
    case 'boolean':
      if (c.category === 'B') return { status: 'ok', note: '' };
      if (intOids.has(c.baseOid)) return { status: 'warn', note: 'only 0 and 1 are read as booleans' };
      return text ? parsed : wrong;
    case 'timestamp':
      if (c.baseOid === OID.timestamptz) return { status: 'ok', note: '' };
      if (c.baseOid === OID.timestamp) return { status: 'ok', note: `local time read in ${tz}` };
      if (c.baseOid === OID.date) return { status: 'warn', note: 'a date becomes midnight UTC' };
      return text ? parsed : wrong;
    case 'date':
      if (c.baseOid === OID.date) return { status: 'ok', note: '' };
      if (c.baseOid === OID.timestamptz) return { status: 'warn', note: 'the instant\'s UTC date is kept' };
      if (c.baseOid === OID.timestamp) return { status: 'warn', note: 'the date part is kept' };
      return text ? parsed : wrong;
  }
}

/** Runs the contract of `p` (restricted to `mapping`) over a staged table; returns the rejected rows. */
async function contractProblems(
  q: ConnectionQueries,
  p: Pipeline,
  table: string,
  columns: string[],
  file: string,
  skipReferences: boolean,
  mapping: Pipeline['mapping'] = p.mapping,
): Promise<{ rows: number; rejected: { _file: string; _row: number; field: string; reason: string }[] }> {
  const contract = compileContract({ ...p, mapping }, columns, file, table);
  const refFields = new Set(fieldSpecs(p.entity).filter((f) => f.references).map((f) => f.name));
  const errors = await q.all<{ _file: string; _row: number; field: string; reason: string }>(
    `select t._file, t._row, e.field, e.reason from (${contract.sql}) t, unnest(t._errors) as u(e) order by t._file, t._row, e.field`,
    contract.params,
  );
  const [{ n }] = await q.all<{ n: number }>(`select count(*) as n from ${quoteIdent(table)}`);
  return { rows: n, rejected: errors.filter((e) => !(skipReferences && refFields.has(e.field))) };
}

/** Labels of an enum column that its field would reject (after the mapping's transforms and map). */
async function rejectedLabels(q: ConnectionQueries, p: Pipeline, field: string, column: SourceColumn, file: string): Promise<string[]> {
  const labels = column.enumLabels ?? [];
  await q.run(
    `create or replace temp table stg_labels as select unnest($labels) as ${quoteIdent(column.name)}, 'labels' as _file, generate_subscripts($labels, 1) as _row`,
    { labels: listValue(labels) },
  );
  try {
    const { rejected } = await contractProblems(q, p, 'stg_labels', [column.name], file, true, { [field]: p.mapping[field] });
    return [...new Set(rejected.map((r) => labels[r._row - 1]))];
  } finally {
    await q.run('drop table if exists stg_labels');
  }
}

function mappingLines(p: Pipeline, rel: { columns: SourceColumn[] } | { names: string[] }): MappingLine[] {
  const byName = 'columns' in rel ? new Map(rel.columns.map((c) => [c.name, c])) : null;
  const names = 'columns' in rel ? new Set(rel.columns.map((c) => c.name)) : new Set(rel.names);
  return fieldSpecs(p.entity)
    .filter((f) => f.name in p.mapping)
    .map((f) => {
      const m = mappingOf(p.mapping[f.name])!;
      const kind = f.enumValues ? 'enum' : f.kind;
      if (m.from === undefined) return { field: f.name, kind, from: `(constant ${JSON.stringify(m.const)})`, source_type: null, staged_as: null, status: 'ok', note: '' };
      if (!names.has(m.from)) {
        return { field: f.name, kind, from: m.from, source_type: null, staged_as: null, status: 'fail', note: 'no such column in the source' };
      }
      const col = byName?.get(m.from);
      if (!col) return { field: f.name, kind, from: m.from, source_type: null, staged_as: 'text', status: 'ok', note: '' };
      const fit = typeFit(f, col, m, p.timezone);
      return { field: f.name, kind, from: m.from, source_type: col.type, staged_as: col.stagedAs, ...fit };
    });
}

function sampleLine(sample: { rows: number; rejected: { _file: string; _row: number; field: string; reason: string }[] }, broken: number, skipReferences: boolean): CheckLine {
  const bad = new Set(sample.rejected.map((r) => `${r._file}\u0000${r._row}`)).size + broken;
  const first = sample.rejected.slice(0, 5).map((r) => formatLocation({ file: r._file, row: r._row, field: r.field }, r.reason));
  const refs = skipReferences ? ' (references to other entities not checked: no warehouse)' : '';
  if (!sample.rows && !broken) return { check: 'sample', status: 'warn', detail: 'the source returned no rows' };
  const line: CheckLine = {
    check: 'sample',
    status: bad ? 'warn' : 'ok',
    detail: `${sample.rows + broken} rows read, ${sample.rows + broken - bad} pass the contract${bad ? `, ${bad} would be quarantined` : ''}${refs}`,
  };
  if (bad) line.examples = first;
  return line;
}

async function dropStaging(q: ConnectionQueries) {
  await dropTemp(q, [...stagingObjects, 'stg_sample']).catch(() => undefined);
}

/**
 * Checks a pipeline's source without loading it.
 *
 * @example
 * const report = await checkPipelineSource(wh, loadPipelineFile('pipelines/examples/postgres-orders.json'));
 * // { ok: true, checks: [{ check: 'connect', status: 'ok', detail: 'crm@db:5432/crm, PostgreSQL 15.18, 12 ms' }, …], mapping: […] }
 */
export async function checkPipelineSource(wh: Warehouse, p: Pipeline, options: CheckOptions = {}): Promise<SourceCheckReport> {
  const report: SourceCheckReport = { pipeline: p.name, entity: p.entity, source: p.source.type === 'postgres' ? sourceLabel(p.source) : p.source.path, ok: false, checks: [], mapping: [] };
  const sample = options.sample ?? 100;
  const skipReferences = options.references === false;
  const file = options.file ?? report.source;
  try {
    if (p.source.type === 'postgres') await checkPostgres(wh, p, p.source, report, { ...options, sample, file, skipReferences });
    else await checkFiles(wh, p, report, { sample, file, skipReferences });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    report.checks.push({ check: report.checks.length ? 'source' : 'connect', status: 'fail', detail: e.message });
  }
  report.ok = !report.checks.some((c) => c.status === 'fail') && !report.mapping.some((m) => m.status === 'fail');
  return report;
}

async function checkFiles(wh: Warehouse, p: Pipeline, report: SourceCheckReport, o: { sample: number; file: string; skipReferences: boolean }) {
  if (p.source.type === 'postgres') return;
  const source = p.source;
  await wh.withConnection(async (q) => {
    const files = await resolveFiles(q, source.path);
    report.checks.push({ check: 'files', status: 'ok', detail: files.length === 1 ? files[0] : `${files.length} files: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}` });
    try {
      const staged = await stageFiles(q, source);
      report.mapping = mappingLines(p, { names: staged.columns });
      report.checks.push({ check: 'columns', status: 'ok', detail: staged.columns.join(', ') });
      for (const [path, column] of referencedColumns(p).filter(([k]) => !k.startsWith('mapping.'))) {
        if (!staged.columns.includes(column)) report.checks.push({ check: path, status: 'fail', detail: `source column "${column}" does not exist` });
      }
      if (report.mapping.some((m) => m.status === 'fail')) return;
      await q.run('create or replace temp table stg_sample as select * from stg order by _file, _row limit $n', { n: o.sample });
      const result = await contractProblems(q, p, 'stg_sample', staged.columns, o.file, o.skipReferences);
      const [{ broken }] = await q.all<{ broken: number }>('select count(*) as broken from stg_broken where _row <= (select coalesce(max(_row), 0) from stg_sample)');
      report.checks.push(sampleLine(result, broken, o.skipReferences));
    } finally {
      await dropStaging(q);
    }
  });
}

async function checkPostgres(
  wh: Warehouse,
  p: Pipeline,
  source: PostgresSource,
  report: SourceCheckReport,
  o: CheckOptions & { sample: number; file: string; skipReferences: boolean },
) {
  const session = await openSession(source, o.env);
  let rel: RelationInfo;
  try {
    const ep = session.endpoint;
    report.checks.push({ check: 'connect', status: 'ok', detail: `${ep.user}@${ep.host}:${ep.port}/${ep.database}, PostgreSQL ${session.serverVersion}, ${Math.round(session.connectMs)} ms` });
    try {
      rel = await describeRelation(session, source);
    } catch (e) {
      throw e instanceof AppError ? e : new AppError('SOURCE', `${sourceLabel(source)}: ${session.scrub(e instanceof Error ? e.message : String(e))}`);
    }
    const size = rel.estimatedRows === null ? '' : `, about ${rel.estimatedRows.toLocaleString('en')} rows`;
    report.checks.push({ check: 'relation', status: 'ok', detail: `${rel.name}${size}, ${rel.columns.length} columns: ${rel.columns.map((c) => `${c.name} ${c.type}`).join(', ')}` });
    report.mapping = mappingLines(p, rel);
    for (const [path, column] of referencedColumns(p).filter(([k]) => !k.startsWith('mapping.'))) {
      const col = rel.columns.find((c) => c.name === column);
      report.checks.push(col ? { check: path, status: 'ok', detail: `${column} (${col.type})` } : { check: path, status: 'fail', detail: `source column "${column}" does not exist` });
    }
    if (p.incremental) await checkIncremental(wh, session, p, rel, report);
    if (p.deletes) report.checks.push(deletesLine(p));
  } finally {
    await session.close();
  }
  if (report.mapping.some((m) => m.status === 'fail') || report.checks.some((c) => c.status === 'fail')) return;
  await wh.withConnection(async (q) => {
    for (const m of report.mapping) {
      const col = rel.columns.find((c) => c.name === m.from);
      if (m.kind !== 'enum' || !col?.enumLabels) continue;
      const bad = await rejectedLabels(q, p, m.field, col, o.file);
      report.checks.push({
        check: `labels of ${col.name}`,
        status: bad.length ? 'warn' : 'ok',
        detail: bad.length
          ? `rows with ${bad.map((b) => `'${b}'`).join(', ')} would be quarantined: not one of ${fieldSpecs(p.entity).find((f) => f.name === m.field)!.enumValues!.join(', ')} (add them to the mapping's "map")`
          : `every label of ${col.type} maps to a valid ${m.field}`,
      });
    }
    try {
      const staged = await stagePostgres(q, source, { pipeline: p, limit: o.sample, env: o.env });
      const result = await contractProblems(q, p, 'stg', staged.columns, o.file, o.skipReferences);
      report.checks.push(sampleLine(result, 0, o.skipReferences));
    } finally {
      await dropStaging(q);
    }
  });
}

async function checkIncremental(wh: Warehouse, session: Awaited<ReturnType<typeof openSession>>, p: Pipeline, rel: RelationInfo, report: SourceCheckReport) {
  const inc = p.incremental!;
  const [stored] = await wh.all<{ watermark: string }>('select watermark from pipeline_state where pipeline = $p', { p: p.name }).catch(() => []);
  // With no watermark yet, plan with a stand-in to tell whether later runs can push the predicate down.
  const plan = await planIncremental(session, p, rel, stored?.watermark ?? '2000-01-01 00:00:00+00');
  const what = inc.column !== undefined ? `column ${inc.column}` : `${inc.field}`;
  if (!plan.pushdown) {
    report.checks.push({ check: 'incremental', status: 'warn', detail: `not pushed down to PostgreSQL (${plan.reason}): every run reads the whole source and keeps rows newer than the watermark` });
    return;
  }
  const overlap = inc.overlapMinutes ? ` − ${inc.overlapMinutes} min overlap` : '';
  const detail = stored
    ? `next run reads rows with ${plan.column} > ${plan.since} (watermark ${stored.watermark}${overlap}${plan.type.includes('without') || plan.type === 'date' ? ', less a day for local times' : ''})`
    : `first run reads everything; later runs read rows with ${plan.column} > watermark${overlap} (${what})`;
  report.checks.push({ check: 'incremental', status: 'ok', detail });
  if (rel.oid !== null) {
    const { rows } = await session.client.query<{ indexed: boolean }>(
      `select exists (select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                      where i.indrelid = $1::oid and a.attname = $2) as indexed`,
      [rel.oid, plan.column],
    );
    if (!rows[0].indexed) {
      report.checks.push({ check: 'index', status: 'warn', detail: `no index starts with ${plan.column}: each incremental run scans all of ${rel.name} (CREATE INDEX ON ${rel.name} (${pg.escapeIdentifier(plan.column)}))` });
    } else {
      report.checks.push({ check: 'index', status: 'ok', detail: `an index on ${rel.name} starts with ${plan.column}` });
    }
  }
}

function deletesLine(p: Pipeline): CheckLine {
  const d = p.deletes!;
  if (d.detect === 'flag') return { check: 'deletes', status: 'ok', detail: `rows with ${d.column} true are deleted` };
  if (p.entity === 'customers') return { check: 'deletes', status: 'warn', detail: 'customers are never deleted by a load (a golden record may hold other sources\' data)' };
  if (!p.incremental) return { check: 'deletes', status: 'ok', detail: 'rows loaded before and absent from the source now are deleted' };
  const constant = pipelineKey(p).filter((k) => mappingOf(p.mapping[k])?.from === undefined);
  if (constant.length) return { check: 'deletes', status: 'fail', detail: `key field ${constant.join(', ')} is not mapped from a source column, so the source's key set cannot be read` };
  return { check: 'deletes', status: 'ok', detail: 'each incremental run also reads every key of the source (same snapshot) and deletes rows no longer there' };
}
