/**
 * libc-sclib, the caller's side of a remote system call, as one machine per user-level thread.
 *
 * A user thread issues `calls` remote calls one after another. For each it pops a free request entry
 * (C1-C3), fills arguments, handle and sequence number (C4, one step: a private block copy), stores
 * the call id (C5), pushes the entry on `alloc_top` (C6-C8), checks the wake word and, if a worker
 * sleeps behind WAKE_REQUESTED and no wake is in progress, traps into the syscall-frontend, which
 * CAS-sets WAKE_IN_PROGRESS and signals the service domain's event channel. It then spins on DONE
 * (C9), CAS-sets RQUEUE (C10) and parks; a kernel thread that later dequeues its handle from the ready
 * queue runs it again. Finally it reads its result (C15) and pushes the entry back on `free_top`
 * (C16-C18). Step names C1..C18 follow the SPIN anchor's header.
 *
 * Simplifications: every call uses one argument word (the result comes back in it); an empty
 * free stack makes the thread yield (its kernel thread is released, and the thread becomes runnable
 * again when `free_top` is non-empty) instead of retrying in a loop; signals, data-area copies and
 * chunking are not modelled. A thread steps only while a kernel thread runs it (see primary-kernel.ts).
 *
 * VIRTUOS.md: "The dispatch protocol", steps 1, 2, 4 and 5.
 */
import { defineComponent, type Ctx, type HistEvent } from '../kit/kit.ts';
import { domainOfProc, SEEN_FAILED, ID_CALL, ID_DONE, ID_RECV, ID_RQUEUE, ID_SEND, NIL, WAKE_IN_PROGRESS, WAKE_REQUESTED, dispatchActorName } from '../kit/layout.ts';
import { fmtTop, topUnchanged, writeTop } from './request-stack.ts';
import { reqOfDispatchThread } from '../posix/carry.ts';
import { answerFailure, answerText, dropReference, failureAnswer, isControl, reqOp, requestText, RPC_DONE, submitted } from '../posix/service.ts';
import { errName } from '../posix/program.ts';
import { instanceFailed, signalsViaHypervisor, slotOfService, emitHistory } from '../system/instance.ts';
import { send } from '../isolation/event-channel.ts';
import { PRIMARY } from '../isolation/layout.ts';

const me = (c: Ctx) => c.L.thread[c.me];
export const procOfThread = (c: { L: { cfg: { threads: number } }; me: number }) => Math.floor(c.me / c.L.cfg.threads);
const P = (c: Ctx) => c.L.proc[procOfThread(c)];

/** Record a history event of this actor's dispatch process (instance.ts emitHistory). */
const hist = (c: Ctx, e: Omit<HistEvent, 'proc'>) => emitHistory(c, procOfThread(c), e);
/** the dispatch domain (service domain instance) the thread's calls go to */
const DD = (c: Ctx) => c.L.dd[domainOfProc(c.L, procOfThread(c))];
const T = (c: Ctx) => dispatchActorName(c.L, 'T', c.me);

/** Request number of a thread's k-th call; arguments and results are derived from it. */
export const requestOf = (cfg: { calls: number }, thread: number, k: number) => thread * cfg.calls + k;
export const argOf = (r: number) => r + 1;
export const resultOf = (r: number) => 1001 + r;
/** The call a thread's k-th call is: a blocking recv/send pair or an ordinary call. */
export function callKind(cfg: { threads: number; blockingPair: boolean }, thread: number, k: number): number {
  if (!cfg.blockingPair || k !== 0) return ID_CALL;
  const local = thread % cfg.threads;
  return local === 0 ? ID_RECV : local === 1 ? ID_SEND : ID_CALL;
}
export const callName = (id: number) => (id === ID_RECV ? 'recv' : id === ID_SEND ? 'send' : 'write');

const myRequest = (c: Ctx) => requestOf(c.L.cfg, c.me, c.s[me(c).k]);
/** The thread carries the remote calls of a POSIX thread (transport 'dispatch'). */
const carries = (c: Ctx) => c.L.posix !== null;
/** Its POSIX thread has submitted a request to this domain (REGISTER and REMOVE take the backend's control path). */
const requestWaiting = (c: Ctx) => {
  const r = reqOfDispatchThread(c.L, c.me);
  return submitted(c, r) && !isControl(reqOp(c, r));
};
/** The call as the entry carries it: the POSIX request, or the dispatch model's own write/send/recv. */
const callText = (c: Ctx) => (carries(c) ? requestText(c, reqOfDispatchThread(c.L, c.me)) : `${callName(callKind(c.L.cfg, c.me, c.s[me(c).k]))}(${argOf(myRequest(c))})`);
const freeEarly = (c: Ctx) => c.L.cfg.bug === 'free-early';
const lastCall = (c: Ctx) => c.s[me(c).k] + 1 >= c.L.cfg.calls;

