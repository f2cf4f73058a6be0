/**
 * Token buckets in memory, one per key (a token id, or a client address for anonymous requests).
 * A bucket holds `burst` requests and refills at `perSecond`; idle buckets are dropped.
 */
export interface RateLimitOptions {
  /** Sustained requests per second per key (default 20). */
  perSecond: number;
  /** Requests allowed at once (default 60). */
  burst: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt = 0;

  constructor(
    readonly options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one request from `key`'s bucket: 0 when allowed, else the seconds until one is available. */
  take(key: string): number {
    const t = this.now();
    this.sweep(t);
    const { perSecond, burst } = this.options;
    const b = this.buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
  }

  /** Drops buckets that have refilled completely (at most once a minute). */
  private sweep(t: number): void {
    if (t - this.sweptAt < 60_000) return;
    this.sweptAt = t;
    const full = (this.options.burst / this.options.perSecond) * 1000;
    for (const [k, b] of this.buckets) if (t - b.at > full) this.buckets.delete(k);
  }
}
