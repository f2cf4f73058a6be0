import { sql } from 'kysely';
import { AppError } from '../../errors.ts';
import type { Queryable, Warehouse } from '../../warehouse/index.ts';
import { loadCatalog, requirePlan, requireSegment } from './catalog.ts';
import { segmentDb, type SegmentRunsTable } from './tables.ts';

/**
 * Membership over time, from the snapshots of segment runs: sizes per run (trends), and migration
 * between two runs. Migration needs one segment per customer per run, so it works over a priority
 * list — a campaign plan, an explicit list, or by default the RFM segments (which do not overlap):
 * each customer counts under the first listed segment they were in, or "(none)".
 */

export const NONE = '(none)';

export async function listRuns(q: Queryable, limit = 20): Promise<SegmentRunsTable[]> {
  return q.all<SegmentRunsTable>('select * from segment_runs order by run_id desc limit $limit', { limit });
}

async function succeededRun(q: Queryable, runId: number): Promise<{ run_id: number; as_of: string }> {
  const [r] = await q.all<{ run_id: number; as_of: string; status: string }>('select run_id, as_of, status from segment_runs where run_id = $r', { r: runId });
  if (!r) throw new AppError('NOT_FOUND', `segment run ${runId} does not exist (see \`crm segment runs\`)`);
  if (r.status !== 'succeeded') throw new AppError('VALIDATION', `segment run ${runId} ${r.status}; pick a succeeded run`);
  return r;
}

/**
 * The two runs to compare: as given, or by default the latest succeeded run and the one before it.
 * `fromDate` / `toDate` pick the latest succeeded run as of that day.
 */
export async function resolveRunPair(
  q: Queryable,
  o: { fromRun?: number; toRun?: number; fromDate?: string; toDate?: string },
): Promise<{ from: { run_id: number; as_of: string }; to: { run_id: number; as_of: string } }> {
  const byDate = async (d: string) => {
    const [r] = await q.all<{ run_id: number }>("select max(run_id) as run_id from segment_runs where status = 'succeeded' and as_of <= cast($d as date)", { d });
    if (r.run_id === null) throw new AppError('NOT_FOUND', `no succeeded segment run as of ${d}`);
    return r.run_id;
  };
  const runs = await q.all<{ run_id: number; as_of: string }>("select run_id, as_of from segment_runs where status = 'succeeded' order by run_id desc limit 2");
  const toId = o.toRun ?? (o.toDate ? await byDate(o.toDate) : runs[0]?.run_id);
  if (toId === undefined) throw new AppError('NOT_FOUND', 'no segment run yet: run `crm models run segments` (or `crm segment run`)');
  let fromId = o.fromRun ?? (o.fromDate ? await byDate(o.fromDate) : undefined);
  if (fromId === undefined) {
    const [prev] = await q.all<{ run_id: number | null }>("select max(run_id) as run_id from segment_runs where status = 'succeeded' and run_id < $to", { to: toId });
    if (prev.run_id === null) throw new AppError('NOT_FOUND', `no succeeded segment run before run ${toId} to compare with; run the model again later (or pass --from-run)`);
    fromId = prev.run_id;
  }
  return { from: await succeededRun(q, fromId), to: await succeededRun(q, toId) };
}

/** The priority list to migrate over: a plan's segments, an explicit list, or the RFM segments. */
async function priorityList(wh: Warehouse, o: { plan?: string; segments?: string[] }): Promise<string[]> {
  const catalog = await loadCatalog(wh);
  if (o.plan && o.segments) throw new AppError('VALIDATION', 'give a plan or a list of segments, not both');
  if (o.segments) {
    o.segments.forEach((s) => requireSegment(catalog, s));
    return o.segments;
  }
  return requirePlan(catalog, o.plan ?? 'rfm').definition.segments;
}

const assignment = (runId: number, list: string[]) => sql`
  select customer_id, arg_min(segment_name, list_position([${sql.join(list)}], segment_name)) as segment_name
  from segment_membership
  where run_id = ${runId} and segment_name in (${sql.join(list)})
  group by customer_id`;

export interface MigrationMatrix {
  from: { run_id: number; as_of: string };
  to: { run_id: number; as_of: string };
  segments: string[];
  /** One row per (from, to) pair with customers; "(none)" = in none of the listed segments. */
  rows: { from_segment: string; to_segment: string; customers: number }[];
}

/**
 * From → to counts between two runs.
 *
 * @example
 * const m = await migrationMatrix(wh, {});  // latest two runs, RFM segments
 * m.rows.find((r) => r.from_segment === 'rfm-loyal' && r.to_segment === 'rfm-at-risk')?.customers
 */
export async function migrationMatrix(
  wh: Warehouse,
  o: { fromRun?: number; toRun?: number; fromDate?: string; toDate?: string; plan?: string; segments?: string[] } = {},
): Promise<MigrationMatrix> {
  const list = await priorityList(wh, o);
  const { from, to } = await resolveRunPair(wh, o);
  const order = [...list, NONE];
  const { rows } = await sql<{ from_segment: string; to_segment: string; customers: number }>`
    with a as (${assignment(from.run_id, list)}), b as (${assignment(to.run_id, list)})
    select coalesce(a.segment_name, ${NONE}) as from_segment, coalesce(b.segment_name, ${NONE}) as to_segment, count(*) as customers
    from a full join b on a.customer_id = b.customer_id
    group by all`.execute(segmentDb(wh));
  rows.sort((x, y) => order.indexOf(x.from_segment) - order.indexOf(y.from_segment) || order.indexOf(x.to_segment) - order.indexOf(y.to_segment));
  return { from, to, segments: list, rows };
}

