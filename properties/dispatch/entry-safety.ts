/**
 * Entry safety (safety).
 *
 * The request area and the ready queue stay well formed: both stacks are proper lists; an entry is on
 * at most one stack, once; an entry on `alloc_top` is a submitted request; an entry on `free_top` is
 * not still held by a thread (which would let it be reused while its result is being read) or served
 * by a worker; no two workers serve the same entry; and a handle is never on the ready queue twice.
 * These are the shapes an ABA on an unstamped top or an early free produce.
 *
 * VIRTUOS.md: "The dispatch protocol", hazards ("ABA", "a ready-queue handle enqueued twice",
 * "a free entry reused while its result is still being read").
 */
import { dispatchActorName, dispatchProcName, ID_CALL, ID_RECV, ID_RQUEUE, ID_SEND, NIL, threadName } from '../../model/kit/layout.ts';
import { queueContents, queueHandleSet } from '../../model/dispatch/ready-queue.ts';
import { stackSet, walkStack } from '../../model/dispatch/request-stack.ts';
import { procJudged } from '../../model/system/instance.ts';
import type { Broken, Property } from '../property.ts';
import type { System } from '../../model/kit/system.ts';
import { judgedReads, queueReads, stackReads, words } from '../lib/reads.ts';

const submitted = (id: number) => {
  const kind = id & ~ID_RQUEUE;
  return kind === ID_CALL || kind === ID_SEND || kind === ID_RECV;
};

export const entrySafety: Property = {
  name: 'entry-safety',
  group: 'dispatch',
  kind: 'safety',
  section: 'The dispatch protocol',
  description:
    'An entry is never on both stacks, never freed or reused while its result is being read, never served by two workers; a handle is never on the ready queue twice.',
  clauses: {
    'stacks-well-formed': 'free_top and alloc_top each lead to a finite list of distinct, valid entries',
    'entry-on-one-stack': 'no entry is on both stacks',
    'alloc-entry-submitted': 'every entry on alloc_top carries a call id',
    'free-entry-not-held': 'no entry on free_top is still held by a thread or a worker',
    'served-once-at-a-time': 'no two workers hold the same entry',
    'handle-queued-once': 'the ready queue is a proper list and holds each handle at most once',
    'handle-valid': 'every handle dequeued from the ready queue names a thread of the process',
  },
  *reads({ L, cfg }) {
    yield L.fault;
    yield* judgedReads(L);
    for (const p of L.proc) {
      yield* stackReads(p.freeTop, p.next, cfg.entries);
      yield* stackReads(p.allocTop, p.next, cfg.entries);
      yield* words(p.id, cfg.entries);
      yield* queueReads(L, p, cfg.readyQueue === 'atomic');
    }
    for (const th of L.thread) yield th.e;
    for (const w of L.worker) yield w.e;
  },
  invariant(sys, s) {
    const { L } = sys;
    if (s[L.fault] && procJudged(s, L, s[L.fault] - 1)) return { clause: 'handle-valid', message: `a kernel thread of ${dispatchProcName(L, s[L.fault] - 1)} dequeued a value that names no thread of its process` };
    for (let p = 0; p < L.proc.length; p++) {
      if (!procJudged(s, L, p) || surelyWellFormed(sys, s, p)) continue;
      const broken = processBroken(sys, s, p);
      if (broken) return broken;
    }
    return null;
  },
};

/** Process p's clauses (all but handle-valid), checked in full: the first one broken, or null. */
export function processBroken(sys: System, s: Int32Array, p: number): Broken | null {
  const { L, cfg } = sys;
  const pl = L.proc[p];
  const free = walkStack(s, pl.freeTop, pl.next, cfg.entries);
  if (free.broken) return { clause: 'stacks-well-formed', message: `${dispatchProcName(L, p)} free_top: ${free.broken}` };
  const alloc = walkStack(s, pl.allocTop, pl.next, cfg.entries);
  if (alloc.broken) return { clause: 'stacks-well-formed', message: `${dispatchProcName(L, p)} alloc_top: ${alloc.broken}` };
  const onFree = free.items;
  for (const e of alloc.items) {
    if (onFree.includes(e)) return { clause: 'entry-on-one-stack', message: `entry ${e} is on free_top and on alloc_top` };
    if (!submitted(s[pl.id + e])) return { clause: 'alloc-entry-submitted', message: `entry ${e} is on alloc_top with call id ${s[pl.id + e]}` };
  }
  for (let t = p * cfg.threads; t < (p + 1) * cfg.threads; t++) {
    const e = s[L.thread[t].e];
    if (e !== NIL && onFree.includes(e)) return { clause: 'free-entry-not-held', message: `entry ${e} is on free_top while ${threadName(L, t)} still holds it` };
  }
  for (let w = p * cfg.workers; w < (p + 1) * cfg.workers; w++) {
    const e = s[L.worker[w].e];
    if (e === NIL) continue;
    if (onFree.includes(e)) return { clause: 'free-entry-not-held', message: `entry ${e} is on free_top while ${dispatchActorName(L, 'W', w)} serves it` };
    for (let other = p * cfg.workers; other < w; other++)
      if (s[L.worker[other].e] === e) return { clause: 'served-once-at-a-time', message: `${dispatchActorName(L, 'W', other)} and ${dispatchActorName(L, 'W', w)} both serve entry ${e}` };
  }
  const q = queueContents(s, pl, L.nodes, cfg.readyQueue === 'atomic');
  if (q.broken) return { clause: 'handle-queued-once', message: `${dispatchProcName(L, p)} ready queue: ${q.broken}` };
  for (let i = 1; i < q.items.length; i++)
    if (q.items.indexOf(q.items[i]) < i) return { clause: 'handle-queued-once', message: `${threadName(L, q.items[i])}'s handle is on the ready queue twice` };
  return null;
}

/**
 * Does process p surely keep every clause processBroken() checks? The same conditions over bit sets
 * instead of lists: no array is built, so the check that runs after a large share of a random run's
 * steps costs little. False when anything is amiss, or when an entry, node or handle number does not
 * fit a bit set; processBroken() then decides and names what is broken.
 */
export function surelyWellFormed(sys: System, s: Int32Array, p: number): boolean {
  const { L, cfg } = sys;
  const pl = L.proc[p];
  const free = stackSet(s, pl.freeTop, pl.next, cfg.entries);
  if (free < 0) return false;
  const alloc = stackSet(s, pl.allocTop, pl.next, cfg.entries);
  if (alloc < 0 || (free & alloc) !== 0) return false;
  for (let m = alloc; m !== 0; m &= m - 1) if (!submitted(s[pl.id + 31 - Math.clz32(m & -m)])) return false;
  for (let t = p * cfg.threads; t < (p + 1) * cfg.threads; t++) {
    const e = s[L.thread[t].e];
    if (e !== NIL && (e < 0 || e > 30 || ((free >>> e) & 1) !== 0)) return false;
  }
  let served = 0;
  for (let w = p * cfg.workers; w < (p + 1) * cfg.workers; w++) {
    const e = s[L.worker[w].e];
    if (e === NIL) continue;
    if (e < 0 || e > 30 || (((free | served) >>> e) & 1) !== 0) return false;
    served |= 1 << e;
  }
  return queueHandleSet(s, pl, L.nodes, cfg.readyQueue === 'atomic') >= 0;
}