function clearTemps(c: Ctx): void {
  const t = me(c);
  c.s[t.ti] = 0;
  c.s[t.ts] = 0;
  c.s[t.nx] = 0;
}

/** Detach from the kernel thread: it may run someone else now. */
function detach(c: Ctx): void {
  c.s[me(c).att] = NIL;
}

export const sclib = defineComponent({
  id: 'user-thread',
  prefix: 'T',
  name: (L, i) => dispatchActorName(L, 'T', i),
  section: 'The dispatch protocol',
  description:
    'A user-level thread of a process, executing the libc-sclib side of remote system calls: it takes a free request entry, ' +
    'fills and submits it, wakes the service domain through the frontend if a worker sleeps behind WAKE_REQUESTED, spins on DONE, ' +
    'parks after setting RQUEUE until its handle comes off the ready queue, reads its result and frees the entry.',
  initial: 'loadFreeTop',
  count: (L) => L.thread.length,
  pc: (L, i) => L.thread[i].pc,
  runnable: (c) => c.s[me(c).att] !== NIL,
  states: {
    idle: {
      description: 'between the remote calls of its POSIX thread (transport dispatch): waits for the thread to submit a request to this domain, then C1',
      on: {
        CallerLoadsFreeTop: [
          { guard: 'requestButDomainFailed', target: 'idle', actions: 'failCall' },
          { guard: 'requestAndFreeNonEmpty', target: 'loadNext', actions: 'loadFreeTop' },
          { guard: 'requestWaiting', target: 'loadFreeTop', actions: 'yieldNoEntry' },
        ],
      },
    },
    loadFreeTop: {
      description: 'C1: about to load free_top to pop a free entry (also where a new or yielded thread waits to be run)',
      on: {
        CallerLoadsFreeTop: [
          { guard: 'domainFailed', target: 'idle', actions: 'failCall' },
          { guard: 'freeStackNonEmpty', target: 'loadNext', actions: 'loadFreeTop' },
          { target: 'loadFreeTop', actions: 'yieldNoEntry' },
        ],
      },
    },
    loadNext: { description: 'C2: loaded free_top; about to read next[top]', on: { CallerLoadsNext: { target: 'casFreeTop', actions: 'loadNext' } } },
    casFreeTop: {
      description: 'C3: about to CAS free_top from the loaded pair to {next, stamp+1}',
      on: {
        CallerPopsFreeEntry: [
          { guard: 'freeTopUnchanged', target: 'fill', actions: 'popFreeEntry' },
          { target: 'loadFreeTop', actions: 'clearTemps' },
        ],
      },
    },
    fill: { description: 'C4: owns an entry; about to write arguments, handle and sequence number', on: { CallerFillsEntry: { target: 'storeId', actions: 'fillEntry' } } },
    storeId: { description: 'C5: about to store the call id, which makes the entry a request', on: { CallerStoresCallId: { target: 'loadAllocTop', actions: 'storeCallId' } } },
    loadAllocTop: { description: 'C6: about to load alloc_top to push the request', on: { CallerLoadsAllocTop: { target: 'linkEntry', actions: 'loadAllocTop' } } },
    linkEntry: { description: 'C7: about to set next[entry] to the loaded top', on: { CallerLinksEntry: { target: 'casAllocTop', actions: 'linkEntry' } } },
    casAllocTop: {
      description: 'C8: about to CAS alloc_top to the entry',
      on: {
        CallerPushesRequest: [
          { guard: 'allocTopUnchangedWithWakePath', target: 'loadWake', actions: 'pushRequest' },
          { guard: 'allocTopUnchanged', target: 'spin', actions: 'pushRequest' },
          { target: 'loadAllocTop', actions: 'clearTemps' },
        ],
      },
    },
    loadWake: {
      description: 'submitted; about to load the wake word to see whether a worker must be woken',
      on: {
        CallerLoadsWakeWord: [
          { guard: 'wakeNeeded', target: 'trapWake', actions: 'loadWakeWord' },
          { target: 'spin', actions: 'clearWakeWord' },
        ],
      },
    },
    trapWake: {
      description: 'in the syscall-frontend (trapped from the caller): about to CAS-set WAKE_IN_PROGRESS',
      on: {
        FrontendSetsWakeInProgress: [
          { guard: 'wakeWordUnchanged', target: 'sendWake', actions: 'setWakeInProgress' },
          { target: 'loadWake', actions: 'clearWakeWord' },
        ],
      },
    },
    sendWake: { description: 'in the syscall-frontend: about to signal the service domain over the event channel', on: { FrontendSendsWakeEvent: { target: 'spin', actions: 'sendWakeEvent' } } },
    spin: {
      description: 'C9: spinning on DONE',
      on: {
        CallerChecksDone: [
          { guard: 'doneAndFreeEarly', target: 'freeLoadTop', actions: 'stopSpinning' },
          { guard: 'entryDone', target: 'readResult', actions: 'stopSpinning' },
          { guard: 'domainFailed', target: 'idle', actions: ['stopSpinning', 'failCall'] },
          { guard: 'spinsLeft', target: 'spin', actions: 'countSpin' },
          { target: 'setRqueue', actions: 'stopSpinning' },
        ],
      },
    },
    setRqueue: {
      description: 'C10: stopped spinning; about to CAS the call id from ID to ID|RQUEUE (fails only if DONE)',
      on: {
        CallerSetsRqueue: [
          { guard: 'entryNotDone', target: 'blocked', actions: 'setRqueueAndPark' },
          { guard: 'freeEarlyVariant', target: 'freeLoadTop' },
          { target: 'readResult' },
        ],
      },
    },
    blocked: {
      description: 'parked: RQUEUE set, waiting until a kernel thread dequeues its handle and runs it',
      on: {
        CallerResumes: [
          { guard: 'notDoneDomainFailed', target: 'idle', actions: 'failCall' },
          // completed before the crash, but the worker died before queueing the handle: the result is
          // taken, and the entry, which the dead worker still holds, is left with the request area
          { guard: 'doneDomainFailed', target: 'idle', actions: ['readResult', 'finishCall', 'returnToThread'] },
          { guard: 'freeEarlyVariant', target: 'freeLoadTop' },
          { target: 'readResult' },
        ],
      },
    },
    readResult: {
      description: 'C15: about to read the result from the entry',
      on: {
        CallerReadsResult: [
          { guard: 'freeEarlyCarrying', target: 'idle', actions: ['readResult', 'finishCall', 'returnToThread'] },
          { guard: 'freeEarlyAndLastCall', target: 'exited', actions: ['readResult', 'finishCall', 'detach'] },
          { guard: 'freeEarlyVariant', target: 'loadFreeTop', actions: ['readResult', 'finishCall'] },
          { target: 'freeLoadTop', actions: 'readResult' },
        ],
      },
    },
    freeLoadTop: { description: 'C16: about to load free_top to free the entry', on: { CallerLoadsFreeTopToFree: { target: 'freeLink', actions: 'loadFreeTopToFree' } } },
    freeLink: { description: 'C17: about to set next[entry] to the loaded top', on: { CallerLinksFreedEntry: { target: 'freeCas', actions: 'linkEntry' } } },
    freeCas: {
      description: 'C18: about to CAS free_top to the entry',
      on: {
        CallerFreesEntry: [
          { guard: 'freeEarlyAndFreeTopUnchanged', target: 'readResult', actions: 'freeEntry' },
          { guard: 'freeTopUnchangedCarrying', target: 'idle', actions: ['freeEntry', 'finishCall', 'returnToThread'] },
          { guard: 'freeTopUnchangedLastCall', target: 'exited', actions: ['freeEntry', 'finishCall', 'detach'] },
          { guard: 'freeTopUnchanged', target: 'loadFreeTop', actions: ['freeEntry', 'finishCall'] },
          { target: 'freeLoadTop', actions: 'clearTemps' },
        ],
      },
    },
    exited: { description: 'all calls done; the thread has exited' },
  },
  guards: {
    requestButDomainFailed: (c) => requestWaiting(c) && instanceFailed(c.s, c.L, procOfThread(c)),
    domainFailed: (c) => instanceFailed(c.s, c.L, procOfThread(c)),
    doneDomainFailed: (c) => carries(c) && instanceFailed(c.s, c.L, procOfThread(c)),
    notDoneDomainFailed: (c) => c.s[P(c).id + c.s[me(c).e]] !== ID_DONE && instanceFailed(c.s, c.L, procOfThread(c)),
    requestAndFreeNonEmpty: (c) => requestWaiting(c) && c.s[P(c).freeTop] !== NIL,
    requestWaiting,
    freeTopUnchangedCarrying: (c) => carries(c) && topUnchanged(c, P(c).freeTop, c.s[me(c).ti], c.s[me(c).ts]),
    freeEarlyCarrying: (c) => freeEarly(c) && carries(c),
    freeStackNonEmpty: (c) => c.s[P(c).freeTop] !== NIL,
    freeTopUnchanged: (c) => topUnchanged(c, P(c).freeTop, c.s[me(c).ti], c.s[me(c).ts]),
    freeTopUnchangedLastCall: (c) => topUnchanged(c, P(c).freeTop, c.s[me(c).ti], c.s[me(c).ts]) && lastCall(c),
    freeEarlyAndFreeTopUnchanged: (c) => freeEarly(c) && topUnchanged(c, P(c).freeTop, c.s[me(c).ti], c.s[me(c).ts]),
    allocTopUnchanged: (c) => topUnchanged(c, P(c).allocTop, c.s[me(c).ti], c.s[me(c).ts]),
    allocTopUnchangedWithWakePath: (c) => c.L.cfg.wakePath && topUnchanged(c, P(c).allocTop, c.s[me(c).ti], c.s[me(c).ts]),
    wakeNeeded: (c) => (c.s[DD(c).wake] & (WAKE_REQUESTED | WAKE_IN_PROGRESS)) === WAKE_REQUESTED,
    wakeWordUnchanged: (c) => c.s[DD(c).wake] === c.s[me(c).wl],
    entryDone: (c) => c.s[P(c).id + c.s[me(c).e]] === ID_DONE,
    entryNotDone: (c) => c.s[P(c).id + c.s[me(c).e]] !== ID_DONE,
    doneAndFreeEarly: (c) => freeEarly(c) && c.s[P(c).id + c.s[me(c).e]] === ID_DONE,
    spinsLeft: (c) => c.s[me(c).sp] + 1 < c.L.cfg.spins,
    freeEarlyVariant: freeEarly,
    freeEarlyAndLastCall: (c) => freeEarly(c) && lastCall(c),
  },
  guardDocs: {
    requestButDomainFailed: 'its POSIX thread submitted a request, but the frontend has since failed the domain (RUNNING clear)',
    domainFailed: 'the frontend has failed the domain the call goes to (RUNNING clear; composed system)',
    doneDomainFailed: 'carrying a POSIX call, resumed by the kernel after its domain failed, with its entry DONE',
    notDoneDomainFailed: 'resumed with its entry not DONE because the domain failed (the kernel thread found no handle coming back)',
    requestAndFreeNonEmpty: 'its POSIX thread submitted a request to this domain and free_top.index is not nil',
    requestWaiting: 'its POSIX thread submitted a request to this domain (free_top is empty: yield)',
    freeTopUnchangedCarrying: 'the CAS succeeds and the thread carries a POSIX call: it returns to the POSIX thread',
    freeEarlyCarrying: 'free-early variant, carrying a POSIX call',
    freeStackNonEmpty: 'free_top.index is not nil',
    freeTopUnchanged: 'free_top still equals the loaded {index, stamp} (the index only, under nostamp)',
    freeTopUnchangedLastCall: 'the CAS succeeds and this was the thread\'s last call',
    freeEarlyAndFreeTopUnchanged: 'free-early variant and the CAS succeeds',
    allocTopUnchanged: 'alloc_top still equals the loaded pair',
    allocTopUnchangedWithWakePath: 'the CAS succeeds and the wake path is modelled',
    wakeNeeded: 'WAKE_REQUESTED is set and WAKE_IN_PROGRESS is clear',
    wakeWordUnchanged: 'the wake word still equals the loaded value',
    entryDone: 'the call id is DONE',
    entryNotDone: 'the call id is not DONE (so it is the call id, and the CAS succeeds)',
    doneAndFreeEarly: 'free-early variant and the call id is DONE',
    spinsLeft: 'fewer than `spins` DONE checks made',
    freeEarlyVariant: 'the free-early seeded bug is on',
    freeEarlyAndLastCall: 'free-early variant and this was the last call',
  },
  actions: {
    loadFreeTop: (c) => {
      const t = me(c);
      c.s[t.ti] = c.s[P(c).freeTop];
      c.s[t.ts] = c.s[P(c).freeTop + 1];
      hist(c, { obj: 'free', kind: 'inv', op: 'pop', value: null });
    },
    yieldNoEntry: detach,
    loadNext: (c) => {
      c.s[me(c).nx] = c.s[P(c).next + c.s[me(c).ti]];
    },
    popFreeEntry: (c) => {
      const t = me(c);
      writeTop(c, P(c).freeTop, c.s[t.ts], c.s[t.nx]);
      c.s[t.e] = c.s[t.ti];
      hist(c, { obj: 'free', kind: 'ret', op: 'pop', value: c.s[t.ti] });
      clearTemps(c);
    },
    clearTemps,
    fillEntry: (c) => {
      const t = me(c);
      const e = c.s[t.e];
      c.s[P(c).arg + e] = argOf(myRequest(c));
      c.s[P(c).owner + e] = c.me;
      c.s[P(c).seq + e] = c.s[t.k] + 1;
    },
    storeCallId: (c) => {
      c.s[P(c).id + c.s[me(c).e]] = carries(c) ? ID_CALL : callKind(c.L.cfg, c.me, c.s[me(c).k]);
    },
    loadAllocTop: (c) => {
      const t = me(c);
      c.s[t.ti] = c.s[P(c).allocTop];
      c.s[t.ts] = c.s[P(c).allocTop + 1];
      hist(c, { obj: 'alloc', kind: 'inv', op: 'push', value: c.s[t.e] });
    },
    linkEntry: (c) => {
      c.s[P(c).next + c.s[me(c).e]] = c.s[me(c).ti];
    },
    pushRequest: (c) => {
      const t = me(c);
      writeTop(c, P(c).allocTop, c.s[t.ts], c.s[t.e]);
      hist(c, { obj: 'alloc', kind: 'ret', op: 'push', value: null });
      clearTemps(c);
    },
    loadWakeWord: (c) => {
      c.s[me(c).wl] = c.s[DD(c).wake];
    },
    clearWakeWord: (c) => {
      c.s[me(c).wl] = 0;
    },
    setWakeInProgress: (c) => {
      c.s[DD(c).wake] = c.s[me(c).wl] | WAKE_IN_PROGRESS;
      c.s[me(c).wl] = 0;
    },
    sendWakeEvent: (c) => {
      if (signalsViaHypervisor(c.L)) send(c.s, c.L, PRIMARY, PRIMARY, c.L.iso!.port.primaryWake(slotOfService(DD(c).service)));
      else c.s[DD(c).evtToService] = 1;
    },
    stopSpinning: (c) => {
      c.s[me(c).sp] = 0;
    },
    countSpin: (c) => {
      c.s[me(c).sp]++;
    },
    setRqueueAndPark: (c) => {
      const at = P(c).id + c.s[me(c).e];
      c.s[at] = c.s[at] | ID_RQUEUE;
      detach(c);
    },
    readResult: (c) => {
      c.s[c.L.seen + myRequest(c)] = c.s[P(c).arg + c.s[me(c).e]];
    },
    loadFreeTopToFree: (c) => {
      const t = me(c);
      c.s[t.ti] = c.s[P(c).freeTop];
      c.s[t.ts] = c.s[P(c).freeTop + 1];
      hist(c, { obj: 'free', kind: 'inv', op: 'push', value: c.s[t.e] });
    },
    freeEntry: (c) => {
      const t = me(c);
      writeTop(c, P(c).freeTop, c.s[t.ts], c.s[t.e]);
      hist(c, { obj: 'free', kind: 'ret', op: 'push', value: null });
      clearTemps(c);
      if (!freeEarly(c)) c.s[t.e] = NIL;
    },
    finishCall: (c) => {
      c.s[me(c).k]++;
      c.s[me(c).e] = NIL;
    },
    failCall: (c) => {
      // the call dies with its domain's incarnation: the entry is abandoned with the request area, and
      // the POSIX thread gets the crash error (model/recovery/semantics.ts)
      const t = me(c);
      c.s[c.L.seen + myRequest(c)] = SEEN_FAILED;
      answerFailure(c, reqOfDispatchThread(c.L, c.me), 'pending');
      c.s[t.e] = NIL;
      c.s[t.k]++;
      c.s[t.sp] = 0;
      clearTemps(c);
    },
    returnToThread: (c) => {
      const r = reqOfDispatchThread(c.L, c.me);
      c.s[c.L.posix!.rpc[r.slot][r.d].st] = RPC_DONE;
      dropReference(c, r);
    },
    detach,
  },
  events: {
    CallerLoadsFreeTop: {
      from: 'user thread (libc-sclib)',
      to: 'free_top',
      description: 'C1: load free_top; if the free stack is empty, yield the kernel thread until an entry is freed',
      label: (c, target) =>
        target === 'idle'
          ? `finds its domain failed: ${callText(c)} returns ${failText(c)}`
          : `${c.s[me(c).pc] === sclibIdle ? `takes ${callText(c)} from its POSIX thread, ` : ''}${target === 'loadNext' ? `loads free_top = ${fmtTop(c.s, P(c).freeTop)}` : 'finds free_top empty and yields its kernel thread'}`,
    },
    CallerLoadsNext: {
      from: 'user thread (libc-sclib)',
      to: 'next[]',
      description: 'C2: read the link of the loaded top entry',
      label: (c) => `reads next[${c.s[me(c).ti]}] = ${fmtIdx(c.s[P(c).next + c.s[me(c).ti]])}`,
    },
    CallerPopsFreeEntry: {
      from: 'user thread (libc-sclib)',
      to: 'free_top',
      description: 'C3: double-width CAS of free_top to {next, stamp+1}; on failure start over',
      label: (c, target) => `pops entry ${c.s[me(c).ti]} from free_top (CAS ${target === 'fill' ? 'succeeds' : 'fails'})`,
    },
    CallerFillsEntry: {
      from: 'user thread (libc-sclib)',
      to: 'request entry',
      description: 'C4: write the argument, the waiting thread\'s handle and the sequence number (a private block copy)',
      label: (c) => `fills entry ${c.s[me(c).e]}: ${callText(c)}${carries(c) ? ` (request ${argOf(myRequest(c))})` : ''}, handle ${T(c)}, seq ${c.s[me(c).k] + 1}`,
    },
    CallerStoresCallId: {
      from: 'user thread (libc-sclib)',
      to: 'request entry (call id)',
      description: 'C5: store the call id, after the arguments',
      label: (c) => `stores call id ${carries(c) ? callName(ID_CALL) : callName(callKind(c.L.cfg, c.me, c.s[me(c).k]))} in entry ${c.s[me(c).e]}`,
    },
    CallerLoadsAllocTop: {
      from: 'user thread (libc-sclib)',
      to: 'alloc_top',
      description: 'C6: load alloc_top to push the request',
      label: (c) => `loads alloc_top = ${fmtTop(c.s, P(c).allocTop)}`,
    },
    CallerLinksEntry: {
      from: 'user thread (libc-sclib)',
      to: 'next[]',
      description: 'C7: set next[entry] to the loaded alloc_top index',
      label: (c) => `sets next[${c.s[me(c).e]}] = ${fmtIdx(c.s[me(c).ti])}`,
    },
    CallerPushesRequest: {
      from: 'user thread (libc-sclib)',
      to: 'alloc_top',
      description: 'C8: double-width CAS of alloc_top to {entry, stamp+1}; on failure reload',
      label: (c, target) => `pushes entry ${c.s[me(c).e]} on alloc_top (CAS ${target === 'loadAllocTop' ? 'fails' : 'succeeds'})`,
    },
    CallerLoadsWakeWord: {
      from: 'user thread (libc-sclib)',
      to: 'wake page',
      description: 'load the wake word; trap into the frontend only if WAKE_REQUESTED is set and WAKE_IN_PROGRESS clear',
      label: (c, target) => `loads the wake word ${fmtWake(c.s[DD(c).wake])}${target === 'trapWake' ? ': a worker must be woken, traps into the frontend' : ''}`,
    },
    FrontendSetsWakeInProgress: {
      from: 'syscall-frontend (in the caller\'s trap)',
      to: 'wake page',
      description: 'CAS the wake word to set WAKE_IN_PROGRESS, so that only one wake is in flight',
      label: (c, target) => `(frontend) CAS-sets WAKE_IN_PROGRESS (${target === 'sendWake' ? 'succeeds' : 'fails: the word changed'})`,
    },
    FrontendSendsWakeEvent: {
      from: 'syscall-frontend (in the caller\'s trap)',
      to: 'service domain (event channel)',
      description: 'send an event-channel notification to the service domain',
      label: () => '(frontend) notifies the service domain over the event channel',
    },
    CallerChecksDone: {
      from: 'user thread (libc-sclib)',
      to: 'request entry (call id)',
      description: 'C9: load the call id; DONE ends the wait, otherwise spin until the bound',
      label: (c, target) =>
        target === 'idle'
          ? `checks entry ${c.s[me(c).e]} for DONE: not done, and its domain has failed: abandons the entry, ${callText(c)} returns ${failText(c)}`
          : `checks entry ${c.s[me(c).e]} for DONE: ${target === 'readResult' || target === 'freeLoadTop' ? 'done' : 'not yet'}`,
    },
    CallerSetsRqueue: {
      from: 'user thread (libc-sclib)',
      to: 'request entry (call id)',
      description: 'C10: CAS the call id to ID|RQUEUE and park; fails only if the worker already stored DONE',
      label: (c, target) => (target === 'blocked' ? `sets RQUEUE on entry ${c.s[me(c).e]} and parks` : `fails to set RQUEUE: entry ${c.s[me(c).e]} is DONE`),
    },
    CallerResumes: {
      from: 'user thread (libc-sclib)',
      to: 'itself (M:N switch)',
      description: 'a kernel thread that dequeued this thread\'s handle switches to it',
      label: (c, target) =>
        `resumes on ${dispatchActorName(c.L, 'K', c.s[me(c).att])}${
          target !== 'idle'
            ? ''
            : c.s[P(c).id + c.s[me(c).e]] === ID_DONE
              ? `: its domain has failed, but entry ${c.s[me(c).e]} is DONE: reads result ${c.s[P(c).arg + c.s[me(c).e]]} and leaves the entry with the dead request area (${callText(c)} returns ${answerText(c, reqOfDispatchThread(c.L, c.me))})`
              : `: its entry is not DONE and its domain has failed: ${callText(c)} returns ${failText(c)}`
        }`,
    },
    CallerReadsResult: {
      from: 'user thread (libc-sclib)',
      to: 'request entry (args[0])',
      description: 'C15: read the result back from the entry',
      label: (c) => `reads result ${c.s[P(c).arg + c.s[me(c).e]]} from entry ${c.s[me(c).e]}${carries(c) ? ` (${callText(c)} returns ${answerText(c, reqOfDispatchThread(c.L, c.me))})` : ''}`,
    },
    CallerLoadsFreeTopToFree: {
      from: 'user thread (libc-sclib)',
      to: 'free_top',
      description: 'C16: load free_top to push the entry back',
      label: (c) => `loads free_top = ${fmtTop(c.s, P(c).freeTop)} to free entry ${c.s[me(c).e]}`,
    },
    CallerLinksFreedEntry: {
      from: 'user thread (libc-sclib)',
      to: 'next[]',
      description: 'C17: set next[entry] to the loaded top index',
      label: (c) => `sets next[${c.s[me(c).e]}] = ${fmtIdx(c.s[me(c).ti])}`,
    },
    CallerFreesEntry: {
      from: 'user thread (libc-sclib)',
      to: 'free_top',
      description: 'C18: double-width CAS of free_top to {entry, stamp+1}; on failure reload',
      label: (c, target) => `pushes entry ${c.s[me(c).e]} on free_top (CAS ${target === 'freeLoadTop' ? 'fails' : 'succeeds'})${target === 'exited' ? ' and exits' : target === 'idle' ? ' and returns to its POSIX thread' : ''}`,
    },
  },
});

const sclibIdle = sclib.stateIndex.get('idle')!;

/** The crash error the carried call returns (service.ts failureAnswer). */
function failText(c: Ctx): string {
  const a = failureAnswer(c, reqOfDispatchThread(c.L, c.me), 'pending');
  return a.err ? `-1 ${errName(a.err)}` : String(a.res);
}

export const fmtIdx = (i: number) => (i === NIL ? 'nil' : String(i));
export function fmtWake(w: number): string {
  const flags = [w & WAKE_REQUESTED ? 'WAKE_REQUESTED' : '', w & WAKE_IN_PROGRESS ? 'WAKE_IN_PROGRESS' : ''].filter(Boolean);
  return `{running ${w & 0xff}, sleeping ${(w >> 8) & 0xff}${flags.length ? ', ' + flags.join(', ') : ''}}`;
}
