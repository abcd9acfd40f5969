/**
 * The ready queue: per process, allocated by the primary kernel and granted to the service domain,
 * a FIFO of handles of threads whose calls completed after they stopped spinning, plus `waiters`.
 * VirtuOS uses an array-based Michael-Scott queue with stamped pointers.
 *
 * Lockfree form (the default): nodes 0..threads, node 0 is the first dummy; `head` and `tail` are
 * {index, stamp} pairs and so is every node's `next`; a dequeued dummy goes back to a node pool, a
 * Treiber stack linked through `poolNext`. Enqueue (by a worker) and dequeue (by a primary-domain
 * kernel thread) are written step by step in those actors' machines, one memory operation per step,
 * with the helpers below. The algorithm is Michael and Scott's (PODC 1996) with the usual re-check of
 * the loaded pointer before acting on it.
 *
 * Atomic form (`readyQueue: 'atomic'`): an array whose enqueue and dequeue are single steps, the
 * abstraction the SPIN anchor makes. Its capacity is the number of threads, since a handle is queued
 * at most once.
 *
 * VIRTUOS.md: "The dispatch protocol" (ready queue).
 */
import { NIL } from '../kit/layout.ts';
import type { Ctx } from '../kit/kit.ts';
import type { ProcessLayout } from '../kit/layout.ts';

/**
 * Is `node` a node of the queue? Only a queue broken by a seeded bug holds a pointer that is not; a
 * step that would dereference one is disabled (the actor stops there, as a thread would fault), so
 * the model never reads or writes outside the region, and the properties report the damage.
 */
export const validNode = (c: Ctx, node: number) => node >= 0 && node < c.L.nodes;

/** A node's next pointer occupies two words at nodeNext + 2*node. */
export const nodeNextAt = (p: ProcessLayout, node: number) => p.nodeNext + 2 * node;

/** The handles in the queue, head first, by walking from head's dummy; or the point where it is broken. */
export function queueContents(s: Int32Array, p: ProcessLayout, nodes: number, atomic: boolean): { items: number[]; broken: string | null } {
  if (atomic) {
    const items: number[] = [];
    for (let i = 0; i < s[p.rqLen]; i++) items.push(s[p.rq + i]);
    return { items, broken: null };
  }
  const items: number[] = [];
  let n = s[p.head];
  if (n < 0 || n >= nodes) return { items, broken: `head points to ${n}, not a node` };
  if (s[p.tail] < 0 || s[p.tail] >= nodes) return { items, broken: `tail points to ${s[p.tail]}, not a node` };
  // the nodes walked so far (at most `nodes`, a handful: no Set)
  const seen = [n];
  for (;;) {
    const nx = s[nodeNextAt(p, n)];
    if (nx === NIL) return { items, broken: null };
    if (nx < 0 || nx >= nodes) return { items, broken: `node link ${nx} is out of range` };
    if (seen.includes(nx)) return { items, broken: `node ${nx} is reached twice (a cycle)` };
    seen.push(nx);
    items.push(s[p.nodeValue + nx]);
    n = nx;
  }
}

/**
 * Is handle h among queueContents' items? The same walk, without building the list: no-lost-wakeup
 * asks it on every step a parked thread's call is done (tests/incremental-checks.test.ts compares the two).
 */
export function queueIncludes(s: Int32Array, p: ProcessLayout, nodes: number, atomic: boolean, h: number): boolean {
  if (atomic) {
    for (let i = 0; i < s[p.rqLen]; i++) if (s[p.rq + i] === h) return true;
    return false;
  }
  const head = s[p.head];
  if (head < 0 || head >= nodes || s[p.tail] < 0 || s[p.tail] >= nodes) return false;
  // queueContents stops where the walk comes back to a node; a value met after coming back to any
  // node but the dummy (whose value is no item) was met before, so `nodes` links are enough
  let n = head;
  for (let steps = 0; steps < nodes; steps++) {
    const nx = s[nodeNextAt(p, n)];
    if (nx === NIL || nx < 0 || nx >= nodes || nx === head) return false;
    if (s[p.nodeValue + nx] === h) return true;
    n = nx;
  }
  return false;
}

/**
 * queueContents' items as a bit set of handles, without building the list (entry-safety checks it
 * often); -1 where queueContents finds the queue broken, where a handle is on it twice, and where a
 * node or a handle does not fit 31 bits.
 */
export function queueHandleSet(s: Int32Array, p: ProcessLayout, nodes: number, atomic: boolean): number {
  let handles = 0;
  if (atomic) {
    for (let i = 0; i < s[p.rqLen]; i++) {
      const h = s[p.rq + i];
      if (h < 0 || h > 30 || ((handles >>> h) & 1) !== 0) return -1;
      handles |= 1 << h;
    }
    return handles;
  }
  let n = s[p.head];
  if (nodes > 31 || n < 0 || n >= nodes || s[p.tail] < 0 || s[p.tail] >= nodes) return -1;
  let seen = 1 << n;
  for (;;) {
    const nx = s[nodeNextAt(p, n)];
    if (nx === NIL) return handles;
    if (nx < 0 || nx >= nodes || ((seen >>> nx) & 1) !== 0) return -1;
    seen |= 1 << nx;
    const h = s[p.nodeValue + nx];
    if (h < 0 || h > 30 || ((handles >>> h) & 1) !== 0) return -1;
    handles |= 1 << h;
    n = nx;
  }
}

/** Atomic form: append a handle (one step). */
export function atomicEnqueue(c: Ctx, p: ProcessLayout, h: number): void {
  c.s[p.rq + c.s[p.rqLen]] = h;
  c.s[p.rqLen]++;
}

/** Atomic form: remove the head (one step); the caller checked that the queue is not empty. */
export function atomicDequeue(c: Ctx, p: ProcessLayout): number {
  const h = c.s[p.rq];
  const n = c.s[p.rqLen];
  for (let i = 0; i + 1 < n; i++) c.s[p.rq + i] = c.s[p.rq + i + 1];
  c.s[p.rq + n - 1] = 0;
  c.s[p.rqLen] = n - 1;
  return h;
}

/**
 * The whole lock-free enqueue in one step, as a compromised domain that maps the queue runs it with a
 * handle of its choice (adversary.ts): a node from the pool, the handle in it, linked after the last
 * node, tail swung. Returns false, changing nothing, when the pool is empty or the links lead nowhere
 * sane within `nodes` hops.
 */
export function enqueueInOneStep(s: Int32Array, p: ProcessLayout, nodes: number, h: number, modulus: number): boolean {
  const n = s[p.poolTop];
  if (n < 0 || n >= nodes) return false;
  let last = s[p.tail];
  for (let hops = 0; last >= 0 && last < nodes && s[nodeNextAt(p, last)] !== NIL; hops++) {
    if (hops > nodes) return false;
    last = s[nodeNextAt(p, last)];
  }
  if (last < 0 || last >= nodes || last === n) return false;
  const bump = (at: number, v: number) => {
    s[at] = v;
    s[at + 1] = (s[at + 1] + 1) % modulus;
  };
  bump(p.poolTop, s[p.poolNext + n]);
  s[p.nodeValue + n] = h;
  bump(nodeNextAt(p, n), NIL);
  bump(nodeNextAt(p, last), n);
  bump(p.tail, n);
  return true;
}
