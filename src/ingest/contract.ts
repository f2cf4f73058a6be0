import { listValue } from '@duckdb/node-api';
import { ValidationError } from '../errors.ts';
import { entityKeys, fieldSpecs, type EntityName, type FieldSpec } from '../warehouse/entities.ts';
import { quoteIdent } from '../warehouse/sql-files.ts';
import { pipelineKey, type FieldMapping, type Pipeline } from './pipeline-schema.ts';
import { sourceRecord } from './sources/files.ts';
import { referencedColumns } from './sources/postgres.ts';

/**
 * Compiles a pipeline's mapping and its entity's zod contract into one set-based DuckDB
 * statement over the staged text table `stg`: every canonical field cast to its type, and a list
 * `_errors` of {field, reason} for each row (empty for a good row). Nothing row-by-row in JS.
 * `table` is the staged table to read (`stg`; a source's key table for delete detection).
 */
export interface CompiledContract {
  sql: string;
  params: Record<string, unknown>;
  fields: FieldSpec[];
  /**
   * With `scan`: the source columns the contract reads (its rows' errors depend on nothing else),
   * hashed as a `sourceRecord` into `_h`, and the one hashed alone into `_h1` (a key's, if mapped).
   * A failing row also keeps its source text, every column, as `_raw` (JSON).
   */
  record?: { columns: string[]; first: string };
}

export interface ContractOptions {
  /**
   * A query to read instead of `table` (a source read once, see `Staged.scan`), which has no `_file`
   * or `_row` (they are null): a row that fails carries the hashes `_h` and `_h1` of `record` (null
   * for good rows), by which it is located in the file.
   */
  scan?: string;
}

/** Whether the pipeline's entity references itself (its contract then reads the staged rows twice). */
export function selfReferencing(p: Pipeline): boolean {
  return fieldSpecs(p.entity).some((f) => f.name in p.mapping && f.references === p.entity && !f.identity);
}

const TRUE = ['true', 't', 'yes', 'y', '1'];
const FALSE = ['false', 'f', 'no', 'n', '0'];

