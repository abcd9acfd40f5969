// Entry point of the recorder thread (footprint-thread.ts): load the TypeScript sources as
// scripts/virtuos.mjs does for the main thread (a cached bundle, or tsx: scripts/launch.mjs).
// If they cannot be loaded, say so at once in the shared buffer's first word (FAILED, 3): the
// thread that started this one is blocked waiting for it, and would otherwise wait out its time-out.
import { workerData } from 'node:worker_threads';
import { load } from '../../launch.mjs';

try {
  await load('scripts/verifier/exhaustive/footprint-recorder.ts');
} catch (e) {
  const io = new Int32Array(workerData.sab);
  Atomics.store(io, 0, 3);
  Atomics.notify(io, 0);
  throw e;
}
