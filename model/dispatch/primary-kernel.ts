/**
 * Primary-domain kernel threads of a process: the M:N side of libc-sclib's thread scheduler and the
 * kernel's `rqueue_wait`.
 *
 * A kernel thread runs one user-level thread at a time. When that thread parks (RQUEUE set), yields
 * (no free entry) or exits, the kernel thread first switches to a runnable user thread of the same
 * process (one never started, or one that yielded and now has a free entry); if there is none but a
 * thread is parked, it enters `rqueue_wait`: it increments `waiters` and registers on the process's
 * wait queue in one step (C11), then tries to dequeue a handle (C12). The handle it dequeues need not
 * be that of the thread it last ran: it runs whatever thread the handle names (the M:N hand-off of
 * VirtuOS's `rqueue_wait`). If the queue is empty it sleeps until a notification marks it pending
 * (C13), then tries again; with a handle it decrements `waiters`, deregisters (C14) and switches to
 * that thread.
 *
 * The dequeue is the Michael-Scott algorithm one memory operation per step, and the old dummy node
 * goes back to the node pool; with `readyQueue: 'atomic'` it is one step.
 *
 * Simplifications: the wait queue is a pending bit per registered kernel thread set by a wake-up
 * (the kernel's prepare-to-wait/check/schedule, which loses no wake-up, is taken as given); the
 * user-level scheduler picks the lowest-numbered runnable thread; idle spinning on the ready queue
 * before blocking is folded into the first dequeue attempt.
 *
 * VIRTUOS.md: "The dispatch protocol", step 4; "Components" (primary domain).
 */
import { defineComponent, type Ctx, type HistEvent } from '../kit/kit.ts';
import { NIL, dispatchActorName, threadName } from '../kit/layout.ts';
import { atomicDequeue, nodeNextAt, queueContents, validNode } from './ready-queue.ts';
import { instanceFailed, emitHistory } from '../system/instance.ts';
import { topUnchanged, writeTop } from './request-stack.ts';
import { fmtIdx, sclib } from './sclib.ts';

const me = (c: Ctx) => c.L.kernel[c.me];
const procOf = (c: Ctx) => Math.floor(c.me / c.L.cfg.kernelThreads);
const P = (c: Ctx) => c.L.proc[procOf(c)];

/** Record a history event of this actor's dispatch process (instance.ts emitHistory). */
const hist = (c: Ctx, e: Omit<HistEvent, 'proc'>) => emitHistory(c, procOf(c), e);

/** The thread this kernel thread ran has left it (parked, yielded or exited). */
function free(c: Ctx): boolean {
  const cur = c.s[me(c).cur];
  return cur === NIL || c.s[c.L.thread[cur].att] !== c.me;
}

/** Lowest-numbered user thread of the process that can be run now, or NIL. */
export function runnableThread(s: Int32Array, L: Ctx['L'], proc: number, loadFreeTopPc: number): number {
  const T = L.cfg.threads;
  const freeNonEmpty = s[L.proc[proc].freeTop] !== NIL;
  if (!freeNonEmpty) return NIL;
  for (let t = proc * T; t < proc * T + T; t++) {
    const th = L.thread[t];
    if (s[th.att] === NIL && s[th.pc] === loadFreeTopPc) return t;
  }
  return NIL;
}

/** Some user thread of the process is parked waiting for its handle to be dequeued. */
export function someParked(s: Int32Array, L: Ctx['L'], proc: number, blockedPc: number): boolean {
  const T = L.cfg.threads;
  for (let t = proc * T; t < proc * T + T; t++) {
    const th = L.thread[t];
    if (s[th.att] === NIL && s[th.pc] === blockedPc) return true;
  }
  return false;
}

/** A handle on its way back to thread t of process q: on the ready queue, or dequeued by a kernel thread about to run it. */
function handleComing(s: Int32Array, L: Ctx['L'], q: number, t: number): boolean {
  const K = L.cfg.kernelThreads;
  for (let k = q * K; k < (q + 1) * K; k++) if (holdsHandle.has(s[L.kernel[k].pc]) && s[L.kernel[k].v] === t) return true;
  return queueContents(s, L.proc[q], L.nodes, L.cfg.readyQueue === 'atomic').items.includes(t);
}

