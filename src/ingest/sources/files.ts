import { existsSync, statSync } from 'node:fs';
import { listValue } from '@duckdb/node-api';
import { AppError } from '../../errors.ts';
import type { ConnectionQueries } from '../../warehouse/connection.ts';
import { quoteIdent } from '../../warehouse/sql-files.ts';
import type { SourceSpec } from '../pipeline-schema.ts';

/**
 * What staging a source produces: a temp table or view `stg` with one VARCHAR column per source column,
 * plus `_file` and `_row` (the file's own line number for text files, the record number otherwise),
 * and a temp table `stg_broken (_file, _row, field, reason, raw)` of records too broken to become rows.
 */
export interface Staged {
  files: string[];
  columns: string[];
  rowsRead: number;
  broken: number;
  /**
   * Set when `stg` holds only part of the source (an incremental predicate was pushed down) and
   * the pipeline detects deletes by missing keys: a temp table of every key row now in the source,
   * staged like `stg` (text columns of the key fields' source columns, `_file`, `_row`).
   */
  keyTable?: string;
  /**
   * Set when the source was not copied (`lazy` staging of a CSV file): `sql` reads the file's text
   * columns, in no particular order and without `_file`/`_row`, to be read once into a table;
   * `finish(table)`, after that read, moves the lines the reader rejected into `stg_broken` and
   * counts the rows; `locate(wanted, record)` finds rows in the file: `wanted` is a table of `_id`,
   * `_h`, the `hash()` of the `sourceRecord` of `record.columns`, `_h1`, that of `record.first`, and
   * `_raw`, the row's source text; it creates the table `crm_located (_id, _file, _row, _raw)` (a
   * second, ordered read of the file: of the one column `record.first` where that is exact).
   */
  scan?: {
    sql: string;
    params: Record<string, unknown>;
    finish: (typed: string) => Promise<{ rowsRead: number; broken: number }>;
    locate: (wanted: string, record: { columns: string[]; first: string }) => Promise<void>;
  };
}

const createBroken = 'create or replace temp table stg_broken (_file varchar, _row bigint, field varchar, reason varchar, raw varchar)';

type FileSource = Exclude<SourceSpec, { type: 'postgres' }>;

/** A struct of a staged row's source columns by name, in source order (`to_json` of it is the quarantined raw row). */
export function sourceRecord(columns: string[]): string {
  return `{${columns.map((c) => `'${c.replaceAll("'", "''")}': ${quoteIdent(c)}`).join(', ')}}`;
}

/** CSV lines the reader rejected, as broken records with the reader's message and the line's text. */
const insertBroken = `insert into stg_broken
  select s.file_path, r.line, r.column_name, lower(r.error_type) || ': ' || r.error_message, regexp_replace(r.csv_line, '^\r?\n', '')
  from crm_rejects r join crm_reject_scans s using (scan_id, file_id)`;

/** For each rejected CSV line, how many good rows of its file come before it (`$lead`: header and skipped lines). */
const rejectedBefore = `select s.file_path as _file, r.line - 1 - $lead - (row_number() over (partition by s.file_path order by r.line) - 1) as good_before
  from crm_rejects r join crm_reject_scans s using (scan_id, file_id)`;

