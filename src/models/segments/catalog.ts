import { readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { AppError, ValidationError } from '../../errors.ts';
import { queriesDir, type Queryable, type Warehouse } from '../../warehouse/index.ts';
import { compileRule, type SegmentLookup } from './compile.ts';
import { loadScoreMap, type ScoreMap } from './rfm.ts';
import {
  canonicalJson,
  parsePlanDefinition,
  parseSegmentDefinition,
  referencedSegments,
  sha256,
  type PlanDefinition,
  type Rule,
  type SegmentDefinition,
} from './rules.ts';
import type { SegmentDefinitionsTable } from './tables.ts';
import { todayUtc } from './windows.ts';

/**
 * Where segments and campaign plans come from:
 *   builtin  queries/segments/*.json, queries/segments/plans/*.json (reviewed like code)
 *   rfm      one segment per score-map entry, `rfm-<name>`, and the plan `rfm` listing them in map order
 *   user     segment_definitions / campaign_plans in the warehouse, versioned (a change adds a version)
 * Names are unique across all three.
 */

export type SegmentSource = 'builtin' | 'rfm' | 'user';

/** What segments and plans have in common: where they come from and which version. */
interface CatalogItem<D> {
  name: string;
  label: string | null;
  description: string | null;
  source: SegmentSource;
  /** User items: 1, 2, …; null for built-in and RFM ones (their hash identifies them). */
  version: number | null;
  /** sha256 of the canonical JSON of the rule (plans: of the segment list). */
  hash: string;
  definition: D;
  file?: string;
  createdAt?: string | null;
  createdBy?: string | null;
}

export interface SegmentEntry extends CatalogItem<SegmentDefinition> {
  comment?: string | null;
}
export type PlanEntry = CatalogItem<PlanDefinition>;

export const builtinSegmentsDir = join(queriesDir, 'segments');
export const builtinPlansDir = join(queriesDir, 'segments/plans');

export const ruleHash = (rule: Rule) => sha256(canonicalJson(rule));
const planHash = (segments: string[]) => sha256(canonicalJson(segments));

/** Who is asking: $CRM_USER, else the OS user. */
export function currentUser(): string {
  return process.env.CRM_USER || process.env.USER || userInfo().username;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ValidationError(`not valid JSON: ${(e as Error).message}`, { file });
  }
}

function jsonFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

export function rfmSegmentName(mapName: string): string {
  return `rfm-${mapName}`;
}

function rfmEntries(map: ScoreMap): SegmentEntry[] {
  return map.segments.map((s) => {
    const rule: Rule = { field: 'rfm_segment', op: 'eq', value: s.name };
    return {
      name: rfmSegmentName(s.name),
      label: `RFM: ${s.label}`,
      description: s.description ?? null,
      source: 'rfm',
      version: null,
      hash: ruleHash(rule),
      definition: { name: rfmSegmentName(s.name), label: `RFM: ${s.label}`, description: s.description, rule },
    };
  });
}

function builtinEntries(): SegmentEntry[] {
  return jsonFiles(builtinSegmentsDir).map((file) => {
    const def = parseSegmentDefinition(readJson(file), file);
    const expected = file.split('/').pop()!.replace(/\.json$/, '');
    if (def.name !== expected) throw new ValidationError(`name "${def.name}" must match the file name "${expected}"`, { file, field: 'name' });
    return { name: def.name, label: def.label ?? null, description: def.description ?? null, source: 'builtin', version: null, hash: ruleHash(def.rule), definition: def, file };
  });
}

type StoredRow = SegmentDefinitionsTable;

const latestVersions = (table: 'segment_definitions' | 'campaign_plans') =>
  `select * from ${table} d where version = (select max(version) from ${table} x where x.name = d.name) and not is_deleted order by name`;

export interface Catalog {
  segments: Map<string, SegmentEntry>;
  plans: Map<string, PlanEntry>;
  scoreMap: ScoreMap;
  lookup: SegmentLookup;
}

