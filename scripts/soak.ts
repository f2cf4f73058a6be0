/**
 * `npm run soak [-- --customers N --points N --seed S --keep]`: the crash-safety soak.
 *
 * Generates a two-day dataset (day 1 = history, day 2 = new customers and orders, changed prices and
 * countries, returned orders), loads day 1, then SIGKILLs a child process running the day-2 job at
 * `--points` random moments. After each kill it checks that the warehouse equals the reference state
 * after exactly the loads that committed (never between), that pipeline_runs agrees once recovered,
 * and that the next run completes day 2 with no row lost. Prints one row per kill and a summary;
 * exits 1 if any state was inconsistent or any row was lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { formatTable } from '../src/cli/format.ts';
import { seededRandom } from '../src/models/forecast/stats.ts';
import { Warehouse } from '../src/warehouse/index.ts';
import { PIPELINES, prepare, referenceStages, restoreBase, runChild, trial, type TrialResult } from '../test/scheduler/crash/harness.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive integer`);
  return v;
}

const customers = arg('customers', 100_000);
const points = arg('points', 24);
const seed = arg('seed', 20261123);
const keep = process.argv.includes('--keep');
const root = mkdtempSync(join(tmpdir(), 'crm-soak-'));
const t0 = Date.now();
const secs = (ms: number) => (ms / 1000).toFixed(1);

try {
  process.stderr.write(`soak: ${customers.toLocaleString('en-US')} customers, ${points} kill points, seed ${seed}, in ${root} (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB)\n`);
  const ds = await prepare(join(root, 'ds'), customers, seed);
  const stages = await referenceStages(ds);
  const end = stages.at(-1)!;
  process.stderr.write(
    `dataset ready in ${secs(Date.now() - t0)}s: after day 2 ${Object.entries(end.tables)
      .map(([t, v]) => `${t} ${v.rows.toLocaleString('en-US')}`)
      .join(', ')}\n`,
  );

  // Calibrate: how long the day-2 job runs in a child, and when each of its phases begins.
  const db = join(root, 'trial.duckdb');
  restoreBase(ds, db);
  const calib = await runChild(ds, db, null);
  if (calib.code !== 0) throw new Error(`calibration run failed (exit ${calib.code})`);
  const jobMs = calib.jobMs ?? calib.ms;
  process.stderr.write(
    `day-2 job takes ${jobMs} ms in a child process (${calib.ms} ms to its exit); phases: ${calib.times.map(([e, t]) => `${e}@${t}`).join(' ')}\n`,
  );

  const random = seededRandom(seed); // replayable with --seed
  // A moment uniform over the calibrated job, anchored on the event before it: a slower trial (the
  // machine is shared) still dies in the same phase instead of drifting early.
  const pick = (): { after: string; ms: number } => {
    const at = random() * jobMs;
    let anchor = calib.times[0];
    for (const t of calib.times) if (t[1] <= at) anchor = t;
    return { after: anchor[0], ms: Math.round(at - anchor[1]) };
  };
  const results: (TrialResult & { n: number; ms: number })[] = [];
  for (let n = 1; n <= points; n++) {
    const killAt = pick();
    const started = Date.now();
    const r = await trial(ds, stages, db, killAt);
    results.push({ ...r, n, ms: Date.now() - started });
    process.stderr.write(`  ${n}/${points} ${r.killPoint}: ${r.consistent ? 'consistent' : `INCONSISTENT: ${r.problems.join('; ')}`}\n`);
  }

  const rows = results.map((r) => ({
    '#': r.n,
    kill_point: r.killPoint,
    killed: r.killed ? 'yes' : 'no (finished first)',
    loads_committed: r.stage < 0 ? 'none matches' : `${r.stage}/${PIPELINES.length}`,
    consistent: r.consistent ? 'yes' : 'NO',
    rows_lost: r.rowsLost,
    next_run_completes: r.completed ? 'yes' : 'NO',
    trial_s: Number(secs(r.ms)),
  }));
  process.stdout.write(`${formatTable(rows)}\n\n`);
  const inconsistent = results.filter((r) => !r.consistent).length;
  const lost = results.reduce((a, r) => a + r.rowsLost, 0);
  const killed = results.filter((r) => r.killed).length;
  const byStage = PIPELINES.map((_, k) => results.filter((r) => r.stage === k).length).concat(results.filter((r) => r.stage === PIPELINES.length).length);
  process.stdout.write(
    `${formatTable([
      { measure: 'points tried', value: points },
      { measure: 'killed mid-run (the others finished first)', value: killed },
      { measure: `kills by loads committed (0..${PIPELINES.length})`, value: byStage.join(' / ') },
      { measure: 'inconsistent states found (must be 0)', value: inconsistent },
      { measure: 'rows lost (must be 0)', value: lost },
      { measure: 'total seconds', value: Number(secs(Date.now() - t0)) },
    ])}\n`,
  );
  // A last look: the warehouse of the final trial opens and answers.
  const wh = await Warehouse.open(db);
  await wh.close();
  process.exitCode = inconsistent || lost ? 1 : 0;
} finally {
  if (keep) process.stderr.write(`kept ${root}\n`);
  else rmSync(root, { recursive: true, force: true });
}
