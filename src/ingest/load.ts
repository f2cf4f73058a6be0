import { AppError, formatLocation, ValidationError } from '../errors.ts';
import { ConnectionQueries, type Warehouse } from '../warehouse/connection.ts';
import { entityKeys, fieldSpecs, type FieldSpec } from '../warehouse/entities.ts';
import { quoteIdent } from '../warehouse/sql-files.ts';
import { compileContract, selfReferencing } from './contract.ts';
import { runDataTests, type DataTestResult } from './data-tests.ts';
import { pipelineKey, type Pipeline } from './pipeline-schema.ts';
import { describeSource, dropTemp, stage, stagingObjects } from './sources/index.ts';
import { referencedColumns } from './sources/postgres.ts';

export interface RunResult {
  runId: number;
  pipeline: string;
  entity: string;
  status: 'succeeded' | 'failed';
  rowsRead: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  rowsDeleted: number;
  rowsQuarantined: number;
  testsFailed: number;
  dataTests: DataTestResult[];
  durationMs: number;
  error?: string;
}

export interface RunOptions {
  /** The pipeline file, for the run log. */
  file?: string;
  /** Called at each step (stage, validate, merge, test), e.g. for a progress bar. */
  onStep?: (step: string, index: number, total: number) => void;
}

const STEPS = ['read', 'validate', 'merge', 'test'] as const;
const q = quoteIdent;

/**
 * Loads one pipeline: stage the source as text, validate it against the entity contract in one
 * set-based pass, quarantine bad rows, then merge the good rows, run the data tests and record
 * the run — all of the writing in one transaction. Bad rows never throw; a load that cannot
 * proceed returns status 'failed' with the reason and leaves the warehouse as it was.
 *
 * @example
 * const r = await runPipeline(wh, loadPipelineFile('pipelines/demo/orders.json'));
 * // { status: 'succeeded', rowsRead: 51234, rowsInserted: 51180, rowsQuarantined: 54, ... }
 */
