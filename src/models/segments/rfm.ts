import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, ValidationError } from '../../errors.ts';
import { queriesDir, sqlFile, type Queryable } from '../../warehouse/index.ts';
import { canonicalJson, issuesError, sha256, slugSchema } from './rules.ts';
import type { RfmSegmentMapTable } from './tables.ts';

/**
 * RFM: quintile scores in SQL (queries/models/segments/rfm_scores.sql) and named segments from a
 * score map (queries/models/segments/rfm-score-map.json). The map is data: a list of segments, each
 * with boxes of score ranges; the first segment whose box contains a cell names it. It is expanded
 * here into the 125 (r, f, m) cells and stored in rfm_segment_map under its hash, so the SQL joins a
 * plain table and every run records exactly which map named its customers.
 */

const range = z
  .tuple([z.int().min(1).max(5), z.int().min(1).max(5)])
  .refine(([lo, hi]) => lo <= hi, { message: 'low is above high' });
const box = z
  .object({ r: range.optional(), f: range.optional(), m: range.optional(), fm: range.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'a box needs at least one of r, f, m, fm' });

export const scoreMapSchema = z
  .object({
    description: z.string().optional(),
    segments: z
      .array(
        z
          .object({
            name: slugSchema,
            label: z.string().min(1),
            description: z.string().optional(),
            when: z.array(box).min(1),
          })
          .strict(),
      )
      .min(1)
      .refine((s) => new Set(s.map((x) => x.name)).size === s.length, { message: 'a segment name is used twice' }),
  })
  .strict();
export type ScoreMap = z.infer<typeof scoreMapSchema>;

/** One (r, f, m) cell of an expanded score map, as stored in rfm_segment_map. */
export type MapCell = Omit<RfmSegmentMapTable, 'map_hash'>;

export const defaultScoreMapFile = join(queriesDir, 'models/segments/rfm-score-map.json');

/** fm: the combined frequency–monetary score, round half up of (f + m) / 2. */
export const fmScore = (f: number, m: number) => Math.floor((f + m + 1) / 2);

/** Expands a map into its 125 cells; throws a ValidationError naming the cells no segment covers. */
export function expandScoreMap(map: ScoreMap, file?: string): MapCell[] {
  const cells: MapCell[] = [];
  const missing: string[] = [];
  for (let r = 1; r <= 5; r++)
    for (let f = 1; f <= 5; f++)
      for (let m = 1; m <= 5; m++) {
        const scores = { r, f, m, fm: fmScore(f, m) };
        const hit = map.segments.findIndex((s) =>
          s.when.some((b) => (Object.keys(b) as (keyof typeof scores)[]).every((k) => scores[k] >= b[k]![0] && scores[k] <= b[k]![1])),
        );
        if (hit < 0) missing.push(`${r}${f}${m}`);
        else cells.push({ r, f, m, segment: map.segments[hit].name, label: map.segments[hit].label, priority: hit + 1 });
      }
  if (missing.length)
    throw new ValidationError(
      `the score map leaves ${missing.length} (r, f, m) cell${missing.length > 1 ? 's' : ''} without a segment: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''}; add a box that covers them (or a last catch-all segment with "when": [{"r": [1, 5]}])`,
      { file, field: 'segments' },
    );
  return cells;
}

export function parseScoreMap(input: unknown, file?: string): ScoreMap {
  const parsed = scoreMapSchema.safeParse(input);
  if (!parsed.success) throw issuesError(parsed.error.issues, file);
  expandScoreMap(parsed.data, file);
  return parsed.data;
}

export function loadScoreMap(file = defaultScoreMapFile): ScoreMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AppError('NOT_FOUND', `cannot read the RFM score map ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  return parseScoreMap(json, file);
}

export function scoreMapHash(map: ScoreMap): string {
  return sha256(canonicalJson(map.segments.map(({ name, label, when }) => ({ name, label, when }))));
}

export const rfmParamsSchema = z
  .object({
    /** Days of order history that count; omitted = all history. */
    lookbackDays: z.int().positive().optional(),
    ties: z.enum(['split', 'shared']).default('split'),
  })
  .strict();
export type RfmParams = z.infer<typeof rfmParamsSchema>;

/** Stores the map's cells under its hash once; returns the hash. */
export async function storeScoreMap(q: Queryable, map: ScoreMap): Promise<string> {
  const hash = scoreMapHash(map);
  const [{ n }] = await q.all<{ n: number }>('select count(*) as n from rfm_segment_map where map_hash = $h', { h: hash });
  if (n === 0) {
    const cells = expandScoreMap(map);
    // 125 small rows, bound as one JSON parameter and unpacked set-based.
    await q.run(
      `insert into rfm_segment_map
       select $h, c.r, c.f, c.m, c.segment, c.label, c.priority
       from (select unnest(from_json($cells, '[{"r":"INTEGER","f":"INTEGER","m":"INTEGER","segment":"VARCHAR","label":"VARCHAR","priority":"INTEGER"}]'), recursive := true)) c`,
      { h: hash, cells: JSON.stringify(cells) },
    );
  }
  return hash;
}

/** The RFM query's parameters for a day. */
export function rfmQueryParams(asOf: string, params: RfmParams, mapHash: string) {
  return { as_of: asOf, lookback_days: params.lookbackDays ?? null, ties: params.ties, map_hash: mapHash };
}

/** Scores customers into rfm_scores under a run; returns how many were scored. */
export async function scoreRfmRun(q: Queryable, runId: number, asOf: string, params: RfmParams, map: ScoreMap): Promise<number> {
  const hash = await storeScoreMap(q, map);
  return q.run(`insert into rfm_scores select $run_id as run_id, cast($as_of as date) as as_of, s.* from (${sqlFile('models/segments/rfm_scores')}) s`, {
    run_id: runId,
    ...rfmQueryParams(asOf, params, hash),
  });
}

/**
 * Scores customers into the connection's temporary table `_rfm_live` (same columns as rfm_scores,
 * run_id null), for rules evaluated live rather than inside a run.
 */
export async function scoreRfmLive(q: Queryable, asOf: string, params: RfmParams, map: ScoreMap): Promise<number> {
  const hash = await storeScoreMap(q, map);
  await q.run(
    `create or replace temp table _rfm_live as
     select cast(null as bigint) as run_id, cast($as_of as date) as as_of, s.* from (${sqlFile('models/segments/rfm_scores')}) s`,
    rfmQueryParams(asOf, params, hash),
  );
  const [{ n }] = await q.all<{ n: number }>('select count(*) as n from _rfm_live');
  return n;
}
