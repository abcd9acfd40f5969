/**
 * The worker pool of a shadow process (syscall-backend, in the service domain): kernel worker threads
 * that take requests from the process's `alloc_top` and run them.
 *
 * A worker pops a request (W1-W3), runs the call (W4: loads the argument and executes; a recv blocks
 * here until a send of the same process has run), writes the result into the entry (W5) and
 * exchanges the call id with DONE (W6). Only if the old id had RQUEUE set does it read the waiting
 * thread's handle (W7) and enqueue it on the ready queue (W8, Michael-Scott, one memory operation per
 * step, taking a node from the pool first); only if `waiters` is then non-zero (W9) does it notify the
 * primary domain (W10): a notify record on the notify ring and an event-channel signal, or, with
 * `notify: 'direct'`, marking the process's registered kernel threads pending itself.
 *
 * Pool management: a shadow process starts with `initialWorkers` workers and keeps one idle worker
 * available: the worker whose pop leaves no idle worker spawns a new one (up to `workers`). An idle
 * worker polls `alloc_top`; after `workerPolls` empty polls it sleeps: it loads the wake word, CAS-sets
 * WAKE_REQUESTED, re-checks `alloc_top` (a request pushed meanwhile would otherwise be lost), and
 * CAS-moves itself from running to sleeping, which fails if anyone touched the word since. From the
 * moment it sets WAKE_REQUESTED it is on the domain's wait queue (the kernel's prepare_to_wait), so
 * the backend's event handler (backend.ts) wakes it even before it sleeps, and it then does not
 * sleep. Without that, the CAS alone is not enough: the wake word has no stamp, and another process's
 * worker can recreate the exact value loaded (an ABA that the exhaustive search found, leaving a
 * request unserved with every worker asleep). With `wakePath: false` an idle worker
 * simply waits until `alloc_top` changes, as in the SPIN anchor.
 *
 * Seeded bugs here: `lostwake` (W6 as a plain load then a plain store), `waiters-early` (W9 before
 * W8), `nospawn` (never spawn), `woken-unchecked` (S4 ignores a wake-up that came before it).
 *
 * Simplifications: the vCPU-count condition on polling and the scheduler hook that wakes a sleeping
 * worker when a running one blocks are left out (spawning already keeps an idle worker); a call's
 * work is one step.
 *
 * VIRTUOS.md: "The dispatch protocol", step 3 and "Workers".
 */
import { defineComponent, type Ctx } from './kit.ts';
import { ID_DONE, ID_RECV, ID_RQUEUE, ID_SEND, NIL, WAKE_REQUESTED, WAKE_SLEEPING_SHIFT } from './layout.ts';
import { atomicEnqueue, nodeNextAt, validNode } from './ready-queue.ts';
import { fmtTop, topUnchanged, writeTop } from './request-stack.ts';
import { callName, fmtIdx, fmtWake } from './sclib.ts';

const me = (c: Ctx) => c.L.worker[c.me];
const procOf = (c: Ctx) => Math.floor(c.me / c.L.cfg.workers);
const P = (c: Ctx) => c.L.proc[procOf(c)];
const lockfree = (c: Ctx) => c.L.cfg.readyQueue === 'lockfree';
const ring = (c: Ctx) => c.L.cfg.notify === 'ring';
const early = (c: Ctx) => c.L.cfg.bug === 'waiters-early';
const kindOf = (c: Ctx) => c.s[P(c).id + c.s[me(c).e]] & ~ID_RQUEUE & 0xff;

function clearTemps(c: Ctx): void {
  const w = me(c);
  for (const f of [w.ti, w.ts, w.nx, w.qi, w.qs, w.ni, w.ns]) c.s[f] = 0;
}

/** Back to polling after a request: the worker is idle again. */
function finish(c: Ctx): void {
  const w = me(c);
  c.s[P(c).idleWorkers]++;
  c.s[w.e] = NIL;
  c.s[w.r] = 0;
  c.s[w.old] = 0;
  c.s[w.h] = NIL;
  c.s[w.wz] = 0;
  c.s[w.n] = NIL;
  clearTemps(c);
}

/** Mark every kernel thread of process `proc` registered on its wait queue as pending (wake_up). */
export function wakeWaitQueue(c: Ctx, proc: number): void {
  const K = c.L.cfg.kernelThreads;
  for (let k = proc * K; k < proc * K + K; k++) if (c.s[c.L.kernel[k].reg]) c.s[c.L.kernel[k].pend] = 1;
}

