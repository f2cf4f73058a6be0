import { describe, expect, it } from 'vitest';
import { fitGammaGammaInWorker } from '../../../src/models/clv/fit-worker.ts';
import { fitGammaGamma } from '../../../src/models/clv/gamma-gamma.ts';
import { paperSpend } from './reference.ts';

describe('Gamma-Gamma fit in a worker thread', () => {
  it('runs in a worker under vitest and returns exactly the in-thread fit', async () => {
    const data = paperSpend();
    const inWorker = await fitGammaGammaInWorker(data, { fallback: false });
    expect(inWorker).toStrictEqual(fitGammaGamma(data));
    expect(inWorker.params.p.toFixed(2)).toBe('6.25');
  });

  it('passes on what the fit throws', async () => {
    const bad = { x: Float64Array.of(1), zbar: Float64Array.of(5), weight: Float64Array.of(1) };
    let inThread: unknown;
    try {
      inThread = fitGammaGamma(bad);
    } catch (e) {
      inThread = e;
    }
    const inWorker = await fitGammaGammaInWorker(bad, { fallback: false }).catch((e: unknown) => e);
    if (inThread instanceof Error) expect((inWorker as Error).message).toBe(inThread.message);
    else expect(inWorker).toStrictEqual(inThread);
  });
});
