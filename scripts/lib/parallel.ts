/**
 * Worker threads for `--workers N`: a pool that runs independent tasks and hands back their results.
 *
 * Random mode sends batch numbers (verify.ts: each batch has its own seed derived from the user's
 * seed, so a batch's result does not depend on the worker that ran it); exhaustive mode sends chunks
 * of a breadth-first level (exhaustive.ts: the workers expand states, one thread numbers and stores
 * them in a fixed order). In both, the caller merges results in task order, so the output is the
 * same for any number of workers; only the time changes.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { ChunkResult, ChunkRunner, ExpanderSpec } from './exhaustive.ts';
import type { WorkerInit } from './parallel-worker.ts';
import { BATCH_RUNS, batchRuns, finish, planOf, violatedSoFar, type BatchResult, type VerifyOptions, type VerifySummary } from './verify.ts';

const ENTRY = fileURLToPath(new URL('./parallel-worker.mjs', import.meta.url));

export class Pool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: { task: object; transfer: ArrayBuffer[]; resolve: (r: unknown) => void; reject: (e: Error) => void }[] = [];
  private waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failed: Error | null = null;
  readonly ready: Promise<void>;

  constructor(readonly size: number, init: WorkerInit) {
    const starts: Promise<void>[] = [];
    for (let i = 0; i < size; i++) {
      const w = new Worker(ENTRY);
      this.workers.push(w);
      starts.push(
        new Promise((resolve, reject) => {
          const first = (m: { ready?: boolean; error?: string }) => {
            w.off('message', first);
            if (m.error) reject(new Error(`worker failed to start: ${m.error}`));
            else {
              w.on('message', (msg) => this.answer(w, msg));
              this.idle.push(w);
              resolve();
            }
          };
          w.on('message', first);
          w.on('error', (e) => {
            this.failed = e;
            reject(e);
            for (const p of this.waiting.values()) p.reject(e);
            this.waiting.clear();
          });
        }),
      );
      w.postMessage({ init });
    }
    this.ready = Promise.all(starts).then(() => this.pump());
  }

  private answer(w: Worker, msg: { id: number; result?: unknown; error?: string }): void {
    const p = this.waiting.get(msg.id);
    this.waiting.delete(msg.id);
    this.idle.push(w);
    if (p) {
      if (msg.error) p.reject(new Error(`worker: ${msg.error}`));
      else p.resolve(msg.result);
    }
    this.pump();
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.shift()!;
      const job = this.queue.shift()!;
      const id = this.nextId++;
      this.waiting.set(id, job);
      w.postMessage({ task: { ...job.task, id } }, job.transfer);
    }
  }

  run<T>(task: object, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ task, transfer, resolve: resolve as (r: unknown) => void, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The random verification on `workers` threads: batches in flight, merged in batch order. */
export async function verifyParallel(opts: VerifyOptions, workers: number): Promise<VerifySummary> {
  const started = performance.now();
  const plan = planOf(opts);
  const deadlineEpoch = opts.timeS === null ? null : Date.now() + opts.timeS * 1000;
  const pool = new Pool(workers, { kind: 'random', cfg: opts.cfg, props: opts.props.map((p) => p.name), seed: opts.seed, maxPicks: plan.maxPicks, deadlineEpoch });
  try {
    await pool.ready;
    const results: BatchResult[] = [];
    const inFlight = new Set<Promise<void>>();
    let runs = 0;
    let steps = 0;
    let lastProgress = 0;
    for (let b = 0; b < plan.count; b++) {
      if (deadlineEpoch !== null && Date.now() >= deadlineEpoch) break;
      if (!plan.batches(b)) continue;
      const p: Promise<void> = pool.run<BatchResult>({ batch: b, runs: opts.timeS === null ? batchRuns(opts.runs, b) : BATCH_RUNS }).then((r) => {
        results.push(r);
        runs += r.runs;
        steps += r.steps;
        const now = performance.now();
        if (opts.onProgress && now - lastProgress > 500) {
          lastProgress = now;
          opts.onProgress({ runs, steps, elapsedS: (now - started) / 1000, violated: violatedSoFar(results) });
        }
      });
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= 2 * workers) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return finish(opts, plan, results, started);
  } finally {
    await pool.close();
  }
}

/** Expansion of breadth-first chunks on `workers` threads, for exhaustive.ts. */
export async function chunkRunner(spec: ExpanderSpec, workers: number): Promise<ChunkRunner> {
  const pool = new Pool(workers, { kind: 'exhaustive', spec });
  await pool.ready;
  return {
    workers,
    expand: (states: Int32Array, expandIt: Uint8Array, checkSelf: boolean) => pool.run<ChunkResult>({ states, expandIt, checkSelf }, [states.buffer as ArrayBuffer, expandIt.buffer as ArrayBuffer]),
    close: () => pool.close(),
  };
}