export function compileContract(p: Pipeline, sourceColumns: string[], file: string, table = 'stg', options: ContractOptions = {}): CompiledContract {
  const params: Record<string, unknown> = {};
  let n = 0;
  const bind = (v: unknown) => {
    const name = `p${n++}`;
    params[name] = v;
    return `$${name}`;
  };
  const available = new Set(sourceColumns);
  const fields = fieldSpecs(p.entity).filter((f) => f.name in p.mapping);
  const selects: string[] = [];
  const errors: string[] = [];
  const conditions: string[] = [];
  const joins: string[] = [];
  const extras: string[] = [];

  // First pass: each field's source text expression (self-references below need the key's).
  const texts = new Map<string, string>();
  for (const f of fields) {
    const m = normalise(p.mapping[f.name]);
    const path = `mapping.${f.name}`;
    let text: string;
    if (m.from !== undefined) {
      // `_row` (line of a text file, record of others) and `_file` give sources without an id one.
      if (!available.has(m.from) && m.from !== '_row' && m.from !== '_file') {
        throw new ValidationError(`source column "${m.from}" does not exist; the source has: ${sourceColumns.join(', ')} (and _row, _file)`, { file, field: path });
      }
      text = `${quoteIdent(m.from)}::varchar`;
    } else {
      text = bind(String(m.const));
    }
    for (const t of m.transform) {
      if (t === 'trim') text = `trim(${text})`;
      else if (t === 'lower') text = `lower(${text})`;
      else if (t === 'upper') text = `upper(${text})`;
      else if (t === 'digits') text = `regexp_replace(${text}, '[^0-9]', '', 'g')`;
    }
    text = `nullif(${m.transform.length ? `trim(${text})` : trimmed(text)}, '')`;
    if (m.map) {
      const cases = Object.entries(m.map).map(([from, to]) => `when ${bind(from)} then ${to === null ? 'null' : bind(to)}`);
      text = `case ${text} ${cases.join(' ')} else ${text} end`;
    }
    texts.set(f.name, text);
  }

  for (const f of fields) {
    const m = normalise(p.mapping[f.name]);
    const text = texts.get(f.name)!;
    const raw = `r_${f.name}`;
    selects.push(`${text} as ${quoteIdent(raw)}`);
    const typed = castExpr(f, quoteIdent(raw), m, p.timezone, bind);
    selects.push(`${typed} as ${quoteIdent(f.name)}`);

    const fieldLit = bind(f.name);
    const err = (cond: string, reason: string) => {
      conditions.push(cond);
      errors.push(`case when ${cond} then {'field': ${fieldLit}, 'reason': ${reason}} end`);
    };
    const rawRef = `s.${quoteIdent(raw)}`;
    const val = `s.${quoteIdent(f.name)}`;
    if (f.required) err(`${rawRef} is null`, bind('required field is empty'));
    if (f.kind !== 'text') {
      const what = m.format ? `${f.kind} in format ${[m.format].flat().join(' or ')}` : f.kind;
      err(`${rawRef} is not null and ${val} is null`, `'cannot read ''' || ${rawRef} || ''' as ' || ${bind(what)}`);
    }
    if (f.enumValues) {
      err(`${val} is not null and not list_contains(${bind(listValue([...f.enumValues]))}, ${val})`, `'''' || ${val} || ''' is not one of ' || ${bind(f.enumValues.join(', '))}`);
    }
    if (f.min !== undefined) err(`${val} < ${bind(f.min)}`, `'value ' || ${val} || ' is below the minimum ' || ${bind(String(f.min))}`);
    if (f.max !== undefined) err(`${val} > ${bind(f.max)}`, `'value ' || ${val} || ' is above the maximum ' || ${bind(String(f.max))}`);
    if (f.email) err(`${val} is not null and not regexp_full_match(${val}, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+')`, `'malformed e-mail address ''' || ${val} || ''''`);
    if (f.references) {
      const alias = `ref_${f.name}`;
      if (f.identity) {
        if (!p.identity.createMissing && p.entity !== 'customers') {
          const system = p.identity.system ?? p.system ?? p.name;
          joins.push(
            `left join customer_sources ${alias} on ${alias}.source_system = ${bind(system)} and ${alias}.external_id = ${val}`,
          );
          err(`${val} is not null and ${alias}.customer_id is null`, `'unknown customer ''' || ${val} || ''' in system ' || ${bind(system)}`);
          extras.push(`${alias}.customer_id as ${quoteIdent(`_cid_${f.name}`)}`);
        }
      } else {
        const target = f.references;
        const key = quoteIdent(entityKeys[target][0]);
        // A reference may point at a row of the warehouse or at a row of this same file (self-references).
        const keyText = texts.get(entityKeys[target][0]);
        const selfRef = target === p.entity && keyText ? ` union select ${keyText} from ${quoteIdent(table)}` : '';
        joins.push(`left join (select distinct ${key}::varchar as k from ${quoteIdent(target)}${selfRef}) ${alias} on ${alias}.k = ${val}`);
        err(`${val} is not null and ${alias}.k is null`, `'unknown ' || ${bind(singular(target))} || ' ''' || ${val} || ''''`);
      }
    }
  }

  if (p.deletes?.detect === 'flag' && available.has(p.deletes.column)) selects.push(`${quoteIdent(p.deletes.column)}::varchar as _delete_flag`);
  // A watermark kept in a source column (not a mapped field) is read as an instant like a timestamp field.
  const wmColumn = p.incremental?.column;
  if (wmColumn !== undefined && available.has(wmColumn)) {
    const wmField = { name: wmColumn, kind: 'timestamp', required: false } as const;
    selects.push(`${castExpr(wmField, `nullif(trim(${quoteIdent(wmColumn)}::varchar), '')`, { transform: [] }, p.timezone, bind)} as _watermark_src`);
  }
  // The cheap OR decides; only bad rows build their list of problems (and, read from a scan, keep their text).
  const failing = conditions.map((c) => `coalesce(${c}, false)`).join(' or ') || 'false';
  const scan = options.scan;
  // Read from a scan, a failing row is found again in the file by the hash of the columns it was read from.
  const used = new Set(referencedColumns(p).map(([, c]) => c).filter((c) => available.has(c)));
  const recordColumns = used.size ? sourceColumns.filter((c) => used.has(c)) : sourceColumns;
  const keyFrom = pipelineKey(p).map((k) => (k in p.mapping ? normalise(p.mapping[k]).from : undefined)).find((c) => c !== undefined && used.has(c));
  const record = scan ? { columns: recordColumns, first: keyFrom ?? recordColumns[0] } : undefined;
  // `_all`: every source column, for a failing row's source text (`_raw`, the row as JSON).
  const source = record
    ? `null::varchar as _file, null::bigint as _row, ${sourceRecord(record.columns)} as _src, ${sourceRecord(sourceColumns)} as _all`
    : '_file, _row';
  const sql = `select s.* exclude (${[...fields.map((f) => quoteIdent(`r_${f.name}`)), ...(scan ? ['_src', '_all'] : [])].join(', ')}),${extras.map((e) => `\n  ${e},`).join('')}
  case when ${failing}
    then list_filter([${errors.join(',\n    ') || 'null'}], e -> e is not null) else [] end as _errors${record ? `,\n  case when ${failing} then hash(s._src) end as _h, case when ${failing} then hash(s._src[${quoteLiteral(record.first)}]) end as _h1,\n  case when ${failing} then to_json(s._all) end as _raw` : ''}
from (select ${source}, ${selects.join(',\n    ')} from ${scan ? `(${scan})` : quoteIdent(table)}) s
${joins.join('\n')}`;
  return { sql, params, fields, record };
}


