/**
 * The Gamma-Gamma fit in a worker thread, so it runs beside the BG/NBD fit on the other core (both are
 * single-threaded JavaScript and independent of each other). The worker runs the same `fitGammaGamma`
 * on a structured-clone copy of the same Float64Arrays, so its result is bit-identical to an in-thread
 * fit; if the worker cannot start (no tsx loader, no threads), the fit runs in this thread instead.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fitGammaGamma, type GammaGammaParams, type SpendData } from './gamma-gamma.ts';
import type { FitResult } from './numeric/fit.ts';

type Reply = { ok: true; fit: FitResult<keyof GammaGammaParams> } | { ok: false; message: string; started: boolean };

/**
 * Starts the Gamma-Gamma fit in a worker thread and returns its result when done. Meanwhile the calling
 * thread is free (e.g. for the BG/NBD fit). `fallback: false` rejects instead of fitting in this thread
 * when the worker cannot run (for tests).
 *
 * @example
 * const gg = fitGammaGammaInWorker(spend); const bg = fitBgNbd(triples); const ggFit = await gg;
 */
export function fitGammaGammaInWorker(data: SpendData, options: { fallback?: boolean } = {}): Promise<FitResult<keyof GammaGammaParams>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const inThread = (why?: unknown) => {
      if (settled) return;
      settled = true;
      if (options.fallback === false) {
        reject(new Error(`the fit worker did not run: ${why instanceof Error ? why.message : String(why)}`));
        return;
      }
      try {
        resolve(fitGammaGamma(data));
      } catch (e) {
        reject(e);
      }
    };
    let worker: Worker;
    try {
      worker = new Worker(new URL('./fit-worker-boot.mjs', import.meta.url), {
        workerData: { entry: import.meta.url, clvFit: 'gamma_gamma', data },
      });
    } catch (e) {
      inThread(e);
      return;
    }
    worker.unref();
    worker.once('message', (reply: Reply) => {
      if (settled) return;
      if (reply.ok) {
        settled = true;
        resolve(reply.fit);
      } else if (reply.started) {
        // The fit itself threw: the same code in this thread would throw the same.
        settled = true;
        reject(new Error(reply.message));
      } else {
        inThread(reply.message);
      }
      void worker.terminate();
    });
    // The worker could not load (module resolution, loader): fit here.
    worker.once('error', inThread);
    worker.once('exit', (code) => inThread(`exited with code ${code}`));
  });
}

if (!isMainThread && parentPort && (workerData as { clvFit?: string } | null)?.clvFit === 'gamma_gamma') {
  const { data } = workerData as { data: SpendData };
  let reply: Reply;
  try {
    reply = { ok: true, fit: fitGammaGamma(data) };
  } catch (e) {
    reply = { ok: false, started: true, message: e instanceof Error ? e.message : String(e) };
  }
  parentPort.postMessage(reply);
}
