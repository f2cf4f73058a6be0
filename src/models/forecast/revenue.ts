import { z } from 'zod';
import { fromZodError, ValidationError } from '../../errors.ts';
import { sqlFile, type Warehouse } from '../../warehouse/index.ts';
import { martChangedMessage, martIsCurrent } from '../reports/marts.ts';
import { addMonths, intParam, isoDate, listParam, monthStart, todayUtc } from '../reports/params.ts';
import { backtest, chooseMethod, type MethodScore } from './backtest.ts';
import { methodNames, methods, whyUnfit, type ForecastPoint, type MethodName } from './methods.ts';

export const revenueSources = ['orders', 'deals'] as const;

export const revenueForecastParamsSchema = z
  .object({
    /** The day the forecast is made (default today, UTC). History ends with the last complete month before it. */
    asOf: isoDate.optional(),
    /** Months to forecast after the last complete month. */
    horizon: intParam(1, 36).default(12),
    /** auto: the method with the lowest backtest MAPE; or one method by name. */
    method: z.enum(['auto', ...methodNames]).default('auto'),
    /** What counts as revenue: completed orders, closed-won deals, or both (default). */
    sources: listParam.pipe(z.array(z.enum(revenueSources)).min(1)).default(['orders', 'deals']),
    /** Steps scored from each backtest origin. */
    backtestHorizon: intParam(1, 12).default(3),
    /** The latest N origins are backtested. */
    backtestOrigins: intParam(1, 60).default(12),
    /** Use only the last N months of history (default: all). */
    historyMonths: intParam(4, 600).optional(),
  })
  .strict();
export type RevenueForecastParams = z.output<typeof revenueForecastParamsSchema>;

export interface RevenueMonth {
  month: string;
  orders_revenue: number;
  deals_revenue: number;
  revenue: number;
}

export interface RevenueForecast {
  asOf: string;
  /** First day of the month after the history (the first forecast month). */
  firstForecastMonth: string;
  history: RevenueMonth[];
  method: MethodName;
  selection: 'backtest' | 'fixed';
  params: Record<string, number>;
  forecast: (ForecastPoint & { period: string })[];
  backtest: MethodScore[];
  chosen: MethodScore | null;
  notes: string[];
}

/** Monthly revenue up to (not including) the as-of month. */
export async function revenueSeries(wh: Warehouse, options: { asOf: string; sources: readonly string[]; historyMonths?: number }): Promise<RevenueMonth[]> {
  const end = monthStart(options.asOf);
  const start = options.historyMonths ? addMonths(end, -options.historyMonths) : null;
  // Completed orders per day: the report_order_days mart while it is current (built by `crm models run
  // reports`), else summed from the orders table — the same rows either way.
  const series = sqlFile('models/forecast/monthly-revenue').replace(/;\s*$/, '');
  const read = (mart: boolean) => {
    const days = sqlFile(mart ? 'models/forecast/order-days-mart' : 'models/forecast/order-days').replace(/;\s*$/, '');
    return wh.all<RevenueMonth>(`with order_days_input as (${days}) select * from (${series}) order by month`, {
      start,
      end,
      orders: options.sources.includes('orders'),
      deals: options.sources.includes('deals'),
    });
  };
  if (await martIsCurrent(wh, 'order_days')) {
    // The mart query re-checks its version in its own snapshot: a load since the check fails it.
    try {
      return await read(true);
    } catch (e) {
      if (!(e instanceof Error && e.message.includes(martChangedMessage))) throw e;
    }
  }
  return read(false);
}

const period = 12;

/**
 * Forecasts monthly revenue: backtests every method that the history allows on a rolling origin,
 * picks the lowest MAPE (or the method asked for), fits it on the whole history and forecasts
 * `horizon` months with 80 %/95 % intervals. Read-only; `saveForecastRun` stores a run.
 *
 * @example
 * const f = await forecastRevenue(wh, { horizon: 6 });
 * f.method; f.chosen?.mape; f.forecast[0] // { period: '2026-12-01', mean: 412000, lower80: …, upper95: … }
 */
