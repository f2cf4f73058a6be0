import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, type ErrorCode } from '../errors.ts';
import { escapeHtml } from '../publish/dashboards/html.ts';

/** HTTP status for each AppError code. Anything that is not an AppError is a bug: 500. */
export const statusForCode: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  MODEL: 422,
  SOURCE: 502,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** Turns anything thrown into the public error shape; never leaks a stack or SQL text. */
export function toErrorBody(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof AppError) {
    return { status: statusForCode[e.code], body: { error: { code: e.code, message: e.message, details: e.details } } };
  }
  // Express' own parsers (body-parser, URI decoding) mark client mistakes with a 4xx status.
  const status = (e as { status?: unknown; statusCode?: unknown })?.status ?? (e as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = e instanceof Error ? e.message : 'bad request';
    const code: ErrorCode = status === 404 ? 'NOT_FOUND' : 'VALIDATION';
    return { status, body: { error: { code, message, details: {} } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error; the server log has the details', details: {} } } };
}

/** The one 404 for unmatched routes. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

/**
 * The one error middleware: AppError code → HTTP status, body `{ error: { code, message, details } }`.
 * Browsers (Accept: text/html first) get the same content as a small HTML page.
 * 5xx errors are logged with their stack on the server side only.
 */
export function errorHandler(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const { status, body } = toErrorBody(err);
    if (status >= 500) {
      const e = err as Error & { sql?: string };
      log(`[server] ${req.method} ${req.originalUrl} → ${status}: ${e?.stack ?? String(err)}${e?.sql ? `\nSQL: ${e.sql}` : ''}`);
    }
    res.status(status);
    const wantsHtml = !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html';
    if (wantsHtml) {
      res.type('html').send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status} ${escapeHtml(body.error.code)}</title>` +
          `<link rel="stylesheet" href="/assets/dashboard.css"></head><body><main class="error-page"><h1>${status} ${escapeHtml(body.error.code)}</h1>` +
          `<p>${escapeHtml(body.error.message)}</p><p><a href="/">Back to dashboards</a></p></main></body></html>`,
      );
    } else {
      res.json(body);
    }
  };
}
