/**
 * Child process of the crash harness: runs the day-2 job like `crm run-job` does (writer lock file,
 * then the warehouse, then runJob) and prints each progress event as "EVENT <name>" on stdout. With
 * CRM_TEST_KILL_AT=<event> it SIGKILLs itself on reaching that event — a crash at that exact point.
 */
import { acquireWriterLock, loadJobsConfig, runJob } from '../../../src/scheduler/index.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';

const db = process.env.CRM_DB!;
const killAt = process.env.CRM_TEST_KILL_AT || null;
const emit = (name: string) => {
  process.stdout.write(`EVENT ${name}\n`);
  if (name === killAt) process.kill(process.pid, 'SIGKILL');
};

const lock = acquireWriterLock(db, 'crash-test child');
const wh = await Warehouse.open(db);
const r = await runJob(wh, loadJobsConfig(process.env.CRM_JOBS!), 'nightly', {
  trigger: 'manual',
  runDate: process.env.CRM_RUN_DATE,
  onProgress: (e) => {
    if (e.event === 'pipeline') emit(`pipeline:${e.pipeline}:${e.phase}`);
    else emit(e.event.replace(/:(start|done)$/, ':$1'));
  },
});
await wh.close();
lock.release();
process.stdout.write(`RESULT ${r.status}\n`);
process.exitCode = r.status === 'succeeded' ? 0 : 1;
