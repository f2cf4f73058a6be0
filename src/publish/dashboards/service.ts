import { AppError } from '../../errors.ts';
import { sqlFile, type Warehouse } from '../../warehouse/index.ts';
import { computePanel, dataAsOf, panelParams, type PanelResult } from './data.ts';
import { anchorDate, defaultRange, parseFilters, type FilterState } from './filters.ts';
import { findDashboard, loadDashboards, dashboardsDir } from './load.ts';
import type { AnyPanel, Dashboard, FilterName } from './schema.ts';

export interface FilterOption {
  value: string;
  label: string;
}
export type FilterOptions = Partial<Record<Exclude<FilterName, 'date_range' | 'granularity'>, FilterOption[]>>;

/** The query that lists each choice filter's options. */
const optionQueries: Record<keyof FilterOptions, { query: string; requires?: string }> = {
  region: { query: 'dashboards/filters/regions' },
  rep: { query: 'dashboards/filters/reps' },
  segment: { query: 'dashboards/filters/segments', requires: 'segment_membership' },
};

/**
 * What cached results are keyed on: the load counter, a fingerprint of the run records and logs (model runs,
 * exports, failed loads… — `queries/dashboards/system/versions.sql`) and the UTC date (reports that cut at the
 * current month). `data` is the warehouse's data_version, shown to users.
 */
export interface Versions {
  data: number;
  key: string;
}

/** How a cached panel is computed again for newer data (see `DashboardService.startRefresh`). */
interface Recipe {
  dashboard: Dashboard;
  id: string;
  state: FilterState;
  /** The dates were the dashboard's default range: for newer data, use the default range then. */
  defaultDates: boolean;
}

/** A small LRU of promises: concurrent misses for one key share one computation. */
class Lru<V> {
  private map = new Map<string, { version: string; value: Promise<V>; at: number; recipe?: Recipe }>();
  hits = 0;
  misses = 0;
  constructor(private readonly max: number) {}
  /** `maxAgeMs`: an entry older than this is computed again even under the same version. */
  get(key: string, version: string, compute: () => Promise<V>, maxAgeMs = Infinity, recipe?: Recipe): Promise<V> {
    const hit = this.map.get(key);
    if (hit && hit.version === version && performance.now() - hit.at <= maxAgeMs) {
      this.hits++;
      this.map.delete(key);
      this.map.set(key, hit);
      return hit.value;
    }
    this.misses++;
    const value = compute();
    const entry = { version, value, at: performance.now(), recipe };
    this.map.set(key, entry);
    value.catch(() => {
      if (this.map.get(key) === entry) this.map.delete(key);
    });
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    return value;
  }
  /** Recipes of the entries not computed for `version`, most recently used first. */
  stale(version: string, max: number): Recipe[] {
    const out: Recipe[] = [];
    for (const e of [...this.map.values()].reverse()) {
      if (out.length >= max) break;
      if (e.version !== version && e.recipe) out.push(e.recipe);
    }
    return out;
  }
  get size() {
    return this.map.size;
  }
}

export interface DashboardServiceOptions {
  /** Folder of dashboard files (default: the top-level dashboards/). */
  dir?: string;
  /** Panel results kept (default 2,000). */
  cacheSize?: number;
  /**
   * How long a read of the data version is reused (default 200 ms; 0 = read it for every request).
   * Under heavy traffic this turns thousands of version queries a second into five, at the price of a
   * load becoming visible up to this long after its commit.
   */
  versionTtlMs?: number;
  /**
   * How long a request waits for a slow data-version read before it is answered from the last version read
   * (default 100 ms; 0 = always wait). A load's commit can hold DuckDB for seconds (writing a bulk change out);
   * meanwhile the last committed state's cached results are still right to show, and nobody should time out.
   */
  staleAfterMs?: number;
}

export interface RefreshOptions {
  /** How often the versions are read while nobody asks (default 10 s). */
  pollMs?: number;
  /** Panels computed again after a change, most recently used first (default 200). */
  max?: number;
}

