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
import { defineComponent, type Ctx, type HistEvent } from '../kit/kit.ts';
import { domainOfProc, SERVICE_NETWORK, ID_DONE, ID_RECV, ID_RQUEUE, ID_SEND, NIL, WAKE_REQUESTED, WAKE_SLEEPING_SHIFT, dispatchActorName, threadName } from '../kit/layout.ts';
import { atomicEnqueue, nodeNextAt, validNode } from './ready-queue.ts';
import { fmtTop, topUnchanged, writeTop } from './request-stack.ts';
import { callName, fmtIdx, fmtWake } from './sclib.ts';
import { reqOfNumber } from '../posix/carry.ts';
import { serviceSideRuns, signalsViaHypervisor, slotOfService, emitHistory } from '../system/instance.ts';
import { send } from '../isolation/event-channel.ts';
import { answerEintr, answerTimeout, block, blocksAtPickup, canProceed, execute as serve, finitePoll, marked, outcomeText, requestText, RPC_BLOCKED, RPC_SUBMITTED, takeUpLabel, type Req } from '../posix/service.ts';

const me = (c: Ctx) => c.L.worker[c.me];
const procOf = (c: Ctx) => Math.floor(c.me / c.L.cfg.workers);
const P = (c: Ctx) => c.L.proc[procOf(c)];

/** Record a history event of this actor's dispatch process (instance.ts emitHistory). */
const hist = (c: Ctx, e: Omit<HistEvent, 'proc'>) => emitHistory(c, procOf(c), e);
/** the dispatch domain (service domain instance) the worker serves */
const DD = (c: Ctx) => c.L.dd[domainOfProc(c.L, procOf(c))];
const lockfree = (c: Ctx) => c.L.cfg.readyQueue === 'lockfree';
const ring = (c: Ctx) => c.L.cfg.notify === 'ring';
const early = (c: Ctx) => c.L.cfg.bug === 'waiters-early';
const kindOf = (c: Ctx) => c.s[P(c).id + c.s[me(c).e]] & ~ID_RQUEUE & 0xff;
/** With the isolation layer the network domain's instance sends its records through the network notify ring, which FN checks. */
const onNetworkRing = (c: Ctx) => c.L.iso !== null && DD(c).service === SERVICE_NETWORK;
/**
 * The POSIX request a request number names (transport dispatch), if its slot is in state `st`: null
 * without the POSIX layer, or for a number naming no such request (a corrupted or stale entry: the
 * compromised network domain may write its own request areas). A worker serves only live requests.
 */
