import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { register as registerAudit } from './audit.ts';
import { register as registerClv } from './clv.ts';
import { register as registerCustomer } from './customer.ts';
import { register as registerDashboard } from './dashboard.ts';
import { register as registerForecast } from './forecast.ts';
import { register as registerFunnel } from './funnel.ts';
import { register as registerExport } from './export.ts';
import { register as registerGenerate } from './generate.ts';
import { register as registerIngest } from './ingest.ts';
import { register as registerJobs } from './jobs.ts';
import { register as registerModels } from './models.ts';
import { register as registerReport } from './report.ts';
import { register as registerSchedule } from './schedule.ts';
import { register as registerSegment } from './segment.ts';
import { register as registerSources } from './sources.ts';
import { registerServe } from './serve.ts';
import { register as registerSql } from './sql.ts';
import { register as registerStart } from './start.ts';
import { register as registerToken } from './token.ts';
import { register as registerUser } from './user.ts';

/** A command module adds its commands to the program; `setExit` sets a non-error exit code. */
export type RegisterCommands = (program: Command, ctx: CliContext, setExit: (code: number) => void) => void;

// One line per command module; keep alphabetical.
export const commands: RegisterCommands[] = [
  registerAudit,
  registerClv,
  registerCustomer,
  registerDashboard,
  registerForecast,
  registerFunnel,
  registerExport,
  registerGenerate,
  registerIngest,
  registerJobs,
  registerModels,
  registerReport,
  registerSchedule,
  registerSegment,
  registerServe,
  registerSources,
  registerSql,
  registerStart,
  registerToken,
  registerUser,
];