export async function forecastRevenue(wh: Warehouse, input: unknown): Promise<RevenueForecast> {
  const parsed = revenueForecastParamsSchema.safeParse(input ?? {});
  if (!parsed.success) throw fromZodError(parsed.error, 'forecast');
  const p = parsed.data;
  const asOf = p.asOf ?? todayUtc();
  const history = await revenueSeries(wh, { asOf, sources: p.sources, historyMonths: p.historyMonths });
  return forecastFromHistory(history, { ...p, asOf });
}

/** The computation behind `forecastRevenue`, on a given monthly history (pure). */
export function forecastFromHistory(history: RevenueMonth[], p: RevenueForecastParams & { asOf: string }): RevenueForecast {
  const y = history.map((h) => h.revenue);
  const firstForecastMonth = monthStart(p.asOf);
  if (y.length < 3)
    throw new ValidationError(`too little revenue history to forecast: ${y.length} complete month${y.length === 1 ? '' : 's'} before ${firstForecastMonth} (need at least 3)`, { field: 'asOf' });
  const notes: string[] = [];
  const scores = backtest(y, p.method === 'auto' ? [...methodNames] : [p.method], { period, horizon: p.backtestHorizon, maxOrigins: p.backtestOrigins });
  let method: MethodName;
  let selection: 'backtest' | 'fixed';
  let chosen: MethodScore | null;
  if (p.method === 'auto') {
    chosen = chooseMethod(scores);
    if (!chosen) {
      method = 'drift';
      notes.push('No method could be backtested on this history; using drift.');
    } else method = chosen.method;
    selection = 'backtest';
  } else {
    const why = whyUnfit(methods[p.method], y, period);
    if (why) throw new ValidationError(`method ${p.method} ${why}`, { field: 'method' });
    method = p.method;
    chosen = scores.find((s) => s.method === method && !s.error) ?? null;
    selection = 'fixed';
  }
  const fitted = methods[method].fit(y, period);
  // Revenue cannot be negative: a band (or a falling trend) reaching below zero is cut at zero, and said so.
  const keys = ['mean', 'lower80', 'upper80', 'lower95', 'upper95'] as const;
  let cut = 0;
  const forecast = fitted.forecast(p.horizon).map((pt) => {
    const out = { ...pt, period: addMonths(firstForecastMonth, pt.h - 1) };
    for (const k of keys) if (out[k] < 0) (cut++, (out[k] = 0));
    return out;
  });
  notes.push(
    `Revenue = ${p.sources.map((s) => (s === 'orders' ? 'completed orders (by order date)' : 'closed-won deals (by close date)')).join(' + ')}, per calendar month (UTC).`,
    `History: ${history[0].month} … ${history[history.length - 1].month} (${y.length} complete months before ${firstForecastMonth}; a partial first month and the incomplete as-of month are left out).`,
    selection === 'backtest'
      ? `Method ${method}, chosen by the lowest MAPE in a rolling-origin backtest (${chosen?.origins ?? 0} origins, steps 1–${p.backtestHorizon}).`
      : `Method ${method}, as asked.`,
  );
  if (cut) notes.push(`${cut} forecast value${cut === 1 ? '' : 's'} below zero (the intervals of a volatile history) are shown as 0: revenue cannot be negative.`);
  if (chosen?.mape != null) notes.push(`Backtest of ${method}: MAPE ${(chosen.mape * 100).toFixed(1)} %, accuracy ${((chosen.accuracy ?? 0) * 100).toFixed(1)} % (HubSpot: max(0, 1 − |actual − forecast| / actual)).`);
  for (const s of scores) if (s.error) notes.push(`${s.method} not backtested: ${s.error}.`);
  return { asOf: p.asOf, firstForecastMonth, history, method, selection, params: fitted.params, forecast, backtest: scores, chosen, notes };
}