const quoteLiteral = (v: string) => `'${v.replaceAll("'", "''")}'`;

/**
 * `trim(x)` without its cost where there is nothing to trim (most values: trim copies every string,
 * about a fifth of the contract read's CPU at 10 M rows). DuckDB's trim removes Unicode space separators
 * (U+0020, U+00A0, U+2000…): an all-ASCII value (as many bytes as characters) that neither starts nor
 * ends with a space is its own trim.
 */
function trimmed(x: string): string {
  return `case when starts_with(${x}, ' ') or ends_with(${x}, ' ') or strlen(${x}) <> length(${x}) then trim(${x}) else ${x} end`;
}

function singular(entity: EntityName): string {
  return entity.replace(/ies$/, 'y').replace(/s$/, '');
}

function normalise(m: FieldMapping): Exclude<FieldMapping, string> {
  return typeof m === 'string' ? { from: m, transform: [] } : m;
}

/** The cast of one staged text expression to a field's type (null where it cannot be read). */
export function castExpr(f: FieldSpec, x: string, m: Exclude<FieldMapping, string>, tz: string, bind: (v: unknown) => string): string {
  const formats = m.format === undefined ? undefined : [m.format].flat();
  // One format binds as a string: with a list, DuckDB's %z parsing rolls impossible dates over.
  const fmt = () => bind(formats!.length === 1 ? formats![0] : listValue(formats!));
  switch (f.kind) {
    case 'text':
      return x;
    case 'integer': {
      const v = m.scale ? `try_cast(try_cast(${x} as double) * ${bind(m.scale)} as bigint)` : `try_cast(${x} as bigint)`;
      return v;
    }
    case 'decimal':
      return m.scale ? `try_cast(try_cast(${x} as double) * ${bind(m.scale)} as decimal(18, 2))` : `try_cast(${x} as decimal(18, 2))`;
    case 'boolean':
      return `case when list_contains(${bind(listValue(TRUE))}, lower(${x})) then true when list_contains(${bind(listValue(FALSE))}, lower(${x})) then false end`;
    case 'date':
      return formats ? `try_strptime(${x}, ${fmt()})::date` : `try_cast(${x} as date)`;
    case 'timestamp': {
      if (formats?.some((fmt) => fmt.includes('%z') || fmt.includes('%Z'))) return `try_strptime(${x}, ${fmt()})::timestamptz`;
      const local = formats ? `try_strptime(${x}, ${fmt()})::timestamp` : `try_cast(${x} as timestamp)`;
      const zoned = `timezone(${bind(tz)}, ${local})`;
      // Without a format, a value that carries its own offset keeps it; others are read in the pipeline's zone.
      return formats ? zoned : `case when regexp_matches(${x}, '(Z|[+-]\\d\\d(:?\\d\\d)?)$') then try_cast(${x} as timestamptz) else ${zoned} end`;
    }
  }
}