function makeLookup(segments: Map<string, SegmentEntry>, override?: SegmentDefinition): SegmentLookup {
  return {
    rule: (name) => (override && override.name === name ? override.rule : segments.get(name)?.definition.rule),
    names: () => [...new Set([...segments.keys(), ...(override ? [override.name] : [])])].sort(),
  };
}

/** Every segment and plan, current versions. */
export async function loadCatalog(q: Queryable, options: { scoreMap?: ScoreMap } = {}): Promise<Catalog> {
  const scoreMap = options.scoreMap ?? loadScoreMap();
  const segments = new Map<string, SegmentEntry>();
  const add = (e: SegmentEntry) => {
    const clash = segments.get(e.name);
    if (clash) throw new ValidationError(`segment "${e.name}" is defined twice (${clash.source}${clash.file ? ` ${clash.file}` : ''} and ${e.source}${e.file ? ` ${e.file}` : ''})`, { file: e.file });
    segments.set(e.name, e);
  };
  rfmEntries(scoreMap).forEach(add);
  builtinEntries().forEach(add);
  for (const r of await q.all<StoredRow>(latestVersions('segment_definitions'))) {
    const def = JSON.parse(r.definition) as SegmentDefinition;
    add({ name: r.name, label: r.label, description: r.description, source: 'user', version: r.version, hash: r.definition_hash, definition: def, createdAt: r.created_at, createdBy: r.created_by, comment: r.comment });
  }
  const plans = new Map<string, PlanEntry>();
  const rfmPlan: PlanDefinition = { name: 'rfm', label: 'RFM segments', description: 'The named RFM segments, in score-map order (they do not overlap).', segments: scoreMap.segments.map((s) => rfmSegmentName(s.name)) };
  plans.set('rfm', { name: 'rfm', label: rfmPlan.label!, description: rfmPlan.description!, source: 'rfm', version: null, hash: planHash(rfmPlan.segments), definition: rfmPlan });
  for (const file of jsonFiles(builtinPlansDir)) {
    const def = parsePlanDefinition(readJson(file), file);
    if (plans.has(def.name)) throw new ValidationError(`plan "${def.name}" is defined twice`, { file });
    plans.set(def.name, { name: def.name, label: def.label ?? null, description: def.description ?? null, source: 'builtin', version: null, hash: planHash(def.segments), definition: def, file });
  }
  for (const r of await q.all<StoredRow>(latestVersions('campaign_plans'))) {
    const def = JSON.parse(r.definition) as PlanDefinition;
    plans.set(r.name, { name: r.name, label: r.label, description: r.description, source: 'user', version: r.version, hash: r.definition_hash, definition: def, createdAt: r.created_at, createdBy: r.created_by });
  }
  return { segments, plans, scoreMap, lookup: makeLookup(segments) };
}

export function requireSegment(catalog: Catalog, name: string): SegmentEntry {
  const e = catalog.segments.get(name);
  if (!e) throw new AppError('NOT_FOUND', `unknown segment "${name}"; known segments: ${[...catalog.segments.keys()].sort().join(', ')} (see \`crm segment list\`)`);
  return e;
}

export function requirePlan(catalog: Catalog, name: string): PlanEntry {
  const e = catalog.plans.get(name);
  if (!e) throw new AppError('NOT_FOUND', `unknown campaign plan "${name}"; known plans: ${[...catalog.plans.keys()].sort().join(', ')}`);
  return e;
}

/** Checks a definition against the catalog (with it substituted): referenced segments exist, no cycles. */
export function checkAgainstCatalog(catalog: Catalog, def: SegmentDefinition): void {
  compileRule(def.rule, { asOf: todayUtc(), lookup: makeLookup(catalog.segments, def), self: def.name });
}

/** The segment and every segment it references (transitively), for manifests. */
export function expandDefinition(catalog: Catalog, name: string): { segment: SegmentDefinition; source: SegmentSource; version: number | null; references: Record<string, { source: SegmentSource; version: number | null; hash: string; rule: Rule }> } {
  const root = requireSegment(catalog, name);
  const references: Record<string, { source: SegmentSource; version: number | null; hash: string; rule: Rule }> = {};
  const visit = (rule: Rule) => {
    for (const ref of referencedSegments(rule)) {
      if (references[ref]) continue;
      const e = requireSegment(catalog, ref);
      references[ref] = { source: e.source, version: e.version, hash: e.hash, rule: e.definition.rule };
      visit(e.definition.rule);
    }
  };
  visit(root.definition.rule);
  return { segment: root.definition, source: root.source, version: root.version, references };
}

