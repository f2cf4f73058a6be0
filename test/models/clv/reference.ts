import { readFileSync } from 'node:fs';
import { compressTriples, type Triples } from '../../../src/models/clv/bgnbd.ts';
import type { SpendData } from '../../../src/models/clv/gamma-gamma.ts';
import { cdnowDir, parseNumericCsv } from './fixtures.ts';

/** lifetimes_reference.json beside the CDNOW files (see its README for how it was produced). */
export interface LifetimesReference {
  bgnbd_on_paper_summary_file: { r: number; alpha: number; a: number; b: number; se: Record<string, number>; log_likelihood_weeks_paper_eq6: number };
  gamma_gamma_on_paper_file_repeaters: { p: number; q: number; 'gamma_(lifetimes_v)': number; se: { p: number; q: number; v: number }; log_likelihood: number };
  gamma_gamma_on_lifetimes_summary_repeaters: { p: number; q: number; 'gamma_(lifetimes_v)': number };
  customers_1_to_10: {
    id: number;
    frequency: number;
    recency_weeks: number;
    T_weeks: number;
    monetary_mean_repeat: number;
    p_alive: number;
    expected_purchases_next_39_weeks: number;
    expected_avg_transaction_value: number;
    'clv_12_months_disc_0.01_per_month_freqW': number;
    actual_holdout_repeat_transaction_days: number;
  }[];
  holdout: {
    actual_repeat_transactions_distinct_customer_days: number;
    expected_sum_conditional_next_39_weeks: number;
    expected_unconditional_weeks_40_78: number;
    calibration_actual_repeat_transactions: number;
    calibration_expected_unconditional: number;
    conditional_expectation_by_calibration_frequency: { x: number | string; n: number; actual_mean: number; expected_mean: number }[];
    cumulative_tracking_weekly: { week: number[]; actual: number[]; predicted: number[] };
  };
  spot_checks: Record<string, unknown>;
}

export const reference = JSON.parse(readFileSync(`${cdnowDir}/lifetimes_reference.json`, 'utf8')) as LifetimesReference;

export interface PaperRow {
  ID: number;
  x: number;
  t_x: number;
  T: number;
  zbar: number;
}

/** cdnow_customers_summary_with_transactions.csv: the published 39-week calibration summary. */
export const paperSummary = parseNumericCsv(readFileSync(`${cdnowDir}/cdnow_customers_summary_with_transactions.csv`, 'utf8')) as unknown as PaperRow[];

export const paperTriples = (): Triples => compressTriples(paperSummary.map((r) => ({ x: r.x, tx: r.t_x, T: r.T })));

export const paperSpend = (): SpendData => {
  const rep = paperSummary.filter((r) => r.x > 0);
  return { x: Float64Array.from(rep, (r) => r.x), zbar: Float64Array.from(rep, (r) => r.zbar), weight: new Float64Array(rep.length).fill(1) };
};
