import { writeFileSync } from 'node:fs';
import type { Queryable } from '../../../src/warehouse/index.ts';

/** mulberry32: a small seeded PRNG, uniform on (0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, rate) by Marsaglia & Tsang (boosted for shape < 1). */
export function gamma(u: () => number, shape: number, rate: number): number {
  if (shape < 1) return gamma(u, shape + 1, rate) * Math.pow(u(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(u);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const w = u();
    if (w < 1 - 0.0331 * x ** 4 || Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v / rate;
  }
}

export interface SimulationOptions {
  customers: number;
  seed: number;
  /** BG/NBD, rates per week. */
  bgnbd: { r: number; alpha: number; a: number; b: number };
  /** Gamma-Gamma spend per purchase. */
  gammaGamma: { p: number; q: number; gamma: number };
  /** First purchases spread uniformly over this many days from startDay. */
  acquisitionDays: number;
  /** Days observed from startDay (everything after is not generated). */
  observedDays: number;
  startDay?: string;
}

/**
 * Simulates the BG/NBD + Gamma-Gamma story: λ ~ Gamma(r, α) per week, drop-out p ~ Beta(a, b) after
 * each repeat purchase, values ~ Gamma(p, ν) with ν ~ Gamma(q, γ). Returns order rows (day offsets).
 */
export function simulateOrders(o: SimulationOptions): { customer: number; day: number; value: number }[] {
  const u = rng(o.seed);
  const out: { customer: number; day: number; value: number }[] = [];
  for (let c = 1; c <= o.customers; c++) {
    const lambda = gamma(u, o.bgnbd.r, o.bgnbd.alpha) / 7; // per day
    const g1 = gamma(u, o.bgnbd.a, 1);
    const drop = g1 / (g1 + gamma(u, o.bgnbd.b, 1));
    const nu = gamma(u, o.gammaGamma.q, o.gammaGamma.gamma);
    const value = () => Math.max(0.01, Math.round(gamma(u, o.gammaGamma.p, nu) * 100) / 100);
    let t = u() * o.acquisitionDays;
    out.push({ customer: c, day: Math.floor(t), value: value() });
    for (;;) {
      t += -Math.log(u()) / lambda;
      if (t >= o.observedDays) break;
      out.push({ customer: c, day: Math.floor(t), value: value() });
      if (u() < drop) break;
    }
  }
  return out;
}

/** Writes simulated orders to a CSV and loads them into `orders` (status completed). */
export async function loadSimulatedOrders(wh: Queryable, dir: string, rows: { customer: number; day: number; value: number; status?: string }[], startDay = '2024-01-01'): Promise<void> {
  const file = `${dir}/simulated-orders.csv`;
  writeFileSync(file, `customer,day,value,status\n${rows.map((r) => `${r.customer},${r.day},${r.value},${r.status ?? 'completed'}`).join('\n')}\n`);
  await wh.run(
    `insert into orders (order_id, customer_id, ordered_at, status, total_amount)
     select 'sim-' || row_number() over (), customer, cast(cast($start as date) + to_days(day) + interval 12 hour as timestamptz), status, value
     from read_csv($file, header = true, columns = {'customer': 'BIGINT', 'day': 'INTEGER', 'value': 'DECIMAL(18,2)', 'status': 'VARCHAR'})`,
    { file, start: startDay },
  );
}
