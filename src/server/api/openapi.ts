/**
 * The OpenAPI 3.1 document of /api/v1, generated from the route declarations and their zod schemas
 * (zod 4's `z.toJSONSchema`, input side: what a client sends).
 */
import { z } from 'zod';
import { roles, can } from '../auth/roles.ts';
import { ARROW, openApiPath, type AnyRoute } from './route.ts';

const jsonSchema = (s: z.ZodType) => {
  const out = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
};

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string', enum: ['VALIDATION', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'MODEL', 'SOURCE', 'RATE_LIMITED'] },
        message: { type: 'string' },
        details: { type: 'object' },
      },
    },
  },
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/** Query or path parameters of an object schema, one OpenAPI parameter per key. */
function parametersOf(schema: z.ZodType | undefined, where: 'query' | 'path'): unknown[] {
  if (!schema) return [];
  const js = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema: s,
    ...(typeof (s as { description?: string }).description === 'string' ? { description: (s as { description: string }).description } : {}),
  }));
}

/** @example const doc = openApiDocument(routes); doc.paths['/customers/{id}'].get */
export function openApiDocument(routes: AnyRoute[], info: { version: string } = { version: '1' }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = (paths[openApiPath(r.path)] ??= {});
    const allowed = roles.filter((role) => can(role, r.permission));
    const ok: Record<string, unknown> = r.download
      ? { description: 'the file', content: { 'application/octet-stream': {} } }
      : r.tabular
        ? {
            description: 'rows with column descriptions; Arrow IPC stream when asked for',
            content: {
              'application/json': { schema: { type: 'object', properties: { columns: { type: 'array' }, rows: { type: 'array' }, meta: { type: 'object' } } } },
              [ARROW]: { schema: { type: 'string', format: 'binary' } },
            },
          }
        : { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } };
    p[r.method] = {
      operationId: `${r.method}${openApiPath(r.path).replace(/[{}]/g, '').replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
      summary: r.summary,
      description: `${r.description ? `${r.description}\n\n` : ''}Permission: \`${r.permission}\` (roles: ${allowed.join(', ')}).`,
      tags: [r.tag],
      parameters: [...parametersOf(r.params, 'path'), ...parametersOf(r.query, 'query')],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses: {
        [String(r.status ?? 200)]: ok,
        '400': errorResponse('invalid input: the message names each key path'),
        '401': errorResponse('no valid token or session'),
        '403': errorResponse('the role may not do this, or the row rule excludes it'),
        '404': errorResponse('not found (also for rows outside the row rule)'),
        '429': errorResponse('rate limit reached; see Retry-After'),
      },
      'x-permission': r.permission,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'crm-analytics API',
      version: info.version,
      description:
        'Versioned API over the customer warehouse. Authenticate with `Authorization: Bearer <token>` (`crm token create`). ' +
        'Errors are `{ error: { code, message, details } }`. Tabular results are JSON by default and an Arrow IPC stream with ' +
        '`Accept: application/vnd.apache.arrow.stream`. Personal data is masked for roles without `pii:read`.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { Error: errorSchema } },
    paths,
  };
}
