/**
 * The words of one dispatch instance as they stand before any call: what the system's initial state
 * holds, and what a new incarnation of a service domain sets up again in the composed system
 * (incarnation.ts). Split by who owns the memory, because after a restart each side sets up its own:
 * - the service side (the domain's backend): the request areas with every entry free, the wake page
 *   with the initial workers running, the notify ring, the shadow processes' counters and workers,
 *   the backend's wake handler;
 * - the primary side (the frontend and the process's kernel threads): the ready queues with their node
 *   pools, `waiters`, the kernel threads and the user threads that carry calls to the domain.
 */
import { backend } from './backend.ts';
import { frontend } from './frontend.ts';
import { NIL, slotOfDispatchThread, type Layout } from '../kit/layout.ts';
import { primaryKernel } from './primary-kernel.ts';
import { sclib } from './sclib.ts';
import { workerPool } from './worker-pool.ts';

/** Dispatch processes of dispatch domain d (one per program process). */
const procsOf = (L: Layout, d: number) => Array.from({ length: L.cfg.processes }, (_, p) => d * L.cfg.processes + p);

/** The service side of dispatch domain d: request areas, wake word, notify ring, shadow processes, workers, wake handler. */
export function initServiceSide(s: Int32Array, L: Layout, d: number): void {
  const { cfg } = L;
  for (const q of procsOf(L, d)) {
    const p = L.proc[q];
    s[p.freeTop] = 0;
    s[p.freeTop + 1] = 0;
    s[p.allocTop] = NIL;
    s[p.allocTop + 1] = 0;
    for (let i = 0; i < cfg.entries; i++) {
      s[p.next + i] = i + 1 < cfg.entries ? i + 1 : NIL;
      s[p.id + i] = 0;
      s[p.seq + i] = 0;
      s[p.arg + i] = 0;
      s[p.owner + i] = 0;
    }
    s[p.tokens] = 0;
    s[p.liveWorkers] = cfg.initialWorkers;
    s[p.idleWorkers] = cfg.initialWorkers;
    for (let w = q * cfg.workers; w < (q + 1) * cfg.workers; w++) {
      const wk = L.worker[w];
      for (const at of Object.values(wk)) if (at >= 0) s[at] = 0;
      s[wk.pc] = workerPool.stateIndex.get(w % cfg.workers < cfg.initialWorkers ? 'poll' : 'unborn')!;
      s[wk.e] = NIL;
      s[wk.h] = NIL;
      if (wk.n >= 0) s[wk.n] = NIL;
    }
  }
  const dd = L.dd[d];
  s[dd.wake] = cfg.processes * cfg.initialWorkers;
  s[dd.evtToService] = 0;
  s[dd.ringLen] = 0;
  for (let i = 0; i < cfg.ringCapacity; i++) s[dd.ring + i] = 0;
  s[dd.backend.pc] = backend.stateIndex.get('waitEvent')!;
  s[dd.backend.wl] = 0;
}

/** The primary side of dispatch domain d: ready queues, waiters, kernel threads, the user threads carrying its calls, its notify thread. */
export function initPrimarySide(s: Int32Array, L: Layout, d: number): void {
  const { cfg } = L;
  for (const q of procsOf(L, d)) {
    const p = L.proc[q];
    s[p.waiters] = 0;
    // the lock-free queue's words (not laid out with the atomic queue)
    if (cfg.readyQueue === 'lockfree') {
      for (const at of [p.head, p.tail]) {
        s[at] = 0;
        s[at + 1] = 0;
      }
      for (let n = 0; n < L.nodes; n++) {
        s[p.nodeNext + 2 * n] = NIL;
        s[p.nodeNext + 2 * n + 1] = 0;
        s[p.poolNext + n] = n === 0 || n + 1 >= L.nodes ? NIL : n + 1;
        s[p.nodeValue + n] = NIL;
      }
      s[p.poolTop] = L.nodes > 1 ? 1 : NIL;
      s[p.poolTop + 1] = 0;
    }
    s[p.rqLen] = 0;
    for (let i = 0; i <= cfg.threads; i++) s[p.rq + i] = 0;
    for (let i = q * cfg.threads; i < (q + 1) * cfg.threads; i++) {
      const t = L.thread[i];
      const local = i % cfg.threads;
      // carrying POSIX calls a thread waits for its POSIX thread's requests; one no POSIX thread uses never runs
      const unused = L.posix !== null && slotOfDispatchThread(L, i) < 0;
      for (const at of Object.values(t)) if (at >= 0) s[at] = 0;
      // the thread numbers its calls afresh (k = 0): so do the ghosts that count them, which makes
      // exactly-once judge each incarnation of a composed system's domain on its own (found by it)
      for (let k = 0; k < cfg.calls; k++) s[L.execd + i * cfg.calls + k] = s[L.seen + i * cfg.calls + k] = 0;
      s[t.pc] = sclib.stateIndex.get(L.posix ? (unused ? 'exited' : 'idle') : 'loadFreeTop')!;
      s[t.att] = local < cfg.kernelThreads && !unused ? q * cfg.kernelThreads + local : NIL;
      s[t.e] = NIL;
    }
    for (let i = q * cfg.kernelThreads; i < (q + 1) * cfg.kernelThreads; i++) {
      const k = L.kernel[i];
      for (const at of Object.values(k)) if (at >= 0) s[at] = 0;
      s[k.pc] = primaryKernel.stateIndex.get('running')!;
      s[k.cur] = q * cfg.threads + (i % cfg.kernelThreads);
      if (k.fn >= 0) s[k.fn] = NIL;
    }
  }
  const dd = L.dd[d];
  s[dd.evtToPrimary] = 0;
  s[dd.frontend.pc] = frontend.stateIndex.get('waitEvent')!;
  s[dd.frontend.rec] = 0;
}
