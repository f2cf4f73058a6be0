/**
 * A retention run: the cohort matrix (first-purchase month × months since, customers and net revenue)
 * and the monthly lifecycle (new / returning / resurrecting / dormant), all set-based in DuckDB.
 * Outputs replace retention_cohorts and retention_lifecycle in one transaction.
 */
import { z } from 'zod';
import { AppError, fromZodError } from '../../errors.ts';
import { sqlFile, type Warehouse } from '../../warehouse/index.ts';
import { finishModelRun, startModelRun } from '../clv/model-runs.ts';

export const retentionParamsSchema = z
  .object({
    /** Last day of data used (inclusive); default: the last purchase day. */
    asOf: z.iso.date({ message: 'expected a date YYYY-MM-DD' }).optional(),
  })
  .strict();

export interface RetentionRunResult {
  runId: number;
  asOfDate: string;
  cohorts: number;
  customers: number;
  /** Mean customer retention in month 1 and month 12 over cohorts that reached them. */
  month1Retention: number | null;
  month12Retention: number | null;
  summary: string;
}

/**
 * @example const r = await runRetention(wh, { asOf: '2026-10-31' }); // r.month1Retention ≈ 0.12
 */
export async function runRetention(wh: Warehouse, input: unknown = {}): Promise<RetentionRunResult> {
  const parsed = retentionParamsSchema.safeParse(input);
  if (!parsed.success) throw fromZodError(parsed.error, 'retention parameters');
  const runId = await startModelRun(wh, 'retention', parsed.data);
  try {
    return await wh.withConnection(async (q) => {
      const [{ last, first }] = await q.all<{ last: string | null; first: string | null }>('select max(purchase_day) as last, min(purchase_day) as first from model_purchases');
      if (!last) throw new AppError('MODEL', 'there are no purchases (completed or returned orders) in the warehouse: load orders first (crm ingest …)');
      const asOf = parsed.data.asOf ?? last;
      if (asOf < first!) throw new AppError('MODEL', `no purchase on or before ${asOf}; the first is on ${first}`);
      await q.run(`create or replace temp table retention_customer_months as ${sqlFile('models/retention/customer_months')}`, { as_of: asOf });
      const [stats] = await q.all<{ customers: number; cohorts: number; m1: number | null; m12: number | null }>(
        `with c as (${sqlFile('models/retention/cohorts')})
         select (select count(distinct customer_id) from retention_customer_months) as customers,
                count(distinct cohort_month) as cohorts,
                avg(customer_retention) filter (where months_since = 1) as m1,
                avg(customer_retention) filter (where months_since = 12) as m12
         from c`,
        { as_of: asOf },
      );
      const summary = `retention run ${runId} as of ${asOf}: ${stats.customers} customers in ${stats.cohorts} monthly cohorts${
        stats.m1 !== null ? `, month-1 retention ${(100 * stats.m1).toFixed(1)}%` : ''
      }${stats.m12 !== null ? `, month-12 ${(100 * stats.m12).toFixed(1)}%` : ''}`;
      await q.run('begin transaction');
      try {
        await q.run('delete from retention_cohorts');
        await q.run(`insert into retention_cohorts select $run_id, cast($as_of as date), * from (${sqlFile('models/retention/cohorts')})`, { run_id: runId, as_of: asOf });
        await q.run('delete from retention_lifecycle');
        await q.run(`insert into retention_lifecycle select $run_id, cast($as_of as date), * from (${sqlFile('models/retention/lifecycle')})`, { run_id: runId, as_of: asOf });
        await finishModelRun(q, runId, {
          status: 'succeeded',
          asOfDate: asOf,
          dataStart: first,
          dataEnd: asOf,
          nCustomers: stats.customers,
          diagnostics: { cohorts: stats.cohorts, month1_retention: stats.m1, month12_retention: stats.m12 },
          summary,
        });
        await q.run('commit');
      } catch (e) {
        await q.run('rollback').catch(() => undefined);
        throw e;
      }
      await q.run('drop table if exists retention_customer_months');
      return { runId, asOfDate: asOf, cohorts: stats.cohorts, customers: stats.customers, month1Retention: stats.m1, month12Retention: stats.m12, summary };
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await finishModelRun(wh, runId, { status: 'failed', asOfDate: parsed.data.asOf ?? null, error: message, summary: `retention run ${runId} failed: ${message}` }).catch(() => undefined);
    if (e instanceof AppError) throw new AppError(e.code, e.message, { ...e.details, runId });
    throw new AppError('MODEL', `retention run ${runId} failed: ${message}`, { runId });
  }
}
