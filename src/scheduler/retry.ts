import type { Backoff } from './config.ts';

/**
 * The wait before retry number `retry` (1 = first retry): initial × factor^(retry-1), capped at max,
 * spread by ±jitter. `random` is injectable so tests (and jitter 0) are deterministic.
 *
 * @example
 * backoffDelay(3, { initial: 30_000, factor: 2, max: 600_000, jitter: 0 }); // 120000
 */
export function backoffDelay(retry: number, b: Backoff, random: () => number = Math.random): number {
  const base = Math.min(b.initial * b.factor ** Math.max(0, retry - 1), b.max);
  if (!b.jitter) return Math.round(base);
  return Math.round(Math.min(b.max, base * (1 - b.jitter + 2 * b.jitter * random())));
}

/** Resolves after `ms`, or early (with false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** An error a retry cannot fix (a bad pipeline file, an unknown model): the step fails at once. */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** Thrown into a step when it is cut short: by its timeout, or by a shutdown past its grace period. */
export class StepAborted extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'shutdown',
  ) {
    super(message);
    this.name = 'StepAborted';
  }
}