/**
 * Dashboards over one warehouse: definitions, filter parsing with data-driven defaults, filter
 * choices, and panel results cached per (panel, bound parameters, warehouse data version).
 * The server and the static export both go through it.
 *
 * @example
 * const svc = new DashboardService(wh);
 * const d = svc.get('executive');
 * const state = await svc.filters(d, { granularity: 'quarter' });
 * const result = await svc.panel(d, 'revenue_by_period', state);
 */
export class DashboardService {
  readonly dashboards: Dashboard[];
  private readonly panels: Lru<PanelResult>;
  private readonly small = new Lru<unknown>(200);
  private versionInFlight: Promise<Versions> | null = null;
  private versionRead: { value: Versions; at: number } | null = null;
  private readonly versionTtlMs: number;
  private readonly staleAfterMs: number;
  /** The in-flight read, or the last version once `staleAfterMs` has passed (shared by every waiting request). */
  private versionAnswer: Promise<Versions> | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  /** Background refreshes finished, and the last one's size and duration (for the status of the server and the bench). */
  readonly refreshes = { rounds: 0, lastPanels: 0, lastMs: 0 };

  constructor(
    readonly warehouse: Warehouse,
    options: DashboardServiceOptions = {},
  ) {
    this.dashboards = loadDashboards(options.dir ?? dashboardsDir);
    this.panels = new Lru(options.cacheSize ?? 2000);
    this.versionTtlMs = options.versionTtlMs ?? 200;
    this.staleAfterMs = options.staleAfterMs ?? 100;
  }

  get(name: string): Dashboard {
    return findDashboard(this.dashboards, name);
  }

  panelDef(dashboard: Dashboard, id: string): AnyPanel {
    const kpi = dashboard.kpis.find((k) => k.id === id);
    if (kpi) return { ...kpi, kind: 'kpi' };
    const p = dashboard.panels.find((x) => x.id === id);
    if (!p) {
      const ids = [...dashboard.kpis, ...dashboard.panels].map((x) => x.id).join(', ');
      throw new AppError('NOT_FOUND', `dashboard ${dashboard.name} has no panel "${id}"; panels: ${ids}`);
    }
    return p;
  }

  /** The warehouse data version (bumped by every committed load), as shown to users. */
  async version(): Promise<number> {
    return (await this.versions()).data;
  }

  /**
   * The versions cached results are keyed on; concurrent callers share one query, and a read is reused for
   * `versionTtlMs`. A read slower than `staleAfterMs` answers the last versions read meanwhile (see the option).
   */
  versions(): Promise<Versions> {
    const now = performance.now();
    if (this.versionRead && now - this.versionRead.at < this.versionTtlMs) return Promise.resolve(this.versionRead.value);
    if (!this.versionInFlight) {
      const started = now;
      const last = this.versionRead;
      this.versionInFlight = this.warehouse
        .all<{ data_version: number; state: string }>(sqlFile('dashboards/system/versions'))
        .then(([row]): Versions => {
          const data = Number(row.data_version);
          return { data, key: `${data}:${row.state}:${new Date().toISOString().slice(0, 10)}` };
        })
        .then((value) => {
          this.versionRead = { value, at: started };
          return value;
        })
        .finally(() => {
          this.versionInFlight = null;
          this.versionAnswer = null;
        });
      this.versionAnswer =
        last && this.staleAfterMs > 0
          ? Promise.race([this.versionInFlight, new Promise<Versions>((resolve) => setTimeout(() => resolve(last.value), this.staleAfterMs).unref())])
          : this.versionInFlight;
    }
    return this.versionAnswer!;
  }

  /** Parses a query string into a filter state (defaults end on the dashboard's anchor date). */
  async filters(dashboard: Dashboard, query: Record<string, unknown>, ignore: string[] = []): Promise<FilterState> {
    const anchor = await this.anchor(dashboard, (await this.versions()).key);
    return parseFilters(dashboard, query, anchor, ignore);
  }