export async function runPipeline(wh: Warehouse, p: Pipeline, options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const [{ run_id: runId }] = await wh.all<{ run_id: number }>(
    `insert into pipeline_runs (pipeline, pipeline_file, entity, source, status, started_at)
     values ($pipeline, $file, $entity, $source, 'running', now()) returning run_id`,
    { pipeline: p.name, file: options.file ?? null, entity: p.entity, source: describeSource(p.source) },
  );
  const result: RunResult = {
    runId,
    pipeline: p.name,
    entity: p.entity,
    status: 'failed',
    rowsRead: 0,
    rowsInserted: 0,
    rowsUpdated: 0,
    rowsUnchanged: 0,
    rowsDeleted: 0,
    rowsQuarantined: 0,
    testsFailed: 0,
    dataTests: [],
    durationMs: 0,
  };
  const step = (s: (typeof STEPS)[number]) => options.onStep?.(s, STEPS.indexOf(s), STEPS.length);
  const conn = await wh.connect();
  const tx = new ConnectionQueries(conn);
  try {
    const [state] = await tx.all<{ watermark: string | null }>('select watermark from pipeline_state where pipeline = $p', { p: p.name });
    const sourceName = p.source.type === 'postgres' ? describeSource(p.source) : p.source.path;
    const key = pipelineKey(p);
    const keyCols = key.map(q).join(', ');
    const checkDuplicates = p.mode !== 'append';
    /**
     * Stages, validates and collects the rejected rows. `lazy`: a CSV file is read straight into
     * typed columns, without a text copy; that needs no self-references (the contract would read the
     * file twice) and no row order (customers' ids follow it). Returns null where the lazy read
     * cannot finish the job (duplicated keys: their lines would need another read).
     */
    const prepare = async (lazy: boolean) => {
      step('read');
      const staged = await stage(tx, p.source, { watermark: state?.watermark ?? null, pipeline: p, lazy });
      const scan = staged.scan;
      step('validate');
      const contract = compileContract(p, staged.columns, options.file ?? sourceName, 'stg', { scan: scan?.sql });
      // The mapping's columns are checked by the contract; the watermark and delete-flag columns here.
      for (const [path, column] of referencedColumns(p).filter(([k]) => !k.startsWith('mapping.'))) {
        if (!staged.columns.includes(column)) {
          throw new ValidationError(`source column "${column}" does not exist; the source has: ${staged.columns.join(', ')}`, { file: options.file ?? sourceName, field: path });
        }
      }
      await tx.run(`create or replace temp table typed as ${contract.sql}`, { ...scan?.params, ...contract.params });
      if (scan) Object.assign(staged, await scan.finish('typed'));
      if (staged.keyTable) {
        // The source's complete key set, cast like the rows, for deletes when `stg` is only the changed rows.
        const keyMapping = Object.fromEntries(key.filter((k) => k in p.mapping).map((k) => [k, p.mapping[k]]));
        const keyContract = compileContract({ ...p, mapping: keyMapping, incremental: undefined, deletes: undefined }, staged.columns, options.file ?? sourceName, staged.keyTable);
        await tx.run(`create or replace temp table current_keys as select ${key.map(q).join(', ')} from (${keyContract.sql})`, keyContract.params);
      }
      // `_id` (the row of `typed`) identifies a rejected row; a lazy read learns `_file` and `_row` below.
      // Read once, a failing row is the one with a hash: a narrow column to filter 10 M rows by.
      const failed = scan ? '_h is not null' : 'len(_errors) > 0';
      await tx.run(
        `create or replace temp table rejected as
         select t.rowid as _id, t._file, t._row, e.field, e.reason, ${scan ? 't._raw, t._h, t._h1' : 'null::json as _raw, null::ubigint as _h, null::ubigint as _h1'}
         from (select rowid, * from typed where ${failed}) t, unnest(t._errors) as u(e)
         ${checkDuplicates ? `union all
         select t.rowid, t._file, t._row, null, 'duplicate key (' || ${key.map((k) => `coalesce(t.${q(k)}::varchar, '')`).join(" || ', ' || ")} || ') appears on ' || d.n || ' rows of this load', null, null, null
         from typed t join (select ${keyCols}, count(*) as n from typed where not (${failed}) group by all having count(*) > 1) d using (${keyCols})
         where not (${failed})` : ''}`,
      );
      if (scan) {
        const [{ dups, located }] = await tx.all<{ dups: number; located: number }>(
          'select count(*) filter (where _h is null) as dups, count(*) as located from rejected',
        );
        if (dups) return null;
        if (located) {
          await tx.run('create or replace temp table crm_wanted as select distinct _id, _h, _h1, _raw from rejected');
          await scan.locate('crm_wanted', contract.record!);
          await tx.run('update rejected set _file = l._file, _row = l._row, _raw = l._raw from crm_located l where rejected._id = l._id');
        }
      }
      return { staged, contract };
    };
    // Mappings of `_row` or `_file` need every row's line: a parallel read has none.
    const byLine = referencedColumns(p).some(([, c]) => c === '_row' || c === '_file');
    const lazy = !selfReferencing(p) && p.entity !== 'customers' && !byLine;
    let prepared = lazy ? await prepare(true) : null;
    if (!prepared) {
      if (lazy) await dropTemp(tx, [...stagingObjects, 'typed', 'rejected', 'crm_wanted']);
      prepared = (await prepare(false))!;
    }
    const { staged, contract } = prepared;
    const scan = staged.scan;
    result.rowsRead = staged.rowsRead;
    const [{ bad }] = await tx.all<{ bad: number }>('select count(distinct _id) as bad from rejected');
    result.rowsQuarantined = bad + staged.broken;

    const ratio = result.rowsRead ? result.rowsQuarantined / result.rowsRead : 0;
    if (ratio > p.maxQuarantineRatio) {
      await writeQuarantine(tx, runId, p.name, !scan);
      const sample = await tx.all<{ _file: string; _row: number; field: string | null; reason: string }>(
        'select _file, _row, field, reason from (select * exclude (raw) from stg_broken union all select * exclude (_id, _raw, _h, _h1) from rejected) order by _file, _row limit 5',
      );
      const lines = sample.map((r) => formatLocation({ file: r._file, row: r._row, field: r.field ?? undefined }, r.reason));
      throw new AppError(
        'VALIDATION',
        `${result.rowsQuarantined} of ${result.rowsRead} rows rejected (${(ratio * 100).toFixed(1)}% > maxQuarantineRatio ${(p.maxQuarantineRatio * 100).toFixed(1)}%); nothing was loaded. First problems:\n  ${lines.join('\n  ')}\n(see: crm quarantine --run ${runId})`,
      );
    }

    step('merge');
    await tx.run('begin transaction');
    try {
      const counts = await merge(tx, p, contract.fields, runId, state?.watermark ?? null, staged.keyTable ? 'current_keys' : 'typed', !!scan);
      Object.assign(result, counts);
      await writeQuarantine(tx, runId, p.name, !scan);
      step('test');
      // A merge or replace on the entity's key cannot duplicate it (duplicates in the file are
      // quarantined, existing keys replaced); appends and merges on another key need the test.
      const byEntityKey = pipelineKey(p).join() === entityKeys[p.entity].join();
      result.dataTests = await runDataTests(tx, p.entity, runId, { unique: p.mode === 'append' || !byEntityKey });
      result.testsFailed = result.dataTests.filter((t) => t.failures > 0).length;
      if (p.incremental && counts.watermark) {
        await tx.run('delete from pipeline_state where pipeline = $p', { p: p.name });
        await tx.run('insert into pipeline_state values ($p, $w, now())', { p: p.name, w: counts.watermark });
      }
      await tx.run("update warehouse_meta set value = (value::bigint + 1)::varchar where key = 'data_version'");
      result.status = 'succeeded';
      result.durationMs = Date.now() - started;
      await finishRun(tx, result, counts.watermark);
      await tx.run('commit');
    } catch (e) {
      await tx.run('rollback').catch(() => undefined);
      throw e;
    }
  } catch (e) {
    result.status = 'failed';
    result.error = e instanceof Error ? e.message : String(e);
    result.durationMs = Date.now() - started;
    result.rowsInserted = result.rowsUpdated = result.rowsDeleted = result.rowsUnchanged = 0;
    await finishRun(tx, result, null).catch(() => undefined);
  } finally {
    await dropTemp(tx, [...stagingObjects, 'typed', 'rejected', 'good', 'changes', 'current_keys', 'crm_wanted']).catch(() => undefined);
    wh.release(conn);
  }
  return result;
}

