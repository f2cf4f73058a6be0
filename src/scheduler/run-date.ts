import type { JobConfig } from './config.ts';

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(at: Date, timezone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** Adds days to a YYYY-MM-DD date (calendar arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * A run's logical date: the trigger's local date in the job's time zone minus runDateOffsetDays.
 * The 02:00 Europe/Berlin run on 2026-11-24 (01:00 UTC) with offset 1 has RUN_DATE 2026-11-23.
 */
export function runDateFor(job: Pick<JobConfig, 'timezone' | 'runDateOffsetDays'>, at: Date): string {
  return addDays(localDate(at, job.timezone), -job.runDateOffsetDays);
}

/** Checks a YYYY-MM-DD flag value (a real calendar date). */
export function isDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Dates from..to inclusive. */
export function dateRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/**
 * Variables a run adds to the environment for ${VAR} interpolation (pipeline files, step options,
 * commands): RUN_DATE, RUN_DATE_NODASH, RUN_YEAR, RUN_MONTH, RUN_DAY, PREV_RUN_DATE, NEXT_RUN_DATE, JOB_NAME, JOB_RUN_ID.
 */
export function runVariables(job: Pick<JobConfig, 'name'>, runDate: string, jobRunId: number): Record<string, string> {
  return {
    RUN_DATE: runDate,
    RUN_DATE_NODASH: runDate.replaceAll('-', ''),
    RUN_YEAR: runDate.slice(0, 4),
    RUN_MONTH: runDate.slice(5, 7),
    RUN_DAY: runDate.slice(8, 10),
    PREV_RUN_DATE: addDays(runDate, -1),
    NEXT_RUN_DATE: addDays(runDate, 1),
    JOB_NAME: job.name,
    JOB_RUN_ID: String(jobRunId),
  };
}