/** Segments and plans that mention `name`. */
export function dependents(catalog: Catalog, name: string): string[] {
  const out: string[] = [];
  for (const e of catalog.segments.values()) if (referencedSegments(e.definition.rule).includes(name)) out.push(`segment ${e.name}`);
  for (const p of catalog.plans.values()) if (p.definition.segments.includes(name)) out.push(`plan ${p.name}`);
  return out;
}

// Writing user segments --------------------------------------------------------------------------

export interface WriteOptions {
  createdBy?: string;
  comment?: string;
}

async function nextVersion(q: Queryable, table: 'segment_definitions' | 'campaign_plans', name: string): Promise<number> {
  const [{ v }] = await q.all<{ v: number | null }>(`select max(version) as v from ${table} where name = $name`, { name });
  return (v ?? 0) + 1;
}

/**
 * Saves a new user segment (version 1). Fails on a name that exists, an unknown referenced segment,
 * or a cycle. Preview first with `previewSegment`.
 *
 * @example
 * await createSegment(wh, { name: 'de-vip', rule: { all: [{ field: 'country', op: 'eq', value: 'DE' }, { segment: 'best-customers' }] } });
 */
export async function createSegment(wh: Warehouse, input: unknown, options: WriteOptions = {}): Promise<SegmentEntry> {
  const def = parseSegmentDefinition(input);
  const catalog = await loadCatalog(wh);
  const existing = catalog.segments.get(def.name);
  if (existing) {
    const how = existing.source === 'user' ? 'use `crm segment update` to change it' : `it is ${existing.source === 'rfm' ? 'an RFM' : 'a built-in'} segment; choose another name`;
    throw new AppError('CONFLICT', `segment "${def.name}" already exists; ${how}`);
  }
  if (catalog.plans.has(def.name)) throw new AppError('CONFLICT', `"${def.name}" is the name of a campaign plan; choose another name`);
  checkAgainstCatalog(catalog, def);
  return saveSegmentVersion(wh, def, options, 'create');
}

/** Saves a new version of a user segment. Returns the current entry unchanged when nothing changed. */
export async function updateSegment(wh: Warehouse, input: unknown, options: WriteOptions = {}): Promise<SegmentEntry> {
  const def = parseSegmentDefinition(input);
  const catalog = await loadCatalog(wh);
  const existing = requireSegment(catalog, def.name);
  if (existing.source !== 'user') throw new AppError('CONFLICT', `segment "${def.name}" is ${existing.source === 'rfm' ? 'an RFM' : 'a built-in'} segment: edit ${existing.file ?? 'the RFM score map'} instead, or create a user segment under another name`);
  checkAgainstCatalog(catalog, def);
  if (canonicalJson(existing.definition) === canonicalJson(def)) return existing;
  return saveSegmentVersion(wh, def, options, 'update');
}

async function saveSegmentVersion(wh: Warehouse, def: SegmentDefinition, options: WriteOptions, verb: string): Promise<SegmentEntry> {
  const createdBy = options.createdBy ?? currentUser();
  return wh.transaction(async (tx) => {
    const version = await nextVersion(tx, 'segment_definitions', def.name);
    const hash = ruleHash(def.rule);
    const [row] = await tx.all<{ created_at: string }>(
      `insert into segment_definitions (name, version, label, description, definition, definition_hash, is_deleted, comment, created_at, created_by)
       values ($name, $version, $label, $description, $definition, $hash, false, $comment, now(), $by) returning created_at`,
      { name: def.name, version, label: def.label ?? null, description: def.description ?? null, definition: JSON.stringify(def), hash, comment: options.comment ?? verb, by: createdBy },
    );
    return { name: def.name, label: def.label ?? null, description: def.description ?? null, source: 'user', version, hash, definition: def, createdAt: row.created_at, createdBy, comment: options.comment ?? verb };
  });
}

