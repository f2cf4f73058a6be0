import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline as pump } from 'node:stream/promises';
import { listValue, structValue } from '@duckdb/node-api';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { AppError, ValidationError } from '../../errors.ts';
import type { ConnectionQueries } from '../../warehouse/connection.ts';
import { pipelineKey, type FieldMapping, type Pipeline, type SourceSpec } from '../pipeline-schema.ts';
import type { Staged } from './files.ts';

/**
 * The `postgres` source: one table or query of an operational database, extracted with
 * `COPY (SELECT …) TO STDOUT (FORMAT csv)` inside one REPEATABLE READ READ ONLY transaction,
 * streamed to temp files (bounded memory: the stream applies back-pressure; a large table is read
 * as parallel page ranges in one exported snapshot) and read into the staging table `stg` with
 * DuckDB's `read_csv`, every value as text. Values are rendered as text
 * the contract's casts read without a `format`: timestamptz as ISO 8601 in UTC with its offset,
 * timestamp and date as ISO 8601, numeric as plain decimals, booleans as true/false, arrays and
 * composites as JSON, money as a plain decimal, everything else (uuid, enums, json/jsonb, text)
 * in PostgreSQL's own text form. NULL stays NULL, an empty string stays an empty string.
 *
 * Incremental pipelines push the watermark predicate down to the source column the
 * incremental field is mapped from, so a nightly run reads only changed rows; with
 * `deletes: { detect: 'missing' }` it also fetches every key (same snapshot) into `stg_keys`.
 */
export type PostgresSource = Extract<SourceSpec, { type: 'postgres' }>;

/** A column of the source relation as PostgreSQL describes it, and how it is staged. */
export interface SourceColumn {
  name: string;
  /** format_type(), e.g. `numeric(12,2)`, `timestamp with time zone`, `text[]`, `deal_stage`. */
  type: string;
  /** The base type's oid (domains resolved). */
  baseOid: number;
  /** pg_type.typcategory of the base type: A array, B boolean, C composite, D date/time, E enum, N numeric, S string, U user … */
  category: string;
  /** Labels of an enum type, in order. */
  enumLabels?: string[];
  /** The SELECT expression that renders the column as staged text. */
  expr: string;
  /** How the value is written to `stg`, for `crm sources test`. */
  stagedAs: string;
}

export interface RelationInfo {
  /** A short label for logs and `_file`: `postgres:<table>` or `postgres:query`. */
  label: string;
  /** The relation as PostgreSQL names it (schema-qualified when outside the search path), or `(query)`. */
  name: string;
  /** The FROM item: a regclass name or a parenthesised query. */
  from: string;
  columns: SourceColumn[];
  /** pg_class.reltuples for tables (null: never analysed, or a query). */
  estimatedRows: number | null;
  /** The table's oid and pg_class.relkind (null for a query). */
  oid: number | null;
  kind: string | null;
}

/** The watermark predicate pushed down to PostgreSQL, or why none is. */
export type IncrementalPlan =
  | { pushdown: true; column: string; type: string; predicate: string; since: string }
  | { pushdown: false; column?: string; reason: string };

/** Attempts for transient failures (connection refused/reset, server starting or shutting down, too many connections, serialization failures). */
const ATTEMPTS = 3;
const BACKOFF_MS = 500;

const OID = { bool: 16, date: 1082, timestamp: 1114, timestamptz: 1184, money: 790 } as const;

/** `postgres:<table>` or `postgres:query` — what run logs and `_file` show; never the connection string. */
export function sourceLabel(source: PostgresSource): string {
  return `postgres:${source.table ?? 'query'}`;
}

/** Where a connection goes, for messages: everything but the password. */
export interface Endpoint {
  label: string;
  env: string;
  host: string;
  port: number;
  user: string;
  database: string;
}

/** An open session: a connected client with the staging session settings, and what it is connected to. */
export interface Session {
  client: pg.Client;
  endpoint: Endpoint;
  serverVersion: string;
  connectMs: number;
  /** Replaces the connection string and password in a message. */
  scrub(message: string): string;
  close(): Promise<void>;
}