function liveReq(c: Ctx, number: number, st: number): Req | null {
  if (!c.L.posix) return null;
  const r = reqOfNumber(c.L, procOf(c), number);
  return r && c.s[c.L.posix.rpc[r.slot][r.d].st] === st ? r : null;
}
/** The POSIX request the entry being served names, submitted and not yet served. */
const entryReq = (c: Ctx): Req | null => liveReq(c, c.s[P(c).arg + c.s[me(c).e]], RPC_SUBMITTED);
/** The POSIX request taken up at W4 (its number is in `r` from then on): at W4, submitted; once blocked, blocked. */
const takenReq = (c: Ctx, st = RPC_SUBMITTED): Req | null => liveReq(c, c.s[me(c).r], st);
/** A guard on the call blocked in the kernel (false if its slot no longer holds it). */
function blocked(c: Ctx, test: (c: Ctx, r: Req) => boolean): boolean {
  const r = takenReq(c, RPC_BLOCKED);
  return r !== null && test(c, r);
}
/** W4 for a POSIX request: take it up (count its execution) before blocking or answering EINTR. */
function takeUp(c: Ctx): void {
  const w = me(c);
  const r = c.s[P(c).arg + c.s[w.e]];
  c.s[w.r] = r;
  if (r >= 1 && r <= c.L.requests) c.s[c.L.execd + r - 1]++;
}

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
  name: (L, i) => dispatchActorName(L, 'W', i),
  section: 'The dispatch protocol',
  description:
    'A kernel worker thread of a shadow process in the service domain: it pops requests from alloc_top, executes them, exchanges the call id with DONE, ' +
    'enqueues the caller\'s handle and notifies the primary domain when the caller stopped spinning, spawns a new worker when no idle one is left, ' +
    'and sleeps behind WAKE_REQUESTED when idle.',
  initial: 'poll',
  count: (L) => L.worker.length,
  pc: (L, i) => L.worker[i].pc,
  // composed system: a worker is its domain's incarnation's, and serves only while the frontend has it RUNNING (instance.ts)
  runnable: (c) => serviceSideRuns(c.s, c.L, domainOfProc(c.L, procOf(c))),
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
    execute: {
      description: 'W4: about to load the argument and run the system call (a recv waits here for a send; a POSIX call may block in the kernel)',
      on: {
        WorkerExecutesCall: [
          { guard: 'requestMarkedWouldBlock', target: 'writeResult', actions: ['takeUp', 'answerEintr'] },
          { guard: 'requestBlocks', target: 'blockedInCall', actions: ['takeUp', 'block'] },
          { guard: 'canExecute', target: 'writeResult', actions: 'execute' },
        ],
      },
    },
    blockedInCall: {
      description: 'W4: the POSIX call blocks in the service domain kernel (recv on an empty socket, a poll with nothing ready); the worker is busy',
      on: {
        WorkerResumesCall: { guard: 'callCanProceed', target: 'writeResult', actions: 'resumeCall' },
        WorkerInterrupted: { guard: 'callMarked', target: 'writeResult', actions: 'answerEintr' },
        WorkerTimesOut: { guard: 'callFinitePoll', target: 'writeResult', actions: 'answerTimeout' },
      },
    },
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
    requestMarkedWouldBlock: (c) => {
      const r = entryReq(c);
      return r !== null && marked(c, r) && blocksAtPickup(c, r);
    },
    requestBlocks: (c) => {
      const r = entryReq(c);
      return r !== null && blocksAtPickup(c, r);
    },
    callCanProceed: (c) => blocked(c, canProceed),
    callMarked: (c) => blocked(c, marked),
    callFinitePoll: (c) => blocked(c, finitePoll),
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
    ringHasRoom: (c) => (onNetworkRing(c) ? c.s[c.L.iso!.ringN.len] < c.L.iso!.ringN.capacity : c.s[DD(c).ringLen] < c.L.cfg.ringCapacity),
    wakeUnchanged: (c) => c.s[DD(c).wake] === c.s[me(c).wl],
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
    requestMarkedWouldBlock: 'the entry names a POSIX request marked by a signal that would block: EINTR at once',
    requestBlocks: 'the entry names a POSIX request that would block in the kernel',
    callCanProceed: 'the blocked call can complete (data arrived, a descriptor is ready, or the eventfd was kicked)',
    callMarked: 'the caller marked the entry (a signal record arrived): the blocked call is interrupted',
    callFinitePoll: 'the blocked call is a service poll with a finite timeout',
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
      hist(c, { obj: 'alloc', kind: 'inv', op: 'pop', value: null });
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
      hist(c, { obj: 'alloc', kind: 'ret', op: 'pop', value: c.s[w.ti] });
      clearTemps(c);
    },
    clearTemps,
    spawnWorker: (c) => {
      const p = procOf(c);
      const slot = p * c.L.cfg.workers + c.s[P(c).liveWorkers];
      c.s[c.L.worker[slot].spawn] = 1;
      c.s[P(c).liveWorkers]++;
      c.s[P(c).idleWorkers]++;
      c.s[DD(c).wake] += 1; // one more running worker (an atomic add on the wake word)
    },
    execute: (c) => {
      const w = me(c);
      const r = c.s[P(c).arg + c.s[w.e]];
      c.s[w.r] = r;
      if (r >= 1 && r <= c.L.requests) c.s[c.L.execd + r - 1]++;
      const kind = kindOf(c);
      if (kind === ID_SEND) c.s[P(c).tokens]++;
      if (kind === ID_RECV) c.s[P(c).tokens]--;
      const q = takenReq(c);
      if (q) serve(c, q, false);
    },
    takeUp,
    block: (c) => block(c, takenReq(c)!),
    resumeCall: (c) => serve(c, takenReq(c, RPC_BLOCKED)!, false),
    answerEintr: (c) => {
      const q = takenReq(c) ?? takenReq(c, RPC_BLOCKED);
      if (q) answerEintr(c, q, false);
    },
    answerTimeout: (c) => answerTimeout(c, takenReq(c, RPC_BLOCKED)!, false),
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
      hist(c, { obj: 'pool', kind: 'inv', op: 'pop', value: null });
    },
    loadPoolNext: (c) => {
      c.s[me(c).nx] = c.s[P(c).poolNext + c.s[me(c).ti]];
    },
    takeNode: (c) => {
      const w = me(c);
      writeTop(c, P(c).poolTop, c.s[w.ts], c.s[w.nx]);
      c.s[w.n] = c.s[w.ti];
      hist(c, { obj: 'pool', kind: 'ret', op: 'pop', value: c.s[w.ti] });
      clearTemps(c);
    },
    initNode: (c) => {
      const w = me(c);
      const n = c.s[w.n];
      c.s[P(c).nodeValue + n] = c.s[w.h];
      const at = nodeNextAt(P(c), n);
      c.s[at] = NIL;
      c.s[at + 1] = (c.s[at + 1] + 1) % c.L.cfg.stampModulus;
      hist(c, { obj: 'rq', kind: 'inv', op: 'enq', value: c.s[w.h] });
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
      hist(c, { obj: 'rq', kind: 'ret', op: 'enq', value: null });
      c.s[w.h] = NIL;
      c.s[w.n] = NIL;
      clearTemps(c);
    },
    enqueueAtomic: (c) => {
      const w = me(c);
      hist(c, { obj: 'rq', kind: 'inv', op: 'enq', value: c.s[w.h] });
      atomicEnqueue(c, P(c), c.s[w.h]);
      hist(c, { obj: 'rq', kind: 'ret', op: 'enq', value: null });
      c.s[w.h] = NIL;
    },
    pushRecord: (c) => {
      if (onNetworkRing(c)) {
        // the record names the thread group and its first kernel thread, as the primary checks records from this domain
        const r = c.L.iso!.ringN;
        const p = procOf(c) % c.L.cfg.processes;
        c.s[r.tgid + c.s[r.len]] = p;
        c.s[r.pid + c.s[r.len]] = p * c.L.cfg.kernelThreads;
        c.s[r.len]++;
        return;
      }
      c.s[DD(c).ring + c.s[DD(c).ringLen]] = procOf(c);
      c.s[DD(c).ringLen]++;
    },
    sendNotify: (c) => {
      if (signalsViaHypervisor(c.L)) {
        const slot = slotOfService(DD(c).service);
        send(c.s, c.L, slot, slot, c.L.iso!.port.notify);
      } else c.s[DD(c).evtToPrimary] = 1;
    },
    wakeWaiters: (c) => wakeWaitQueue(c, procOf(c)),
    loadWake: (c) => {
      c.s[me(c).wl] = c.s[DD(c).wake];
    },
    clearWake: (c) => {
      c.s[me(c).wl] = 0;
      c.s[me(c).woken] = 0;
    },
    setRequested: (c) => {
      const w = me(c);
      c.s[DD(c).wake] = c.s[w.wl] | WAKE_REQUESTED;
      c.s[w.wl] = c.s[DD(c).wake];
    },
    goToSleep: (c) => {
      c.s[DD(c).wake] = c.s[me(c).wl] - 1 + (1 << WAKE_SLEEPING_SHIFT);
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
      label: (c, target) => (c.s[P(c).liveWorkers] < c.L.cfg.workers ? `spawns ${dispatchActorName(c.L, 'W', procOf(c) * c.L.cfg.workers + c.s[P(c).liveWorkers])}` : 'finds the worker pool full and spawns nothing'),
    },
    WorkerExecutesCall: {
      from: 'worker',
      to: 'request entry, the service domain kernel',
      description: 'W4: load the argument and run the system call (one step; a recv waits for a send; a POSIX call may block, or answer EINTR when marked)',
      label: (c, target) => {
        const r = entryReq(c);
        if (r) return `entry ${c.s[me(c).e]} (request ${c.s[P(c).arg + c.s[me(c).e]]}, T${r.slot + 1}'s): ${takeUpLabel(c, r, target === 'blockedInCall')}`;
        return `executes ${callName(kindOf(c))}(${c.s[P(c).arg + c.s[me(c).e]]}) from entry ${c.s[me(c).e]}`;
      },
    },
    WorkerResumesCall: {
      from: 'service domain kernel',
      to: 'worker',
      description: 'the POSIX call blocked in the kernel can complete',
      label: (c) => `wakes: ${requestText(c, takenReq(c, RPC_BLOCKED)!)} completes: ${outcomeText(c, takenReq(c, RPC_BLOCKED)!)}`,
    },
    WorkerInterrupted: {
      from: 'signal record (from the caller)',
      to: 'worker',
      description: 'the worker blocked on a marked call is interrupted: EINTR',
      label: (c) => `is interrupted by the signal record: ${requestText(c, takenReq(c, RPC_BLOCKED)!)} returns EINTR`,
    },
    WorkerTimesOut: {
      from: 'timer',
      to: 'worker',
      description: "the blocked service poll's timeout expires: it returns 0",
      label: (c) => `times out: ${requestText(c, takenReq(c, RPC_BLOCKED)!)} returns 0`,
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
    WorkerReadsHandle: { from: 'worker', to: 'request entry (handle)', description: 'W7: read the waiting thread\'s handle', label: (c) => `reads handle ${threadName(c.L, c.s[P(c).owner + c.s[me(c).e]])} from entry ${c.s[me(c).e]}` },
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
    WorkerInitialisesNode: { from: 'worker', to: 'ready queue node', description: 'E4: write the handle and a nil next into the private node', label: (c) => `puts ${threadName(c.L, c.s[me(c).h])}'s handle in node ${c.s[me(c).n]}` },
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
    WorkerEnqueuesHandle: { from: 'worker', to: 'ready queue', description: 'W8 (atomic queue): enqueue the handle in one step', label: (c) => `enqueues ${threadName(c.L, c.s[me(c).h])}'s handle on the ready queue` },
    WorkerPushesNotifyRecord: {
      from: 'worker',
      to: 'notify ring',
      description: 'W10a: push a notify record naming the process (the network domain\'s: its thread group and a thread of it)',
      label: (c) => (onNetworkRing(c) ? `pushes a notify record {tgid P${(procOf(c) % c.L.cfg.processes) + 1}, pid K${(procOf(c) % c.L.cfg.processes) * c.L.cfg.kernelThreads + 1}} on the network notify ring` : `pushes a notify record for process ${procOf(c) + 1}`),
    },
    WorkerSendsNotifyEvent: { from: 'worker', to: 'primary domain (event channel)', description: 'W10b: signal the primary domain over the event channel', label: () => 'notifies the primary domain over the event channel' },
    WorkerWakesWaiters: { from: 'worker', to: 'process wait queue', description: 'W10 (direct): wake every kernel thread registered on the process wait queue', label: () => 'wakes the kernel threads in rqueue_wait' },
    WorkerLoadsWakeWord: { from: 'worker', to: 'wake page', description: 'S1: load the wake word before going to sleep', label: (c) => `loads the wake word ${fmtWake(c.s[DD(c).wake])}` },
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