  /** One panel's data, cached per (dashboard, panel, bound parameters, versions), at most the panel's maxAgeSeconds. */
  async panel(dashboard: Dashboard, id: string, state: FilterState): Promise<PanelResult> {
    const panel = this.panelDef(dashboard, id);
    const v = await this.versions();
    const key = JSON.stringify([dashboard.name, id, panelParams(dashboard, panel, state)]);
    const range = defaultRange(await this.anchor(dashboard, v.key), dashboard.defaults.months);
    const recipe = { dashboard, id, state, defaultDates: state.from === range.from && state.to === range.to };
    return this.panels.get(key, v.key, () => computePanel(this.warehouse, dashboard, panel, state, v.data), (panel.maxAgeSeconds ?? Infinity) * 1000, recipe);
  }

  /**
   * Computes the recently viewed panels again soon after the data change (a nightly load, a model run), in the
   * background and one at a time, so that the first viewers afterwards find them cached instead of waiting.
   * A panel viewed with the default dates is computed for the new default range (the anchor may have moved).
   * Waits until the versions have stayed the same for one poll, so a job's many steps cause one refresh.
   * `stopRefresh()` ends it; the server starts it (`startServer`).
   */
  startRefresh(options: RefreshOptions = {}): void {
    if (this.refreshTimer) return;
    const pollMs = options.pollMs ?? 10_000;
    const max = options.max ?? 200;
    let seen: string | null = null;
    let pending: string | null = null;
    let running = false;
    const tick = async () => {
      const v = await this.versions().catch(() => null);
      if (!v || running) return;
      if (seen !== null && v.key !== seen) pending = v.key;
      else if (pending === v.key) {
        pending = null;
        running = true;
        await this.refresh(v.key, max).finally(() => (running = false));
      }
      seen = v.key;
    };
    this.refreshTimer = setInterval(() => void tick(), pollMs).unref();
  }

  stopRefresh(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
  }

  private async refresh(version: string, max: number): Promise<void> {
    const started = performance.now();
    const recipes = this.panels.stale(version, max);
    for (const r of recipes) {
      // Stopped, or the data changed again: the next poll starts over.
      if (!this.refreshTimer || (await this.versions()).key !== version) return;
      let state = r.state;
      if (r.defaultDates) state = { ...state, ...defaultRange(await this.anchor(r.dashboard, version), r.dashboard.defaults.months) };
      // A panel that fails now fails for its next viewer too, with the error; nothing to do here.
      await this.panel(r.dashboard, r.id, state).catch(() => undefined);
    }
    Object.assign(this.refreshes, { rounds: this.refreshes.rounds + 1, lastPanels: recipes.length, lastMs: performance.now() - started });
  }

  /** The date a dashboard's default range ends on, cached per version. */
  private async anchor(dashboard: Dashboard, version: string): Promise<string> {
    return (await this.small.get(`anchor\0${dashboard.name}`, version, () => anchorDate(this.warehouse, dashboard, (n) => sqlFile(`dashboards/${n}`)))) as string;
  }

  /** Choices for the dashboard's region / rep / segment filters. */
  async options(dashboard: Dashboard): Promise<FilterOptions> {
    const { key: version } = await this.versions();
    const out: FilterOptions = {};
    for (const f of dashboard.filters) {
      if (f === 'date_range' || f === 'granularity') continue;
      const custom = dashboard.choices[f];
      out[f] = (await this.small.get(`options\0${f}\0${custom ?? ''}`, version, async () => {
        const { requires } = optionQueries[f];
        const query = custom ? `dashboards/${custom}` : optionQueries[f].query;
        if (requires) {
          const tables = await this.warehouse.all<{ table_name: string }>(sqlFile('dashboards/system/existing_tables'));
          if (!tables.some((t) => t.table_name === requires)) return [];
        }
        return this.warehouse.all<FilterOption>(sqlFile(query));
      })) as FilterOption[];
    }
    return out;
  }

  /** When the last successful load finished, cached per data version. */
  async asOf(): Promise<string | null> {
    return (await this.small.get('asOf', (await this.versions()).key, () => dataAsOf(this.warehouse))) as string | null;
  }

  cacheStats(): { entries: number; hits: number; misses: number } {
    return { entries: this.panels.size, hits: this.panels.hits, misses: this.panels.misses };
  }
}