function connectionString(source: PostgresSource, env: NodeJS.ProcessEnv): string {
  const url = env[source.connectionEnv];
  if (!url) {
    throw new AppError(
      'SOURCE',
      `${sourceLabel(source)}: environment variable ${source.connectionEnv} is not set; it must hold the connection string (postgres://user:password@host:5432/database)`,
      { source: sourceLabel(source), env: source.connectionEnv },
    );
  }
  return url;
}

function makeScrub(secrets: string[]): (m: string) => string {
  const list = secrets.filter((s) => s && s.length >= 3).sort((a, b) => b.length - a.length);
  return (m) => list.reduce((acc, s) => acc.split(s).join('***'), m);
}

/**
 * Connects with the pipeline's connection string (read from the environment variable the source
 * names), sets the session up for staging (UTC, ISO dates, UTF-8) and returns it. Transient
 * failures are retried with back-off; every error is an AppError('SOURCE') naming the source and
 * the endpoint, never the password.
 */
export async function openSession(source: PostgresSource, env: NodeJS.ProcessEnv = process.env): Promise<Session> {
  return withRetry(source, env, (url) => connectOnce(source, url));
}

async function connectOnce(source: PostgresSource, url: string): Promise<Session> {
  const started = performance.now();
  let client: pg.Client;
  try {
    if (!/^(postgres|postgresql|socket):\/\//.test(url)) throw new Error('not a URL');
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000, application_name: 'crm-analytics', keepAlive: true });
  } catch {
    throw new AppError('SOURCE', `${sourceLabel(source)}: the connection string in ${source.connectionEnv} is not a valid URL (expected postgres://user:password@host:5432/database)`, {
      source: sourceLabel(source),
    });
  }
  // A dropped connection is reported on the client; the running query fails with it too.
  client.on('error', () => undefined);
  const endpoint: Endpoint = {
    label: sourceLabel(source),
    env: source.connectionEnv,
    host: client.host,
    port: client.port,
    user: client.user ?? '',
    database: client.database ?? '',
  };
  const scrub = makeScrub([url, client.password ?? '', encodeURIComponent(client.password ?? '')]);
  try {
    await client.connect();
    await client.query("set TimeZone = 'UTC'; set DateStyle = 'ISO, YMD'; set IntervalStyle = 'postgres'; set client_encoding = 'UTF8'; set extra_float_digits = 1");
    const { rows } = await client.query<{ version: string }>("select current_setting('server_version') as version");
    return {
      client,
      endpoint,
      serverVersion: rows[0].version,
      connectMs: performance.now() - started,
      scrub,
      close: async () => {
        await client.end().catch(() => undefined);
      },
    };
  } catch (e) {
    await client.end().catch(() => undefined);
    throw Object.assign(e as Error, { endpoint, scrub });
  }
}

const retryableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300', '40001', '40P01', '08000', '08001', '08003', '08004', '08006']);

function errorCode(e: unknown): string | undefined {
  const err = e as { code?: string; errors?: { code?: string }[] };
  return err?.code ?? err?.errors?.find((x) => x.code)?.code;
}

/** Whether trying again may help: the network or the server's state, not the request. */
export function isRetryable(e: unknown): boolean {
  const code = errorCode(e);
  if (code && retryableCodes.has(code)) return true;
  const msg = e instanceof Error ? e.message : String(e);
  return /Connection terminated unexpectedly|connection timeout|timeout expired|socket hang up/i.test(msg);
}

