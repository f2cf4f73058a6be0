/**
 * Every generating parameter of the demo export, with the defaults that `crm generate` uses.
 * All of it is written to manifest.json, so models (CLV, churn, funnel) and ingest tests can
 * check themselves against the truth.
 */
export const defaultParameters = {
  /** Years of history before the export date over which customers are acquired. */
  acquisitionYears: 3,
  /** Acquisition intensity grows linearly from 1 at the start of the window to 1 + growth at its end… */
  acquisitionGrowth: 1.5,
  /** …times a month-of-year factor (January first). */
  acquisitionSeasonality: [1.05, 0.9, 0.95, 1.0, 1.0, 0.9, 0.85, 0.85, 1.0, 1.05, 1.35, 1.45],
  /** CRM-only prospects (never bought), per buyer. */
  leadsPerBuyer: 0.2,
  /** Share of buyers that are also CRM contacts (the rest exist only in the shop). */
  buyersInCrm: 0.8,
  /** Share of CRM contacts that are business contacts of an account. */
  businessContactShare: 0.25,
  /** Mean contacts per account. */
  contactsPerAccount: 4,
  /**
   * BG/NBD (Fader, Hardie & Lee 2005), time unit: week. Each buyer's first order is at acquisition;
   * after it, repeat orders arrive as a Poisson process with rate λ ~ Gamma(r, alpha) (shape r, rate
   * alpha, per week), and after each repeat order the buyer drops out with probability p ~ Beta(a, b).
   */
  bgnbd: { r: 0.75, alpha: 3.2, a: 0.55, b: 8 },
  /**
   * Gamma-Gamma spend (Fader, Hardie & Lee 2005): per buyer ν ~ Gamma(q, gamma) (rate gamma), each
   * transaction's value z ~ Gamma(p, ν) (rate ν), in USD, rounded to cents.
   */
  gammaGamma: { p: 4, q: 3.5, gamma: 50 },
  orders: {
    /** Per transaction, chance of an extra order placed shortly after it and cancelled (not a transaction). */
    cancelledExtra: 0.025,
    /** Per transaction, chance the order is returned (it stays a transaction; return lines are negative). */
    returned: 0.04,
    /** Orders younger than this many days at export may still be pending. */
    pendingDays: 2,
    /** Per order, chance of a ticket about it (buyers in the CRM). */
    ticket: 0.035,
    /** Per order, chance of a service interaction (call, chat, e-mail) about it. */
    serviceContact: 0.05,
    /** Attribution window: an order within this many days of a campaign click is credited to it. */
    attributionDays: 7,
  },
  /**
   * Subscriptions (shifted-beta-geometric, Fader & Hardie 2007), period: calendar month. Each
   * subscriber's churn probability θ ~ Beta(alpha, beta); at every monthly renewal the subscription
   * ends with probability θ. `cancelled_at` is the renewal date at which it ended.
   */
  subscriptions: {
    share: 0.12,
    alpha: 1.1,
    beta: 8,
    plans: [
      { plan: 'Coffee Club Basic', mrrCents: 1900, weight: 0.5 },
      { plan: 'Coffee Club Plus', mrrCents: 3900, weight: 0.35 },
      { plan: 'Coffee Club Pro', mrrCents: 7900, weight: 0.15 },
    ],
  },
  deals: {
    /** Chance an account opens a first (New Business) deal, and yearly rate of later deals. */
    firstDeal: 0.7,
    laterDealsPerYear: 0.8,
    stages: ['Prospecting', 'Qualification', 'Needs Analysis', 'Proposal/Price Quote', 'Negotiation/Review'],
    /** Chance of moving on from each stage (the last: of winning). */
    advance: [0.7, 0.75, 0.8, 0.75, 0.68],
    /** Median days in each stage (log-normal, log-sd 0.6). */
    medianDays: [10, 14, 18, 14, 12],
    /** Chance that a deal stalls in a stage, which then takes four times as long. */
    stall: 0.08,
    /** Q4: extra chance of winning in negotiation; stage times shrink by this factor. */
    q4WinBoost: 0.1,
    q4Speedup: 0.8,
    /** Chance a win falling in the first 25 days of a quarter is pulled into the last days of the previous one. */
    quarterEndPull: 0.5,
    medianAmountCents: { enterprise: 6_000_000, midMarket: 1_800_000 },
    expansionFactor: 0.4,
    monthSeasonality: [1.15, 1.1, 1.15, 1.0, 1.0, 0.95, 0.85, 0.8, 1.1, 1.1, 1.0, 0.7],
  },
  tickets: {
    /** General tickets per CRM buyer per year (not about an order). */
    generalPerYear: 0.05,
    /** Chance a returned order gets a ticket. */
    returnTicket: 0.5,
    /** Share of solved tickets with a satisfaction rating. */
    rated: 0.35,
  },
  /** Chance of a deliberately bad row after each good row of the files that get them. */
  badRowRate: 0.001,
};

export type DemoParameters = typeof defaultParameters;

/** What `crm generate` is asked for. */
export interface DemoOptions {
  /** Buyers (web-shop customers with at least one order). */
  customers: number;
  seed: number;
  out: string;
  /** Day of the export, "YYYY-MM-DD"; history ends at its 00:00 UTC. */
  exportDate: string;
  /** Replace an existing export in `out`. */
  force?: boolean;
  /** Called now and then with (persons done, persons total). */
  onProgress?: (done: number, total: number) => void;
}

export const defaultDemoOptions = { customers: 5000, seed: 42, exportDate: '2026-10-31' } as const;

/** One deliberately bad row, as manifest.json lists it. */
export interface BadRow {
  /** Path relative to the export folder, e.g. "shop/orders.csv". */
  file: string;
  /** Data-row number (1 = first row after the header; record number in JSON/Parquet). */
  row: number;
  /** Line in the file (CSV: row + 1 for the header; NDJSON: = row; Parquet: = row). */
  line: number;
  /** Source column that is wrong. */
  column: string;
  /** Canonical field of the entity that the check fails on. */
  field: string;
  /** The one contract check it fails: type | required | enum | range | email | reference. */
  check: 'type' | 'required' | 'enum' | 'range' | 'email' | 'reference';
  kind: string;
  reason: string;
  value: string | number | null;
}

export interface ManifestFile {
  format: 'csv' | 'ndjson' | 'parquet';
  system: string;
  entity: string;
  pipeline: string;
  rows: number;
  badRows: number;
  bytes: number;
}

export interface Manifest {
  generator: { name: 'crm-analytics demo'; version: number };
  seed: number;
  customers: number;
  exportDate: string;
  observationStart: string;
  observationEnd: string;
  timeZones: Record<string, string>;
  parameters: DemoParameters & { units: Record<string, string> };
  counts: Record<string, number>;
  /** What a correct load of the export puts in each warehouse table (and the quarantine). */
  expected: Record<string, number>;
  files: Record<string, ManifestFile>;
  badRows: BadRow[];
}