/** The same matrix as one row per from-segment with a column per to-segment (for display). */
export function pivotMatrix(m: MigrationMatrix): Record<string, string | number>[] {
  const order = [...m.segments, NONE];
  const present = (k: 'from_segment' | 'to_segment') => order.filter((s) => m.rows.some((r) => r[k] === s));
  return present('from_segment').map((f) => ({
    from: f,
    ...Object.fromEntries(present('to_segment').map((t) => [t, m.rows.find((r) => r.from_segment === f && r.to_segment === t)?.customers ?? 0])),
  }));
}

/**
 * The customers who moved from one segment to another between two runs ("who moved from Loyal to
 * At Risk this month"), within the same priority list as the matrix.
 */
export async function movers(
  wh: Warehouse,
  o: { from: string; to: string; fromRun?: number; toRun?: number; fromDate?: string; toDate?: string; plan?: string; segments?: string[]; limit?: number },
): Promise<{ from: { run_id: number; as_of: string }; to: { run_id: number; as_of: string }; total: number; rows: { customer_id: number; first_name: string | null; last_name: string | null; email: string | null }[] }> {
  const list = await priorityList(wh, o);
  for (const s of [o.from, o.to]) if (s !== NONE && !list.includes(s)) throw new AppError('VALIDATION', `"${s}" is not in the list compared (${list.join(', ')}, ${NONE})`);
  const runs = await resolveRunPair(wh, o);
  const { rows } = await sql<{ customer_id: number; first_name: string | null; last_name: string | null; email: string | null; total: number }>`
    with a as (${assignment(runs.from.run_id, list)}), b as (${assignment(runs.to.run_id, list)}),
    moved as (
      select coalesce(a.customer_id, b.customer_id) as customer_id
      from a full join b on a.customer_id = b.customer_id
      where coalesce(a.segment_name, ${NONE}) = ${o.from} and coalesce(b.segment_name, ${NONE}) = ${o.to}
    )
    select m.customer_id, c.first_name, c.last_name, c.email, count(*) over () as total
    from moved m left join customers c on c.customer_id = m.customer_id
    order by m.customer_id
    limit ${o.limit ?? 100}`.execute(segmentDb(wh));
  return { ...runs, total: rows[0]?.total ?? 0, rows: rows.map(({ total: _t, ...r }) => r) };
}

/**
 * Segment sizes per run (oldest first), for trends.
 *
 * @example
 * await segmentTrend(wh, { segments: ['rfm-loyal', 'rfm-at-risk'], runs: 12 })
 */
export async function segmentTrend(
  wh: Warehouse,
  o: { segments?: string[]; runs?: number } = {},
): Promise<{ run_id: number; as_of: string; segment_name: string; members: number | null; status: string; change: number | null }[]> {
  let q = segmentDb(wh)
    .selectFrom('segment_sizes as s')
    .innerJoin('segment_runs as r', 'r.run_id', 's.run_id')
    .where('r.status', '=', 'succeeded')
    .where('s.run_id', 'in', (eb) => eb.selectFrom('segment_runs').select('run_id').where('status', '=', 'succeeded').orderBy('run_id', 'desc').limit(o.runs ?? 12));
  if (o.segments?.length) q = q.where('s.segment_name', 'in', o.segments);
  const rows = await q
    .select(['s.run_id', 's.as_of', 's.segment_name', 's.members', 's.status'])
    .select(sql<number | null>`s.members - lag(s.members) over (partition by s.segment_name order by s.run_id)`.as('change'))
    .orderBy('s.run_id')
    .orderBy('s.segment_name')
    .execute();
  return rows;
}

/**
 * The RFM segments of a run (default: the latest succeeded): size, share and average recency,
 * frequency and monetary value, in score-map order.
 */
export async function rfmSummary(
  wh: Warehouse,
  runId?: number,
): Promise<{ run_id: number; as_of: string; rows: { segment: string; label: string; customers: number; share: number; avg_recency_days: number; avg_frequency: number; avg_monetary: number; total_monetary: number }[] }> {
  const run =
    runId !== undefined
      ? await succeededRun(wh, runId)
      : (await wh.all<{ run_id: number; as_of: string }>("select run_id, as_of from segment_runs where status = 'succeeded' order by run_id desc limit 1"))[0];
  if (!run) throw new AppError('NOT_FOUND', 'no segment run yet: run `crm models run segments` (or `crm segment run`)');
  const rows = await wh.all<{ segment: string; label: string; customers: number; share: number; avg_recency_days: number; avg_frequency: number; avg_monetary: number; total_monetary: number }>(
    `select s.rfm_segment as segment, any_value(s.rfm_label) as label, count(*) as customers,
            round(count(*) / sum(count(*)) over (), 4) as share,
            round(avg(s.recency_days), 1) as avg_recency_days, round(avg(s.frequency), 2) as avg_frequency,
            round(avg(s.monetary), 2) as avg_monetary, sum(s.monetary) as total_monetary
     from rfm_scores s
     join segment_runs r on r.run_id = s.run_id
     left join rfm_segment_map m
       on m.map_hash = json_extract_string(r.params, '$.score_map_hash') and m.r = s.r_score and m.f = s.f_score and m.m = s.m_score
     where s.run_id = $run
     group by s.rfm_segment
     order by min(m.priority), s.rfm_segment`,
    { run: run.run_id },
  );
  return { run_id: run.run_id, as_of: run.as_of, rows };
}
