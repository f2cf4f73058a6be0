import { accessSync, constants, existsSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql, type AliasedRawBuilder, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { z } from 'zod';
import { AppError, fromZodError, ValidationError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import {
  canonicalJson,
  currentUser,
  expandDefinition,
  fieldsByName,
  fromSelection,
  loadCatalog,
  planSelection,
  prepareLive,
  dropLiveTables,
  requirePlan,
  resolveAsOf,
  segmentDb,
  segmentSelection,
  sha256,
  windowBounds,
  asOfEnd,
  type Selection,
  type Sources,
} from '../../models/segments/index.ts';
import { slugSchema } from '../../models/segments/rules.ts';
import { channelRules, channels, exclusionReason, exclusionReasons, type Channel, type ExclusionReason } from './channels.ts';
import { holdoutDraw, holdoutKey } from './holdout.ts';
import { copyTo, csvSafe, fileDigest, formatFromPath, formats, isoText, writeArrow, type Format } from './writers.ts';

/**
 * A campaign target list: segment (or plan) members → contactable on the channel → one per address →
 * holdout split → file, with every member's outcome in export_members and the manifest in export_log.
 * All of it runs in one transaction on one connection; the file is written to a temporary name in
 * the target directory and renamed into place only when everything else succeeded.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyQuery = SelectQueryBuilder<any, any, any>;

/** Columns a file can have besides the segment fields (see fields.ts): the normalised addresses and the segment. */
const extraFields = { email_norm: 'text', phone_norm: 'text', segment: 'text' } as const;
export const exportFieldNames = [...fieldsByName.keys(), ...Object.keys(extraFields)];

export const exportOptionsSchema = z
  .object({
    segment: slugSchema.optional(),
    /** A campaign plan: customers go to their highest-priority segment; with `segment`, only that segment's share. */
    plan: slugSchema.optional(),
    channel: z.enum(channels),
    /** Default: from the file extension. */
    format: z.enum(formats).optional(),
    out: z.string().min(1),
    fields: z.array(z.string().min(1)).min(1).optional(),
    /** Share of eligible customers kept out as a control group, 0 ≤ share ≤ 0.9. */
    holdout: z.number().min(0).max(0.9).default(0),
    seed: z.union([z.string(), z.number()]).transform(String).default(''),
    diffSince: z.int().positive().optional(),
    campaign: z.string().min(1).optional(),
    force: z.boolean().default(false),
    asOf: z.iso.date().optional(),
    requestedBy: z.string().min(1).optional(),
    /** Write a file even when nobody is eligible (not in diff mode, where an empty diff is normal). */
    allowEmpty: z.boolean().default(false),
  })
  .strict()
  .refine((o) => o.segment !== undefined || o.plan !== undefined, { message: 'give a segment or a plan', path: ['segment'] });
export type ExportOptions = z.input<typeof exportOptionsSchema>;

export interface ExportManifest {
  exportId: number;
  createdAt: string;
  requestedBy: string;
  segment: string | null;
  segmentVersion: number | null;
  plan: string | null;
  planVersion: number | null;
  definitionHash: string;
  campaign: string | null;
  channel: Channel;
  format: Format;
  path: string;
  fields: string[];
  asOf: string;
  modelRuns: Record<string, unknown>;
  holdoutShare: number;
  holdoutKey: string | null;
  diffSince: number | null;
  counts: {
    segmentMembers: number;
    excluded: Record<ExclusionReason, number>;
    eligible: number;
    holdout: number;
    targeted: number;
    added: number | null;
    removed: number | null;
    rowsWritten: number;
  };
  fileSha256: string;
  fileBytes: number;
  durationMs: number;
  /** Where the time went: segment evaluation + consent + dedupe + holdout, the file, the audit rows (with the checksum). */
  stages: { evaluateMs: number; writeMs: number; auditMs: number };
}

/** Refuses an existing file (unless force), a missing or unwritable directory — before any work. */
export function checkOutputPath(out: string, force: boolean): string {
  const path = resolve(out);
  const dir = dirname(path);
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new ValidationError(`${path} is a directory; give a file name`);
    if (!force) throw new AppError('CONFLICT', `${path} already exists; pass --force to replace it`);
  }
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new ValidationError(`cannot write ${path}: directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new ValidationError(`cannot write ${path}: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new ValidationError(`cannot write ${path}: directory ${dir} is not writable`);
  }
  return path;
}

function fieldKind(name: string): string {
  return name in extraFields ? 'text' : fieldsByName.get(name)!.kind;
}

/**
 * Every segment member with its outcome — who, target / holdout / excluded and why, the address checked
 * — and, unless in diff mode, the file's columns (`f_0`, `f_1`, …) computed in the same pass, so that
 * the file and the audit rows are both read from this one materialised list and nothing joins back
 * to customers. status and reason use the audit table's ENUM types (migration 303). `segment_name` is
 * a column only when members of one export can fall in different segments (a whole plan).
 * Duplicates are settled afterwards by `dedupeSql`.
 */
function listSql(
  wh: Warehouse,
  sel: Selection,
  sources: Sources,
  o: { channel: Channel; share: number; key: string; perMemberSegment: boolean; output: AliasedRawBuilder<unknown, string>[] },
): RawBuilder<unknown> {
  const db = segmentDb(wh);
  const rule = channelRules[o.channel];
  const checked = fromSelection(db, sel, sources).select([
    sql.ref<number>('c.customer_id').as('customer_id'),
    ...(o.perMemberSegment ? [sel.label.as('segment_name')] : []),
    rule.key.as('address_key'),
    sql`cast(${exclusionReason(o.channel)} as export_exclusion_reason)`.as('reason'),
    ...(o.share > 0 ? [holdoutDraw(o.key, sql.ref('c.customer_id')).as('draw')] : []),
    ...o.output,
  ] as never);
  // ENUM constants, not text cast per row
  const holdout = o.share > 0 ? sql`when draw < ${o.share} then 'holdout'::export_member_status` : sql``;
  const carried = o.output.map((_, i) => sql.ref(`f_${i}`));
  return sql`select customer_id, ${o.perMemberSegment ? sql`segment_name, ` : sql``}
      case when reason is not null then 'excluded'::export_member_status ${holdout} else 'target'::export_member_status end as status,
      reason, address_key${carried.length ? sql`, ${sql.join(carried)}` : sql``}
    from (${checked}) ch`;
}

/**
 * One person per address: among contactable members sharing a normalised address, all but the first
 * (plan priority, then customer_id) become excluded as duplicates. Candidates are found by a group-by
 * on a 64-bit hash of the address (cheaper than on the text); they are then ranked on the address
 * itself, so a hash collision cannot merge two different addresses.
 */
function dedupeSql(priority: string[], perMemberSegment: boolean): RawBuilder<unknown> {
  const order = priority.length > 1 && perMemberSegment ? sql`list_position([${sql.join(priority)}], segment_name), ` : sql``;
  return sql`update _export_list set status = 'excluded', reason = 'duplicate'
    where customer_id in (
      select customer_id from (
        select customer_id, row_number() over (partition by address_key order by ${order}customer_id) as rn
        from _export_list
        where reason is null and address_key is not null
          and hash(address_key) in (select hash(address_key) from _export_list where reason is null group by all having count(*) > 1)
      ) where rn > 1)`;
}

/** The file's columns as SQL over `c` (+ `rfm`, `cv`); `segment` is the member's segment. */
function outputColumns(fields: string[], format: Format, asOf: string, segment: RawBuilder<unknown>): RawBuilder<unknown>[] {
  const cx = { asOf, asOfEnd: asOfEnd(asOf) };
  const all = windowBounds(undefined, asOf);
  const text = format === 'csv' || format === 'json' || format === 'ndjson';
  return fields.map((f) => {
    let e: RawBuilder<unknown> = f === 'segment' ? segment : f === 'email_norm' || f === 'phone_norm' ? sql.ref(`c.${f}`) : fieldsByName.get(f)!.expr(cx, all);
    const kind = fieldKind(f);
    if (kind === 'timestamp' && text) e = isoText(e);
    if (kind === 'text' && format === 'csv') e = csvSafe(e);
    return e;
  });
}

/**
 * Exports a segment (or plan) as a target list. Throws before writing anything on bad input: unknown
 * segment or field, existing file without force, unwritable directory, nobody eligible.
 *
 * @example
 * const m = await createExport(wh, { segment: 'win-back', channel: 'email', out: 'data/exports/win-back.csv', holdout: 0.1, campaign: 'C-2026-11' });
 * m.counts // { segmentMembers, excluded: { do_not_contact, … }, eligible, holdout, targeted, rowsWritten, … }
 */
export async function createExport(wh: Warehouse, input: ExportOptions): Promise<ExportManifest> {
  const started = Date.now();
  const parsed = exportOptionsSchema.safeParse(input);
  if (!parsed.success) throw fromZodError(parsed.error);
  const o = parsed.data;
  const format = o.format ?? formatFromPath(o.out);
  if (!format) throw new ValidationError(`cannot tell the format from "${o.out}"; pass --format ${formats.join('|')}`, { field: 'format' });
  const rule = channelRules[o.channel];
  const fields = o.fields ?? (o.plan && o.segment === undefined ? [...rule.defaultFields, 'segment'] : rule.defaultFields);
  const unknown = fields.filter((f) => !exportFieldNames.includes(f));
  if (unknown.length) throw new ValidationError(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `"${f}"`).join(', ')}; valid fields: ${exportFieldNames.join(', ')}`, { field: 'fields' });
  if (new Set(fields).size !== fields.length) throw new ValidationError('a field is listed twice', { field: 'fields' });
  const path = checkOutputPath(o.out, o.force);
  const asOf = resolveAsOf(o.asOf);
  const requestedBy = o.requestedBy ?? currentUser();

  const catalog = await loadCatalog(wh);
  let sel: Selection;
  let definition: unknown;
  let segmentVersion: number | null = null;
  let planVersion: number | null = null;
  let priority: string[] = [];
  if (o.plan) {
    const plan = requirePlan(catalog, o.plan);
    sel = planSelection(catalog, o.plan, asOf, o.segment);
    planVersion = plan.version;
    priority = plan.definition.segments;
    definition = { plan: plan.definition, segment: o.segment ?? null, segments: Object.fromEntries(plan.definition.segments.map((s) => [s, expandDefinition(catalog, s)])) };
    if (o.segment) segmentVersion = catalog.segments.get(o.segment)!.version;
  } else {
    sel = segmentSelection(catalog, o.segment!, asOf);
    const expanded = expandDefinition(catalog, o.segment!);
    segmentVersion = expanded.version;
    definition = expanded;
  }
  const definitionHash = sha256(canonicalJson(definition));
  const key = holdoutKey({ campaign: o.campaign, segment: o.plan ? `${o.plan}/${o.segment ?? '*'}` : o.segment!, seed: o.seed });

  if (o.diffSince !== undefined) {
    const [prev] = await wh.all<{ channel: string }>('select channel from export_log where export_id = $id', { id: o.diffSince });
    if (!prev) throw new AppError('NOT_FOUND', `export ${o.diffSince} does not exist (see \`crm export list\`)`);
    if (prev.channel !== o.channel) throw new ValidationError(`export ${o.diffSince} was for ${prev.channel}, not ${o.channel}: a diff compares lists for the same channel`, { field: 'diffSince' });
  }

  // What the output needs beyond the selection: RFM or CLV fields.
  const outNeedsRfm = fields.some((f) => fieldsByName.get(f)?.group === 'rfm');
  const outNeedsValue = fields.some((f) => fieldsByName.get(f)?.group === 'value');
  const needs = { ...sel, needsRfm: sel.needsRfm || outNeedsRfm, needsValue: sel.needsValue || outNeedsValue };

  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let renamed = false;
  const db = segmentDb(wh);
  try {
    const manifest = await wh.transaction(async (tx) => {
      const [{ id: exportId }] = await tx.all<{ id: number }>("select nextval('export_id_seq') as id");
      const sources = await prepareLive(tx, needs, asOf, catalog);
      const t0 = Date.now();
      // A whole plan gives each member the segment it was assigned; otherwise every member has the
      // export's segment, which the audit rows leave to export_log (see migration 303).
      const perMemberSegment = o.plan !== undefined && o.segment === undefined;
      // Outside diff mode the file's columns are computed during the evaluation and carried in the list.
      const carry = o.diffSince === undefined;
      const carried = carry ? outputColumns(fields, format, asOf, sel.label).map((e, i) => e.as(`f_${i}`)) : [];
      const list = sql`create or replace temp table _export_list as ${listSql(wh, sel, sources, { channel: o.channel, share: o.holdout, key, perMemberSegment, output: carried })}`.compile(db);
      await tx.run(list.sql, [...list.parameters]);
      const dedupe = dedupeSql(priority, perMemberSegment).compile(db);
      await tx.run(dedupe.sql, [...dedupe.parameters]);
      const tally = await tx.all<{ status: string; reason: string | null; n: number }>('select status, reason, count(*) as n from _export_list group by all');
      const count = (status: string, reason?: string) => tally.filter((t) => t.status === status && (reason === undefined || t.reason === reason)).reduce((s, t) => s + t.n, 0);
      const excluded = Object.fromEntries(exclusionReasons.map((r) => [r, count('excluded', r)])) as Record<ExclusionReason, number>;
      const holdout = count('holdout');
      const targeted = count('target');
      const segmentMembers = tally.reduce((s, t) => s + t.n, 0);
      if (targeted + holdout === 0 && o.diffSince === undefined && !o.allowEmpty) {
        const why = exclusionReasons.filter((r) => excluded[r] > 0).map((r) => `${r} ${excluded[r]}`);
        throw new AppError(
          'VALIDATION',
          `nobody to export: ${o.plan ? `plan "${o.plan}"${o.segment ? ` segment "${o.segment}"` : ''}` : `segment "${o.segment}"`} has ${segmentMembers} member${segmentMembers === 1 ? '' : 's'} as of ${asOf}` +
            (why.length ? `, none contactable by ${o.channel} (excluded: ${why.join(', ')})` : '') +
            '; nothing was written (pass --allow-empty to write an empty file anyway)',
        );
      }

      // The file: the targeted list, or in diff mode what was added and removed since an earlier export.
      let added: number | null = null;
      let removed: number | null = null;
      let output: { sql: string; parameters: readonly unknown[] };
      if (o.diffSince !== undefined) {
        // A removed member may have been merged away since: keep the row (left join), its fields null.
        const changes = sql`(
          with cur as (select l.customer_id, ${perMemberSegment ? sql.ref('l.segment_name') : sql`${o.segment!}`} as segment_name from _export_list l where l.status = 'target'::export_member_status),
               prev as (select customer_id, segment_name from export_member_outcomes where export_id = ${o.diffSince} and status = 'target'::export_member_status)
          select customer_id, segment_name, 'added' as change from cur where customer_id not in (select customer_id from prev)
          union all
          select customer_id, segment_name, 'removed' as change from prev where customer_id not in (select customer_id from cur))`;
        const [d] = await tx.all<{ added: number; removed: number }>(
          `with cur as (select customer_id from _export_list where status = 'target'::export_member_status),
                prev as (select customer_id from export_members where export_id = $prev and status = 'target'::export_member_status)
           select (select count(*) from cur anti join prev using (customer_id)) as added,
                  (select count(*) from prev anti join cur using (customer_id)) as removed`,
          { prev: o.diffSince },
        );
        added = d.added;
        removed = d.removed;
        // The output's columns are composed at run time from whitelisted fields, so this builder is untyped.
        let q = (db.selectFrom(changes.as('seg') as never) as AnyQuery).leftJoin('customers as c', 'c.customer_id', 'seg.customer_id');
        if (outNeedsRfm) q = q.leftJoin('_rfm_live as rfm', 'rfm.customer_id', 'seg.customer_id');
        if (outNeedsValue) q = q.leftJoin('customer_value as cv', 'cv.customer_id', 'seg.customer_id');
        output = q
          .select([sql`seg.change`.as('change'), ...outputColumns(fields, format, asOf, sql.ref('seg.segment_name')).map((e, i) => e.as(fields[i]))])
          .orderBy(sql`seg.change, seg.customer_id`)
          .compile();
      } else {
        output = sql`select ${sql.join(fields.map((f, i) => sql`${sql.ref(`f_${i}`)} as ${sql.ref(f)}`))} from _export_list where status = 'target'::export_member_status order by customer_id`.compile(db);
      }
      const t1 = Date.now();
      const rowsWritten = format === 'arrow' ? await writeArrow(tx.conn, output, tmp) : await copyTo(tx.conn, output, tmp, format);
      const t2 = Date.now();
      // The audit rows go in while the file is hashed (DuckDB works on its own threads meanwhile).
      const [, { sha256: fileSha256, bytes: fileBytes }] = await Promise.all([
        tx.run(
          `insert into export_members select $id, customer_id, status, reason, case when status = 'excluded'::export_member_status then address_key end, ${perMemberSegment ? 'segment_name' : 'null'} from _export_list`,
          { id: exportId },
        ),
        fileDigest(tmp),
      ]);
      const t3 = Date.now();
      await tx.run('drop table _export_list');
      await dropLiveTables(tx);
      const [segRun] = await tx.all<{ run_id: number | null }>("select max(run_id) as run_id from segment_runs where status = 'succeeded'");
      const modelRuns: Record<string, unknown> = {
        customer_value_run_id: sources.valueRunId ?? null,
        rfm: needs.needsRfm ? `scored live as of ${asOf} (${sources.rfmCustomers ?? 0} customers)` : null,
        latest_segment_run_id: segRun.run_id,
      };
      const durationMs = Date.now() - started;
      const [{ created_at: createdAt }] = await tx.all<{ created_at: string }>(
        `insert into export_log values ($export_id, now(), $requested_by, $segment_name, $segment_version, $plan_name, $plan_version, $definition,
           $definition_hash, $campaign_id, $channel, $format, $path, $fields, $as_of, $model_runs, $holdout_share, $holdout_key, $diff_since,
           $segment_members, $dnc, $unsub, $optin, $missing, $malformed, $dup, $eligible, $holdout, $targeted, $added, $removed, $rows,
           $sha, $bytes, $ms) returning created_at`,
        {
          export_id: exportId,
          requested_by: requestedBy,
          segment_name: o.segment ?? null,
          segment_version: segmentVersion,
          plan_name: o.plan ?? null,
          plan_version: planVersion,
          definition: JSON.stringify(definition),
          definition_hash: definitionHash,
          campaign_id: o.campaign ?? null,
          channel: o.channel,
          format,
          path,
          fields: JSON.stringify(fields),
          as_of: asOf,
          model_runs: JSON.stringify(modelRuns),
          holdout_share: o.holdout,
          holdout_key: o.holdout > 0 ? key : null,
          diff_since: o.diffSince ?? null,
          segment_members: segmentMembers,
          dnc: excluded.do_not_contact,
          unsub: excluded.unsubscribed,
          optin: excluded.no_opt_in,
          missing: excluded.missing_address,
          malformed: excluded.malformed_address,
          dup: excluded.duplicate,
          eligible: targeted + holdout,
          holdout,
          targeted,
          added,
          removed,
          rows: rowsWritten,
          sha: fileSha256,
          bytes: fileBytes,
          ms: durationMs,
        },
      );
      renameSync(tmp, path);
      renamed = true;
      const m: ExportManifest = {
        exportId,
        createdAt,
        requestedBy,
        segment: o.segment ?? null,
        segmentVersion,
        plan: o.plan ?? null,
        planVersion,
        definitionHash,
        campaign: o.campaign ?? null,
        channel: o.channel,
        format,
        path,
        fields,
        asOf,
        modelRuns,
        holdoutShare: o.holdout,
        holdoutKey: o.holdout > 0 ? key : null,
        diffSince: o.diffSince ?? null,
        counts: { segmentMembers, excluded, eligible: targeted + holdout, holdout, targeted, added, removed, rowsWritten },
        fileSha256,
        fileBytes,
        durationMs,
        stages: { evaluateMs: t1 - t0, writeMs: t2 - t1, auditMs: t3 - t2 },
      };
      return m;
    });
    return manifest;
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    if (renamed && existsSync(path)) unlinkSync(path); // the log did not commit: the file must not stay
    throw ioError(e, path);
  }
}

/** A DuckDB or fs write failure → a clear error naming the path. */
function ioError(e: unknown, path: string): unknown {
  if (e instanceof AppError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/IO Error|EACCES|EROFS|ENOSPC|ENOENT|EPERM|Cannot open file|Permission denied|No space/i.test(msg))
    return new AppError('VALIDATION', `cannot write ${path}: ${msg.split('\n')[0]}`);
  return e;
}
