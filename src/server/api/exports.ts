/**
 * /exports: campaign target lists. The server chooses where files go (the exports folder) — a client never
 * names a path — and downloads serve only files inside that folder, looked up by export id, so no path a
 * client writes can reach another file. Roles without pii:read download a masked copy, made in DuckDB.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve, isAbsolute } from 'node:path';
import { tableFromIPC, tableToIPC, Table as ArrowTable, vectorFromArray, Utf8, type Vector } from 'apache-arrow';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { channels, createExport, formats, getExport, listExports, type Format } from '../../publish/exports/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { maskSql, isPiiColumn, type PiiMasker } from '../auth/mask.ts';
import { unrestricted } from '../auth/row-rules.ts';
import { maskingKey } from '../auth/store.ts';
import { route } from './route.ts';
import { idParam, intQuery, isoDate, slug, text } from './schemas.ts';

export interface ExportsOptions {
  /** Where API exports are written and the only folder downloads are served from (default data/exports). */
  exportsDir?: string;
}

const contentType: Record<Format, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
  parquet: 'application/vnd.apache.parquet',
  arrow: 'application/vnd.apache.arrow.file',
};

/** The file of an export if it lies inside `dir` (after resolving symlinks), else null. */
export function fileInside(dir: string, path: string): string | null {
  try {
    const root = realpathSync(dir);
    const real = realpathSync(path);
    const rel = relative(root, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

const readers: Record<Exclude<Format, 'arrow'>, string> = {
  csv: 'read_csv($path, all_varchar = true, header = true)',
  ndjson: "read_json($path, format = 'newline_delimited')",
  json: "read_json($path, format = 'array')",
  parquet: 'read_parquet($path)',
};
const writers: Record<Exclude<Format, 'arrow'>, string> = {
  csv: '(format csv, header true)',
  ndjson: '(format json)',
  json: '(format json, array true)',
  parquet: '(format parquet)',
};

/** A copy of an export file with its PII columns masked: in DuckDB for files it reads, with apache-arrow for Arrow files. */
async function maskedCopy(wh: Warehouse, path: string, format: Format, fields: string[], masker: PiiMasker): Promise<Buffer> {
  if (format === 'arrow') {
    const t = tableFromIPC(readFileSync(path));
    const vectors: Record<string, Vector> = {};
    for (const f of t.schema.fields) {
      const col = t.getChild(f.name)!;
      vectors[f.name] = isPiiColumn(f.name) ? (vectorFromArray(col.toArray().map((v: unknown) => (v === null ? null : masker.value(f.name, String(v)))), new Utf8()) as Vector) : (col as Vector);
    }
    return Buffer.from(tableToIPC(new ArrowTable(vectors), 'file'));
  }
  const key = await maskingKey(wh);
  const cols = fields.map((f) => {
    const quoted = `"${f.replaceAll('"', '""')}"`;
    return `${maskSql(f, quoted) ?? quoted} as ${quoted}`;
  });
  const out = join(tmpdir(), `crm-masked-${randomBytes(8).toString('hex')}.${format}`);
  try {
    await wh.run(`copy (select ${cols.join(', ')} from ${readers[format]}) to '${out.replaceAll("'", "''")}' ${writers[format]}`, { path, mask_key: key });
    return readFileSync(out);
  } finally {
    rmSync(out, { force: true });
  }
}

const createBody = z
  .object({
    segment: slug.optional(),
    plan: slug.optional(),
    channel: z.enum(channels),
    format: z.enum(formats).default('csv'),
    fields: z.array(z.string().max(100)).min(1).max(100).optional(),
    holdout: z.number().min(0).max(0.9).default(0),
    seed: z.union([z.string().max(200), z.int()]).optional(),
    campaign: text(200).optional(),
    diffSince: z.int().positive().optional(),
    asOf: isoDate.optional(),
    allowEmpty: z.boolean().default(false),
  })
  .strict()
  .refine((b) => b.segment !== undefined || b.plan !== undefined, { message: 'give a segment or a plan', path: ['segment'] });

export function exportRoutes(o: ExportsOptions) {
  const dir = resolve(o.exportsDir ?? 'data/exports');
  // Target lists cover the whole customer base: a user limited to some customers may not make or fetch one.
  const noRowRule = (p: { rowRule: { region: string | null; rep: string | null } }) => {
    if (!unrestricted(p.rowRule)) throw new AppError('FORBIDDEN', 'exports cover the whole customer base; users with a row rule cannot create or download them', { rowRule: p.rowRule });
  };
  // What a list shows of a file: its name, not where the server keeps it.
  const publicRow = (r: Awaited<ReturnType<typeof getExport>>) => ({ ...r, path: basename(r.path), downloadable: fileInside(dir, r.path) !== null });

  return [
    route({
      method: 'get',
      path: '/exports',
      permission: 'exports:read',
      tag: 'exports',
      summary: 'Exports, newest first (the export audit log)',
      query: z.object({ segment: slug.optional(), campaign: text(200).optional(), limit: intQuery(1, 1000, 50) }).strict(),
      async handler({ wh, query }) {
        return { exports: (await listExports(wh, query)).map(publicRow) };
      },
    }),
    route({
      method: 'get',
      path: '/exports/:id',
      permission: 'exports:read',
      tag: 'exports',
      summary: "One export's manifest: definition, counts, checksum",
      params: idParam('id'),
      async handler({ wh, params }) {
        return publicRow(await getExport(wh, params.id as number));
      },
    }),
    route({
      method: 'post',
      path: '/exports',
      permission: 'exports:create',
      tag: 'exports',
      summary: 'Export a segment or plan as a consent-checked target list into the exports folder',
      body: createBody,
      status: 201,
      writes: true,
      async handler({ wh, body, principal, audit }) {
        noRowRule(principal);
        mkdirSync(dir, { recursive: true });
        const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
        const name = `${body.plan ?? body.segment}-${stamp}-${randomBytes(4).toString('hex')}.${body.format === 'arrow' ? 'arrow' : body.format}`;
        try {
          const m = await createExport(wh, { ...body, seed: body.seed === undefined ? undefined : String(body.seed), out: join(dir, name), requestedBy: principal.user });
          await audit({ action: 'export.create', target: m.exportId, details: { segment: m.segment, plan: m.plan, channel: m.channel, rows: m.counts.rowsWritten, fields: m.fields, sha256: m.fileSha256 } });
          return { ...m, path: basename(m.path), download: `/api/v1/exports/${m.exportId}/download` };
        } catch (e) {
          await audit({ action: 'export.create', outcome: 'failed', details: { segment: body.segment ?? null, plan: body.plan ?? null, error: e instanceof Error ? e.message.slice(0, 300) : String(e) } });
          throw e;
        }
      },
    }),
    route({
      method: 'get',
      path: '/exports/:id/download',
      permission: 'exports:download',
      tag: 'exports',
      summary: "Download an export's file (masked for roles without pii:read)",
      params: idParam('id'),
      download: true,
      async handler({ wh, params, principal, masker, audit }) {
        noRowRule(principal);
        const e = await getExport(wh, params.id as number);
        const file = fileInside(dir, e.path);
        if (!file) throw new AppError('NOT_FOUND', `export ${e.export_id}'s file is not in the exports folder (written elsewhere by the CLI, or removed)`);
        const format = e.format as Format;
        const body = masker ? await maskedCopy(wh, file, format, e.fields, masker) : readFileSync(file);
        await audit({ action: 'export.download', target: e.export_id, details: { masked: masker !== null, bytes: body.length } });
        return { kind: 'file', body, name: basename(file), type: contentType[format] ?? 'application/octet-stream' };
      },
    }),
  ];
}
