/**
 * Worker threads for `verify --exhaustive --workers N`: a pool that runs independent tasks and hands
 * back their results. The exhaustive search sends chunks of a breadth-first level (exhaustive.ts: the
 * workers expand states, one thread numbers and stores them in a fixed order); the caller merges
 * results in task order, so the output is the same for any number of workers; only the time changes.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { ChunkResult, ChunkRunner, ExpanderSpec } from '../exhaustive/exhaustive.ts';
import { SymmetryError } from '../exhaustive/symmetry.ts';
import { partitionMemory, type PartitionRunner } from '../exhaustive/partitioned.ts';
import { totalmem } from 'node:os';
import { sharedMemory, type SharedAttempt, type SharedMemory } from '../exhaustive/shared.ts';

const ENTRY = fileURLToPath(new URL('./worker.mjs', import.meta.url));

/**
 * Worker threads a closed pool left idle, for the next pool of this process: starting one (a thread
 * and the model's modules: scripts/launch.mjs) costs CPU, about 0.6 s of it when the modules come
 * through tsx, and a process that runs several searches (the tests, a library user) would pay it for
 * every pool. They are unref'd, so they never keep the process
 * alive, and told to drop what their last search built. A worker that was busy or failed is
 * terminated instead.
 */
const spare: Worker[] = [];
const MAX_SPARE = 4;

/** Idle workers kept for the next pool (for tests). */
export const spareWorkers = (): number => spare.length;

function takeWorker(): Worker {
  const w = spare.pop();
  if (!w) return new Worker(ENTRY);
  w.ref();
  return w;
}

function giveBack(w: Worker): Promise<unknown> {
  w.removeAllListeners('message');
  w.removeAllListeners('error');
  if (spare.length >= MAX_SPARE) return w.terminate();
  w.postMessage({ reset: true });
  w.unref();
  spare.push(w);
  return Promise.resolve();
}

export class Pool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: { task: object; transfer: ArrayBuffer[]; resolve: (r: unknown) => void; reject: (e: Error) => void }[] = [];
  private waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failed: Error | null = null;
  /** workers that reported an error (never reused) */
  private broken = new Set<Worker>();
  readonly ready: Promise<void>;

  /** `init` is what each worker starts with (worker.ts: `WorkerInit`, which the pool does not import: the worker imports the searches that use the pool). */
  constructor(readonly size: number, init: { kind: string; spec: unknown }) {
    const starts: Promise<void>[] = [];
    for (let i = 0; i < size; i++) {
      const w = takeWorker();
      this.workers.push(w);
      starts.push(
        new Promise((resolve, reject) => {
          const first = (m: { ready?: boolean; error?: string; symmetry?: string }) => {
            w.off('message', first);
            if (m.error) reject(m.symmetry ? new SymmetryError(m.symmetry) : new Error(`worker failed to start: ${m.error}`));
            else {
              w.on('message', (msg) => this.answer(w, msg));
              this.idle.push(w);
              resolve();
            }
          };
          w.on('message', first);
          w.on('error', (e) => {
            this.broken.add(w);
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

  private answer(w: Worker, msg: { id: number; result?: unknown; error?: string; symmetry?: string }): void {
    const p = this.waiting.get(msg.id);
    this.waiting.delete(msg.id);
    this.idle.push(w);
    if (p) {
      if (msg.error) p.reject(msg.symmetry ? new SymmetryError(msg.symmetry) : new Error(`worker: ${msg.error}`));
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

  /** End the pool: idle workers are kept for the next pool (see `spare`), the others terminated. */
  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => (this.idle.includes(w) && !this.broken.has(w) && this.waiting.size === 0 ? giveBack(w) : w.terminate())));
    this.idle = [];
  }
}

/** The random verification on `workers` threads: batches in flight, merged in batch order. */

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

/**
 * The workers of a partitioned exhaustive search (partitioned.ts): one single-thread pool per part,
 * so that each command goes to the worker that owns the part; the rings between them are shared memory.
 */
export async function partitionRunner(spec: ExpanderSpec, store: 'full' | 'hashcompact', n: number, sampleSteps?: number): Promise<PartitionRunner> {
  const { rings, counters } = partitionMemory(n);
  return partsRunner(n, counters, (k) => ({ kind: 'partition', spec: { spec, store, k, n, rings, counters, sampleSteps } }));
}

/**
 * The workers of an exhaustive search with a shared store (shared.ts): one single-thread pool per
 * worker, as the partitioned search's, and the memory they share. The packing is widened for `widen`.
 */
export async function sharedRunner(spec: ExpanderSpec, n: number, attempt: SharedAttempt, maxBytes: number | undefined, sampleSteps?: number): Promise<{ runner: PartitionRunner; mem: SharedMemory }> {
  const mem = sharedMemory(n, maxBytes ?? Math.floor(totalmem() / 2));
  const runner = await partsRunner(n, mem.counters, (k) => ({ kind: 'shared', spec: { spec, k, n, mem, widen: attempt.widen, parents: attempt.parents, sampleSteps } }));
  return { runner, mem };
}

async function partsRunner(n: number, counters: SharedArrayBuffer, init: (k: number) => { kind: string; spec: unknown }): Promise<PartitionRunner> {
  const pools = Array.from({ length: n }, (_, k) => new Pool(1, init(k)));
  const close = () => Promise.all(pools.map((p) => p.close()));
  // One worker failing to start must not leave the others running (they would keep the process alive).
  await Promise.all(pools.map((p) => p.ready)).catch(async (e) => {
    await close();
    throw e;
  });
  return {
    n,
    counters: new Float64Array(counters),
    call: <T>(k: number, c: object) => pools[k].run<T>({ part: c }),
    close: async () => {
      await close();
    },
  };
}
