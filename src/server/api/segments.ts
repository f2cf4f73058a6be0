/**
 * /segments: the catalog, definitions and versions, create and update, preview and members. Preview and
 * members are composed here from the segment model's building blocks so the row rule joins the WHERE
 * clause of the same query (counts and samples never include customers the user may not see).
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import {
  createSegment,
  definitionSelection,
  dropLiveTables,
  fromSelection,
  loadCatalog,
  parseSegmentDefinition,
  planSelection,
  prepareLive,
  requireSegment,
  resolveAsOf,
  runCompiled,
  segmentDb,
  segmentSelection,
  segmentVersions,
  updateSegment,
  type Selection,
} from '../../models/segments/index.ts';
import type { Plain, Warehouse } from '../../warehouse/index.ts';
import { isPiiColumn } from '../auth/mask.ts';
import { can } from '../auth/roles.ts';
import { rowPredicate, rowPredicateSql } from '../auth/row-rules.ts';
import type { AuditEvent } from '../auth/audit.ts';
import type { Principal } from '../auth/store.ts';
import { route, table } from './route.ts';
import { intQuery, isoDate, nameParam, optionalInt, slug } from './schemas.ts';

/** Rule fields a role without pii:read may not test (a rule `email eq x` would reveal whether x is a customer). */
function refusePiiRule(principal: Principal, rule: unknown): void {
  if (can(principal.role, 'pii:read')) return;
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (typeof o.field === 'string' && (isPiiColumn(o.field) || o.field === 'email_domain'))
      throw new AppError('FORBIDDEN', `role ${principal.role} may not test personal data in a rule (field "${o.field}" needs pii:read)`, { field: o.field });
    Object.values(o).forEach(walk);
  };
  walk(rule);
}

const segmentBody = z.object({ name: slug, label: z.string().max(200).optional(), description: z.string().max(2000).optional(), tags: z.array(z.string().max(100)).max(50).optional(), rule: z.unknown(), comment: z.string().max(2000).optional() }).strict();

/** Count and an evenly spread sample of a selection, inside the row rule. */
async function evaluate(wh: Warehouse, sel: Selection, asOf: string, principal: Principal, o: { sample: number; offset?: number; ordered?: boolean }) {
  const catalog = await loadCatalog(wh);
  const db = segmentDb(wh);
  return wh.withConnection(async (q) => {
    const sources = await prepareLive(q, sel, asOf, catalog);
    try {
      const scoped = () => fromSelection(db, sel, sources).where(rowPredicate(principal.rowRule) as never);
      const [{ n }] = await runCompiled<{ n: number }>(q, scoped().select(sql<number>`count(*)`.as('n')));
      const scope = rowPredicateSql(principal.rowRule);
      const [{ total }] = await q.all<{ total: number }>(`select count(*) as total from customers c where ${scope.sql}`, scope.params);
      const rows = await runCompiled<Record<string, Plain>>(
        q,
        scoped()
          .select([sql.ref<number>('c.customer_id').as('customer_id'), sel.label.as('segment_name'), sql.ref('c.first_name').as('first_name'), sql.ref('c.last_name').as('last_name'), sql.ref('c.email').as('email'), sql.ref('c.country').as('country'), sql.ref('c.region').as('region')] as never)
          .orderBy(o.ordered ? sql`c.customer_id` : sql`hash(c.customer_id)`)
          .orderBy(sql`c.customer_id`)
          .limit(o.sample)
          .offset(o.offset ?? 0),
      );
      return { count: n, customers: total, rows, sources: { asOf: sources.asOf, valueRunId: sources.valueRunId ?? null, rfm: sources.rfm ? 'live' : null } };
    } finally {
      await dropLiveTables(q);
    }
  });
}


/** Creates or updates a user segment as the requesting user, and audits the new version. */
async function saveSegment(
  save: typeof createSegment,
  action: string,
  wh: Warehouse,
  body: z.infer<typeof segmentBody>,
  principal: Principal,
  audit: (e: AuditEvent) => Promise<void>,
): Promise<Record<string, unknown>> {
  const { comment, ...def } = body;
  const e = await save(wh, def, { createdBy: principal.user, comment });
  await audit({ action, target: e.name, details: { version: e.version, hash: e.hash } });
  return e as unknown as Record<string, unknown>;
}