/** Expands a path or glob to files, refusing missing and empty files with a clear message. */
export async function resolveFiles(q: ConnectionQueries, path: string): Promise<string[]> {
  let files: string[];
  if (/[*?[]/.test(path)) {
    files = (await q.all<{ file: string }>('select file from glob($p) order by file', { p: path })).map((r) => r.file);
    if (!files.length) throw new AppError('SOURCE', `${path}: no file matches this pattern`, { file: path });
  } else {
    if (!existsSync(path)) throw new AppError('SOURCE', `${path}: file not found`, { file: path });
    files = [path];
  }
  for (const f of files) {
    if (statSync(f).size === 0) throw new AppError('SOURCE', `${f}: file is empty (not even a header line)`, { file: f });
  }
  return files;
}

/**
 * Stages a CSV/JSON/NDJSON/Parquet source into temp table `stg`, every value as text. With
 * `lazy`, a delimited CSV source is not copied: see `Staged.scan`.
 */
export async function stageFiles(q: ConnectionQueries, source: FileSource, options: { lazy?: boolean } = {}): Promise<Staged> {
  const files = await resolveFiles(q, source.path);
  const f = listValue(files);
  await q.run(createBroken);
  if (source.type === 'csv' && source.delimiter === 'whitespace') {
    // Runs of spaces separate fields (e.g. CDNOW's raw text): split each line ourselves.
    const names = source.columns!;
    const picks = names.map((n, i) => `f[${i + 1}] as ${quoteIdent(n)}`).join(', ');
    await q.run(
      `create or replace temp table stg as
       with lines as (
         select filename as _file, ordinality::bigint as _row, rtrim(line, chr(13)) as line
         from read_text($f), unnest(string_split(content, chr(10))) with ordinality as t(line)
       ), fields as (
         select _file, _row, line, regexp_split_to_array(trim(line), '\\s+') as f from lines
         where _row > $skip and trim(line) <> ''
       )
       select ${picks}, _file, _row, len(f) as _n, line as _raw from fields`,
      { f, skip: source.skipRows + (source.header ? 1 : 0) },
    );
    await q.run(
      `insert into stg_broken select _file, _row, null, 'expected ' || $n || ' fields, found ' || _n, _raw from stg where _n <> $n`,
      { n: names.length },
    );
    await q.run('delete from stg where _n <> $n', { n: names.length });
    await q.run('alter table stg drop column _n; alter table stg drop column _raw');
  } else if (source.type === 'csv') {
    const opts: Record<string, unknown> = {
      f,
      header: source.header,
      delim: source.delimiter === '\\t' ? '\t' : source.delimiter,
      quote: source.quote,
      skip: source.skipRows,
    };
    const extra: string[] = [];
    if (source.escape) {
      extra.push('escape = $escape');
      opts.escape = source.escape;
    }
    if (source.columns) {
      extra.push('names = $names');
      opts.names = listValue(source.columns);
    }
    if (source.nullStrings.length) {
      extra.push('nullstr = $nullstr');
      opts.nullstr = listValue(source.nullStrings);
    }
    await q.run('drop table if exists crm_rejects; drop table if exists crm_reject_scans');
    const lead = Number((source.header ? 1 : 0) + source.skipRows);
    const read = `read_csv($f, header = $header, delim = $delim, quote = $quote, skip = $skip,
         ${extra.map((e) => `${e}, `).join('')}all_varchar = true, filename = '_file',
         store_rejects = true, rejects_table = 'crm_rejects', rejects_scan = 'crm_reject_scans')`;
    if (options.lazy) {
      // Nothing is copied here: the contract reads the file once, straight into typed columns, in
      // parallel and so without row numbers; `locate` finds the lines of the few rows that need one.
      const columns = (await q.all<{ column_name: string }>(`select column_name from (describe select * from ${read}) where column_name <> '_file'`, opts)).map(
        (r) => r.column_name,
      );
      const scan = { sql: `select * exclude (_file) from ${read}`, params: opts };
      const finish = async (typed: string) => {
        await q.run(insertBroken);
        const [{ n, broken }] = await q.all<{ n: number; broken: number }>(
          `select (select count(*) from ${quoteIdent(typed)}) as n, (select count(*) from stg_broken) as broken`,
        );
        return { rowsRead: n + broken, broken };
      };
      /**
       * The cheap way, for one file: read it again in order but only its key column (`record.first`),
       * hashed; each wanted row is the line whose hash equals its `_h1`. Exact when, for every such
       * hash, the file has as many lines with it as there are wanted rows, and those rows have one
       * source text between them (then any pairing gives the same lines, problems and text); and when
       * this read rejected the same lines as the first. Otherwise returns false and leaves nothing.
       */
      const locateByKey = async (w: string, first: string): Promise<boolean> => {
        await q.run('drop table if exists crm_rejects; drop table if exists crm_reject_scans');
        await q.run(`create or replace temp table crm_scan_key as select hash(${quoteIdent(first)}) as hk from ${read}`, opts);
        const [{ ambiguous, shifted }] = await q.all<{ ambiguous: number; shifted: number }>(
          `with lines as (select hk, count(*) as n from crm_scan_key where hk in (select _h1 from ${w}) group by hk),
                wanted as (select _h1, count(*) as n, count(distinct _raw::varchar) as texts from ${w} group by _h1)
           select (select count(*) from wanted left join lines l on l.hk = wanted._h1 where l.n is distinct from wanted.n or wanted.texts > 1) as ambiguous,
                  (select count(*) from crm_rejects r full join stg_broken b on b._row = r.line where r.line is null or b._row is null) as shifted`,
        );
        if (ambiguous || shifted) {
          await q.run('drop table crm_scan_key');
          return false;
        }
        await q.run(
          `create or replace temp table crm_located as
           with rejected as (${rejectedBefore}),
           found as (select rowid - (select min(rowid) from crm_scan_key) as _good, hk, row_number() over (partition by hk order by rowid) as k
                     from crm_scan_key where hk in (select _h1 from ${w})),
           want as (select _id, _h1 as hk, _raw, row_number() over (partition by _h1 order by _id) as k from ${w})
           select w._id, $file as _file, f._good + 1 + $lead + (select count(*) from rejected j where j.good_before <= f._good) as _row, w._raw
           from want w join found f using (hk, k)`,
          { lead, file: files[0] },
        );
        await q.run('drop table crm_scan_key');
        return true;
      };
      const locate = async (wanted: string, record: { columns: string[]; first: string }) => {
        if (files.length === 1 && (await locateByKey(quoteIdent(wanted), record.first))) return;
        // Read the file again in order (rowid = place among the good rows); a bit filter of the
        // wanted rows' first-column hashes lets candidates through, whose record is hashed and paired
        // with the wanted rows by that hash (rows with equal records have equal problems), and whose
        // source text is kept.
        const multi = files.length > 1;
        const bits = 1 << 20;
        const w = quoteIdent(wanted);
        await q.run(`set variable crm_wanted_bits = (select bitstring_agg((_h1 % ${bits})::bigint, 0, ${bits - 1}) from ${w})`);
        await q.run('drop table if exists crm_rejects; drop table if exists crm_reject_scans');
        const candidate = `get_bit(getvariable('crm_wanted_bits'), (hash(${quoteIdent(record.first)}) % ${bits})::integer) = 1`;
        await q.run(
          `create or replace temp table crm_scan_pos as
           select case when ${candidate} then hash(${sourceRecord(record.columns)}) end as _h,
             case when ${candidate} then to_json(${sourceRecord(columns)}) end as _raw,
             ${multi ? '_file' : `case when ${candidate} then _file end as _file`}
           from ${read}`,
          opts,
        );
        await q.run('reset variable crm_wanted_bits');
        await q.run(
          `create or replace temp table crm_located as
           with rejected as (${rejectedBefore}),
           firsts as (${multi ? 'select _file, min(rowid) as first from crm_scan_pos group by _file' : 'select distinct _file, 0 as first from crm_scan_pos where _file is not null'}),
           found as (select rowid as _pos, _h, _file, _raw, row_number() over (partition by _h order by rowid) as k from crm_scan_pos where _h is not null),
           want as (select _id, _h, row_number() over (partition by _h order by _id) as k from ${w})
           select w._id, f._file, f._pos - fi.first + 1 + $lead + (select count(*) from rejected j where j._file = f._file and j.good_before <= f._pos - fi.first) as _row, f._raw
           from want w join found f using (_h, k) join firsts fi using (_file)`,
          { lead },
        );
        const [{ missing }] = await q.all<{ missing: number }>(`select (select count(*) from ${w}) - (select count(*) from crm_located) as missing`);
        if (missing) throw new AppError('INTERNAL', `${files.join(', ')}: ${missing} rows could not be found again on a second read (did the file change during the load?)`);
        await q.run('drop table crm_scan_pos');
      };
      return { files, columns, rowsRead: 0, broken: 0, scan: { ...scan, finish, locate } };
    }
    await q.run(`create or replace temp table raw_stg as select * from ${read}`, opts);
    await q.run(insertBroken);
    // A good row's file line: its position among the file's good rows (rowid keeps the file's order),
    // plus the header and skipped lines, plus the rejected lines before it.
    await q.run('create or replace temp table stg_files as select _file, min(rowid) as first from raw_stg group by _file');
    const [{ rejects }] = await q.all<{ rejects: number }>('select count(*) as rejects from crm_rejects');
    if (!rejects) {
      // The common case needs no copy: a view numbers the rows. (A view holds no bound parameters, hence the literal.)
      await q.run(`create or replace temp view stg as select r.*, r.rowid - f.first + ${1 + lead} as _row from raw_stg r join stg_files f using (_file)`);
    } else {
      await q.run(
        `create or replace temp table stg as
         with rejected as (${rejectedBefore}), numbered as (
           select r.*, r.rowid - f.first as _good from raw_stg r join stg_files f using (_file)
         )
         select n.* exclude (_good), n._good + 1 + $lead + (select count(*) from rejected j where j._file = n._file and j.good_before <= n._good) as _row
         from numbered n`,
        { lead },
      );
      await q.run('drop table raw_stg');
    }
  } else if (source.type === 'parquet') {
    await q.run(
      `create or replace temp table stg as
       select columns(c -> c not in ('filename', 'file_row_number'))::varchar, filename as _file, file_row_number + 1 as _row
       from read_parquet($f, filename = true, file_row_number = true)`,
      { f },
    );
  } else {
    // JSON array or newline-delimited records; every value as text (nested values as JSON).
    const format = source.type === 'ndjson' ? 'newline_delimited' : 'array';
    await q.run(
      `create or replace temp table raw_stg as
       select *, filename as _file from read_json($f, format = $format, records = true, filename = true, union_by_name = true)`,
      { f, format },
    );
    await q.run(
      `create or replace temp table stg as
       select columns(c -> c <> '_file' and c <> 'filename')::varchar, _file, row_number() over (partition by _file order by rowid) as _row
       from raw_stg`,
    );
    await q.run('drop table raw_stg');
  }
  const columns = (await q.all<{ column_name: string }>("select column_name from (describe stg) where column_name not in ('_file', '_row')")).map(
    (r) => r.column_name,
  );
  const [{ n, broken }] = await q.all<{ n: number; broken: number }>('select (select count(*) from stg) as n, (select count(*) from stg_broken) as broken');
  return { files, columns, rowsRead: n + broken, broken };
}