/** Marks a user segment deleted (a new version); refuses while other segments or plans use it. */
export async function deleteSegment(wh: Warehouse, name: string, options: WriteOptions = {}): Promise<void> {
  const catalog = await loadCatalog(wh);
  const existing = requireSegment(catalog, name);
  if (existing.source !== 'user') throw new AppError('CONFLICT', `segment "${name}" is ${existing.source === 'rfm' ? 'an RFM' : 'a built-in'} segment and cannot be deleted`);
  const users = dependents(catalog, name);
  if (users.length) throw new AppError('CONFLICT', `segment "${name}" is used by ${users.join(', ')}; change those first`);
  await wh.transaction(async (tx) => {
    const version = await nextVersion(tx, 'segment_definitions', name);
    await tx.run(
      `insert into segment_definitions (name, version, label, description, definition, definition_hash, is_deleted, comment, created_at, created_by)
       values ($name, $version, $label, $description, $definition, $hash, true, $comment, now(), $by)`,
      { name, version, label: existing.label, description: existing.description, definition: JSON.stringify(existing.definition), hash: existing.hash, comment: options.comment ?? 'delete', by: options.createdBy ?? currentUser() },
    );
  });
}

export interface SegmentVersion {
  version: number;
  is_deleted: boolean;
  definition_hash: string;
  comment: string | null;
  created_at: string;
  created_by: string | null;
  definition: SegmentDefinition;
}

/** Every version of a user segment, oldest first. */
export async function segmentVersions(q: Queryable, name: string): Promise<SegmentVersion[]> {
  const rows = await q.all<StoredRow>('select * from segment_definitions where name = $name order by version', { name });
  return rows.map((r) => ({ version: r.version, is_deleted: r.is_deleted, definition_hash: r.definition_hash, comment: r.comment, created_at: r.created_at, created_by: r.created_by, definition: JSON.parse(r.definition) }));
}

// Writing user plans -----------------------------------------------------------------------------

function checkPlan(catalog: Catalog, def: PlanDefinition): void {
  const unknown = def.segments.filter((s) => !catalog.segments.has(s));
  if (unknown.length) throw new ValidationError(`unknown segment${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => `"${s}"`).join(', ')}; known segments: ${[...catalog.segments.keys()].sort().join(', ')}`, { field: 'segments' });
}

/** Creates or updates (new version) a user campaign plan: segments in priority order. */
export async function savePlan(wh: Warehouse, input: unknown, options: WriteOptions = {}): Promise<PlanEntry> {
  const def = parsePlanDefinition(input);
  const catalog = await loadCatalog(wh);
  const existing = catalog.plans.get(def.name);
  if (existing && existing.source !== 'user') throw new AppError('CONFLICT', `plan "${def.name}" is ${existing.source === 'rfm' ? 'the RFM' : 'a built-in'} plan; choose another name`);
  if (catalog.segments.has(def.name)) throw new AppError('CONFLICT', `"${def.name}" is the name of a segment; choose another name`);
  checkPlan(catalog, def);
  if (existing && canonicalJson(existing.definition) === canonicalJson(def)) return existing;
  const createdBy = options.createdBy ?? currentUser();
  return wh.transaction(async (tx) => {
    const version = await nextVersion(tx, 'campaign_plans', def.name);
    const hash = planHash(def.segments);
    const [row] = await tx.all<{ created_at: string }>(
      `insert into campaign_plans (name, version, label, description, definition, definition_hash, is_deleted, comment, created_at, created_by)
       values ($name, $version, $label, $description, $definition, $hash, false, $comment, now(), $by) returning created_at`,
      { name: def.name, version, label: def.label ?? null, description: def.description ?? null, definition: JSON.stringify(def), hash, comment: options.comment ?? (existing ? 'update' : 'create'), by: createdBy },
    );
    return { name: def.name, label: def.label ?? null, description: def.description ?? null, source: 'user', version, hash, definition: def, createdAt: row.created_at, createdBy };
  });
}
