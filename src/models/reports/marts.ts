import type { RawBuilder } from 'kysely';
import { sqlFile, type Warehouse } from '../../warehouse/index.ts';
import { sqlFragment } from './sql-fragment.ts';

/**
 * Report marts: denormalised copies of what the reports would otherwise join on every request
 * (20M order lines × 10M orders at the 1M-customer scale). Built by `crm models run reports`; a
 * report reads a mart only while it was built from the warehouse's current data_version, and falls
 * back to the base tables otherwise — so a stale mart can make a report slower, never wrong.
 */
export interface MartRefresh {
  name: string;
  rows: number;
  durationMs: number;
  dataVersion: number;
}

/** Rebuilds report_order_lines in one transaction (readers keep seeing the old rows until commit). */
export async function refreshReportMarts(wh: Warehouse): Promise<MartRefresh[]> {
  const started = performance.now();
  const dataVersion = await wh.dataVersion();
  const rows = await wh.transaction(async (tx) => {
    await tx.run('delete from report_order_lines');
    // Exactly the rows reports/order-lines selects, over all time, sorted by ordered_at (zone maps then
    // skip what a report's date range excludes).
    const n = await tx.run(`insert into report_order_lines select * from (${sqlFile('reports/order-lines').replace(/;\s*$/, '')}) order by ordered_at, order_id, line_no`, {
      from: '-infinity',
      to: 'infinity',
    });
    await tx.run("delete from report_marts where name = 'order_lines'");
    await tx.run(
      "insert into report_marts values ('order_lines', $version, now(), $rows, $ms)",
      { version: dataVersion, rows: n, ms: Math.round(performance.now() - started) },
    );
    return n;
  });
  return [{ name: 'order_lines', rows, durationMs: Math.round(performance.now() - started), dataVersion }];
}

/** Whether a mart was built from the warehouse's current data version. */
export async function martIsCurrent(wh: Warehouse, name: string): Promise<boolean> {
  const [row] = await wh.all<{ data_version: number }>('select data_version from report_marts where name = $name', { name });
  return row !== undefined && Number(row.data_version) === (await wh.dataVersion());
}

export interface LinesSource {
  /** Order-line facts for a range: columns of report_order_lines. */
  lines(from: string, toExclusive: string): RawBuilder<unknown>;
  note?: string;
}

/** The order-line facts: from the mart when it is current, else from the base tables (with a note). */
export async function orderLinesSource(wh: Warehouse): Promise<LinesSource> {
  if (await martIsCurrent(wh, 'order_lines')) return { lines: (from, to) => sqlFragment('reports/order-lines-mart', { from, to }) };
  return {
    lines: (from, to) => sqlFragment('reports/order-lines', { from, to }),
    note: 'Order lines were joined from the base tables (the report_order_lines mart is missing or older than the last load); `crm models run reports` makes this faster.',
  };
}

