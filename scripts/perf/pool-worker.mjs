// A worker thread of the perf pool: it loads the TypeScript sources (the main thread's loader does
// not carry over; scripts/launch.mjs), then runs the jobs it is sent, one at a time, and answers each
// with its summary.
import { parentPort } from 'node:worker_threads';
import { load } from '../launch.mjs';

const { runJob } = await load('scripts/perf/jobs.ts');
parentPort.on('message', ({ id, job }) => {
  try {
    parentPort.postMessage({ id, summary: runJob(job) });
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
parentPort.postMessage({ ready: true });
