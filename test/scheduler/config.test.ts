import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backoffDelay, formatDuration, loadJobsConfig, parseDuration, parseJobsConfig, runDateFor, runVariables } from '../../src/scheduler/index.ts';
import { tempDir } from '../helpers.ts';
import './probe.ts';

const err = (raw: unknown) => {
  try {
    parseJobsConfig(raw, 'config/jobs.json');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
};

describe('jobs file', () => {
  it('ships a nightly job at 02:00: ingest → models → optional segments, exports, dashboards', () => {
    const c = loadJobsConfig('config/jobs.json', {});
    const nightly = c.jobs.get('nightly')!;
    expect(nightly).toMatchObject({ cron: '0 2 * * *', timezone: 'UTC', enabled: true, runDateOffsetDays: 1, resumeInterrupted: true });
    expect(nightly.steps.map((s) => [s.name, s.type, s.optional])).toEqual([
      ['ingest', 'ingest', false],
      ['models', 'models', false],
      ['segments', 'segments', true],
      ['exports', 'exports', true],
      ['dashboards', 'dashboards', true],
    ]);
    expect(nightly.steps[0]).toMatchObject({ retries: 2, timeoutMs: 7_200_000, backoff: { initial: 60_000, factor: 2, max: 900_000, jitter: 0 }, options: { pipelines: 'pipelines/demo', failOnTestFailures: false } });
    expect(c.freshness.default).toEqual({ warnAfterMs: 26 * 3_600_000, errorAfterMs: 50 * 3_600_000 });
    expect(c.webhook).toBeUndefined(); // CRM_WEBHOOK_URL unset
    expect(loadJobsConfig('config/jobs.json', { CRM_WEBHOOK_URL: 'https://hooks.example.com/T1' }).webhook).toMatchObject({ url: 'https://hooks.example.com/T1', timeoutMs: 10_000 });
  });

  it('names the key path of every problem', () => {
    expect(err({ jobs: { nightly: { cron: '0 25 * * *', steps: [{ type: 'ingest', pipelines: 'x' }] } } })).toMatch(/^config\/jobs\.json: jobs\.nightly\.cron: invalid cron expression "0 25 \* \* \*"/);
    expect(err({ jobs: { nightly: { cron: '0 2 * * *', steps: [{ type: 'ingets' }] } } })).toBe(
      'config/jobs.json: jobs.nightly.steps.0.type: unknown step type "ingets"; known: ingest, models, segments, exports, dashboards, exec, probe',
    );
    expect(err({ jobs: { nightly: { cron: '0 2 * * *', steps: [{ type: 'ingest' }] } } })).toMatch(/^config\/jobs\.json: jobs\.nightly\.steps\.0\.pipelines: /);
    expect(err({ jobs: { nightly: { cron: '0 2 * * *', steps: [{ type: 'models', modles: ['clv'] }] } } })).toMatch(/jobs\.nightly\.steps\.0: Unrecognized key: "modles"/);
    expect(err({ jobs: { n: { cron: '0 2 * * *', steps: [{ type: 'models' }, { type: 'models' }, { type: 'models', name: 'models-1' }] } } })).toBe(
      'config/jobs.json: jobs.n.steps.2.name: two steps are named "models-1"; give them distinct names',
    );
    expect(err({ jobs: { n: { cron: '0 2 * * *', timezone: 'Mars/Olympus', steps: [{ type: 'models' }] } } })).toMatch(/jobs\.n\.timezone: not an IANA time zone/);
    expect(err({ jobs: { n: { cron: '0 2 * * *', steps: [{ type: 'models', timeout: '2 hours' }] } } })).toMatch(/jobs\.n\.steps\.0\.timeout: "2 hours" is not a duration/);
    expect(err({ jobs: {}, freshness: { sources: [{ source: 'orders', warnAfter: '2d', errorAfter: '1d' }] } })).toMatch(/freshness\.sources\.0\.errorAfter: errorAfter must not be shorter than warnAfter/);
    expect(err({ jobs: { Nightly: { cron: '0 2 * * *', steps: [{ type: 'models' }] } } })).toMatch(/jobs\.Nightly: /);
    expect(err({ jobs: {}, notify: { webhook: { url: 'ftp://x' } } })).toBe('config/jobs.json:notify.webhook.url: webhook url must start with http:// or https:// (got "ftp://x")');
  });

  it('reads YAML too, and names repeated steps by type and number', () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'jobs.yaml');
      writeFileSync(file, 'timezone: Europe/Berlin\njobs:\n  hourly:\n    cron: "5 * * * *"\n    steps:\n      - type: models\n      - type: models\n        models: [clv]\n');
      const j = loadJobsConfig(file).jobs.get('hourly')!;
      expect(j.timezone).toBe('Europe/Berlin');
      expect(j.steps.map((s) => s.name)).toEqual(['models-1', 'models-2']);
      expect(j.steps[1].options).toEqual({ models: ['clv'], exclude: [], asOf: '${RUN_DATE}' });
    } finally {
      t.cleanup();
    }
  });

  it('parses and prints durations', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('1.5m'), parseDuration('2h'), parseDuration('1d'), parseDuration(250)]).toEqual([500, 30_000, 90_000, 7_200_000, 86_400_000, 250]);
    expect([formatDuration(999), formatDuration(90_000), formatDuration(93_784_000)]).toEqual(['999ms', '1m30s', '1d2h3m4s']);
  });
});

describe('backoff', () => {
  const b = { initial: 30_000, factor: 2, max: 600_000, jitter: 0 };
  it('doubles from the initial wait up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, b))).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
  });
  it('spreads by ±jitter and never exceeds the cap', () => {
    const j = { ...b, jitter: 0.1 };
    expect(backoffDelay(2, j, () => 0)).toBe(54_000);
    expect(backoffDelay(2, j, () => 1)).toBe(66_000);
    expect(backoffDelay(2, j, () => 0.5)).toBe(60_000);
    expect(backoffDelay(9, j, () => 1)).toBe(600_000);
  });
});

describe('run date', () => {
  it('is the local date of the trigger in the job time zone, minus the offset', () => {
    // 02:00 in Berlin on 24 Nov is 01:00 UTC; in Los Angeles it is 10:00 UTC.
    expect(runDateFor({ timezone: 'Europe/Berlin', runDateOffsetDays: 1 }, new Date('2026-11-24T01:00:00Z'))).toBe('2026-11-23');
    expect(runDateFor({ timezone: 'America/Los_Angeles', runDateOffsetDays: 1 }, new Date('2026-11-24T10:00:00Z'))).toBe('2026-11-23');
    // 23:30 UTC on 31 Dec is already 1 Jan in Berlin.
    expect(runDateFor({ timezone: 'Europe/Berlin', runDateOffsetDays: 0 }, new Date('2026-12-31T23:30:00Z'))).toBe('2027-01-01');
    expect(runDateFor({ timezone: 'UTC', runDateOffsetDays: 1 }, new Date('2028-03-01T02:00:00Z'))).toBe('2028-02-29');
  });
  it('gives pipelines RUN_DATE and friends', () => {
    expect(runVariables({ name: 'nightly' }, '2026-03-01', 42)).toEqual({
      RUN_DATE: '2026-03-01',
      RUN_DATE_NODASH: '20260301',
      RUN_YEAR: '2026',
      RUN_MONTH: '03',
      RUN_DAY: '01',
      PREV_RUN_DATE: '2026-02-28',
      NEXT_RUN_DATE: '2026-03-02',
      JOB_NAME: 'nightly',
      JOB_RUN_ID: '42',
    });
  });
});
