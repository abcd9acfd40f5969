/**
 * Running many independent timed runs: in this thread, or spread over worker threads when the
 * machine has cores to spare. Every run is deterministic and its result depends only on its job, so
 * the answers are the same however the jobs are spread; they come back in the order they were asked.
 */
import { Worker } from 'node:worker_threads';
import { runJob, type RunJob, type RunSummary } from './jobs.ts';

export async function runJobs(jobs: readonly RunJob[], workers: number): Promise<RunSummary[]> {
  if (workers <= 1 || jobs.length < 4) return jobs.map(runJob);
  const out: RunSummary[] = new Array(jobs.length);
  // Longest first (threads x units is a fair guess of a run's length), so no worker is left with a
  // long run at the end.
  const order = jobs.map((_, i) => i).sort((a, b) => weight(jobs[b]) - weight(jobs[a]) || a - b);
  let next = 0;
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, () => new Worker(new URL('./pool-worker.mjs', import.meta.url)));
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const give = () => {
              if (next >= order.length) return resolve();
              const id = order[next++];
              w.postMessage({ id, job: jobs[id] });
            };
            w.on('message', (m: { ready?: boolean; id?: number; summary?: RunSummary; error?: string }) => {
              if (m.ready) return give();
              if (m.error !== undefined) return reject(new Error(`a perf worker failed: ${m.error}`));
              out[m.id!] = m.summary!;
              give();
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (code !== 0) reject(new Error(`a perf worker exited with status ${code}`));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return out;
}

function weight(j: RunJob): number {
  return (j.system === 'virtuos' ? 20 : 1) * j.threads * j.perThread;
}
