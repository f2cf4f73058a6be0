import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { fromZodError, ValidationError } from '../errors.ts';
import { entityKeys, entityNames, fieldSpecs, type EntityName } from '../warehouse/entities.ts';

/**
 * A pipeline file: one source mapped onto one canonical entity. Data, not code; reviewed like code.
 * See README.md "Pipeline files" for a worked example of every option.
 */

const transform = z.enum(['trim', 'lower', 'upper', 'digits', 'nullif_empty']);

export const fieldMappingSchema = z.union([
  z.string().min(1).describe('source column name'),
  z
    .object({
      /** Source column. */
      from: z.string().min(1).optional(),
      /** A constant instead of a column. */
      const: z.union([z.string(), z.number(), z.boolean()]).optional(),
      /** Applied in order before the cast. Empty strings always become null. */
      transform: z.array(transform).default([]),
      /** strptime format(s) for dates and timestamps, e.g. "%m/%d/%Y %I:%M %p"; several are tried in order. */
      format: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      /** Value recoding applied after transforms, e.g. {"Closed Won": "won"}; unmapped values pass through. */
      map: z.record(z.string(), z.string().nullable()).optional(),
      /** Multiplies a numeric value (e.g. 0.01 for cents). */
      scale: z.number().positive().optional(),
    })
    .strict()
    .refine((m) => (m.from === undefined) !== (m.const === undefined), { message: 'give exactly one of "from" or "const"' }),
]);
export type FieldMapping = z.infer<typeof fieldMappingSchema>;

const pathSchema = z.string().min(1);

export const sourceSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('csv'),
      path: pathSchema,
      /** A single character, "\\t", or "whitespace" for runs of spaces (fixed-width-ish text exports). */
      delimiter: z.string().min(1).default(','),
      header: z.boolean().default(true),
      /** Column names for header-less files; required when header is false. */
      columns: z.array(z.string().min(1)).min(1).optional(),
      quote: z.string().length(1).default('"'),
      escape: z.string().length(1).optional(),
      skipRows: z.int().min(0).default(0),
      nullStrings: z.array(z.string()).default([]),
    })
    .strict()
    .refine((s) => s.header || s.columns, { message: 'a header-less file needs "columns"', path: ['columns'] }),
  z.object({ type: z.literal('json'), path: pathSchema }).strict(),
  z.object({ type: z.literal('ndjson'), path: pathSchema }).strict(),
  z.object({ type: z.literal('parquet'), path: pathSchema }).strict(),
  z
    .object({
      type: z.literal('postgres'),
      /** Name of the environment variable holding the connection string (never the string itself). */
      connectionEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('CRM_PG_URL'),
      table: z.string().min(1).optional(),
      query: z.string().min(1).optional(),
    })
    .strict()
    .refine((s) => (s.table === undefined) !== (s.query === undefined), { message: 'give exactly one of "table" or "query"' }),
]);
export type SourceSpec = z.infer<typeof sourceSchema>;

export const pipelineSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lowercase letters, digits, "_", "-" or "."'),
    description: z.string().optional(),
    /** The source system's name; customer ids are resolved within it. Defaults to the pipeline name. */
    system: z.string().min(1).optional(),
    source: sourceSchema,
    entity: z.enum(entityNames as [EntityName, ...EntityName[]]),
    mapping: z.record(z.string(), fieldMappingSchema),
    /** merge: upsert on key; append: insert all; replace: the file is the whole table for this pipeline. */
    mode: z.enum(['merge', 'append', 'replace']).default('merge'),
    key: z.array(z.string()).min(1).optional(),
    /** Time zone for source timestamps that carry no offset. */
    timezone: z.string().min(1).default('UTC'),
    incremental: z
      .object({
        /** A timestamp field of the entity; only rows newer than the stored watermark (minus overlap) load. */
        field: z.string().min(1).optional(),
        /**
         * Or a timestamp column of the source that is not loaded, e.g. an operational table's
         * `updated_at` (most entities have no such field). Values without an offset are read in `timezone`.
         */
        column: z.string().min(1).optional(),
        overlapMinutes: z.int().min(0).default(0),
      })
      .strict()
      .refine((i) => (i.field === undefined) !== (i.column === undefined), { message: 'give exactly one of "field" or "column"' })
      .optional(),
    deletes: z
      .discriminatedUnion('detect', [
        /** The source is a full snapshot: rows this pipeline loaded earlier that are absent now are deleted. */
        z.object({ detect: z.literal('missing') }).strict(),
        /** A source column marks deleted rows (true/1/yes/y). */
        z.object({ detect: z.literal('flag'), column: z.string().min(1) }).strict(),
      ])
      .optional(),
    identity: z
      .object({
        /** The system whose external ids customer_id refers to (default: this pipeline's system). */
        system: z.string().min(1).optional(),
        /** Create a customer for an unknown customer id instead of quarantining the row. */
        createMissing: z.boolean().default(false),
      })
      .strict()
      .default({ createMissing: false }),
    /** Fail the whole load (nothing written) when more than this share of rows is rejected. */
    maxQuarantineRatio: z.number().min(0).max(1).default(0.1),
  })
  .strict()
  .superRefine((p, ctx) => {
    const fields = new Set(fieldSpecs(p.entity).map((f) => f.name));
    for (const target of Object.keys(p.mapping)) {
      if (!fields.has(target)) {
        ctx.addIssue({ code: 'custom', path: ['mapping', target], message: `"${target}" is not a field of ${p.entity}; valid fields: ${[...fields].join(', ')}` });
      }
    }
    for (const f of fieldSpecs(p.entity)) {
      if (f.required && !(f.name in p.mapping)) {
        ctx.addIssue({ code: 'custom', path: ['mapping'], message: `required field "${f.name}" of ${p.entity} is not mapped` });
      }
    }
    for (const k of p.key ?? []) {
      if (!fields.has(k)) ctx.addIssue({ code: 'custom', path: ['key'], message: `key "${k}" is not a field of ${p.entity}` });
    }
    if (p.incremental?.field !== undefined && !fields.has(p.incremental.field)) {
      ctx.addIssue({ code: 'custom', path: ['incremental', 'field'], message: `"${p.incremental.field}" is not a field of ${p.entity}` });
    }
  });
export type Pipeline = z.infer<typeof pipelineSchema>;

/** The key a pipeline merges on: its own, or the entity's. */
export function pipelineKey(p: Pipeline): readonly string[] {
  return p.key ?? entityKeys[p.entity];
}

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed pipeline file.
 * An unset variable without a default is an error naming the key path.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, file: string, path: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new ValidationError(`environment variable ${name} is not set and has no default (write \${${name}:-default})`, {
        file,
        field: path.join('.'),
      });
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, file, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, file, [...path, k])]));
  }
  return value;
}

/**
 * Reads, interpolates and validates a pipeline file (.json, .yaml or .yml). The pipeline's name
 * defaults to the file name.
 *
 * @example
 * const p = loadPipelineFile('pipelines/demo/orders.json'); // { name: 'orders', entity: 'orders', ... }
 */
export function loadPipelineFile(file: string, env: NodeJS.ProcessEnv = process.env): Pipeline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ValidationError('pipeline file not found', { file });
  }
  let raw: unknown;
  try {
    raw = extname(file) === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new ValidationError(`not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`, { file });
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError('a pipeline file holds one object', { file });
  const withName = { name: basename(file, extname(file)).toLowerCase(), ...(raw as object) };
  const parsed = pipelineSchema.safeParse(interpolateEnv(withName, env, file));
  if (!parsed.success) throw fromZodError(parsed.error, file);
  return parsed.data;
}
