import type { ConnectionQueries } from '../warehouse/connection.ts';
import { entityKeys, fieldSpecs, type EntityName } from '../warehouse/entities.ts';
import { quoteIdent as q } from '../warehouse/sql-files.ts';

export interface DataTestResult {
  test: 'not_null' | 'unique' | 'relationship' | 'accepted_values';
  column: string;
  failures: number;
  sample: string | null;
}

interface Check {
  test: DataTestResult['test'];
  column: string;
  /** A failing row's condition over the run's rows `x` (and the joins below). */
  fails: string;
  /** What a failure shows as its sample. */
  sample: string;
}

/**
 * dbt-style data tests on the rows a run wrote: required fields not null, key unique across the
 * whole table, references resolvable, enum values accepted. One scan of the run's rows counts every
 * row-level check (references as mark joins, probed by the run's rows); uniqueness needs its own grouping, skipped with
 * `unique: false` where the load guarantees it. Results go to
 * data_test_results; a failure is reported in the run, it does not undo the load.
 */
export async function runDataTests(tx: ConnectionQueries, entity: EntityName, runId: number, options: { unique?: boolean } = {}): Promise<DataTestResult[]> {
  const t = q(entity);
  const keyText = keyTextOf(entity);
  const checks: Check[] = [];
  // Each reference as a flag computed by a mark join: the run's rows probe the referenced keys. (As a
  // left join, the optimizer may build its hash table on the run's rows — 10 M of them — instead.)
  const flags: string[] = [];
  for (const [i, f] of fieldSpecs(entity).entries()) {
    const c = `x.${q(f.name)}`;
    if (f.required) checks.push({ test: 'not_null', column: f.name, fails: `${c} is null`, sample: keyText });
    if (f.enumValues) {
      const values = f.enumValues.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ');
      checks.push({ test: 'accepted_values', column: f.name, fails: `${c} is not null and ${c} not in (${values})`, sample: `${c}::varchar` });
    }
    if (f.references) {
      const flag = `_known_${i}`;
      const targetKey = q(entityKeys[f.references][0]);
      flags.push(`x.${q(f.name)} in (select ${targetKey} from ${q(f.references)} where ${targetKey} is not null) as ${flag}`);
      checks.push({ test: 'relationship', column: f.name, fails: `${c} is not null and not x.${flag}`, sample: `${c}::varchar` });
    }
  }
  const results: DataTestResult[] = [];
  if (checks.length) {
    const [row] = await tx.all<Record<string, number | string[] | null>>(
      `select ${checks.map((c, i) => `count(*) filter (where ${c.fails}) as f${i}, min(${c.sample}, 3) filter (where ${c.fails}) as s${i}`).join(',\n  ')}
       from (select x.*${flags.map((fl) => `, ${fl}`).join('')} from ${t} x where x._run_id = $run) x`,
      { run: runId },
    );
    checks.forEach((c, i) => {
      const sample = row[`s${i}`] as string[] | null;
      results.push({ test: c.test, column: c.column, failures: row[`f${i}`] as number, sample: sample?.length ? sample.join(', ') : null });
    });
  }
  if (options.unique !== false) results.push(await uniqueTest(tx, entity, runId));
  for (const r of results) {
    await tx.run('insert into data_test_results values ($run, $entity, $test, $column, $failures, $sample)', { run: runId, entity, ...r });
  }
  return results;
}

/** A row's key as text, for samples: 'a' or 'a/b'. */
const keyTextOf = (entity: EntityName) => entityKeys[entity].map((k) => `x.${q(k)}::varchar`).join(" || '/' || ");

/** The run's keys that occur more than once in the whole table. */
async function uniqueTest(tx: ConnectionQueries, entity: EntityName, runId: number): Promise<DataTestResult> {
  const t = q(entity);
  const keyCols = entityKeys[entity].map(q).join(', ');
  const [dup] = await tx.all<{ failures: number; sample: string[] | null }>(
    `select count(*) as failures, min(k, 3) as sample from (
       select ${keyTextOf(entity)} as k from ${t} x
       join (select distinct ${keyCols} from ${t} where _run_id = $run) using (${keyCols})
       group by all having count(*) > 1)`,
    { run: runId },
  );
  return { test: 'unique', column: entityKeys[entity].join(', '), failures: dup.failures, sample: dup.sample?.length ? dup.sample.join(', ') : null };
}