export const segmentRoutes = [
  route({
    method: 'get',
    path: '/segments',
    permission: 'segments:read',
    tag: 'segments',
    summary: 'Segments and campaign plans of the catalog (current versions)',
    async handler({ wh }) {
      const c = await loadCatalog(wh);
      const item = (e: { name: string; label: string | null; description: string | null; source: string; version: number | null; hash: string; createdAt?: string | null; createdBy?: string | null }) => ({
        name: e.name,
        label: e.label,
        description: e.description,
        source: e.source,
        version: e.version,
        hash: e.hash,
        createdAt: e.createdAt ?? null,
        createdBy: e.createdBy ?? null,
      });
      return { segments: [...c.segments.values()].map(item), plans: [...c.plans.values()].map((p) => ({ ...item(p), segments: p.definition.segments })) };
    },
  }),

  route({
    method: 'get',
    path: '/segments/:name',
    permission: 'segments:read',
    tag: 'segments',
    summary: 'One segment: its definition and (user segments) its versions',
    params: nameParam('name'),
    async handler({ wh, params }) {
      const c = await loadCatalog(wh);
      const e = requireSegment(c, params.name as string);
      return { ...e, file: undefined, versions: e.source === 'user' ? await segmentVersions(wh, e.name) : [] };
    },
  }),

  route({
    method: 'post',
    path: '/segments',
    permission: 'segments:write',
    tag: 'segments',
    summary: 'Create a user segment (version 1)',
    body: segmentBody,
    status: 201,
    writes: true,
    handler: ({ wh, body, principal, audit }) => saveSegment(createSegment, 'segment.create', wh, body, principal, audit),
  }),

  route({
    method: 'put',
    path: '/segments/:name',
    permission: 'segments:write',
    tag: 'segments',
    summary: 'Save a new version of a user segment',
    params: nameParam('name'),
    body: segmentBody.omit({ name: true }),
    writes: true,
    handler: ({ wh, body, params, principal, audit }) => saveSegment(updateSegment, 'segment.update', wh, { ...body, name: params.name as string }, principal, audit),
  }),

  route({
    method: 'post',
    path: '/segments/preview',
    permission: 'segments:read',
    tag: 'segments',
    summary: 'Count and a sample of a saved segment or of an unsaved definition, inside your row rule',
    body: z
      .object({ name: slug.optional(), definition: z.unknown().optional(), asOf: isoDate.optional(), sample: z.int().min(0).max(100).default(10) })
      .strict()
      .refine((b) => (b.name === undefined) !== (b.definition === undefined), { message: 'give either name or definition', path: ['name'] }),
    tabular: true,
    async handler({ wh, body, principal }) {
      const asOf = resolveAsOf(body.asOf);
      const catalog = await loadCatalog(wh);
      let sel: Selection;
      if (body.name !== undefined) sel = segmentSelection(catalog, body.name, asOf);
      else {
        const def = parseSegmentDefinition(body.definition);
        refusePiiRule(principal, def.rule);
        sel = definitionSelection(catalog, def, asOf);
      }
      const r = await evaluate(wh, sel, asOf, principal, { sample: body.sample });
      return table(r.rows, { segment: body.name ?? (body.definition as { name?: string }).name, asOf, count: r.count, customers: r.customers, sources: r.sources, segments: sel.segments, rowRule: principal.rowRule });
    },
  }),

  route({
    method: 'get',
    path: '/segments/:name/members',
    permission: 'segments:read',
    tag: 'segments',
    summary: 'Members of a segment (or of a plan with ?plan=), live as of a day, ordered by customer id, inside your row rule',
    params: nameParam('name'),
    query: z.object({ asOf: isoDate.optional(), plan: slug.optional(), limit: intQuery(1, 10_000, 100), offset: optionalInt(0, 100_000_000) }).strict(),
    tabular: true,
    async handler({ wh, params, query, principal }) {
      const asOf = resolveAsOf(query.asOf);
      const catalog = await loadCatalog(wh);
      const name = params.name as string;
      const sel = query.plan !== undefined ? planSelection(catalog, query.plan, asOf, name) : segmentSelection(catalog, name, asOf);
      const r = await evaluate(wh, sel, asOf, principal, { sample: query.limit, offset: query.offset ?? 0, ordered: true });
      return table(r.rows, { segment: name, plan: query.plan ?? null, asOf, total: r.count, limit: query.limit, offset: query.offset ?? 0, sources: r.sources, rowRule: principal.rowRule });
    },
  }),
];