async function finishRun(tx: ConnectionQueries, r: RunResult, watermark: string | null): Promise<void> {
  await tx.run(
    `update pipeline_runs set status = $status, finished_at = now(), duration_ms = $duration, rows_read = $read,
       rows_inserted = $inserted, rows_updated = $updated, rows_unchanged = $unchanged, rows_deleted = $deleted,
       rows_quarantined = $quarantined, tests_failed = $tests, watermark = $watermark, error = $error
     where run_id = $run`,
    {
      status: r.status,
      duration: r.durationMs,
      read: r.rowsRead,
      inserted: r.rowsInserted,
      updated: r.rowsUpdated,
      unchanged: r.rowsUnchanged,
      deleted: r.rowsDeleted,
      quarantined: r.rowsQuarantined,
      tests: r.testsFailed,
      watermark,
      error: r.error ?? null,
      run: r.runId,
    },
  );
}

/**
 * The rejected rows (with their source text: from `rejected._raw` when the source was read once,
 * else from the staged table `stg`) and the broken records, into the quarantine.
 */
async function writeQuarantine(tx: ConnectionQueries, runId: number, pipeline: string, fromStg: boolean) {
  await tx.run(
    fromStg
      ? `insert into quarantine
         select $run, $pipeline, r._file, r._row, r.field, r.reason, json_merge_patch(to_json(s), '{"_file": null, "_row": null}') from rejected r
         left join stg s on s._file = r._file and s._row = r._row`
      : 'insert into quarantine select $run, $pipeline, _file, _row, field, reason, _raw from rejected',
    { run: runId, pipeline },
  );
  await tx.run(`insert into quarantine select $run, $pipeline, _file, _row, field, reason, to_json({'line': raw}) from stg_broken`, { run: runId, pipeline });
}

