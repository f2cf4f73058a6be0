/**
 * Structured logs: one JSON object per line with a timestamp, level, message and the job, step,
 * run id, attempt and durations where they apply — ready for jq, Loki or CloudWatch.
 *
 * @example
 * const log = jsonLogger((line) => process.stdout.write(line + '\n'));
 * log('info', 'step succeeded', { job: 'nightly', job_run_id: 12, step: 'ingest', duration_ms: 5321 });
 * // {"ts":"2026-11-24T02:00:05.321Z","level":"info","msg":"step succeeded","job":"nightly","job_run_id":12,"step":"ingest","duration_ms":5321}
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined | object>;
export type Logger = (level: LogLevel, msg: string, fields?: LogFields) => void;

export function jsonLogger(write: (line: string) => void, base: LogFields = {}, now: () => Date = () => new Date()): Logger {
  return (level, msg, fields = {}) => {
    const entry: Record<string, unknown> = { ts: now().toISOString(), level, msg, ...base };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) entry[k] = v;
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      line = JSON.stringify({ ts: entry.ts, level, msg, note: 'fields were not serialisable' });
    }
    write(line);
  };
}

/** A logger that adds fixed fields (job, run id) to every entry. */
export function childLogger(log: Logger, fields: LogFields): Logger {
  return (level, msg, more) => log(level, msg, { ...fields, ...more });
}

export const silentLogger: Logger = () => undefined;
