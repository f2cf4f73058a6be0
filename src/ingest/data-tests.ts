import type { ConnectionQueries } from '../warehouse/connection.ts';
import { entityKeys, fieldSpecs, type EntityName } from '../warehouse/entities.ts';
import { quoteIdent as q } from '../warehouse/sql-files.ts';

export interface DataTestResult {
  test: 'not_null' | 'unique' | 'relationship' | 'accepted_values';
  column: string;
  failures: number;
  sample: string | null;
}

/**
 * dbt-style data tests on the rows a run wrote: required fields not null, key unique across the
 * whole table, references resolvable, enum values accepted. Results go to data_test_results; a
 * failure is reported in the run, it does not undo the load.
 */
export async function runDataTests(tx: ConnectionQueries, entity: EntityName, runId: number): Promise<DataTestResult[]> {
  const t = q(entity);
  const key = entityKeys[entity];
  const checks: { test: DataTestResult['test']; column: string; sql: string }[] = [];
  for (const f of fieldSpecs(entity)) {
    const c = q(f.name);
    if (f.required) checks.push({ test: 'not_null', column: f.name, sql: `select ${key.map(q).join(" || '/' || ")} as k from ${t} where _run_id = $run and ${c} is null` });
    if (f.enumValues) {
      checks.push({
        test: 'accepted_values',
        column: f.name,
        sql: `select ${c}::varchar as k from ${t} where _run_id = $run and ${c} is not null and ${c} not in (${f.enumValues.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')})`,
      });
    }
    if (f.references) {
      const target = q(f.references);
      const targetKey = q(entityKeys[f.references][0]);
      checks.push({
        test: 'relationship',
        column: f.name,
        sql: `select ${c}::varchar as k from ${t} x where _run_id = $run and ${c} is not null and not exists (select 1 from ${target} y where y.${targetKey} = x.${c})`,
      });
    }
  }
  const keyCols = key.map(q).join(', ');
  checks.push({
    test: 'unique',
    column: key.join(', '),
    sql: `select ${key.map((k) => `${q(k)}::varchar`).join(" || '/' || ")} as k from ${t}
          join (select distinct ${keyCols} from ${t} where _run_id = $run) using (${keyCols})
          group by all having count(*) > 1`,
  });
  const results: DataTestResult[] = [];
  for (const c of checks) {
    const [r] = await tx.all<{ failures: number; sample: string | null }>(
      `select count(*) as failures, string_agg(k, ', ') filter (where rn <= 3) as sample from (select k, row_number() over () as rn from (${c.sql}))`,
      { run: runId },
    );
    results.push({ test: c.test, column: c.column, failures: r.failures, sample: r.sample });
    await tx.run('insert into data_test_results values ($run, $entity, $test, $column, $failures, $sample)', {
      run: runId,
      entity,
      test: c.test,
      column: c.column,
      failures: r.failures,
      sample: r.sample,
    });
  }
  return results;
}
