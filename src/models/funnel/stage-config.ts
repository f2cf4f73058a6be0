import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, fromZodError, ValidationError } from '../../errors.ts';
import { queriesDir, sqlFile, type Warehouse } from '../../warehouse/index.ts';

/**
 * Stage order per pipeline: the open stages in the order a deal passes through them, and the
 * stages that close a deal as won or lost. Names match case-insensitively after trimming.
 */
export const pipelineStagesSchema = z
  .object({
    stages: z.array(z.string().trim().min(1)).min(1, 'list at least one open stage'),
    won: z.array(z.string().trim().min(1)).default(['won', 'closed won', 'closed_won']),
    lost: z.array(z.string().trim().min(1)).default(['lost', 'closed lost', 'closed_lost']),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Map<string, string>();
    for (const [list, names] of [['stages', p.stages], ['won', p.won], ['lost', p.lost]] as const) {
      names.forEach((n, i) => {
        const key = stageKey(n);
        const prev = seen.get(key);
        if (prev) ctx.addIssue({ code: 'custom', path: [list, i], message: `stage '${n}' is listed twice (also in ${prev})` });
        seen.set(key, list);
      });
    }
  });

export const stageConfigSchema = z
  .object({
    $comment: z.string().optional(),
    pipelines: z.record(z.string().min(1), pipelineStagesSchema),
  })
  .strict();

export type PipelineStages = z.infer<typeof pipelineStagesSchema>;
export type StageConfig = z.infer<typeof stageConfigSchema>;

/** One stage of one pipeline as the SQL sees it (passed as JSON). idx: 1..n for open stages, n + 1 for won, null for lost. */
export interface StageRow {
  pipeline: string;
  stage: string;
  stage_key: string;
  idx: number | null;
  kind: 'open' | 'won' | 'lost';
}

export interface ResolvedPipeline {
  pipeline: string;
  stages: string[];
  won: string[];
  lost: string[];
  source: 'config' | 'history';
}

export const defaultStagesFile = join(queriesDir, 'models/funnel/stages.json');

export function stageKey(name: string): string {
  return name.trim().toLowerCase();
}

/** Reads and validates a stages file; errors name the file and the key path. */
export function loadStageConfig(file = defaultStagesFile): StageConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid JSON: ${(e as Error).message}`;
    throw new ValidationError(msg, { file });
  }
  return parseStageConfig(raw, file);
}

export function parseStageConfig(raw: unknown, file = 'stages'): StageConfig {
  const parsed = stageConfigSchema.safeParse(raw);
  if (!parsed.success) throw fromZodError(parsed.error, file);
  return parsed.data;
}

/**
 * The stage order of each pipeline in `pipelines`: from the config where it has the pipeline, else
 * inferred from deal_stage_history (stages ordered by their mean position in the deals' histories;
 * a stage is closing-won/lost when its name says so or when every deal currently in it is won/lost and
 * no stage ever follows it). Pipelines with neither are returned in `missing`.
 */
export async function resolveStageOrder(
  wh: Warehouse,
  config: StageConfig,
  pipelines: string[],
): Promise<{ resolved: ResolvedPipeline[]; missing: string[] }> {
  const resolved: ResolvedPipeline[] = [];
  const missing: string[] = [];
  const configured = new Map(Object.entries(config.pipelines).map(([k, v]) => [k.trim().toLowerCase(), v]));
  for (const pipeline of pipelines) {
    const c = configured.get(pipeline.trim().toLowerCase());
    if (c) {
      resolved.push({ pipeline, ...c, source: 'config' });
      continue;
    }
    const inferred = await inferStageOrder(wh, pipeline);
    if (inferred) resolved.push(inferred);
    else missing.push(pipeline);
  }
  return { resolved, missing };
}

interface InferredStage {
  stage: string;
  avg_position: number;
  open_now: number;
  won_now: number;
  lost_now: number;
  followed: number;
}

async function inferStageOrder(wh: Warehouse, pipeline: string): Promise<ResolvedPipeline | null> {
  const rows = await wh.all<InferredStage>(sqlFile('models/funnel/infer-stage-order'), { pipeline });
  if (!rows.length) return null;
  const won: string[] = [];
  const lost: string[] = [];
  const stages: string[] = [];
  for (const r of rows) {
    const key = stageKey(r.stage);
    const namedWon = /\bwon\b|closed[\s_-]*won/.test(key);
    const namedLost = /\blost\b|closed[\s_-]*lost/.test(key);
    const onlyNow = (n: number) => n > 0 && r.open_now + r.won_now + r.lost_now === n && r.followed === 0;
    if (namedWon || (!namedLost && onlyNow(r.won_now))) won.push(r.stage);
    else if (namedLost || onlyNow(r.lost_now)) lost.push(r.stage);
    else stages.push(r.stage);
  }
  if (!stages.length) return null;
  return { pipeline, stages, won, lost, source: 'history' };
}

/** The resolved orders as the rows the funnel SQL reads (`$stages`, JSON). */
export function stageRows(pipelines: ResolvedPipeline[]): StageRow[] {
  const rows: StageRow[] = [];
  for (const p of pipelines) {
    p.stages.forEach((s, i) => rows.push({ pipeline: p.pipeline, stage: s, stage_key: stageKey(s), idx: i + 1, kind: 'open' }));
    for (const s of p.won) rows.push({ pipeline: p.pipeline, stage: s, stage_key: stageKey(s), idx: p.stages.length + 1, kind: 'won' });
    for (const s of p.lost) rows.push({ pipeline: p.pipeline, stage: s, stage_key: stageKey(s), idx: null, kind: 'lost' });
  }
  return rows;
}

/** Resolves a stages option: an inline config object, a file path, or the default file. */
export function stageConfigFrom(option: { stages?: unknown; stagesFile?: string }): StageConfig {
  if (option.stages !== undefined) return parseStageConfig(option.stages, 'stages');
  if (option.stagesFile) return loadStageConfig(option.stagesFile);
  try {
    return loadStageConfig(defaultStagesFile);
  } catch (e) {
    throw new AppError('INTERNAL', `the default stage order ${defaultStagesFile} is invalid: ${(e as Error).message}`);
  }
}