interface MergeCounts {
  rowsInserted: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  rowsDeleted: number;
  watermark: string | null;
}

/**
 * Moves the good rows of `typed` into the entity table according to the pipeline's mode.
 * `present` holds every key now in the source (for `deletes: missing`): `typed`, or the staged key set.
 */
async function merge(
  tx: ConnectionQueries,
  p: Pipeline,
  fields: FieldSpec[],
  runId: number,
  oldWatermark: string | null,
  present: 'typed' | 'current_keys',
  scanned: boolean,
): Promise<MergeCounts> {
  const key = pipelineKey(p);
  const table = q(p.entity);
  const system = p.system ?? p.name;
  const identityField = fields.find((f) => f.identity);
  const params: Record<string, unknown> = { run: runId, pipeline: p.name, system: p.identity.system ?? system };

  // Good rows: no contract errors and not part of a duplicated key.
  // (A source read once has no duplicated keys here: they send the load to the staged path.)
  // (Read once, a row without errors is one without a hash, a narrower column to filter by.)
  let filter = scanned ? 't._h is null' : `len(t._errors) = 0 and t.rowid not in (select _id from rejected)`;
  // The watermark: an entity field, or a source column read as an instant like a timestamp field.
  const inc = p.incremental;
  const wm = !inc ? 'null' : inc.column !== undefined ? 't._watermark_src' : `t.${q(inc.field!)}`;
  if (inc && oldWatermark) {
    filter += ` and ${wm} > $watermark::timestamptz - to_minutes($overlap)`;
    params.watermark = oldWatermark;
    params.overlap = inc.overlapMinutes;
  }
  const deleteFlag = p.deletes?.detect === 'flag' ? `coalesce(lower(t._delete_flag) in ('true', 't', 'yes', 'y', '1'), false)` : 'false';
  // The good rows carry the warehouse's customer id in place of the source's.
  let replace = '';
  let identityJoin = '';
  if (identityField && p.entity !== 'customers') {
    const f = q(identityField.name);
    if (p.identity.createMissing) {
      await createMissingCustomers(tx, `select distinct t.${f} as ext from typed t where ${filter} and t.${f} is not null`, params);
      identityJoin = `left join customer_sources cs on cs.source_system = $system and cs.external_id = t.${f}`;
      replace = `replace (cs.customer_id as ${f})`;
    } else replace = `replace (t.${q(`_cid_${identityField.name}`)} as ${f})`;
  }
  const goodSql = `select t.* exclude (_errors${scanned ? ', _h, _h1, _raw' : ''}) ${replace}, ${deleteFlag} as _deleted, ${wm} as _watermark
     from typed t ${identityJoin} where ${filter}`;
  // A copy of the good rows, for merges that compare them with the table; rows flagged as deleted
  // are counted as deletes, not as unchanged rows.
  const materialise = async () => {
    await tx.run(`create or replace temp table good as ${goodSql}`, params);
    const [{ n }] = await tx.all<{ n: number }>('select count(*) filter (where not _deleted) as n from good');
    return n;
  };

  if (p.entity === 'customers') return mergeCustomers(tx, p, fields, params, await materialise());

  const allCols = (await tx.all<{ column_name: string }>(
    "select column_name from information_schema.columns where table_name = $t and table_schema = 'main' and column_name not like '\\_%' escape '\\' order by ordinal_position",
    { t: p.entity },
  )).map((r) => r.column_name);
  const mapped = new Set(fields.map((f) => f.name));
  const insertCols = [...allCols, '_pipeline', '_run_id', '_loaded_at'].map(q).join(', ');
  const counts: MergeCounts = { rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: 0, rowsDeleted: 0, watermark: null };

  if (p.mode === 'replace') {
    counts.rowsDeleted = await tx.run(`delete from ${table} where _pipeline = $pipeline`, params);
  }
  const [{ existing }] = await tx.all<{ existing: number }>(`select count(*) as existing from ${table}`);
  let goodRows: number;
  let goodSource = 'good';
  if (p.mode === 'append' || existing === 0) {
    // Nothing to compare with: straight from the validated rows, without a copy.
    const projected = allCols.map((c) => (mapped.has(c) ? `g.${q(c)}` : 'null')).join(', ');
    counts.rowsInserted = await tx.run(
      `insert into ${table} (${insertCols}) select ${projected}, $pipeline, $run, now() from (${goodSql}) g where not g._deleted`,
      params,
    );
    goodRows = counts.rowsInserted;
    goodSource = `(${goodSql})`;
  } else {
    goodRows = await materialise();
    // Only rows that are new or differ on a mapped field are rewritten; unmapped columns keep their values.
    const on = key.map((k) => `o.${q(k)} = g.${q(k)}`).join(' and ');
    const differs = [...mapped].filter((c) => !key.includes(c)).map((c) => `g.${q(c)} is distinct from o.${q(c)}`);
    await tx.run(
      `create or replace temp table changes as
       select ${allCols.map((c) => (mapped.has(c) ? `g.${q(c)}` : `o.${q(c)}`)).join(', ')}, o.${q(key[0])} is null as _is_new, g._deleted
       from good g left join ${table} o on ${on}
       where g._deleted or o.${q(key[0])} is null ${differs.length ? `or ${differs.join(' or ')}` : ''}`,
    );
    const onChanges = key.map((k) => `o.${q(k)} = c.${q(k)}`).join(' and ');
    const deleted = await tx.run(`delete from ${table} o using changes c where ${onChanges} and (not c._is_new or c._deleted)`);
    const [{ ins, upd }] = await tx.all<{ ins: number; upd: number }>(
      'select count(*) filter (_is_new and not _deleted) as ins, count(*) filter (not _is_new and not _deleted) as upd from changes',
    );
    await tx.run(`insert into ${table} (${insertCols}) select ${allCols.map(q).join(', ')}, $pipeline, $run, now() from changes where not _deleted`, params);
    counts.rowsInserted = ins;
    counts.rowsUpdated = upd;
    counts.rowsDeleted = deleted - upd;
  }
  if (p.deletes?.detect === 'missing') {
    // A full snapshot: what this pipeline loaded before and is absent now (also among rejected rows) is gone.
    counts.rowsDeleted += await tx.run(
      `delete from ${table} o where o._pipeline = $pipeline and not exists (
         select 1 from ${present} t where ${key.map((k) => `t.${q(k)}::varchar = o.${q(k)}::varchar`).join(' and ')})`,
      params,
    );
  }
  counts.rowsUnchanged = goodRows - counts.rowsInserted - counts.rowsUpdated;
  if (p.incremental) counts.watermark = await maxWatermark(tx, oldWatermark, goodSource, params);
  return counts;
}

