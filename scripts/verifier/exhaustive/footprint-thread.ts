/**
 * The recorder thread of footprints.ts: footprints measured in a worker thread of their own, asked
 * for synchronously (the caller blocks on a shared buffer until the answer is there; a search asks a
 * few thousand times in all). Its copy of the model runs the recording proxies, so the main thread's
 * copy never sees one (see FootprintCache).
 *
 * The shared buffer, as 32-bit words: [0] what is asked or answered (STARTING, IDLE, MEASURE,
 * DEFINE, DONE, FAILED), [1] the system's number, [2] the actor, [3] the branch number (-1: the
 * actor's guards), [4] a count, and from [5] the state's words, a configuration's JSON, or the
 * answer: the keys, their values, the read bits and the written bits.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../../model/kit/config.ts';

export const STARTING = -1;
export const IDLE = 0;
export const MEASURE = 1;
export const DONE = 2;
export const FAILED = 3; // footprint-recorder.mjs writes it as 3 when the thread's code cannot be loaded
export const DEFINE = 4;
/** words in the shared buffer */
export const IO_WORDS = 1 << 18;

const ENTRY = fileURLToPath(new URL('./footprint-recorder.mjs', import.meta.url));
/** how long to wait for the thread to start (its code may have to be bundled first) or to answer */
const START_MS = 120_000;
const ANSWER_MS = 60_000;

export class Recorder {
  private readonly io: Int32Array;
  private systems = 0;

  constructor(private readonly worker: Worker, sab: SharedArrayBuffer) {
    this.io = new Int32Array(sab);
  }

  /** Give the thread a configuration to build a system of; returns its number there. */
  define(cfg: Config): number {
    const json = JSON.stringify(cfg);
    if (json.length > IO_WORDS - 8) throw new Error('footprints: the configuration is too large for the recorder thread');
    const io = this.io;
    const id = this.systems++;
    io[1] = id;
    io[4] = json.length;
    for (let i = 0; i < json.length; i++) io[5 + i] = json.charCodeAt(i);
    this.ask(DEFINE);
    return id;
  }

  /** Measure in the thread what measureOn (footprints.ts) measures, with the same results. */
  measure(sysId: number, s: Int32Array, a: number, branch: number, R: Int32Array, W: Int32Array, at: number, mw: number, keys: number[], vals: number[]): void {
    const io = this.io;
    io[1] = sysId;
    io[2] = a;
    io[3] = branch;
    io[4] = s.length;
    io.set(s, 5);
    this.ask(MEASURE);
    const nk = io[4];
    for (let k = 0; k < nk; k++) {
      keys.push(io[5 + k]);
      vals.push(io[5 + nk + k]);
    }
    const r = 5 + 2 * nk;
    for (let k = 0; k < mw; k++) {
      R[at + k] |= io[r + k];
      W[at + k] |= io[r + mw + k];
    }
  }

  private ask(op: number): void {
    const io = this.io;
    Atomics.store(io, 0, op);
    Atomics.notify(io, 0);
    const until = Date.now() + ANSWER_MS;
    while (Atomics.load(io, 0) === op) {
      const left = until - Date.now();
      if (left <= 0 || Atomics.wait(io, 0, op, left) === 'timed-out') {
        this.worker.terminate();
        broken = true;
        thread = null;
        throw new Error(`footprints: the recorder thread did not answer in ${ANSWER_MS / 1000} s`);
      }
    }
    const got = Atomics.load(io, 0);
    if (got === FAILED) {
      let msg = '';
      for (let i = 0; i < io[4]; i++) msg += String.fromCharCode(io[5 + i]);
      Atomics.store(io, 0, IDLE);
      throw new Error(msg);
    }
    Atomics.store(io, 0, IDLE);
  }
}

let thread: Recorder | null = null;
/** the thread could not be started, or stopped answering: measure in this thread from then on */
let broken = false;

/**
 * The process's recorder thread, started on first use (and then kept, unref'd, for later searches),
 * or null if it cannot be started: the footprints are then measured in the calling thread, the same
 * footprints, only with the slower search that follows.
 */
export function recorderThread(): Recorder | null {
  if (thread || broken) return thread;
  const sab = new SharedArrayBuffer(4 * IO_WORDS);
  const io = new Int32Array(sab);
  io[0] = STARTING;
  let worker: Worker;
  try {
    worker = new Worker(ENTRY, { workerData: { sab } });
  } catch {
    broken = true;
    return null;
  }
  worker.unref();
  worker.on('error', () => {
    broken = true;
    thread = null;
  });
  const until = Date.now() + START_MS;
  while (Atomics.load(io, 0) === STARTING) {
    const left = until - Date.now();
    if (left <= 0 || Atomics.wait(io, 0, STARTING, left) === 'timed-out') break;
  }
  // FAILED: its code could not be loaded (footprint-recorder.mjs)
  if (Atomics.load(io, 0) !== IDLE) {
    worker.terminate();
    broken = true;
    return null;
  }
  thread = new Recorder(worker, sab);
  return thread;
}
