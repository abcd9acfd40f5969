// A worker thread of the perf pool: it registers the TypeScript loader (the main thread's does not
// carry over), then runs the jobs it is sent, one at a time, and answers each with its summary.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runJob } = await import('./jobs.ts');
parentPort.on('message', ({ id, job }) => {
  try {
    parentPort.postMessage({ id, summary: runJob(job) });
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
parentPort.postMessage({ ready: true });
