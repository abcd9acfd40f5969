/**
 * No lost wakeup (liveness, checked as a bounded property).
 *
 * Once threads stop submitting, every issued call completes: after the random schedule the run is
 * continued by a fair round-robin scheduler for a bounded number of steps (the bound is printed with
 * every verdict); it must reach a state where nothing is enabled and every thread has exited. A thread
 * left parked while its entry is DONE is a lost wakeup (the completion happened but nobody resumed it);
 * a thread left waiting for a call that never ran is a deadlock (for example every worker blocked);
 * reaching the bound with steps still enabled is a livelock or a too-small bound.
 *
 * One clause is checked on every state, so that the most common lost wakeup is caught the moment it
 * happens rather than when the run has drained: a parked thread whose entry is DONE must have its
 * handle on the way to a kernel thread (held by the worker that completed the call, on the ready
 * queue, or dequeued by a kernel thread about to run it). Nothing else can ever resume it.
 *
 * This is not a proof of liveness: it checks the runs the verifier generates, each for a bounded
 * number of fair steps.
 *
 * VIRTUOS.md: "The dispatch protocol" step 4, "Workers"; hazards ("a lost wakeup").
 */
import { ID_DONE, NIL, threadName } from '../../model/kit/layout.ts';
import { primaryKernel } from '../../model/dispatch/primary-kernel.ts';
import { queueIncludes } from '../../model/dispatch/ready-queue.ts';
import { sclib } from '../../model/dispatch/sclib.ts';
import { pcName, type System } from '../../model/kit/system.ts';
import { workerPool } from '../../model/dispatch/worker-pool.ts';
import { procJudged } from '../../model/system/instance.ts';
import { boundHitByUnjudged, type Property } from '../property.ts';
import { judgedReads, queueReads, words } from '../lib/reads.ts';

const exited = sclib.stateIndex.get('exited')!;
const idle = sclib.stateIndex.get('idle')!;
const blockedInCall = workerPool.stateIndex.get('blockedInCall')!;

/** The call thread t carries blocks in the service domain's kernel: a worker of its process is blocked serving its entry. */
function blockedInService(sys: System, s: Int32Array, t: number): boolean {
  const { L, cfg } = sys;
  const q = Math.floor(t / cfg.threads);
  const e = s[L.thread[t].e];
  for (let w = q * cfg.workers; w < (q + 1) * cfg.workers; w++) if (s[L.worker[w].pc] === blockedInCall && s[L.worker[w].e] === e) return true;
  return false;
}
const blocked = sclib.stateIndex.get('blocked')!;
/** A lookup table by control state (checked on every step of a random run: no Set). */
const statesTable = (count: number, names: string[], index: ReadonlyMap<string, number>) => {
  const t = new Uint8Array(count);
  for (const n of names) t[index.get(n)!] = 1;
  return t;
};
/** worker states in which `e` is the completed entry whose caller it will wake */
const workerHoldsEntry = statesTable(workerPool.states.length, ['readHandle', 'storeDone'], workerPool.stateIndex);
/** kernel-thread states in which `v` is a dequeued handle it is about to run */
const kernelHoldsHandle = statesTable(primaryKernel.states.length, ['deqSwingHead', 'poolLoad', 'poolLink', 'poolCas', 'leaveWait'], primaryKernel.stateIndex);

export const noLostWakeup: Property = {
  name: 'no-lost-wakeup',
  group: 'dispatch',
  kind: 'liveness',
  section: 'The dispatch protocol',
  description: 'Under fair scheduling, once threads stop submitting, every issued call completes and no thread sleeps while its entry is DONE (checked within a stated bound of fair steps).',
  clauses: {
    'completed-call-in-flight': 'a parked thread whose entry is DONE has its handle on the way: with the worker that completed it, on the ready queue, or with the kernel thread about to run it (checked on every state)',
    'no-sleeper-with-done-entry': 'no thread is left parked while its entry is DONE',
    'all-calls-complete': 'every thread finishes all its calls (carrying POSIX calls: returns every call, unless the call blocks for ever in the service domain\'s kernel)',
    'progress-within-bound': 'the fair continuation of a run quiesces within its bound',
  },
  *reads({ L, cfg }) {
    yield* judgedReads(L);
    for (const th of L.thread) yield* [th.pc, th.att, th.e];
    for (const p of L.proc) {
      yield* words(p.id, cfg.entries);
      yield* queueReads(L, p, cfg.readyQueue === 'atomic');
    }
    for (const w of L.worker) yield* [w.pc, w.e, w.h];
    for (const k of L.kernel) yield* [k.pc, k.v];
  },
  invariant(sys, s) {
    const { L, cfg } = sys;
    for (let t = 0; t < L.thread.length; t++) {
      const th = L.thread[t];
      if (s[th.pc] !== blocked || s[th.att] !== NIL) continue;
      const p = Math.floor(t / cfg.threads);
      if (!procJudged(s, L, p)) continue;
      const pl = L.proc[p];
      const e = s[th.e];
      if (s[pl.id + e] !== ID_DONE) continue;
      let onItsWay = false;
      for (let w = p * cfg.workers; w < (p + 1) * cfg.workers && !onItsWay; w++) {
        const wk = L.worker[w];
        onItsWay = (workerHoldsEntry[s[wk.pc]] === 1 && s[wk.e] === e) || s[wk.h] === t;
      }
      for (let k = p * cfg.kernelThreads; k < (p + 1) * cfg.kernelThreads && !onItsWay; k++) onItsWay = kernelHoldsHandle[s[L.kernel[k].pc]] === 1 && s[L.kernel[k].v] === t;
      if (!onItsWay) onItsWay = queueIncludes(s, pl, L.nodes, cfg.readyQueue === 'atomic', t);
      if (!onItsWay) return { clause: 'completed-call-in-flight', message: `${threadName(L, t)} is parked, its entry ${e} is DONE, and its handle is nowhere on the way back to it (a lost wakeup)` };
    }
    return null;
  },
  final(sys, s, end) {
    const L = sys.L;
    if (end.hitBound && !boundHitByUnjudged(sys, s, end)) return { clause: 'progress-within-bound', message: `steps were still enabled after ${end.bound} fair steps` };
    for (let t = 0; t < L.thread.length; t++) {
      const th = L.thread[t];
      if (s[th.pc] !== blocked || s[th.att] !== -1 || !procJudged(s, L, Math.floor(t / L.cfg.threads))) continue;
      const p = L.proc[Math.floor(t / L.cfg.threads)];
      if (s[p.id + s[th.e]] === ID_DONE) return { clause: 'no-sleeper-with-done-entry', message: `${threadName(L, t)} sleeps for ever although its entry ${s[th.e]} is DONE (a lost wakeup)` };
    }
    for (let t = 0; t < L.thread.length; t++) {
      const pc = s[L.thread[t].pc];
      if (pc === exited || !procJudged(s, L, Math.floor(t / L.cfg.threads))) continue;
      // carrying POSIX calls a thread is done when idle; a call its POSIX program blocks for ever (a recv
      // nobody sends to) legitimately keeps a worker blocked in the service domain's kernel
      if (L.posix && (pc === idle || blockedInService(sys, s, t))) continue;
      const a = sys.actors.findIndex((x) => x.name === threadName(L, t));
      return { clause: 'all-calls-complete', message: `nothing can move, but ${threadName(L, t)} is stuck in ${pcName(sys, s, a)} after ${s[L.thread[t].k]}${L.posix ? '' : ` of ${L.cfg.calls}`} calls` };
    }
    return null;
  },
};