async function withRetry<T>(source: PostgresSource, env: NodeJS.ProcessEnv, fn: (url: string) => Promise<T>): Promise<T> {
  const url = connectionString(source, env);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(url);
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (!isRetryable(e) || attempt >= ATTEMPTS) throw sourceError(source, e, attempt);
      await new Promise((r) => setTimeout(r, BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}

/** A clear AppError('SOURCE') for a failure talking to PostgreSQL: what, where, what to do — no secrets. */
function sourceError(source: PostgresSource, e: unknown, attempts: number): AppError {
  const err = e as Error & { code?: string; endpoint?: Endpoint; scrub?: (m: string) => string; column?: string; table?: string };
  const scrub = err.scrub ?? ((m: string) => m);
  const ep = err.endpoint;
  const where = ep ? `${ep.user}@${ep.host}:${ep.port}/${ep.database}` : 'the server';
  const label = sourceLabel(source);
  const code = errorCode(e);
  const raw = scrub(err instanceof Error ? err.message || String(code ?? 'error') : String(e));
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  let message: string;
  switch (code) {
    case 'ECONNREFUSED':
      message = `cannot connect to PostgreSQL at ${where}: connection refused${tries}; is the server running and is ${source.connectionEnv} right?`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      message = `cannot connect to PostgreSQL at ${where}: host not found${tries}; check the host in ${source.connectionEnv}`;
      break;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      message = `cannot reach PostgreSQL at ${where}: ${raw}${tries}`;
      break;
    case '28P01':
      message = `authentication failed for user "${ep?.user}" at ${where}; check the password in ${source.connectionEnv}`;
      break;
    case '28000':
      message = `PostgreSQL at ${where} refused the connection: ${raw}; the server's pg_hba.conf must allow this user, database and host`;
      break;
    case '3D000':
      message = `database "${ep?.database}" does not exist at ${where}; check the database name in ${source.connectionEnv}`;
      break;
    case '42P01':
      message = `${raw} at ${where}; was the table dropped or renamed? (source.${source.table ? 'table' : 'query'} in the pipeline)`;
      break;
    case '42703':
      message = `${raw} at ${where}; was the column dropped or renamed? (check the pipeline's ${source.query ? 'source.query and ' : ''}mapping)`;
      break;
    case '42501':
      message = `${raw} at ${where}; grant SELECT on the source to user "${ep?.user}"`;
      break;
    case '57014':
      message = `the extract was cancelled at ${where} (${raw}); raise statement_timeout for this user (e.g. ?statement_timeout=3600000 in ${source.connectionEnv}, or ALTER ROLE … SET statement_timeout) or narrow the source`;
      break;
    default:
      message = isRetryable(e) ? `lost the connection to PostgreSQL at ${where}: ${raw}${tries}` : `PostgreSQL at ${where}: ${raw}`;
  }
  return new AppError('SOURCE', `${label}: ${message}`, { source: label, code, attempts });
}

/** Quotes each dot-separated part of a table name as written (exact case), unless it is quoted already. */
function exactName(table: string): string {
  return table.includes('"') ? table : table.split('.').map((part) => pg.escapeIdentifier(part)).join('.');
}

/**
 * Finds the source relation and its columns. A table name is tried with its exact case first
 * (`DealStages` → "DealStages"), then as PostgreSQL folds it; a query is described by running it
 * with `LIMIT 0`.
 */
export async function describeRelation(session: Session, source: PostgresSource): Promise<RelationInfo> {
  const { client } = session;
  const label = sourceLabel(source);
  let from: string;
  let name: string;
  let oid: number | null = null;
  let kind: string | null = null;
  let estimatedRows: number | null = null;
  if (source.table !== undefined) {
    const { rows } = await client.query<{ oid: number | null; name: string | null; kind: string | null; tuples: number | null }>(
      `select c.oid::int as oid, c.oid::regclass::text as name, c.relkind::text as kind, c.reltuples::float8 as tuples
       from (select coalesce(to_regclass($1), to_regclass($2)) as rel) r left join pg_class c on c.oid = r.rel`,
      [exactName(source.table), source.table],
    );
    const rel = rows[0];
    if (!rel?.oid || !rel.name) {
      const ep = session.endpoint;
      throw new AppError(
        'SOURCE',
        `${label}: table "${source.table}" does not exist in database "${ep.database}" at ${ep.host}:${ep.port}; was it dropped or renamed? (source.table in the pipeline)`,
        { source: label, code: '42P01' },
      );
    }
    oid = rel.oid;
    kind = rel.kind;
    name = rel.name;
    from = rel.name;
    estimatedRows = rel.kind === 'r' || rel.kind === 'p' || rel.kind === 'm' ? (rel.tuples !== null && rel.tuples >= 0 ? Math.round(rel.tuples) : null) : null;
  } else {
    const query = source.query!.trim().replace(/;\s*$/, '');
    from = `(${query})`;
    name = '(query)';
  }
  const described = await client.query(`select * from ${from} as src limit 0`);
  const fields = described.fields;
  const seen = new Map<string, string>();
  for (const f of fields) {
    const lower = f.name.toLowerCase();
    if (f.name === '_file' || f.name === '_row') {
      throw new AppError('SOURCE', `${label}: the source has a column named "${f.name}", which staging reserves; rename it in source.query`, { source: label });
    }
    const other = seen.get(lower);
    if (other !== undefined) {
      throw new AppError('SOURCE', `${label}: the source has two columns named "${other}" and "${f.name}" (names must differ in more than case); give them aliases in source.query`, {
        source: label,
      });
    }
    seen.set(lower, f.name);
  }
  const { rows: types } = await client.query<{ i: number; type: string; base: number; category: string; labels: string[] | null }>(
    `with f as (select * from unnest($1::oid[], $2::int[]) with ordinality as f(oid, typmod, i)),
          b as (select f.i, f.oid, f.typmod, case when t.typtype = 'd' then t.typbasetype else t.oid end as base from f join pg_type t on t.oid = f.oid)
     select b.i::int as i, format_type(b.oid, b.typmod) as type, b.base::int as base, bt.typcategory::text as category,
       case when bt.typtype = 'e' then array(select e.enumlabel::text from pg_enum e where e.enumtypid = bt.oid order by e.enumsortorder) end as labels
     from b join pg_type bt on bt.oid = b.base order by b.i`,
    [fields.map((f) => f.dataTypeID), fields.map((f) => f.dataTypeModifier)],
  );
  const columns = fields.map((f, i): SourceColumn => {
    const t = types[i];
    return stagedColumn(f.name, t.type, t.base, t.category, t.labels ?? undefined);
  });
  return { label, name, from, columns, estimatedRows, oid, kind };
}

/** The SELECT expression and description for one column. */
function stagedColumn(name: string, type: string, baseOid: number, category: string, enumLabels?: string[]): SourceColumn {
  const col = `src.${pg.escapeIdentifier(name)}`;
  const c = { name, type, baseOid, category, enumLabels };
  if (category === 'A') return { ...c, expr: `array_to_json(${col})::text`, stagedAs: 'JSON array' };
  if (category === 'C') return { ...c, expr: `to_json(${col})::text`, stagedAs: 'JSON object' };
  if (category === 'B') return { ...c, expr: `${col}::text`, stagedAs: 'true / false' };
  if (baseOid === OID.money) return { ...c, expr: `${col}::numeric::text`, stagedAs: 'decimal' };
  const stagedAs =
    baseOid === OID.timestamptz
      ? 'ISO 8601 in UTC with offset'
      : baseOid === OID.timestamp
        ? 'ISO 8601 local time (read in the pipeline timezone)'
        : baseOid === OID.date
          ? 'YYYY-MM-DD'
          : baseOid === 20 || baseOid === 21 || baseOid === 23
            ? 'integer'
            : category === 'N'
              ? 'decimal'
            : category === 'E'
              ? 'enum label'
              : 'text';
  return { ...c, expr: col, stagedAs };
}

/** A mapping in its long form (`"col"` → `{ from: "col" }`). */
export function mappingOf(m: FieldMapping | undefined): Exclude<FieldMapping, string> | undefined {
  if (m === undefined) return undefined;
  return typeof m === 'string' ? { from: m, transform: [] } : m;
}

/** Source columns a pipeline reads: `[key path, column]` for each mapped column and the delete flag. */
export function referencedColumns(p: Pipeline): [string, string][] {
  const out: [string, string][] = [];
  for (const [field, m] of Object.entries(p.mapping)) {
    const from = mappingOf(m)?.from;
    if (from !== undefined) out.push([`mapping.${field}`, from]);
  }
  if (p.deletes?.detect === 'flag') out.push(['deletes.column', p.deletes.column]);
  if (p.incremental?.column !== undefined) out.push(['incremental.column', p.incremental.column]);
  return out;
}

/** Fails before any row moves when a column the pipeline reads is not in the source. */
export function checkColumns(p: Pipeline, rel: RelationInfo): void {
  const names = new Set(rel.columns.map((c) => c.name));
  for (const [path, column] of referencedColumns(p)) {
    if (!names.has(column)) {
      throw new ValidationError(
        `source column "${column}" does not exist in ${rel.name}${rel.name === '(query)' ? '' : ' (dropped or renamed?)'}; it has: ${rel.columns.map((c) => c.name).join(', ')}`,
        { file: rel.label, field: path },
      );
    }
  }
}

/**
 * Whether (and how) the incremental predicate goes to PostgreSQL. It does when the watermark field
 * maps straight from a timestamptz, timestamp or date column; the predicate selects a superset of
 * what the load keeps (the load applies the exact `field > watermark − overlap` itself): a
 * timestamp without time zone or a date is compared in the pipeline's zone with a day's margin.
 */
export async function planIncremental(session: Session, p: Pipeline, rel: RelationInfo, watermark: string | null): Promise<IncrementalPlan> {
  const inc = p.incremental;
  if (!inc) return { pushdown: false, reason: 'the pipeline is not incremental' };
  const m = inc.column !== undefined ? { from: inc.column, transform: [] } : mappingOf(p.mapping[inc.field!]);
  if (!m?.from) return { pushdown: false, reason: `${inc.field} is not mapped from a source column` };
  const col = rel.columns.find((c) => c.name === m.from);
  if (!col) return { pushdown: false, column: m.from, reason: `column "${m.from}" is not in the source` };
  if (m.map || m.scale || m.format || m.transform.some((t) => t !== 'trim' && t !== 'nullif_empty')) {
    return { pushdown: false, column: col.name, reason: `the mapping of ${inc.field} transforms the column` };
  }
  const kinds: Record<number, string> = { [OID.timestamptz]: 'timestamptz', [OID.timestamp]: 'timestamp', [OID.date]: 'date' };
  const kind = kinds[col.baseOid];
  if (!kind) return { pushdown: false, column: col.name, reason: `column "${col.name}" is ${col.type}, not a timestamp or date` };
  if (!watermark) return { pushdown: false, column: col.name, reason: 'no watermark stored yet (first load reads everything)' };
  // Bounds are computed by PostgreSQL from bound parameters, then inlined as literals (COPY takes no parameters).
  const { rows } = await session.client.query<{ instant: string; local: string }>(
    `select ($1::timestamptz - make_interval(mins => $2::int))::text as instant,
            (($1::timestamptz - make_interval(mins => $2::int)) at time zone $3 - interval '1 day')::text as local`,
    [watermark, inc.overlapMinutes, p.timezone],
  );
  const ref = `src.${pg.escapeIdentifier(col.name)}`;
  const { instant, local } = rows[0];
  const predicate =
    kind === 'timestamptz'
      ? `${ref} > ${pg.escapeLiteral(instant)}::timestamptz`
      : kind === 'timestamp'
        ? `${ref} > ${pg.escapeLiteral(local)}::timestamp`
        : `${ref} >= ${pg.escapeLiteral(local)}::timestamp::date`;
  return { pushdown: true, column: col.name, type: col.type, predicate, since: kind === 'timestamptz' ? instant : local };
}

/** Source columns of the pipeline's key fields, when every key field maps straight from a column. */
function keyColumns(p: Pipeline): string[] | null {
  const cols: string[] = [];
  for (const k of pipelineKey(p)) {
    const from = mappingOf(p.mapping[k])?.from;
    if (from === undefined) return null;
    if (!cols.includes(from)) cols.push(from);
  }
  return cols;
}

/** Streams `COPY (sql) TO STDOUT (FORMAT csv)` into a file; memory stays bounded by back-pressure. */
async function copyToFile(client: pg.Client, sql: string, file: string): Promise<void> {
  const stream = client.query(copyTo(`copy (${sql}) to stdout (format csv)`));
  await pump(stream, createWriteStream(file, { highWaterMark: 1 << 20 }));
}

/**
 * Full extracts of tables of at least `parallelMinPages` pages (8 kB each: 32 MB) are read as
 * `parallelStreams` page ranges at once (the leader's connection and the others). Tests lower them.
 */
export const extractTuning = { parallelMinPages: 4096, parallelStreams: 3 };

/**
 * Copies the source's rows to one CSV file or, for a full extract of a large table, to one file
 * per range of the table's pages, each read by its own connection in the leader's exported
 * snapshot (as `pg_dump -j` does): PostgreSQL renders the ranges on several cores while this
 * process writes them. Every range sees the same snapshot, so the files together are one
 * consistent extract.
 */
async function copyRows(session: Session, url: string, source: PostgresSource, rel: RelationInfo, select: string, filter: string, dir: string): Promise<string[]> {
  const single = async () => {
    const file = join(dir, 'rows-0.csv');
    await copyToFile(session.client, `${select} from ${rel.from} as src${filter}`, file);
    return [file];
  };
  if (filter || rel.oid === null || (rel.kind !== 'r' && rel.kind !== 'm')) return single();
  const { rows } = await session.client.query<{ pages: number }>("select (pg_relation_size($1::oid) / current_setting('block_size')::int)::int as pages", [rel.oid]);
  const pages = rows[0].pages;
  if (pages < extractTuning.parallelMinPages) return single();
  const [{ id }] = (await session.client.query<{ id: string }>('select pg_export_snapshot() as id')).rows;
  const files = Array.from({ length: extractTuning.parallelStreams }, (_, j) => join(dir, `rows-${j}.csv`));
  const range = (j: number) => {
    const lo = Math.floor((pages * j) / extractTuning.parallelStreams);
    const hi = Math.floor((pages * (j + 1)) / extractTuning.parallelStreams);
    // The last range is open-ended: pages added since the size was read belong to it.
    return ` where src.ctid >= '(${lo},0)'::tid${j < extractTuning.parallelStreams - 1 ? ` and src.ctid < '(${hi},0)'::tid` : ''}`;
  };
  const helpers: Session[] = [];
  try {
    for (let j = 1; j < files.length; j++) {
      const helper = await connectOnce(source, url);
      helpers.push(helper);
      await helper.client.query('begin transaction isolation level repeatable read, read only');
      await helper.client.query(`set transaction snapshot ${pg.escapeLiteral(id)}`);
    }
  } catch {
    // No more connections to be had (max_connections, a pooler without snapshots): one stream.
    await Promise.all(helpers.map((h) => h.close()));
    return single();
  }
  const results = await Promise.allSettled(
    files.map((file, j) => copyToFile(j === 0 ? session.client : helpers[j - 1].client, `${select} from ${rel.from} as src${range(j)}`, file)),
  );
  await Promise.all(helpers.map((h) => h.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return files;
}

/**
 * Reads COPY CSV files into a temp table of text columns plus `_file` and `_row` (the record's
 * number in this extract). An extract has no order to keep, so the files are read in parallel
 * without preserving insertion order (this session only), which numbering several files needs.
 */
async function readExtract(q: ConnectionQueries, table: string, files: string[], columns: string[], label: string): Promise<number> {
  await q.run('set session preserve_insertion_order = false');
  try {
    await q.run(
      `create or replace temp table ${table} as
       select *, $label as _file, row_number() over () as _row
       from read_csv($files, header = false, delim = ',', quote = '"', escape = '"', new_line = '\\n', columns = $columns,
         auto_detect = false, allow_quoted_nulls = false)`,
      { files: listValue(files), label, columns: structValue(Object.fromEntries(columns.map((c) => [c, 'VARCHAR']))) },
    );
  } finally {
    await q.run('reset session preserve_insertion_order');
  }
  const [{ n }] = await q.all<{ n: number }>(`select count(*) as n from ${table}`);
  return n;
}

export interface PostgresStageOptions {
  watermark?: string | null;
  pipeline?: Pipeline;
  /** Read at most this many rows (for `crm sources test`). */
  limit?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Stages a PostgreSQL table or query into temp table `stg` (see the module comment). All reads
 * see one REPEATABLE READ READ ONLY snapshot, so the rows and the key set agree. The
 * extract is retried on transient failures; nothing in the warehouse changes until the load
 * merges, so a failed extract leaves it as it was.
 *
 * @example
 * // pipeline: { source: { type: 'postgres', connectionEnv: 'CRM_PG_URL', table: 'contacts' }, … }
 * const staged = await stagePostgres(tx, p.source, { pipeline: p, watermark: '2024-05-01 00:00:00+00' });
 * // { files: ['postgres:contacts'], columns: ['id', 'email', …], rowsRead: 42, broken: 0 }
 */
export async function stagePostgres(q: ConnectionQueries, source: PostgresSource, options: PostgresStageOptions = {}): Promise<Staged> {
  const p = options.pipeline;
  const label = sourceLabel(source);
  const dir = mkdtempSync(join(tmpdir(), 'crm-pg-extract-'));
  const keysFile = join(dir, 'keys.csv');
  try {
    const extract = await withRetry(source, options.env ?? process.env, async (url) => {
      const session = await connectOnce(source, url);
      try {
        await session.client.query('begin transaction isolation level repeatable read, read only');
        const rel = await describeRelation(session, source);
        if (p) checkColumns(p, rel);
        const plan = p ? await planIncremental(session, p, rel, options.watermark ?? null) : null;
        const where = plan?.pushdown ? ` where ${plan.predicate}` : '';
        const limit = options.limit !== undefined ? ` limit ${Math.max(0, Math.floor(options.limit))}` : '';
        const rowFiles = await copyRows(session, url, source, rel, `select ${rel.columns.map((c) => c.expr).join(', ')}`, `${where}${limit}`, dir);
        // Deletes of an incremental load: the complete key set, from the same snapshot.
        let keys: string[] | null = null;
        if (p && plan?.pushdown && p.deletes?.detect === 'missing' && p.entity !== 'customers' && options.limit === undefined) {
          keys = keyColumns(p);
          if (!keys) {
            throw new ValidationError('an incremental load detects deletes by reading the source\'s key set: map every key field from a source column', {
              file: label,
              field: 'deletes',
            });
          }
          const exprs = keys.map((k) => rel.columns.find((c) => c.name === k)!.expr);
          await copyToFile(session.client, `select ${exprs.join(', ')} from ${rel.from} as src`, keysFile);
        }
        await session.client.query('commit');
        return { rel, keys, rowFiles };
      } catch (e) {
        throw e instanceof AppError ? e : Object.assign(e as Error, { endpoint: session.endpoint, scrub: session.scrub });
      } finally {
        await session.close();
      }
    });
    const columns = extract.rel.columns.map((c) => c.name);
    await q.run('create or replace temp table stg_broken (_file varchar, _row bigint, field varchar, reason varchar, raw varchar)');
    const rowsRead = await readExtract(q, 'stg', extract.rowFiles, columns, label);
    const staged: Staged = { files: [label], columns, rowsRead, broken: 0 };
    if (extract.keys) {
      await readExtract(q, 'stg_keys', [keysFile], extract.keys, label);
      staged.keyTable = 'stg_keys';
    }
    return staged;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