/** The newest watermark of the good rows (`source`: the table `good` or its query), or the old one. */
async function maxWatermark(tx: ConnectionQueries, old: string | null, source = 'good', params: Record<string, unknown> = {}): Promise<string | null> {
  const [{ w }] = await tx.all<{ w: string | null }>(`select max(_watermark)::varchar as w from ${source}`, params);
  if (!w) return old;
  if (!old) return w;
  const [{ later }] = await tx.all<{ later: string }>('select greatest($a::timestamptz, $b::timestamptz)::varchar as later', { a: w, b: old });
  return later;
}

/** Creates a bare customer for each external id (`ids`: a query of distinct `ext`) that no source has linked yet. */
async function createMissingCustomers(tx: ConnectionQueries, ids: string, params: Record<string, unknown>) {
  await tx.run(
    `create or replace temp table missing as
     select ext, (select coalesce(max(customer_id), 0) from customer_sources) + row_number() over (order by ext) as customer_id
     from (${ids}) g
     where not exists (select 1 from customer_sources cs where cs.source_system = $system and cs.external_id = g.ext)`,
    params,
  );
  await tx.run(
    `insert into customer_sources (source_system, external_id, customer_id, matched_on, first_seen_run_id, linked_at)
     select $system, ext, customer_id, 'new', $run, now() from missing`,
    params,
  );
  await tx.run(`insert into customers (customer_id, _pipeline, _run_id, _loaded_at) select customer_id, $pipeline, $run, now() from missing`, params);
  await tx.run('drop table missing');
}