/**
 * A thread of process q stranded by its domain's failure (composed system): parked, or yielded for an
 * entry, with no handle coming back (the workers that would have sent it died with the domain).
 * Returns the lowest such thread or NIL.
 */
export function strandedThread(s: Int32Array, L: Ctx['L'], q: number): number {
  if (!instanceFailed(s, L, q)) return NIL;
  const T = L.cfg.threads;
  for (let t = q * T; t < q * T + T; t++) {
    const th = L.thread[t];
    if (s[th.att] !== NIL) continue;
    if (s[th.pc] === threadPcs.loadFreeTop || (s[th.pc] === threadPcs.blocked && !handleComing(s, L, q, t))) return t;
  }
  return NIL;
}

/** Kernel-thread states in which `v` is a dequeued handle it is about to run (indices checked below). */
const holdsHandle = new Set<number>();

/** Control states of the user-thread machine that the scheduler looks at. */
const threadPcs = { loadFreeTop: sclib.stateIndex.get('loadFreeTop')!, blocked: sclib.stateIndex.get('blocked')! };

const lockfree = (c: Ctx) => c.L.cfg.readyQueue === 'lockfree';

function clear(c: Ctx): void {
  const k = me(c);
  for (const f of [k.hi, k.hs, k.ti, k.ts, k.ni, k.ns, k.pi, k.ps]) c.s[f] = 0;
  c.s[k.fn] = NIL;
}

