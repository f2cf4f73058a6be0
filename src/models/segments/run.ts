import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { loadCatalog, type SegmentEntry } from './catalog.ts';
import { membersQuery, resolveAsOf, segmentSelection, valueRun, type Selection } from './evaluate.ts';
import { rfmParamsSchema, scoreMapHash, scoreRfmRun, type ScoreMap } from './rfm.ts';
import { segmentDb } from './tables.ts';
import type { ModelEntry } from '../index.ts';

/**
 * The segments model run: scores RFM as of a day into rfm_scores, then snapshots the membership of
 * every segment (RFM, built-in and user, current versions) into segment_membership and their sizes
 * into segment_sizes — all under one run id, in one transaction. Segments that need the clv model's
 * scores are skipped (and say so) when customer_value is empty, rather than failing the run.
 */

export const segmentRunParamsSchema = rfmParamsSchema.extend({
  asOf: z.iso.date().optional(),
  /** Only these segments (default: all). */
  segments: z.array(z.string()).optional(),
});
export type SegmentRunParams = z.input<typeof segmentRunParamsSchema>;

export interface SegmentRunResult {
  runId: number;
  asOf: string;
  customersScored: number;
  valueRunId: number | null;
  sizes: { segment: string; source: string; members: number | null; status: 'evaluated' | 'skipped'; message: string | null }[];
  durationMs: number;
  summary: string;
}

function orderEntries(entries: SegmentEntry[]): SegmentEntry[] {
  const rank = { rfm: 0, builtin: 1, user: 2 } as const;
  return entries.sort((a, b) => rank[a.source] - rank[b.source] || (a.source === 'rfm' ? 0 : a.name.localeCompare(b.name)));
}

/**
 * Scores and snapshots as of `asOf`, by default the day of the newest order (like clv and churn), so
 * an export that stopped weeks ago is not scored as if its customers had all gone quiet since.
 *
 * @example
 * const r = await runSegments(wh, { asOf: '2026-06-30' });
 * // r.sizes: [{ segment: 'rfm-champions', members: 1234, status: 'evaluated' }, …]
 */
export async function runSegments(wh: Warehouse, input: SegmentRunParams = {}, options: { scoreMap?: ScoreMap } = {}): Promise<SegmentRunResult> {
  const params = segmentRunParamsSchema.parse(input);
  const [{ day }] = params.asOf ? [{ day: params.asOf }] : await wh.all<{ day: string | null }>('select cast(max(ordered_at) as date) as day from orders');
  const asOf = resolveAsOf(day ?? undefined);
  const started = Date.now();
  const catalog = await loadCatalog(wh, options);
  let entries = orderEntries([...catalog.segments.values()]);
  if (params.segments) {
    const unknown = params.segments.filter((s) => !catalog.segments.has(s));
    if (unknown.length) throw new AppError('NOT_FOUND', `unknown segment ${unknown.join(', ')}`);
    entries = entries.filter((e) => params.segments!.includes(e.name));
  }
  const rfm = { lookbackDays: params.lookbackDays, ties: params.ties };
  const [{ id: runId }] = await wh.all<{ id: number }>("select nextval('segment_run_id_seq') as id");
  await wh.run(
    `insert into segment_runs (run_id, as_of, status, params, started_at) values ($run, $as_of, 'running', $params, now())`,
    { run: runId, as_of: asOf, params: JSON.stringify({ ...rfm, score_map_hash: scoreMapHash(catalog.scoreMap), segments: params.segments ?? null }) },
  );
  const db = segmentDb(wh);
  try {
    const result = await wh.transaction(async (tx) => {
      const customersScored = await scoreRfmRun(tx, runId, asOf, rfm, catalog.scoreMap);
      const valueRunId = await valueRun(tx, []).catch(() => null);
      const sizes: SegmentRunResult['sizes'] = [];
      for (const e of entries) {
        let sel: Selection;
        let skip: string | null = null;
        try {
          sel = segmentSelection(catalog, e.name, asOf);
          if (sel.needsValue && valueRunId === null) skip = 'needs the clv model: run `crm models run clv` first';
        } catch (err) {
          skip = err instanceof Error ? err.message : String(err);
          sel = undefined as never;
        }
        let members: number | null = null;
        if (!skip) {
          const select = membersQuery(db, sel, { asOf, rfm: { table: 'rfm_scores', runId } }).select([sql<number>`${runId}`.as('run_id'), sql<string>`cast(${asOf} as date)`.as('as_of')] as never);
          const insert = db
            .insertInto('segment_membership')
            .columns(['customer_id', 'segment_name', 'run_id', 'as_of'])
            .expression(select as never)
            .compile();
          members = await tx.run(insert.sql, [...insert.parameters]);
        }
        await tx.run(
          `insert into segment_sizes values ($run, $as_of, $name, $source, $version, $hash, $members, $status, $message)`,
          { run: runId, as_of: asOf, name: e.name, source: e.source, version: e.version, hash: e.hash, members, status: skip ? 'skipped' : 'evaluated', message: skip },
        );
        sizes.push({ segment: e.name, source: e.source, members, status: skip ? 'skipped' : 'evaluated', message: skip });
      }
      const evaluated = sizes.filter((s) => s.status === 'evaluated').length;
      const skipped = sizes.length - evaluated;
      const durationMs = Date.now() - started;
      const summary = `segments run ${runId} as of ${asOf}: ${customersScored} customers RFM-scored, ${evaluated} segments evaluated${skipped ? `, ${skipped} skipped` : ''} in ${(durationMs / 1000).toFixed(1)} s`;
      await tx.run(
        `update segment_runs set status = 'succeeded', value_run_id = $value_run, customers_scored = $scored, segments_evaluated = $evaluated,
           segments_skipped = $skipped, summary = $summary, finished_at = now(), duration_ms = $ms where run_id = $run`,
        { value_run: valueRunId, scored: customersScored, evaluated, skipped, summary, ms: durationMs, run: runId },
      );
      return { runId, asOf, customersScored, valueRunId, sizes, durationMs, summary };
    });
    return result;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await wh.run(`update segment_runs set status = 'failed', error = $error, finished_at = now(), duration_ms = $ms where run_id = $run`, {
      error: message,
      ms: Date.now() - started,
      run: runId,
    });
    throw e;
  }
}

/**
 * The registry entry (src/models/index.ts): `crm models run segments` = `crm segment run`.
 * No hard dependency on clv: segments that need CLV scores read the latest customer_value and are
 * skipped (and say so) when there is none, so a failed or slow clv fit never blocks RFM and the other
 * segments. The registry lists segments after clv, so `crm models run` refreshes CLV first.
 */
export const segmentsModel: ModelEntry = {
  name: 'segments',
  description: 'RFM scores and membership snapshots of every segment (reads the latest clv scores where rules use them)',
  run: async (wh, { asOf }) => {
    const r = await runSegments(wh, { asOf });
    return { runId: r.runId, summary: r.summary };
  },
};