/**
 * Identity resolution and the golden record. A source record joins the customer it is already
 * linked to (same system + external id), else one with the same normalised e-mail, else phone,
 * else a new customer (records of one load sharing an e-mail or phone become one customer).
 * The customer's home system (the one that created it) wins for its fields; other systems fill
 * gaps. Consent is conservative: do_not_contact from any source sticks, any opt-out wins, the
 * earliest unsubscribe counts. Records a source flags as deleted are skipped, not applied: a
 * golden record may hold other systems' data, so one source's delete does not remove it.
 */
async function mergeCustomers(tx: ConnectionQueries, p: Pipeline, fields: FieldSpec[], params: Record<string, unknown>, goodRows: number): Promise<MergeCounts> {
  const phoneNorm = (x: string) =>
    `case when length(regexp_replace(${x}, '[^0-9]', '', 'g')) >= 7 then right(regexp_replace(${x}, '[^0-9]', '', 'g'), 10) end`;
  const hasEmail = fields.some((f) => f.name === 'email');
  const hasPhone = fields.some((f) => f.name === 'phone');
  await tx.run(
    `create or replace temp table incoming as
     select g.*, ${hasEmail ? 'lower(trim(g.email))' : 'null::varchar'} as email_norm, ${hasPhone ? phoneNorm('g.phone') : 'null::varchar'} as phone_norm
     from good g where not g._deleted`,
  );
  await tx.run(
    `create or replace temp table resolved as
     with by_email as (select email_norm, min(customer_id) as customer_id from customers where email_norm is not null group by all),
          by_phone as (select phone_norm, min(customer_id) as customer_id from customers where phone_norm is not null group by all),
          matched as (
            select i.*, coalesce(x.customer_id, e.customer_id, ph.customer_id) as _existing,
              case when x.customer_id is not null then 'external_id' when e.customer_id is not null then 'email'
                   when ph.customer_id is not null then 'phone' end as _matched_on,
              coalesce(i.email_norm, i.phone_norm, 'ext:' || i.customer_id) as _grp
            from incoming i
            left join customer_sources x on x.source_system = $system and x.external_id = i.customer_id
            left join by_email e on e.email_norm = i.email_norm
            left join by_phone ph on ph.phone_norm = i.phone_norm
          ),
          groups as (
            select _grp, (select greatest(coalesce(max(customer_id), 0), 0) from customer_sources)
                         + row_number() over (order by min(_file), min(_row), _grp) as new_id,
                   min((_file, _row)) as leader
            from matched where _existing is null group by _grp
          )
     select m.* exclude (_existing, _matched_on, _grp), m.customer_id as _ext,
       coalesce(m._existing, g.new_id) as _customer_id,
       coalesce(m._matched_on, case when (m._file, m._row) = g.leader then 'new' when m.email_norm is not null then 'email' else 'phone' end) as _matched_on
     from matched m left join groups g using (_grp)`,
    params,
  );
  await tx.run(
    `insert into customer_sources
     select $system, _ext, _customer_id, _matched_on, email_norm, phone_norm, $run, now() from resolved r
     where not exists (select 1 from customer_sources cs where cs.source_system = $system and cs.external_id = r._ext)`,
    params,
  );

  const allCols = fieldSpecs('customers').map((f) => f.name).filter((c) => c !== 'customer_id');
  const mapped = new Set(fields.map((f) => f.name));
  const merged = (c: string) => {
    if (!mapped.has(c)) return `o.${q(c)}`;
    if (c === 'do_not_contact') return `greatest(n.${q(c)}, o.${q(c)})`;
    if (c.endsWith('_opt_in')) return `least(n.${q(c)}, o.${q(c)})`;
    if (c === 'unsubscribed_at') return `least(n.${q(c)}, o.${q(c)})`;
    return `case when h.is_home then coalesce(n.${q(c)}, o.${q(c)}) else coalesce(o.${q(c)}, n.${q(c)}) end`;
  };
  // Several records of one load can land on one customer: the latest non-null value wins, consent conservatively.
  const batchAgg = (c: string) => {
    if (c === 'do_not_contact') return `bool_or(${q(c)})`;
    if (c.endsWith('_opt_in')) return `bool_and(${q(c)})`;
    if (c === 'unsubscribed_at') return `min(${q(c)})`;
    return `last(${q(c)} order by _file, _row) filter (where ${q(c)} is not null)`;
  };
  const phoneCol = mapped.has('phone') ? merged('phone') : 'o.phone';
  const emailCol = mapped.has('email') ? merged('email') : 'o.email';
  await tx.run(
    `create or replace temp table changes as
     with latest as (
       select _customer_id, ${[...mapped].filter((c) => c !== 'customer_id').map((c) => `${batchAgg(c)} as ${q(c)}`).join(', ')}
       from resolved group by _customer_id
     ), home as (
       select customer_id, bool_or(source_system = $system) as is_home from customer_sources where matched_on = 'new' group by all
     ), next as (
       select n._customer_id as customer_id, ${allCols.map((c) => `${merged(c)} as ${q(c)}`).join(', ')},
         lower(trim(${emailCol})) as email_norm, ${phoneNorm(phoneCol)} as phone_norm,
         o.customer_id is null as _is_new, o as _old
       from latest n
       left join customers o on o.customer_id = n._customer_id
       left join home h on h.customer_id = n._customer_id
     )
     select * exclude (_old) from next
     where _is_new or (${[...allCols, 'email_norm', 'phone_norm'].map((c) => `${q(c)} is distinct from _old.${q(c)}`).join(' or ')})`,
    params,
  );
  await tx.run('delete from customers o using changes c where o.customer_id = c.customer_id and not c._is_new');
  const cols = ['customer_id', ...allCols, 'email_norm', 'phone_norm'].map(q).join(', ');
  await tx.run(`insert into customers (${cols}, _pipeline, _run_id, _loaded_at) select ${cols}, $pipeline, $run, now() from changes`, params);
  const [{ ins, upd }] = await tx.all<{ ins: number; upd: number }>('select count(*) filter (_is_new) as ins, count(*) filter (not _is_new) as upd from changes');
  await tx.run('drop table incoming; drop table resolved');
  const watermark = p.incremental ? await maxWatermark(tx, (params.watermark as string | undefined) ?? null) : null;
  return { rowsInserted: ins, rowsUpdated: upd, rowsUnchanged: goodRows - ins - upd, rowsDeleted: 0, watermark };
}
