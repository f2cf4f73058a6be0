/**
 * The one error type the app throws on purpose. `code` is a closed set that the
 * server maps to HTTP status and the CLI to exit codes; anything else is a bug.
 */
export const errorCodes = [
  'VALIDATION', // bad input: config, pipeline file, CLI flag, query parameter, source row
  'NOT_FOUND',
  'CONFLICT', // e.g. output file exists, warehouse locked by another writer
  'FORBIDDEN',
  'UNAUTHORIZED',
  'SOURCE', // a source could not be read (missing file, empty file, connection refused)
  'MODEL', // a model could not produce a well-defined result
  'INTERNAL',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** Where a problem sits, as the user wrote it: file, row (1-based), field or key path. */
export interface Location {
  file?: string;
  row?: number;
  field?: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Renders as "file:row:field: message", leaving out the parts it does not know. */
export class ValidationError extends AppError {
  constructor(
    message: string,
    readonly location: Location = {},
    details: Record<string, unknown> = {},
  ) {
    super('VALIDATION', formatLocation(location, message), { ...location, ...details });
    this.name = 'ValidationError';
  }
}

export function formatLocation(loc: Location, message: string): string {
  const where = [loc.file, loc.row?.toString(), loc.field].filter((p) => p !== undefined && p !== '');
  return where.length ? `${where.join(':')}: ${message}` : message;
}

/** Turns a zod error into one ValidationError whose message lists every issue by key path. */
export function fromZodError(
  error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> },
  file?: string,
): ValidationError {
  const lines = error.issues.map((i) => {
    const path = i.path.length ? i.path.map(String).join('.') : '(root)';
    return `${path}: ${i.message}`;
  });
  const first = error.issues[0];
  return new ValidationError(
    lines.length === 1 ? lines[0] : `${lines.length} problems:\n  ${lines.join('\n  ')}`,
    { file },
    { issues: error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })), keyPath: first?.path.map(String).join('.') },
  );
}
