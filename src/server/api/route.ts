/**
 * One way to declare an /api/v1 route: method, path, the permission it needs, zod schemas for path
 * parameters, query and body, and a handler. The same declarations register the Express handlers,
 * produce the OpenAPI document, and drive the route × role tests — so none of them can drift.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError, fromZodError } from '../../errors.ts';
import type { PanelColumn } from '../../publish/dashboards/index.ts';
import { toArrowIPC } from '../../publish/dashboards/index.ts';
import type { Plain, Warehouse } from '../../warehouse/index.ts';
import { actorOf, requirePermission, type Access } from '../auth/access.ts';
import { audit, type AuditEvent } from '../auth/audit.ts';
import type { PiiMasker } from '../auth/mask.ts';
import type { Permission } from '../auth/roles.ts';
import type { Principal } from '../auth/store.ts';

export const ARROW = 'application/vnd.apache.arrow.stream';

/** A tabular result: JSON `{ columns, rows, meta }` by default, Arrow IPC when the client asks for it. */
export interface Table {
  kind: 'table';
  columns: PanelColumn[];
  rows: Record<string, Plain>[];
  meta?: Record<string, unknown>;
}

/** A file to send (the handler has checked the path). */
export interface FileReply {
  kind: 'file';
  body: Buffer;
  name: string;
  type: string;
}

export type Reply = Table | FileReply | Record<string, unknown> | unknown[];

export interface RouteContext<P, Q, B> {
  wh: Warehouse;
  req: Request;
  res: Response;
  principal: Principal;
  params: P;
  query: Q;
  body: B;
  /** Null when the role may read personal data. Replies are masked centrally; handlers use it for files. */
  masker: PiiMasker | null;
  audit(e: AuditEvent): Promise<void>;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express syntax: '/customers/:id'. */
  path: string;
  permission: Permission;
  summary: string;
  description?: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Replies with a Table (offers Arrow IPC). */
  tabular?: boolean;
  /** Replies with a file download. */
  download?: boolean;
  /** Status of a success (default 200; 201 for creations). */
  status?: number;
  /** Changes the warehouse (used by the tests: read routes must leave it unchanged). */
  writes?: boolean;
  handler(ctx: RouteContext<P, Q, B>): Promise<Reply>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any, any, any>;

/** Declares a route with its types inferred from the schemas. */
export function route<P = Record<string, never>, Q = Record<string, never>, B = undefined>(def: RouteDef<P, Q, B>): RouteDef<P, Q, B> {
  return def;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(value);
  if (!r.success) throw fromZodError(r.error, where);
  return r.data;
}

/** Column types for rows whose SQL types are not known: from the values. */
export function inferColumns(rows: Record<string, Plain>[], names?: string[]): PanelColumn[] {
  const cols = names ?? Object.keys(rows[0] ?? {});
  return cols.map((name) => {
    const vals = rows.map((r) => r[name]).filter((v) => v !== null && v !== undefined);
    let type = 'VARCHAR';
    if (vals.length && vals.every((v) => typeof v === 'number')) type = vals.every((v) => Number.isSafeInteger(v)) ? 'BIGINT' : 'DOUBLE';
    else if (vals.length && vals.every((v) => typeof v === 'boolean')) type = 'BOOLEAN';
    return { name, type };
  });
}

export const table = (rows: readonly object[], meta?: Record<string, unknown>, columns?: PanelColumn[]): Table => {
  const r = rows as Record<string, Plain>[];
  return { kind: 'table', columns: columns ?? inferColumns(r), rows: r, meta };
};

const isTable = (r: Reply): r is Table => !Array.isArray(r) && (r as Table).kind === 'table';
const isFile = (r: Reply): r is FileReply => !Array.isArray(r) && (r as FileReply).kind === 'file';

/** Express path '/a/:b' → OpenAPI '/a/{b}'. */
export const openApiPath = (p: string) => p.replace(/:([A-Za-z_]+)/g, '{$1}');

/** An Express router for the routes: permission check, input validation, masking, content negotiation. */
export function apiRouter(wh: Warehouse, access: Access, routes: AnyRoute[]): Router {
  const router = Router();
  for (const r of routes) {
    router[r.method](r.path, async (req, res, next) => {
      try {
        const principal = requirePermission(wh, req, r.permission);
        const params = parse(r.params, req.params, 'path');
        const query = parse(r.query, req.query ?? {}, 'query');
        if (r.body && !req.is('application/json') && req.method !== 'GET') throw new AppError('VALIDATION', 'send the body as JSON (Content-Type: application/json)');
        const body = parse(r.body, req.body ?? {}, 'body');
        const masker = await access.masker(req);
        const ctx: RouteContext<unknown, unknown, unknown> = { wh, req, res, principal, params, query, body, masker, audit: (e) => audit(wh, actorOf(req), e) };
        const reply = await r.handler(ctx);
        res.status(r.status ?? 200);
        if (isFile(reply)) {
          res.attachment(reply.name).type(reply.type);
          return void res.send(reply.body);
        }
        if (isTable(reply)) {
          const rows = masker ? masker.rows(reply.rows) : reply.rows;
          if (req.accepts(['application/json', ARROW]) === ARROW && req.get('accept')?.includes(ARROW)) {
            if (reply.meta) res.set('x-meta', encodeURIComponent(JSON.stringify(masker ? masker.deep(reply.meta) : reply.meta)).slice(0, 4000));
            return void res.type(ARROW).send(Buffer.from(toArrowIPC(reply.columns, rows)));
          }
          return void res.json({ columns: reply.columns, rows, meta: masker ? masker.deep(reply.meta ?? {}) : (reply.meta ?? {}) });
        }
        res.json(masker ? masker.deep(reply) : reply);
      } catch (e) {
        next(e);
      }
    });
  }
  return router;
}
