// Entry of the CLV fit worker thread (src/models/clv/fit-worker.ts). Worker threads do not inherit
// tsx's module loader from the main thread (not under `node --import tsx`, tsx's register() or
// vitest), so the worker registers it before loading the TypeScript module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
