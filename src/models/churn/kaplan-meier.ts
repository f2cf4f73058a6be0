/**
 * Discrete-time Kaplan–Meier survival with Greenwood standard errors and log(−log) confidence
 * intervals, from counts per period: at month k, `churned` ended in month k and `censored` were last
 * seen alive after k whole months.
 */

export interface PeriodCounts {
  month: number;
  churned: number;
  censored: number;
}

export interface SurvivalPoint {
  month: number;
  atRisk: number;
  churned: number;
  censored: number;
  survival: number;
  retentionRate: number | null;
  stdError: number | null;
  ciLow: number | null;
  ciHigh: number | null;
}

/**
 * Survival at months 0 … last observed month. Month 0 is the start (S = 1; its censored count are
 * subscriptions younger than a month, which carry no information).
 *
 * @example kaplanMeier([{ month: 1, churned: 2, censored: 0 }, { month: 2, churned: 1, censored: 7 }])
 * // month 1: at risk 10, S = 0.8; month 2: at risk 8, S = 0.7
 */
export function kaplanMeier(counts: PeriodCounts[], z = 1.959963984540054): SurvivalPoint[] {
  const byMonth = new Map<number, PeriodCounts>();
  let last = 0;
  for (const c of counts) {
    const m = byMonth.get(c.month) ?? { month: c.month, churned: 0, censored: 0 };
    m.churned += c.churned;
    m.censored += c.censored;
    byMonth.set(c.month, m);
    last = Math.max(last, c.month);
  }
  // Entering month k: everyone whose churn month or last fully observed month is ≥ k.
  let atRisk = 0;
  for (const c of byMonth.values()) if (c.month >= 1) atRisk += c.churned + c.censored;
  const start = byMonth.get(0);
  const points: SurvivalPoint[] = [
    { month: 0, atRisk: atRisk + (start?.churned ?? 0) + (start?.censored ?? 0), churned: 0, censored: start?.censored ?? 0, survival: 1, retentionRate: null, stdError: 0, ciLow: 1, ciHigh: 1 },
  ];
  let survival = 1;
  let greenwood = 0;
  for (let k = 1; k <= last; k++) {
    const c = byMonth.get(k) ?? { month: k, churned: 0, censored: 0 };
    if (atRisk === 0) break;
    const rate = 1 - c.churned / atRisk;
    survival *= rate;
    if (atRisk > c.churned) greenwood += c.churned / (atRisk * (atRisk - c.churned));
    const se = survival > 0 ? survival * Math.sqrt(greenwood) : null;
    let ciLow: number | null = null;
    let ciHigh: number | null = null;
    if (survival > 0 && survival < 1) {
      const lnS = Math.log(survival);
      const w = (z * Math.sqrt(greenwood)) / Math.abs(lnS);
      ciLow = Math.pow(survival, Math.exp(w));
      ciHigh = Math.pow(survival, Math.exp(-w));
    } else if (survival === 1) {
      ciLow = ciHigh = 1;
    } else {
      ciLow = ciHigh = 0;
    }
    points.push({ month: k, atRisk, churned: c.churned, censored: c.censored, survival, retentionRate: rate, stdError: se, ciLow, ciHigh });
    atRisk -= c.churned + c.censored;
  }
  return points;
}