export const primaryKernel = defineComponent({
  id: 'kernel-thread',
  prefix: 'K',
  name: (L, i) => dispatchActorName(L, 'K', i),
  section: 'The dispatch protocol',
  description:
    'A primary-domain kernel thread of a process under M:N threading: it runs user threads, switches to a runnable one when its thread parks, ' +
    'and otherwise waits in rqueue_wait (waiters, wait queue, Michael-Scott dequeue) for a handle to come off the ready queue.',
  initial: 'running',
  count: (L) => L.kernel.length,
  pc: (L, i) => L.kernel[i].pc,
  states: {
    running: {
      description: 'runs a user thread, or has none and looks for work',
      on: {
        KernelThreadSwitchesToThread: [
          { guard: 'freeAndRunnableThread', target: 'running', actions: 'switchToRunnable' },
          { guard: 'freeAndStrandedThread', target: 'running', actions: 'switchToStranded' },
        ],
        KernelThreadEntersRqueueWait: [
          { guard: 'freeNoneRunnableSomeParkedLockfree', target: 'deqLoadHead', actions: 'enterRqueueWait' },
          { guard: 'freeNoneRunnableSomeParked', target: 'deqAtomic', actions: 'enterRqueueWait' },
        ],
      },
    },
    deqLoadHead: { description: 'D1: about to load head', on: { KernelLoadsHead: { target: 'deqLoadTail', actions: 'loadHead' } } },
    deqLoadTail: { description: 'D2: about to load tail', on: { KernelLoadsTail: { target: 'deqLoadNext', actions: 'loadTail' } } },
    deqLoadNext: { description: 'D3: about to load the next pointer of the loaded head', on: { KernelLoadsHeadNext: { guard: 'headIsNode', target: 'deqRecheck', actions: 'loadHeadNext' } } },
    deqRecheck: {
      description: 'D4: about to re-load head to check that head, tail and next were a consistent snapshot',
      on: {
        KernelRechecksHead: [
          { guard: 'headChanged', target: 'deqLoadHead', actions: 'clearQueueRegs' },
          { guard: 'queueEmpty', target: 'sleep', actions: 'findEmpty' },
          { guard: 'tailLagging', target: 'deqFixTail' },
          { target: 'deqReadValue' },
        ],
      },
    },
    deqFixTail: { description: 'D4a: tail lags behind; about to CAS it forward', on: { KernelAdvancesTail: { target: 'deqLoadHead', actions: 'advanceTail' } } },
    deqReadValue: { description: 'D5: about to read the handle in the first real node', on: { KernelReadsHandle: { guard: 'nextIsNode', target: 'deqSwingHead', actions: 'readHandle' } } },
    deqSwingHead: {
      description: 'D6: about to CAS head to the first real node (which becomes the dummy)',
      on: {
        KernelSwingsHead: [
          { guard: 'headUnchanged', target: 'poolLoad', actions: 'swingHead' },
          { target: 'deqLoadHead', actions: 'clearQueueRegs' },
        ],
      },
    },
    poolLoad: { description: 'P1: about to load the node pool\'s top to free the old dummy', on: { KernelLoadsNodePoolTop: { target: 'poolLink', actions: 'loadPoolTop' } } },
    poolLink: { description: 'P2: about to link the old dummy to the loaded pool top', on: { KernelLinksFreedNode: { guard: 'freedIsNode', target: 'poolCas', actions: 'linkFreedNode' } } },
    poolCas: {
      description: 'P3: about to CAS the pool top to the old dummy',
      on: {
        KernelFreesNode: [
          { guard: 'poolTopUnchanged', target: 'leaveWait', actions: 'pushFreedNode' },
          { target: 'poolLoad', actions: 'clearPoolRegs' },
        ],
      },
    },
    deqAtomic: {
      description: 'C12 (atomic ready queue): about to dequeue the head in one step',
      on: {
        KernelDequeuesHandle: [
          { guard: 'atomicQueueNonEmpty', target: 'leaveWait', actions: 'dequeueAtomic' },
          { target: 'sleep', actions: 'findEmpty' },
        ],
      },
    },
    sleep: {
      description: 'C13: the queue was empty; asleep on the wait queue until a notification marks it pending',
      on: {
        KernelThreadWakes: [
          { guard: 'domainFailed', target: 'running', actions: 'leaveFailedWait' },
          { guard: 'pendingLockfree', target: 'deqLoadHead', actions: 'consumePending' },
          { guard: 'pending', target: 'deqAtomic', actions: 'consumePending' },
        ],
      },
    },
    leaveWait: {
      description: 'C14: has a handle; about to decrement waiters, deregister and switch to that thread',
      on: { KernelThreadLeavesRqueueWait: { target: 'running', actions: 'leaveRqueueWait' } },
    },
  },
  guards: {
    freeAndStrandedThread: (c) => free(c) && strandedThread(c.s, c.L, procOf(c)) !== NIL,
    domainFailed: (c) => instanceFailed(c.s, c.L, procOf(c)),
    freeAndRunnableThread: (c) => free(c) && runnableThread(c.s, c.L, procOf(c), threadPcs.loadFreeTop) !== NIL,
    freeNoneRunnableSomeParkedLockfree: (c) =>
      lockfree(c) && free(c) && runnableThread(c.s, c.L, procOf(c), threadPcs.loadFreeTop) === NIL && someParked(c.s, c.L, procOf(c), threadPcs.blocked),
    freeNoneRunnableSomeParked: (c) => free(c) && runnableThread(c.s, c.L, procOf(c), threadPcs.loadFreeTop) === NIL && someParked(c.s, c.L, procOf(c), threadPcs.blocked),
    headChanged: (c) => !topUnchanged(c, P(c).head, c.s[me(c).hi], c.s[me(c).hs]),
    queueEmpty: (c) => c.s[me(c).hi] === c.s[me(c).ti] && c.s[me(c).ni] === NIL,
    tailLagging: (c) => c.s[me(c).hi] === c.s[me(c).ti],
    headUnchanged: (c) => topUnchanged(c, P(c).head, c.s[me(c).hi], c.s[me(c).hs]),
    poolTopUnchanged: (c) => topUnchanged(c, P(c).poolTop, c.s[me(c).pi], c.s[me(c).ps]),
    atomicQueueNonEmpty: (c) => c.s[P(c).rqLen] > 0,
    headIsNode: (c) => validNode(c, c.s[me(c).hi]),
    nextIsNode: (c) => validNode(c, c.s[me(c).ni]),
    freedIsNode: (c) => validNode(c, c.s[me(c).fn]),
    pendingLockfree: (c) => lockfree(c) && c.s[me(c).pend] !== 0,
    pending: (c) => c.s[me(c).pend] !== 0,
  },
  guardDocs: {
    freeAndStrandedThread: 'its thread has left it, and a thread of the process is stranded by its domain\'s failure (parked or yielded, no handle coming back)',
    domainFailed: "the frontend has failed the ready queue's domain (RUNNING clear): rqueue_wait returns an error instead of sleeping",
    freeAndRunnableThread: 'its thread has left it and a user thread of the process is runnable',
    freeNoneRunnableSomeParkedLockfree: 'its thread has left it, nothing is runnable, a thread is parked (lockfree queue)',
    freeNoneRunnableSomeParked: 'its thread has left it, nothing is runnable, a thread is parked',
    headChanged: 'head differs from the loaded pair',
    queueEmpty: 'loaded head equals loaded tail and the head node has no successor',
    tailLagging: 'loaded head equals loaded tail but a successor exists (tail lags)',
    headUnchanged: 'head still equals the loaded pair',
    poolTopUnchanged: 'the node pool top still equals the loaded pair',
    atomicQueueNonEmpty: 'the atomic ready queue holds a handle',
    headIsNode: 'the loaded head is a node (only a broken queue fails this; the thread then stops)',
    nextIsNode: 'the loaded next is a node (only a broken queue fails this)',
    freedIsNode: 'the node to free is a node (only a broken queue fails this)',
    pendingLockfree: 'a notification marked this kernel thread pending (lockfree queue)',
    pending: 'a notification marked this kernel thread pending',
  },
  actions: {
    switchToRunnable: (c) => {
      const t = runnableThread(c.s, c.L, procOf(c), threadPcs.loadFreeTop);
      c.s[c.L.thread[t].att] = c.me;
      c.s[me(c).cur] = t;
    },
    switchToStranded: (c) => {
      const t = strandedThread(c.s, c.L, procOf(c));
      c.s[c.L.thread[t].att] = c.me;
      c.s[me(c).cur] = t;
    },
    leaveFailedWait: (c) => {
      const k = me(c);
      c.s[P(c).waiters]--;
      c.s[k.reg] = 0;
      c.s[k.pend] = 0;
      clear(c);
    },
    enterRqueueWait: (c) => {
      c.s[P(c).waiters]++;
      c.s[me(c).reg] = 1;
      c.s[me(c).cur] = NIL;
    },
    loadHead: (c) => {
      c.s[me(c).hi] = c.s[P(c).head];
      c.s[me(c).hs] = c.s[P(c).head + 1];
      hist(c, { obj: 'rq', kind: 'inv', op: 'deq', value: null });
    },
    loadTail: (c) => {
      c.s[me(c).ti] = c.s[P(c).tail];
      c.s[me(c).ts] = c.s[P(c).tail + 1];
    },
    loadHeadNext: (c) => {
      const at = nodeNextAt(P(c), c.s[me(c).hi]);
      c.s[me(c).ni] = c.s[at];
      c.s[me(c).ns] = c.s[at + 1];
    },
    clearQueueRegs: (c) => {
      clear(c);
      c.s[me(c).v] = 0;
    },
    findEmpty: (c) => {
      hist(c, { obj: 'rq', kind: 'ret', op: 'deq', value: null });
      clear(c);
    },
    advanceTail: (c) => {
      const k = me(c);
      if (topUnchanged(c, P(c).tail, c.s[k.ti], c.s[k.ts])) writeTop(c, P(c).tail, c.s[k.ts], c.s[k.ni]);
      clear(c);
    },
    readHandle: (c) => {
      c.s[me(c).v] = c.s[P(c).nodeValue + c.s[me(c).ni]];
    },
    swingHead: (c) => {
      const k = me(c);
      writeTop(c, P(c).head, c.s[k.hs], c.s[k.ni]);
      hist(c, { obj: 'rq', kind: 'ret', op: 'deq', value: c.s[k.v] });
      const old = c.s[k.hi];
      clear(c);
      c.s[k.fn] = old;
    },
    loadPoolTop: (c) => {
      const k = me(c);
      c.s[k.pi] = c.s[P(c).poolTop];
      c.s[k.ps] = c.s[P(c).poolTop + 1];
      hist(c, { obj: 'pool', kind: 'inv', op: 'push', value: c.s[k.fn] });
    },
    linkFreedNode: (c) => {
      c.s[P(c).poolNext + c.s[me(c).fn]] = c.s[me(c).pi];
    },
    pushFreedNode: (c) => {
      const k = me(c);
      writeTop(c, P(c).poolTop, c.s[k.ps], c.s[k.fn]);
      hist(c, { obj: 'pool', kind: 'ret', op: 'push', value: null });
      clear(c);
    },
    clearPoolRegs: (c) => {
      c.s[me(c).pi] = 0;
      c.s[me(c).ps] = 0;
    },
    dequeueAtomic: (c) => {
      hist(c, { obj: 'rq', kind: 'inv', op: 'deq', value: null });
      c.s[me(c).v] = atomicDequeue(c, P(c));
      hist(c, { obj: 'rq', kind: 'ret', op: 'deq', value: c.s[me(c).v] });
    },
    consumePending: (c) => {
      c.s[me(c).pend] = 0;
    },
    leaveRqueueWait: (c) => {
      const k = me(c);
      c.s[P(c).waiters]--;
      c.s[k.reg] = 0;
      c.s[k.pend] = 0;
      const t = c.s[k.v];
      c.s[k.v] = 0;
      const first = procOf(c) * c.L.cfg.threads;
      if (t < first || t >= first + c.L.cfg.threads) {
        c.s[c.L.fault] = procOf(c) + 1; // ghost: which process's queue gave a bad handle
        c.s[k.cur] = NIL;
        return;
      }
      c.s[c.L.thread[t].att] = c.me;
      c.s[k.cur] = t;
    },
  },
  events: {
    KernelThreadSwitchesToThread: {
      from: 'kernel thread (primary domain)',
      to: 'user thread (M:N scheduler)',
      description: 'its user thread left it; switch to the lowest-numbered runnable user thread of the process',
      label: (c, _t) => {
        const t = runnableThread(c.s, c.L, procOf(c), threadPcs.loadFreeTop);
        if (t !== NIL) return `switches to ${threadName(c.L, t)}`;
        return `switches to ${threadName(c.L, strandedThread(c.s, c.L, procOf(c)))}, stranded by its domain's failure (no handle will come back for it)`;
      },
    },
    KernelThreadEntersRqueueWait: {
      from: 'kernel thread (primary domain)',
      to: 'ready queue (waiters) and the process wait queue',
      description: 'C11: nothing runnable but a thread is parked: increment waiters and register on the wait queue',
      label: (c) => `enters rqueue_wait: waiters ${c.s[P(c).waiters]} -> ${c.s[P(c).waiters] + 1}`,
    },
    KernelLoadsHead: { from: 'kernel thread (primary domain)', to: 'ready queue head', description: 'D1: load head', label: (c) => `loads ready-queue head {${fmtIdx(c.s[P(c).head])}, ${c.s[P(c).head + 1]}}` },
    KernelLoadsTail: { from: 'kernel thread (primary domain)', to: 'ready queue tail', description: 'D2: load tail', label: (c) => `loads ready-queue tail {${fmtIdx(c.s[P(c).tail])}, ${c.s[P(c).tail + 1]}}` },
    KernelLoadsHeadNext: {
      from: 'kernel thread (primary domain)',
      to: 'ready queue node',
      description: 'D3: load the next pointer of the loaded head node',
      label: (c) => `loads next of node ${c.s[me(c).hi]} = ${fmtIdx(c.s[nodeNextAt(P(c), c.s[me(c).hi])])}`,
    },
    KernelRechecksHead: {
      from: 'kernel thread (primary domain)',
      to: 'ready queue head',
      description: 'D4: re-load head; if unchanged, decide: empty, tail lagging, or a handle to take',
      label: (c, target) =>
        target === 'deqLoadHead' ? 're-loads head: it changed, starts over' : target === 'sleep' ? 'finds the ready queue empty and sleeps' : target === 'deqFixTail' ? 're-loads head: tail lags' : 're-loads head: unchanged',
    },
    KernelAdvancesTail: { from: 'kernel thread (primary domain)', to: 'ready queue tail', description: 'D4a: CAS tail forward to its successor (helping a slow enqueuer)', label: (c) => `CASes tail forward to node ${c.s[me(c).ni]}` },
    KernelReadsHandle: { from: 'kernel thread (primary domain)', to: 'ready queue node', description: 'D5: read the handle from the first real node', label: (c) => `reads handle ${threadName(c.L, c.s[P(c).nodeValue + c.s[me(c).ni]])} from node ${c.s[me(c).ni]}` },
    KernelSwingsHead: {
      from: 'kernel thread (primary domain)',
      to: 'ready queue head',
      description: 'D6: CAS head to the first real node; success dequeues the handle',
      label: (c, target) => (target === 'poolLoad' ? `dequeues ${threadName(c.L, c.s[me(c).v])}'s handle (head CAS succeeds)` : 'fails to CAS head, starts over'),
    },
    KernelLoadsNodePoolTop: { from: 'kernel thread (primary domain)', to: 'ready queue node pool', description: 'P1: load the pool top to free the old dummy', label: (c) => `loads node-pool top {${fmtIdx(c.s[P(c).poolTop])}, ${c.s[P(c).poolTop + 1]}}` },
    KernelLinksFreedNode: { from: 'kernel thread (primary domain)', to: 'ready queue node pool', description: 'P2: link the old dummy to the loaded pool top', label: (c) => `links node ${c.s[me(c).fn]} to ${fmtIdx(c.s[me(c).pi])}` },
    KernelFreesNode: {
      from: 'kernel thread (primary domain)',
      to: 'ready queue node pool',
      description: 'P3: CAS the pool top to the old dummy',
      label: (c, target) => `frees node ${c.s[me(c).fn]} to the pool (CAS ${target === 'leaveWait' ? 'succeeds' : 'fails'})`,
    },
    KernelDequeuesHandle: {
      from: 'kernel thread (primary domain)',
      to: 'ready queue',
      description: 'C12 (atomic queue): dequeue the head handle, or find the queue empty',
      label: (c, target) => (target === 'leaveWait' ? `dequeues ${threadName(c.L, c.s[P(c).rq])}'s handle` : 'finds the ready queue empty and sleeps'),
    },
    KernelThreadWakes: {
      from: 'kernel thread (primary domain)',
      to: 'process wait queue',
      description: 'C13: woken by a notification; consume the pending mark and retry the dequeue (composed system: when the domain has failed, rqueue_wait returns instead)',
      label: (c, target) => (target === 'running' ? `leaves rqueue_wait: the domain has failed (waiters ${c.s[P(c).waiters]} -> ${c.s[P(c).waiters] - 1})` : 'wakes up (notified) and retries the dequeue'),
    },
    KernelThreadLeavesRqueueWait: {
      from: 'kernel thread (primary domain)',
      to: 'ready queue (waiters), user thread',
      description: 'C14: decrement waiters, deregister, and switch to the thread whose handle was dequeued',
      label: (c) => `leaves rqueue_wait (waiters ${c.s[P(c).waiters]} -> ${c.s[P(c).waiters] - 1}) and switches to ${threadName(c.L, c.s[me(c).v])}`,
    },
  },
});

for (const n of ['deqSwingHead', 'poolLoad', 'poolLink', 'poolCas', 'leaveWait']) holdsHandle.add(primaryKernel.stateIndex.get(n)!);
