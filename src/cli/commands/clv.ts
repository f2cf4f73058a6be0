import { InvalidArgumentError } from 'commander';
import { runClv, type ClvRunResult, type FitResult } from '../../models/clv/index.ts';
import { formatTable } from '../format.ts';
import type { RegisterCommands } from './index.ts';

interface FitFlags {
  calibrationEnd?: string;
  holdoutEnd?: string;
  unit: string;
  granularity: string;
  value: string;
  horizonMonths?: string;
  discountRate?: string;
  save?: boolean;
  json?: boolean;
}

const number = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${flag} expects a number`);
  return v;
};

/** The JSON `crm clv fit --json` prints: stable keys for scripts (bgnbd.r … gammaGamma.gamma). */
export function clvFitJson(r: ClvRunResult) {
  const fit = (f: FitResult | null) =>
    f && {
      ...f.params,
      logLik: f.logLikelihood,
      stdErrors: f.stdErrors,
      converged: f.converged,
      iterations: f.iterations,
      message: f.message,
      nObservations: f.nObservations,
    };
  return {
    runId: r.runId,
    status: r.status,
    asOfDate: r.asOfDate,
    holdoutEnd: r.holdoutEnd,
    unit: r.unit,
    customers: r.nCustomers,
    repeatCustomers: r.nRepeatCustomers,
    bgnbd: fit(r.bgnbd),
    gammaGamma: fit(r.gammaGamma),
    spendModel: r.spendModel,
    populationMeanSpend: r.populationMeanSpend,
    validation: r.validation,
    dataChecks: r.checks,
    warnings: r.warnings,
    error: r.error,
    saved: r.saved,
  };
}

const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : Number(v.toFixed(digits)));

function parameterTable(fit: FitResult): string {
  return formatTable(
    Object.entries(fit.params).map(([name, est]) => {
      const se = fit.stdErrors[name as keyof typeof fit.stdErrors] as number | null;
      return {
        parameter: name,
        estimate: fmt(est as number, 6),
        std_error: fmt(se, 6),
        ci95_low: se === null ? '—' : fmt((est as number) - 1.96 * se, 4),
        ci95_high: se === null ? '—' : fmt((est as number) + 1.96 * se, 4),
      };
    }),
  );
}

/** The human-readable report of a fit: parameters, diagnostics, validation. */
export function describeClvRun(r: ClvRunResult): string {
  const out: string[] = [];
  out.push(`clv run ${r.runId}: ${r.nCustomers} customers (${r.nRepeatCustomers} repeat), calibration ${r.dataStart} … ${r.asOfDate}, unit ${r.unit}, one purchase = one ${r.params.granularity}`);
  out.push('', `BG/NBD — log-likelihood ${r.bgnbd.logLikelihood.toFixed(3)}, ${r.bgnbd.converged ? 'converged' : 'NOT CONVERGED'} (${r.bgnbd.message}; ${r.bgnbd.iterations} iterations, ${r.bgnbd.nDistinct} distinct (x, tₓ, T))`);
  out.push(parameterTable(r.bgnbd));
  if (r.gammaGamma) {
    out.push('', `Gamma-Gamma — log-likelihood ${r.gammaGamma.logLikelihood.toFixed(3)} on ${r.gammaGamma.nObservations} repeat customers, ${r.gammaGamma.converged ? 'converged' : 'NOT CONVERGED'}${
      r.populationMeanSpend !== null ? `; population mean spend ${r.populationMeanSpend.toFixed(2)}` : ''
    }`);
    out.push(parameterTable(r.gammaGamma));
  }
  if (r.spendModel === 'observed_mean') out.push('', 'Spend: each customer’s observed mean per purchase day (no usable Gamma-Gamma fit).');
  if (r.validation) {
    const v = r.validation;
    out.push('', `Holdout ${r.asOfDate} … ${r.holdoutEnd} (${fmt(v.holdoutLength, 2)} ${r.unit}s): mean purchases per customer by calibration frequency`);
    out.push(
      formatTable(
        v.byFrequency.map((b) => ({
          frequency: b.frequency_bucket,
          customers: b.customers,
          actual: fmt(b.actual_mean),
          expected: fmt(b.expected_mean),
          error_pct: b.actual_mean > 0 ? fmt((100 * (b.expected_mean - b.actual_mean)) / b.actual_mean, 1) : '—',
        })),
      ),
    );
    const t = v.totals;
    out.push(
      '',
      `Totals: calibration actual ${t.calibration_actual}, expected ${fmt(t.calibration_expected_unconditional, 2)}; holdout actual ${t.holdout_actual}, expected ${fmt(
        t.holdout_expected_conditional,
        2,
      )} (${fmt(t.holdout_error_pct, 1)}%), unconditional ${fmt(t.holdout_expected_unconditional, 2)}; per customer MAE ${fmt(t.holdout_mae, 3)}, RMSE ${fmt(t.holdout_rmse, 3)}, correlation ${fmt(t.holdout_correlation, 3)}`,
    );
    const calibrationEnd = v.tracking.filter((w) => w.period === 'calibration').at(-1);
    const last = v.tracking.at(-1);
    const rows = [calibrationEnd, last].filter((w): w is NonNullable<typeof w> => !!w);
    out.push(`Cumulative repeat purchases (weekly tracking, ${v.tracking.length} weeks; all weeks in clv_tracking):`);
    out.push(formatTable(rows.map((w) => ({ week: w.week, week_end: w.week_end, period: w.period, actual: w.actual_cumulative, expected: fmt(w.expected_cumulative, 2) }))));
  }
  if (r.warnings.length) out.push('', ...r.warnings.map((w) => `warning: ${w}`));
  if (r.error) out.push('', `error: ${r.error}`);
  out.push('', r.saved ? 'Scores written to customer_value and churn_risk.' : 'Scores not written (a holdout back-test; pass --save to write them).');
  return out.join('\n');
}

export const register: RegisterCommands = (program, ctx, setExit) => {
  const clv = program.command('clv').description('customer lifetime value: BG/NBD + Gamma-Gamma fits, validation and scores');
  clv
    .command('fit')
    .description('fit BG/NBD and Gamma-Gamma on orders up to the calibration end; validate on a holdout; write scores')
    .option('--calibration-end <date>', 'last day of the calibration window, inclusive (default: the last purchase day)')
    .option('--holdout-end <date>', 'last day of a holdout window, inclusive: adds the validation report')
    .option('--unit <unit>', 'time unit: week (days / 7, 2 decimals) or day', 'week')
    .option('--granularity <what>', 'what one purchase is: day (the orders of a customer on one UTC day) or order (each order at its time)', 'day')
    .option('--value <kind>', 'purchase value: net (of refund lines) or gross (the order total)', 'net')
    .option('--horizon-months <n>', 'CLV horizon in months of 4.345 weeks (default 12)')
    .option('--discount-rate <rate>', 'monthly discount rate for CLV (default 0.01)', number('--discount-rate'))
    .option('--save', 'write customer_value and churn_risk even with a holdout')
    .option('--no-save', 'do not write scores')
    .option('--json', 'print one JSON object: {bgnbd: {r, alpha, a, b, logLik, …}, gammaGamma: {p, q, gamma, …}, validation, …}')
    .addHelpText(
      'after',
      '\nExamples:\n  crm clv fit --calibration-end 1997-09-30 --holdout-end 1998-06-30 --unit week\n  crm clv fit --json\n\nExit status 1 when the fit does not converge (the run is recorded in model_runs with what to try).',
    )
    .action(async (opts: FitFlags) => {
      const wh = await ctx.warehouse();
      const result = await runClv(wh, {
        calibrationEnd: opts.calibrationEnd,
        holdoutEnd: opts.holdoutEnd,
        unit: opts.unit as 'week' | 'day',
        granularity: opts.granularity as 'day' | 'order',
        spendValue: opts.value as 'net' | 'gross',
        horizonMonths: opts.horizonMonths === undefined ? undefined : Number(opts.horizonMonths),
        discountRate: opts.discountRate === undefined ? undefined : Number(opts.discountRate),
        save: opts.save,
      });
      ctx.out(opts.json ? JSON.stringify(clvFitJson(result), null, 2) : describeClvRun(result));
      if (result.status !== 'succeeded') {
        if (opts.json) ctx.err(`error: ${result.error}`);
        setExit(1);
      }
    });
};