const afterEnqueue = [
  { guard: 'earlyAndNoWaiters', target: 'poll', actions: 'finish' },
  { guard: 'earlyRing', target: 'notifyPush' },
  { guard: 'earlyVariant', target: 'notifyDirect' },
  { target: 'readWaiters' },
];

export const workerPool = defineComponent({
  id: 'worker',
  prefix: 'W',
  section: 'The dispatch protocol',
  description:
    'A kernel worker thread of a shadow process in the service domain: it pops requests from alloc_top, executes them, exchanges the call id with DONE, ' +
    'enqueues the caller\'s handle and notifies the primary domain when the caller stopped spinning, spawns a new worker when no idle one is left, ' +
    'and sleeps behind WAKE_REQUESTED when idle.',
  initial: 'poll',
  count: (L) => L.worker.length,
  pc: (L, i) => L.worker[i].pc,
  states: {
    unborn: { description: 'not spawned yet', on: { WorkerStarts: { guard: 'spawned', target: 'poll', actions: 'start' } } },
    poll: {
      description: 'W1: idle; about to load alloc_top',
      on: {
        WorkerLoadsAllocTop: [
          { guard: 'requestPending', target: 'loadNext', actions: 'loadAllocTop' },
          { guard: 'pollsLeft', target: 'poll', actions: 'countPoll' },
          { guard: 'wakePathOn', target: 'sleepLoadWake', actions: 'resetPolls' },
        ],
      },
    },
    loadNext: { description: 'W2: about to read next[top]', on: { WorkerLoadsNext: { target: 'casAllocTop', actions: 'loadNext' } } },
    casAllocTop: {
      description: 'W3: about to CAS alloc_top to {next, stamp+1}',
      on: {
        WorkerPopsRequest: [
          { guard: 'allocTopUnchangedMustSpawn', target: 'spawn', actions: 'popRequest' },
          { guard: 'allocTopUnchanged', target: 'execute', actions: 'popRequest' },
          { target: 'poll', actions: 'clearTemps' },
        ],
      },
    },
    spawn: {
      description: 'took the last idle slot; about to spawn a new worker (unless another worker filled the pool meanwhile)',
      on: {
        WorkerSpawnsWorker: [
          { guard: 'poolHasRoom', target: 'execute', actions: 'spawnWorker' },
          { target: 'execute' },
        ],
      },
    },
    execute: { description: 'W4: about to load the argument and run the system call (a recv waits here for a send)', on: { WorkerExecutesCall: { guard: 'canExecute', target: 'writeResult', actions: 'execute' } } },
    writeResult: {
      description: 'W5: about to write the result into args[0]',
      on: {
        WorkerWritesResult: [
          { guard: 'lostwakeVariant', target: 'loadId', actions: 'writeResult' },
          { target: 'xchgDone', actions: 'writeResult' },
        ],
      },
    },
    xchgDone: {
      description: 'W6: about to exchange the call id with DONE',
      on: {
        WorkerExchangesDone: [
          { guard: 'rqueueSet', target: 'readHandle', actions: 'storeDone' },
          { target: 'poll', actions: ['storeDone', 'finish'] },
        ],
      },
    },
    loadId: { description: 'W6a (lostwake): about to load the call id with a plain load', on: { WorkerLoadsCallId: { target: 'storeDone', actions: 'loadCallId' } } },
    storeDone: {
      description: 'W6b (lostwake): about to store DONE with a plain store',
      on: {
        WorkerStoresDone: [
          { guard: 'loadedRqueue', target: 'readHandle', actions: 'storeDone' },
          { target: 'poll', actions: ['storeDone', 'finish'] },
        ],
      },
    },
    readHandle: {
      description: 'W7: the caller stopped spinning; about to read its handle from the entry',
      on: {
        WorkerReadsHandle: [
          { guard: 'earlyVariant', target: 'readWaitersEarly', actions: 'readHandle' },
          { guard: 'lockfreeQueue', target: 'enqPoolLoad', actions: 'readHandle' },
          { target: 'enqAtomic', actions: 'readHandle' },
        ],
      },
    },
    readWaitersEarly: {
      description: 'W9 (waiters-early): about to read waiters before enqueueing',
      on: {
        WorkerReadsWaiters: [
          { guard: 'lockfreeQueue', target: 'enqPoolLoad', actions: 'loadWaitersEarly' },
          { target: 'enqAtomic', actions: 'loadWaitersEarly' },
        ],
      },
    },
    enqPoolLoad: { description: 'E1: about to load the node pool top', on: { WorkerLoadsNodePoolTop: { guard: 'poolNonEmpty', target: 'enqPoolNext', actions: 'loadPoolTop' } } },
    enqPoolNext: { description: 'E2: about to read the pool link of the loaded node', on: { WorkerLoadsNodePoolNext: { guard: 'poolTopIsNode', target: 'enqPoolCas', actions: 'loadPoolNext' } } },
    enqPoolCas: {
      description: 'E3: about to CAS the pool top to take the node',
      on: {
        WorkerTakesNode: [
          { guard: 'poolTopUnchanged', target: 'enqInit', actions: 'takeNode' },
          { target: 'enqPoolLoad', actions: 'clearTemps' },
        ],
      },
    },
    enqInit: { description: 'E4: owns a node; about to write the handle and a nil next into it', on: { WorkerInitialisesNode: { guard: 'takenIsNode', target: 'enqLoadTail', actions: 'initNode' } } },
    enqLoadTail: { description: 'E5: about to load tail', on: { WorkerLoadsTail: { target: 'enqLoadNext', actions: 'loadTail' } } },
    enqLoadNext: { description: 'E6: about to load the next pointer of the loaded tail node', on: { WorkerLoadsTailNext: { guard: 'tailIsNode', target: 'enqRecheck', actions: 'loadTailNext' } } },
    enqRecheck: {
      description: 'E7: about to re-load tail to check the snapshot',
      on: {
        WorkerRechecksTail: [
          { guard: 'tailChanged', target: 'enqLoadTail', actions: 'clearTemps' },
          { guard: 'tailNextNil', target: 'enqLink' },
          { target: 'enqFixTail' },
        ],
      },
    },
    enqLink: {
      description: 'E8: about to CAS the tail node\'s next from nil to the new node',
      on: {
        WorkerLinksNode: [
          { guard: 'tailNextUnchanged', target: 'enqSwing', actions: 'linkNode' },
          { target: 'enqLoadTail', actions: 'clearTemps' },
        ],
      },
    },
    enqFixTail: { description: 'E8a: tail lags; about to CAS it forward', on: { WorkerAdvancesTail: { target: 'enqLoadTail', actions: 'advanceTail' } } },
    enqSwing: { description: 'E9: linked; about to CAS tail to the new node (failure is fine: someone helped)', on: { WorkerSwingsTail: [...afterEnqueue.map((b) => ({ ...b, actions: ['swingTail', ...(b.actions ? [b.actions] : [])] }))] } },
    enqAtomic: { description: 'W8 (atomic queue): about to enqueue the handle in one step', on: { WorkerEnqueuesHandle: [...afterEnqueue.map((b) => ({ ...b, actions: ['enqueueAtomic', ...(b.actions ? [b.actions] : [])] }))] } },
    readWaiters: {
      description: 'W9: about to read waiters',
      on: {
        WorkerReadsWaiters: [
          { guard: 'noWaiters', target: 'poll', actions: 'finish' },
          { guard: 'ringNotify', target: 'notifyPush' },
          { target: 'notifyDirect' },
        ],
      },
    },
    notifyPush: { description: 'W10a: about to push a notify record (the process id) on the notify ring', on: { WorkerPushesNotifyRecord: { guard: 'ringHasRoom', target: 'notifySend', actions: 'pushRecord' } } },
    notifySend: { description: 'W10b: about to signal the primary domain over the event channel', on: { WorkerSendsNotifyEvent: { target: 'poll', actions: ['sendNotify', 'finish'] } } },
    notifyDirect: { description: 'W10 (direct): about to wake the registered kernel threads of the process', on: { WorkerWakesWaiters: { target: 'poll', actions: ['wakeWaiters', 'finish'] } } },
    sleepLoadWake: { description: 'S1: polled enough; about to load the wake word', on: { WorkerLoadsWakeWord: { target: 'sleepSetReq', actions: 'loadWake' } } },
    sleepSetReq: {
      description: 'S2: about to CAS-set WAKE_REQUESTED',
      on: {
        WorkerSetsWakeRequested: [
          { guard: 'wakeUnchanged', target: 'sleepRecheck', actions: 'setRequested' },
          { target: 'sleepLoadWake', actions: 'clearWake' },
        ],
      },
    },
    sleepRecheck: {
      description: 'S3: WAKE_REQUESTED set; about to re-check alloc_top',
      on: {
        WorkerRechecksAllocTop: [
          { guard: 'requestPending', target: 'poll', actions: 'clearWake' },
          { target: 'sleepCommit' },
        ],
      },
    },
    sleepCommit: {
      description: 'S4: about to CAS itself from running to sleeping (fails if the word changed), unless a wake-up already reached it',
      on: {
        WorkerGoesToSleep: [
          { guard: 'wokenHeeded', target: 'poll', actions: 'clearWake' },
          { guard: 'wakeUnchanged', target: 'asleep', actions: 'goToSleep' },
          { target: 'poll', actions: 'clearWake' },
        ],
      },
    },
    asleep: { description: 'asleep until the backend\'s wake-event handler wakes it', on: { WorkerWakesUp: { guard: 'woken', target: 'poll', actions: 'wakeUp' } } },
  },
  guards: {
    spawned: (c) => c.s[me(c).spawn] !== 0,
    requestPending: (c) => c.s[P(c).allocTop] !== NIL,
    pollsLeft: (c) => c.L.cfg.wakePath && c.s[me(c).polls] + 1 < c.L.cfg.workerPolls,
    wakePathOn: (c) => c.L.cfg.wakePath,
    allocTopUnchanged: (c) => topUnchanged(c, P(c).allocTop, c.s[me(c).ti], c.s[me(c).ts]),
    allocTopUnchangedMustSpawn: (c) =>
      topUnchanged(c, P(c).allocTop, c.s[me(c).ti], c.s[me(c).ts]) &&
      c.s[P(c).idleWorkers] === 1 &&
      c.s[P(c).liveWorkers] < c.L.cfg.workers &&
      c.L.cfg.bug !== 'nospawn',
    poolHasRoom: (c) => c.s[P(c).liveWorkers] < c.L.cfg.workers,
    canExecute: (c) => kindOf(c) !== ID_RECV || c.s[P(c).tokens] > 0,
    lostwakeVariant: (c) => c.L.cfg.bug === 'lostwake',
    rqueueSet: (c) => (c.s[P(c).id + c.s[me(c).e]] & ID_RQUEUE) !== 0 && c.s[P(c).id + c.s[me(c).e]] !== ID_DONE,
    loadedRqueue: (c) => (c.s[me(c).old] & ID_RQUEUE) !== 0 && c.s[me(c).old] !== ID_DONE,
    earlyVariant: early,
    lockfreeQueue: lockfree,
    poolNonEmpty: (c) => c.s[P(c).poolTop] !== NIL,
    poolTopUnchanged: (c) => topUnchanged(c, P(c).poolTop, c.s[me(c).ti], c.s[me(c).ts]),
    tailChanged: (c) => !topUnchanged(c, P(c).tail, c.s[me(c).qi], c.s[me(c).qs]),
    tailNextNil: (c) => c.s[me(c).ni] === NIL,
    tailNextUnchanged: (c) => topUnchanged(c, nodeNextAt(P(c), c.s[me(c).qi]), c.s[me(c).ni], c.s[me(c).ns]),
    earlyAndNoWaiters: (c) => early(c) && c.s[me(c).wz] === 0,
    earlyRing: (c) => early(c) && ring(c),
    noWaiters: (c) => c.s[P(c).waiters] === 0,
    ringNotify: ring,
    ringHasRoom: (c) => c.s[c.L.ringLen] < c.L.cfg.ringCapacity,
    wakeUnchanged: (c) => c.s[c.L.wake] === c.s[me(c).wl],
    woken: (c) => c.s[me(c).woken] !== 0,
    wokenHeeded: (c) => c.s[me(c).woken] !== 0 && c.L.cfg.bug !== 'woken-unchecked',
    poolTopIsNode: (c) => validNode(c, c.s[me(c).ti]),
    takenIsNode: (c) => validNode(c, c.s[me(c).n]),
    tailIsNode: (c) => validNode(c, c.s[me(c).qi]),
  },
  guardDocs: {
    spawned: 'another worker spawned this one',
    requestPending: 'alloc_top.index is not nil',
    pollsLeft: 'the wake path is modelled and fewer than workerPolls empty polls were made',
    wakePathOn: 'the wake path is modelled (otherwise an idle worker waits for alloc_top to change)',
    allocTopUnchanged: 'alloc_top still equals the loaded pair',
    allocTopUnchangedMustSpawn: 'the CAS succeeds, this was the last idle worker, the pool may grow, and the nospawn bug is off',
    poolHasRoom: 'fewer than `workers` workers have been spawned',
    canExecute: 'the call is not a recv, or a send has left a token',
    lostwakeVariant: 'the lostwake seeded bug is on',
    rqueueSet: 'the exchanged-out call id had RQUEUE set',
    loadedRqueue: 'the plainly loaded call id had RQUEUE set',
    earlyVariant: 'the waiters-early seeded bug is on',
    lockfreeQueue: 'the ready queue is modelled lock-free',
    poolNonEmpty: 'the node pool is not empty',
    poolTopUnchanged: 'the pool top still equals the loaded pair',
    tailChanged: 'tail differs from the loaded pair',
    tailNextNil: 'the loaded tail node has no successor',
    tailNextUnchanged: 'the tail node\'s next still equals the loaded pair',
    earlyAndNoWaiters: 'waiters-early variant and waiters was read as 0',
    earlyRing: 'waiters-early variant with notify ring',
    noWaiters: 'waiters is 0',
    ringNotify: 'notifications go through the notify ring',
    ringHasRoom: 'the notify ring has a free slot',
    wakeUnchanged: 'the wake word still equals the loaded value',
    woken: 'the wake-event handler woke it',
    wokenHeeded: 'the wake-event handler woke it and the woken-unchecked bug is off',
    poolTopIsNode: 'the loaded pool top is a node (only a broken queue fails this; the worker then stops)',
    takenIsNode: 'the node taken is a node (only a broken queue fails this)',
    tailIsNode: 'the loaded tail is a node (only a broken queue fails this)',
  },
  actions: {
    start: (c) => {
      c.s[me(c).spawn] = 0;
    },
    loadAllocTop: (c) => {
      const w = me(c);
      c.s[w.ti] = c.s[P(c).allocTop];
      c.s[w.ts] = c.s[P(c).allocTop + 1];
      c.s[w.polls] = 0;
      c.emit({ obj: 'alloc', proc: procOf(c), kind: 'inv', op: 'pop', value: null });
    },
    countPoll: (c) => {
      c.s[me(c).polls]++;
    },
    resetPolls: (c) => {
      c.s[me(c).polls] = 0;
    },
    loadNext: (c) => {
      c.s[me(c).nx] = c.s[P(c).next + c.s[me(c).ti]];
    },
    popRequest: (c) => {
      const w = me(c);
      writeTop(c, P(c).allocTop, c.s[w.ts], c.s[w.nx]);
      c.s[w.e] = c.s[w.ti];
      c.s[P(c).idleWorkers]--;
      c.emit({ obj: 'alloc', proc: procOf(c), kind: 'ret', op: 'pop', value: c.s[w.ti] });
      clearTemps(c);
    },
    clearTemps,
    spawnWorker: (c) => {
      const p = procOf(c);
      const slot = p * c.L.cfg.workers + c.s[P(c).liveWorkers];
      c.s[c.L.worker[slot].spawn] = 1;
      c.s[P(c).liveWorkers]++;
      c.s[P(c).idleWorkers]++;
      c.s[c.L.wake] += 1; // one more running worker (an atomic add on the wake word)
    },
    execute: (c) => {
      const w = me(c);
      const r = c.s[P(c).arg + c.s[w.e]];
      c.s[w.r] = r;
      if (r >= 1 && r <= c.L.requests) c.s[c.L.execd + r - 1]++;
      const kind = kindOf(c);
      if (kind === ID_SEND) c.s[P(c).tokens]++;
      if (kind === ID_RECV) c.s[P(c).tokens]--;
    },
    writeResult: (c) => {
      const w = me(c);
      c.s[P(c).arg + c.s[w.e]] = 1000 + c.s[w.r];
      c.s[w.r] = 0;
    },
    storeDone: (c) => {
      c.s[P(c).id + c.s[me(c).e]] = ID_DONE;
    },
    loadCallId: (c) => {
      c.s[me(c).old] = c.s[P(c).id + c.s[me(c).e]];
    },
    finish,
    readHandle: (c) => {
      const w = me(c);
      c.s[w.h] = c.s[P(c).owner + c.s[w.e]];
      c.s[w.e] = NIL;
      c.s[w.old] = 0;
    },
    loadWaitersEarly: (c) => {
      c.s[me(c).wz] = c.s[P(c).waiters] === 0 ? 0 : 1;
    },
    loadPoolTop: (c) => {
      const w = me(c);
      c.s[w.ti] = c.s[P(c).poolTop];
      c.s[w.ts] = c.s[P(c).poolTop + 1];
      c.emit({ obj: 'pool', proc: procOf(c), kind: 'inv', op: 'pop', value: null });
    },
    loadPoolNext: (c) => {
      c.s[me(c).nx] = c.s[P(c).poolNext + c.s[me(c).ti]];
    },
    takeNode: (c) => {
      const w = me(c);
      writeTop(c, P(c).poolTop, c.s[w.ts], c.s[w.nx]);
      c.s[w.n] = c.s[w.ti];
      c.emit({ obj: 'pool', proc: procOf(c), kind: 'ret', op: 'pop', value: c.s[w.ti] });
      clearTemps(c);
    },
    initNode: (c) => {
      const w = me(c);
      const n = c.s[w.n];
      c.s[P(c).nodeValue + n] = c.s[w.h];
      const at = nodeNextAt(P(c), n);
      c.s[at] = NIL;
      c.s[at + 1] = (c.s[at + 1] + 1) % c.L.cfg.stampModulus;
      c.emit({ obj: 'rq', proc: procOf(c), kind: 'inv', op: 'enq', value: c.s[w.h] });
    },
    loadTail: (c) => {
      const w = me(c);
      c.s[w.qi] = c.s[P(c).tail];
      c.s[w.qs] = c.s[P(c).tail + 1];
    },
    loadTailNext: (c) => {
      const w = me(c);
      const at = nodeNextAt(P(c), c.s[w.qi]);
      c.s[w.ni] = c.s[at];
      c.s[w.ns] = c.s[at + 1];
    },
    linkNode: (c) => {
      const w = me(c);
      writeTop(c, nodeNextAt(P(c), c.s[w.qi]), c.s[w.ns], c.s[w.n]);
    },
    advanceTail: (c) => {
      const w = me(c);
      if (topUnchanged(c, P(c).tail, c.s[w.qi], c.s[w.qs])) writeTop(c, P(c).tail, c.s[w.qs], c.s[w.ni]);
      clearTemps(c);
    },
    swingTail: (c) => {
      const w = me(c);
      if (topUnchanged(c, P(c).tail, c.s[w.qi], c.s[w.qs])) writeTop(c, P(c).tail, c.s[w.qs], c.s[w.n]);
      c.emit({ obj: 'rq', proc: procOf(c), kind: 'ret', op: 'enq', value: null });
      c.s[w.h] = NIL;
      c.s[w.n] = NIL;
      clearTemps(c);
    },
    enqueueAtomic: (c) => {
      const w = me(c);
      c.emit({ obj: 'rq', proc: procOf(c), kind: 'inv', op: 'enq', value: c.s[w.h] });
      atomicEnqueue(c, P(c), c.s[w.h]);
      c.emit({ obj: 'rq', proc: procOf(c), kind: 'ret', op: 'enq', value: null });
      c.s[w.h] = NIL;
    },
    pushRecord: (c) => {
      c.s[c.L.ring + c.s[c.L.ringLen]] = procOf(c);
      c.s[c.L.ringLen]++;
    },
    sendNotify: (c) => {
      c.s[c.L.evtToPrimary] = 1;
    },
    wakeWaiters: (c) => wakeWaitQueue(c, procOf(c)),
    loadWake: (c) => {
      c.s[me(c).wl] = c.s[c.L.wake];
    },
    clearWake: (c) => {
      c.s[me(c).wl] = 0;
      c.s[me(c).woken] = 0;
    },
    setRequested: (c) => {
      const w = me(c);
      c.s[c.L.wake] = c.s[w.wl] | WAKE_REQUESTED;
      c.s[w.wl] = c.s[c.L.wake];
    },
    goToSleep: (c) => {
      c.s[c.L.wake] = c.s[me(c).wl] - 1 + (1 << WAKE_SLEEPING_SHIFT);
      c.s[me(c).wl] = 0;
      // No wake-up is pending here in the correct model (the branch before takes it). With woken-unchecked
      // this is what loses the one the commit ignored: kept, it would wake the sleep at once.
      c.s[me(c).woken] = 0;
    },
    wakeUp: (c) => {
      c.s[me(c).woken] = 0;
    },
  },
  events: {
    WorkerStarts: { from: 'worker', to: 'itself', description: 'a spawned worker starts polling', label: () => 'starts' },
    WorkerLoadsAllocTop: {
      from: 'worker',
      to: 'alloc_top',
      description: 'W1: load alloc_top; empty counts a poll, and after workerPolls empty polls the worker goes to sleep',
      label: (c, target) =>
        target === 'loadNext' ? `loads alloc_top = ${fmtTop(c.s, P(c).allocTop)}` : target === 'poll' ? 'polls alloc_top: empty' : 'polls alloc_top: empty, polled enough, prepares to sleep',
    },
    WorkerLoadsNext: { from: 'worker', to: 'next[]', description: 'W2: read the link of the loaded top entry', label: (c) => `reads next[${c.s[me(c).ti]}] = ${fmtIdx(c.s[P(c).next + c.s[me(c).ti]])}` },
    WorkerPopsRequest: {
      from: 'worker',
      to: 'alloc_top',
      description: 'W3: double-width CAS of alloc_top to {next, stamp+1}',
      label: (c, target) => `pops request entry ${c.s[me(c).ti]} from alloc_top (CAS ${target === 'poll' ? 'fails' : 'succeeds'})${target === 'spawn' ? ': no idle worker left' : ''}`,
    },
    WorkerSpawnsWorker: {
      from: 'worker',
      to: 'shadow process (worker pool)',
      description: 'spawn a new worker so that one idle worker stays available; the pool may have filled since the pop',
      label: (c, target) => (c.s[P(c).liveWorkers] < c.L.cfg.workers ? `spawns W${procOf(c) * c.L.cfg.workers + c.s[P(c).liveWorkers] + 1}` : 'finds the worker pool full and spawns nothing'),
    },
    WorkerExecutesCall: {
      from: 'worker',
      to: 'request entry, the service domain kernel',
      description: 'W4: load the argument and run the system call (one step; a recv waits for a send)',
      label: (c) => `executes ${callName(kindOf(c))}(${c.s[P(c).arg + c.s[me(c).e]]}) from entry ${c.s[me(c).e]}`,
    },
    WorkerWritesResult: { from: 'worker', to: 'request entry (args[0])', description: 'W5: write the result into the entry', label: (c) => `writes result ${1000 + c.s[me(c).r]} into entry ${c.s[me(c).e]}` },
    WorkerExchangesDone: {
      from: 'worker',
      to: 'request entry (call id)',
      description: 'W6: atomically exchange the call id with DONE; the old value says whether the caller stopped spinning',
      label: (c, target) => `exchanges entry ${c.s[me(c).e]}'s call id with DONE (${target === 'readHandle' ? 'RQUEUE was set' : 'caller still spinning'})`,
    },
    WorkerLoadsCallId: { from: 'worker', to: 'request entry (call id)', description: 'W6a (lostwake bug): plain load of the call id', label: (c) => `loads entry ${c.s[me(c).e]}'s call id (plain load)` },
    WorkerStoresDone: {
      from: 'worker',
      to: 'request entry (call id)',
      description: 'W6b (lostwake bug): plain store of DONE, acting on the earlier load',
      label: (c, target) => `stores DONE into entry ${c.s[me(c).e]} (plain store; loaded id ${target === 'readHandle' ? 'had' : 'had no'} RQUEUE)`,
    },
    WorkerReadsHandle: { from: 'worker', to: 'request entry (handle)', description: 'W7: read the waiting thread\'s handle', label: (c) => `reads handle T${c.s[P(c).owner + c.s[me(c).e]] + 1} from entry ${c.s[me(c).e]}` },
    WorkerReadsWaiters: {
      from: 'worker',
      to: 'ready queue (waiters)',
      description: 'W9: read waiters; zero means no kernel thread sleeps in rqueue_wait, so no notification',
      label: (c) => `reads waiters = ${c.s[P(c).waiters]}`,
    },
    WorkerLoadsNodePoolTop: { from: 'worker', to: 'ready queue node pool', description: 'E1: load the node pool top', label: (c) => `loads node-pool top {${fmtIdx(c.s[P(c).poolTop])}, ${c.s[P(c).poolTop + 1]}}` },
    WorkerLoadsNodePoolNext: { from: 'worker', to: 'ready queue node pool', description: 'E2: read the pool link of the loaded node', label: (c) => `reads pool link of node ${c.s[me(c).ti]}` },
    WorkerTakesNode: {
      from: 'worker',
      to: 'ready queue node pool',
      description: 'E3: CAS the pool top to take the node',
      label: (c, target) => `takes node ${c.s[me(c).ti]} from the pool (CAS ${target === 'enqInit' ? 'succeeds' : 'fails'})`,
    },
    WorkerInitialisesNode: { from: 'worker', to: 'ready queue node', description: 'E4: write the handle and a nil next into the private node', label: (c) => `puts T${c.s[me(c).h] + 1}'s handle in node ${c.s[me(c).n]}` },
    WorkerLoadsTail: { from: 'worker', to: 'ready queue tail', description: 'E5: load tail', label: (c) => `loads ready-queue tail {${fmtIdx(c.s[P(c).tail])}, ${c.s[P(c).tail + 1]}}` },
    WorkerLoadsTailNext: { from: 'worker', to: 'ready queue node', description: 'E6: load the loaded tail node\'s next', label: (c) => `loads next of node ${c.s[me(c).qi]} = ${fmtIdx(c.s[nodeNextAt(P(c), c.s[me(c).qi])])}` },
    WorkerRechecksTail: {
      from: 'worker',
      to: 'ready queue tail',
      description: 'E7: re-load tail; act only on a consistent snapshot',
      label: (c, target) => (target === 'enqLoadTail' ? 're-loads tail: it changed, starts over' : target === 'enqLink' ? 're-loads tail: unchanged, at the end' : 're-loads tail: it lags'),
    },
    WorkerLinksNode: {
      from: 'worker',
      to: 'ready queue node',
      description: 'E8: CAS the tail node\'s next from nil to the new node (the enqueue takes effect here)',
      label: (c, target) => `links node ${c.s[me(c).n]} after node ${c.s[me(c).qi]} (CAS ${target === 'enqSwing' ? 'succeeds' : 'fails'})`,
    },
    WorkerAdvancesTail: { from: 'worker', to: 'ready queue tail', description: 'E8a: CAS a lagging tail forward', label: (c) => `CASes tail forward to node ${c.s[me(c).ni]}` },
    WorkerSwingsTail: { from: 'worker', to: 'ready queue tail', description: 'E9: CAS tail to the new node; failure means another thread already did', label: (c) => `swings tail to node ${c.s[me(c).n]}` },
    WorkerEnqueuesHandle: { from: 'worker', to: 'ready queue', description: 'W8 (atomic queue): enqueue the handle in one step', label: (c) => `enqueues T${c.s[me(c).h] + 1}'s handle on the ready queue` },
    WorkerPushesNotifyRecord: { from: 'worker', to: 'notify ring', description: 'W10a: push a notify record naming the process', label: (c) => `pushes a notify record for process ${procOf(c) + 1}` },
    WorkerSendsNotifyEvent: { from: 'worker', to: 'primary domain (event channel)', description: 'W10b: signal the primary domain over the event channel', label: () => 'notifies the primary domain over the event channel' },
    WorkerWakesWaiters: { from: 'worker', to: 'process wait queue', description: 'W10 (direct): wake every kernel thread registered on the process wait queue', label: () => 'wakes the kernel threads in rqueue_wait' },
    WorkerLoadsWakeWord: { from: 'worker', to: 'wake page', description: 'S1: load the wake word before going to sleep', label: (c) => `loads the wake word ${fmtWake(c.s[c.L.wake])}` },
    WorkerSetsWakeRequested: {
      from: 'worker',
      to: 'wake page',
      description: 'S2: CAS-set WAKE_REQUESTED',
      label: (c, target) => `CAS-sets WAKE_REQUESTED (${target === 'sleepRecheck' ? 'succeeds' : 'fails'})`,
    },
    WorkerRechecksAllocTop: {
      from: 'worker',
      to: 'alloc_top',
      description: 'S3: re-check alloc_top after announcing the sleep; a request found goes back to polling',
      label: (c, target) => (target === 'poll' ? 're-checks alloc_top: a request arrived, stays awake' : 're-checks alloc_top: empty'),
    },
    WorkerGoesToSleep: {
      from: 'worker',
      to: 'wake page',
      description: 'S4: CAS the wake word from running to sleeping; fails (and polls again) if it changed',
      label: (c, target) => (target === 'asleep' ? 'goes to sleep (running -> sleeping)' : 'fails to go to sleep: the wake word changed'),
    },
    WorkerWakesUp: { from: 'worker', to: 'itself', description: 'woken by the wake-event handler; poll again', label: () => 'wakes up' },
  },
});
