import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Warehouse } from '../warehouse/connection.ts';
import type { EntityName } from '../warehouse/entities.ts';
import { runPipeline, type RunOptions, type RunResult } from './load.ts';
import { loadPipelineFile, type Pipeline } from './pipeline-schema.ts';

/** Entities in the order references need them loaded: a row's parents first. */
const loadOrder: EntityName[] = [
  'employees',
  'quotas',
  'campaigns',
  'accounts',
  'products',
  'customers',
  'orders',
  'order_lines',
  'deals',
  'deal_stage_history',
  'interactions',
  'tickets',
  'campaign_touches',
  'subscriptions',
];

/** Reads and runs one pipeline file. Invalid files throw (ValidationError naming the file and key path). */
export async function runPipelineFile(wh: Warehouse, file: string, options: Omit<RunOptions, 'file'> = {}): Promise<RunResult> {
  return runPipeline(wh, loadPipelineFile(file), { ...options, file });
}

/** Pipeline files (.json/.yaml/.yml) under a folder, recursively, sorted. */
export function findPipelineFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findPipelineFiles(path));
    else if (/\.(json|ya?ml)$/.test(name)) out.push(path);
  }
  return out;
}

/** Sorts pipelines so that referenced entities load first; customers of every system before their orders. */
export function orderByDependencies<T extends { pipeline: Pipeline }>(items: T[]): T[] {
  return [...items].sort((a, b) => loadOrder.indexOf(a.pipeline.entity) - loadOrder.indexOf(b.pipeline.entity));
}

/**
 * Runs many pipeline files in dependency order. Every file is validated before anything loads,
 * so a typo in one file stops the batch before it starts.
 */
export async function runAll(wh: Warehouse, files: string[], options: Omit<RunOptions, 'file'> & { onStart?: (file: string, p: Pipeline) => void } = {}): Promise<RunResult[]> {
  const items = orderByDependencies(files.map((file) => ({ file, pipeline: loadPipelineFile(file) })));
  const results: RunResult[] = [];
  for (const { file, pipeline } of items) {
    options.onStart?.(file, pipeline);
    results.push(await runPipeline(wh, pipeline, { ...options, file }));
  }
  return results;
}
