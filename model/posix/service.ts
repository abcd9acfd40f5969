/**
 * What a service domain does with one request of a thread: the ordinary system call run in the
 * domain's kernel on the shadow process's descriptor table. Written once and used by both transports
 * of a remote call: the request slot served atomically (domain-worker.ts, `transport: 'rpc'`) and the
 * dispatch protocol's kernel workers (worker-pool.ts, `transport: 'dispatch'`), which find the request
 * through the entry they popped.
 *
 * A request lives in the thread's request slot toward the domain (layout.ts RpcLayout: the call and
 * its arguments, the answer, the signal flag): in VirtuOS the entry's argument words and the data
 * area. Serving it:
 * - an ordinary call is executed at once; a recv on an empty socket or a poll with nothing ready
 *   blocks, and completes when data arrives or the eventfd is kicked;
 * - a signal: the caller's mark on the entry makes a blocked call return EINTR, and a call taken up
 *   already marked returns EINTR instead of blocking (the worker starts it with a signal pending; a
 *   call that does not block completes normally, as in Linux);
 * - service poll: watches its descriptors and, when several domains are involved, the thread's
 *   eventfd in this domain; when it returns it consumes that eventfd's kicks and kicks the thread's
 *   eventfd in the primary domain (written through the frontend);
 * - REGISTER (a forked child): the child's shadow process is created by copying the parent shadow's
 *   descriptor table (same numbers, shared open file descriptions), with its eventfd, its grants to
 *   the primary domain and the mapping of its ready queue;
 * - REMOVE (process exit): the shadow process's descriptors are closed, its eventfds, grants and
 *   ready-queue mapping end, and the shadow process is freed.
 * REGISTER and REMOVE are the backend's control path (the child has no request area yet, an exiting
 * process no longer uses its own), so they stay with the request slot whatever the transport.
 *
 * Seeded bugs here: `lost-kick` (the service poll resets its eventfd when it arms instead of
 * consuming kicks when it returns), `fork-shares-table` (REGISTER makes the child's shadow use the
 * parent shadow's very table), `eintr-after-effect` (a marked request is executed and then answered
 * EINTR).
 *
 * VIRTUOS.md: "The dispatch protocol" (step 3), "Descriptors, fork, exec, polling, signals".
 */
import type { Ctx } from '../kit/kit.ts';
import { DOMAINS, EBADF, ECONNRESET, EINTR, EIO, ENETDOWN, ENXIO, LOC, NET, kExit, kFork, kReady, wouldBlock } from './kernel.ts';
import { REC_EFFECT, REGISTER, REMOVE, SRC_DOMAIN, SRC_FRONTEND, procOfSlot, slotsOfProc, type RpcLayout } from './layout.ts';
import { callCode, callOfCode, errName, PATHS } from './program.ts';
import { executeInKernel, fmtKRes } from './execute.ts';

export const POLL = callCode('poll');

/** Request slot states (RpcLayout.st). */
export const RPC_IDLE = 0;
export const RPC_SUBMITTED = 1;
export const RPC_BLOCKED = 2;
export const RPC_DONE = 3;
/** Served by a dispatch worker: the answer is in the slot, the caller's side has not returned yet (transport dispatch). */
export const RPC_SERVED = 4;

/** One request: the domain serving it and the thread slot it belongs to. */
export interface Req {
  d: number;
  slot: number;
}

const PL = (c: Ctx) => c.L.posix!;
const Q = (c: Ctx, r: Req): RpcLayout => PL(c).rpc[r.slot][r.d];
const K = (c: Ctx, r: Req) => PL(c).kernel[r.d];
const proc = (c: Ctx, r: Req) => procOfSlot(PL(c), r.slot);
export const reqOp = (c: Ctx, r: Req) => c.s[Q(c, r).op];
const arg = (c: Ctx, r: Req, k: 0 | 1 | 2) => c.s[Q(c, r)[k === 0 ? 'a0' : k === 1 ? 'a1' : 'a2']];
const bug = (c: Ctx, b: string) => c.L.cfg.bug === b;
const efd = (c: Ctx, r: Req) => K(c, r).efdCount(r.slot);
const useEfd = (c: Ctx, r: Req) => (arg(c, r, 2) & 1) !== 0;

/** REGISTER and REMOVE: the backend's control path, never carried by the dispatch machines. */
export const isControl = (op: number) => op === REGISTER || op === REMOVE;

/** Readiness bits of the service poll's descriptors (bit 0: a0, bit 1: a1). */
function pollBits(c: Ctx, r: Req): number {
  // POLLNVAL (a descriptor no longer open in the domain) counts as ready, as POLLIN does.
  let bits = 0;
  if (arg(c, r, 0) >= 0 && kReady(c.s, K(c, r), proc(c, r), arg(c, r, 0)) !== 0) bits |= 1;
  if (arg(c, r, 1) >= 0 && kReady(c.s, K(c, r), proc(c, r), arg(c, r, 1)) !== 0) bits |= 2;
  return bits;
}
const kicked = (c: Ctx, r: Req) => useEfd(c, r) && c.s[efd(c, r)] > 0;

/** Would the request block if started now? (lost-kick: the kick is reset when the poll arms.) */
export function blocksAtPickup(c: Ctx, r: Req): boolean {
  if (reqOp(c, r) === POLL) return pollBits(c, r) === 0 && (bug(c, 'lost-kick') || !kicked(c, r));
  if (reqOp(c, r) === callCode('read') || reqOp(c, r) === callCode('recv')) return wouldBlock(c.s, K(c, r), proc(c, r), arg(c, r, 0));
  return false;
}
/** The blocked request can complete (data arrived, a descriptor is ready, or the eventfd was kicked). */
export const canProceed = (c: Ctx, r: Req) => (reqOp(c, r) === POLL ? pollBits(c, r) !== 0 || kicked(c, r) : !wouldBlock(c.s, K(c, r), proc(c, r), arg(c, r, 0)));
/** The caller marked the entry (a signal record arrived). */
export const marked = (c: Ctx, r: Req) => c.s[Q(c, r).sig] !== 0;
/** A service poll with a finite timeout. */
export const finitePoll = (c: Ctx, r: Req) => reqOp(c, r) === POLL && (arg(c, r, 2) & 2) !== 0;
/** Submitted and not yet taken up. */
export const submitted = (c: Ctx, r: Req) => c.s[Q(c, r).st] === RPC_SUBMITTED;

/**
 * Write the answer. `done` marks the slot answered (the request slot transport); the dispatch
 * machines leave that to the caller's side, which marks it when the call returns (sclib.ts).
 */
function answer(c: Ctx, r: Req, res: number, err: number, data: number, done: boolean): void {
  const q = Q(c, r);
  c.s[q.st] = done ? RPC_DONE : RPC_SERVED;
  c.s[q.res] = res;
  c.s[q.err] = err;
  c.s[q.data] = data;
  if (q.src >= 0) c.s[q.src] = SRC_DOMAIN;
  // REGISTER and REMOVE: the caller collects the answers only once every domain has given its own, so
  // an answered one lets go of its domain now (else a domain that never answers, a compromised network
  // domain, would hold the storage domain's teardown after a crash: found by no-leak-after-crash)
  if (done && isControl(reqOp(c, r))) dropReference(c, r);
}

/**
 * Why a request is answered without its domain (composed system, model/recovery/semantics.ts): the call was
 * pending when the domain failed; the domain was not running when the call was made; or the call
 * names a descriptor of an incarnation that has failed.
 */
export type FailureWhy = 'pending' | 'down' | 'stale';

/**
 * The answer the frontend (or the library) gives a request its domain will never serve, by call:
 * REGISTER, REMOVE, close and setuid succeed (there is nothing left to undo in the domain; a restarted
 * domain gets the live processes and their credentials when the frontend registers them); a service
 * poll reports every watched descriptor ready (POLLERR), so that the poll returns the other domains'
 * readiness too; opening a file or a socket while the domain is down fails with ENXIO or ENETDOWN; a
 * call on a descriptor of a failed incarnation with EBADF; a call pending in the crash with EIO
 * (storage) or ECONNRESET (network).
 */
export function failureAnswer(c: Ctx, r: Req, why: FailureWhy): { res: number; err: number; data: number } {
  const op = reqOp(c, r);
  const name = isControl(op) ? null : callOfCode(op);
  if (isControl(op) || name === 'close' || name === 'setuid') return { res: 0, err: 0, data: 0 };
  if (op === POLL) {
    const bits = (arg(c, r, 0) >= 0 ? 1 : 0) | (arg(c, r, 1) >= 0 ? 2 : 0);
    return { res: (bits & 1) + ((bits >> 1) & 1), err: 0, data: bits };
  }
  if (why === 'pending') return { res: -1, err: r.d === NET ? ECONNRESET : EIO, data: 0 };
  if (name === 'open' || name === 'rename' || name === 'link') return { res: -1, err: ENXIO, data: 0 };
  if (name === 'socket') return { res: -1, err: ENETDOWN, data: 0 };
  return { res: -1, err: EBADF, data: 0 };
}

/**
 * The caller's side has the answer (composed system): the call no longer uses the domain's shared
 * memory, so its frontend reference goes now, not when the library gets round to the answer (a poll
 * waiting for another domain's part must not hold this domain's teardown). The refcount-leak seeded
 * bug keeps the reference of a call that returned an error.
 */
export function dropReference(c: Ctx, r: Req): void {
  const q = Q(c, r);
  if (q.ref < 0 || !c.s[q.ref] || (bug(c, 'refcount-leak') && c.s[q.err] !== 0)) return;
  c.s[c.L.rec!.dom[r.d].refs]--;
  c.s[q.ref] = 0;
}

/** Answer a request its domain will never serve (see failureAnswer); the slot is done. */
export function answerFailure(c: Ctx, r: Req, why: FailureWhy): void {
  const a = failureAnswer(c, r, why);
  const q = Q(c, r);
  // a service poll's answer kicks the thread's primary-domain eventfd, whoever gives it
  if (reqOp(c, r) === POLL && useEfd(c, r)) c.s[PL(c).kernel[LOC].efdCount(r.slot)]++;
  c.s[q.st] = RPC_DONE;
  c.s[q.res] = a.res;
  c.s[q.err] = a.err;
  c.s[q.data] = a.data;
  if (q.src >= 0) c.s[q.src] = SRC_FRONTEND;
  dropReference(c, r);
}
/** A service poll that returns consumes this domain's kicks and kicks the thread's primary-domain eventfd. */
function pollReturns(c: Ctx, r: Req): void {
  if (!useEfd(c, r)) return;
  c.s[efd(c, r)] = 0;
  c.s[PL(c).kernel[LOC].efdCount(r.slot)]++;
}
/** The call record of the slot's thread whose main operation this request is. */
function markEffect(c: Ctx, r: Req): void {
  const P = PL(c);
  const th = P.thread[r.slot];
  if (!c.s[th.inCall]) return;
  const ins = P.code[r.slot][c.s[th.ip]];
  if (!ins || callCode(ins.call) !== reqOp(c, r)) return;
  const rec = P.rec[r.slot][c.s[th.ip]];
  c.s[rec.flags] |= REC_EFFECT;
  // The file is opened (permission checked, created) here, before the library installs the number.
  if (ins.call === 'open') c.s[rec.gt] = c.s[P.tick]++;
}

/** Run the request in the domain's kernel and answer it. */
export function execute(c: Ctx, r: Req, done: boolean): void {
  const P = PL(c);
  const p = proc(c, r);
  const k = K(c, r);
  const op = reqOp(c, r);
  if (op === REGISTER) {
    kFork(c.s, k, arg(c, r, 0), p, bug(c, 'fork-shares-table'));
    c.s[k.efdOpen(r.slot)] = 1;
    c.s[efd(c, r)] = 0;
    c.s[k.grants(p)] = 3;
    c.s[k.rqMapped(p)] = 1;
    return answer(c, r, 0, 0, 0, done);
  }
  if (op === REMOVE) {
    kExit(c.s, k, p);
    for (const t of slotsOfProc(P, p)) {
      c.s[k.efdOpen(t)] = 0;
      c.s[k.efdCount(t)] = 0;
    }
    c.s[k.grants(p)] = 0;
    c.s[k.rqMapped(p)] = 0;
    return answer(c, r, 0, 0, 0, done);
  }
  if (op === POLL) {
    const bits = pollBits(c, r);
    pollReturns(c, r);
    return answer(c, r, (bits & 1) + ((bits >> 1) & 1), 0, bits, done);
  }
  const res = executeInKernel(c.s, c.L, r.d, p, op, arg(c, r, 0), arg(c, r, 1), arg(c, r, 2));
  markEffect(c, r);
  if (bug(c, 'eintr-after-effect') && c.s[Q(c, r).sig]) return answer(c, r, -1, EINTR, 0, done);
  answer(c, r, res.ret, res.err, res.data, done);
}

/** The request blocks in the kernel. */
export function block(c: Ctx, r: Req): void {
  c.s[Q(c, r).st] = RPC_BLOCKED;
  if (reqOp(c, r) === POLL && bug(c, 'lost-kick')) c.s[efd(c, r)] = 0;
}
/** The request returns EINTR (marked by a signal). */
export function answerEintr(c: Ctx, r: Req, done: boolean): void {
  if (reqOp(c, r) === POLL) pollReturns(c, r);
  answer(c, r, -1, EINTR, 0, done);
}
/** The service poll's timeout expired: it returns 0. */
export function answerTimeout(c: Ctx, r: Req, done: boolean): void {
  pollReturns(c, r);
  c.s[Q(c, r).timed] = 1;
  answer(c, r, 0, 0, 0, done);
}

/** "(storage worker for T1)" */
export const whoServes = (r: Req) => `(${DOMAINS[r.d]} worker for T${r.slot + 1})`;

/** The request in domain words: `read(dfd 3, 1)`, `REGISTER of P2 ...`. */
export function requestText(c: Ctx, r: Req): string {
  const k = reqOp(c, r);
  if (k === REGISTER) return `REGISTER of P${proc(c, r) + 1} (copying P${arg(c, r, 0) + 1}'s shadow descriptor table)`;
  if (k === REMOVE) return `REMOVE of P${proc(c, r) + 1}`;
  const name = callOfCode(k);
  if (name === 'open') return `open("${PATHS[arg(c, r, 0)].replace(/^\/storage/, '')}")`;
  if (name === 'rename' || name === 'link') return `${name}("${PATHS[arg(c, r, 0)].replace(/^\/storage/, '')}", "${PATHS[arg(c, r, 1)].replace(/^\/storage/, '')}")`;
  if (name === 'setuid') return `setuid(${arg(c, r, 0)})`;
  if (name === 'socket') return 'socket()';
  if (name === 'poll') return `service poll(dfd ${[arg(c, r, 0), arg(c, r, 1)].filter((x) => x >= 0).join(', ')}${useEfd(c, r) ? ', eventfd' : ''})`;
  const n = name === 'read' || name === 'write' || name === 'send' || name === 'recv' ? `, ${arg(c, r, 1)}` : '';
  return `${name}(dfd ${arg(c, r, 0)}${n})`;
}

/** What executing the request now would answer, for a label (computed on a copy). */
export function outcomeText(c: Ctx, r: Req): string {
  const copy = c.s.slice();
  execute({ ...c, s: copy }, r, true);
  const q = Q(c, r);
  const k = reqOp(c, r);
  if (k === REGISTER || k === REMOVE) return 'done';
  if (k === POLL) return copy[q.data] ? `ready (bits ${copy[q.data]})` : 'kicked, nothing ready';
  if (copy[q.err]) return `-1 ${errName(copy[q.err])}`;
  return fmtKRes(callOfCode(k) as never, { ret: copy[q.res], err: 0, data: copy[q.data] });
}

/** The answer written for the request, in domain words ("1", "-1 EBADF", "ready (bits 1)"). */
export function answerText(c: Ctx, r: Req): string {
  const q = Q(c, r);
  const k = reqOp(c, r);
  if (c.s[q.err]) return `-1 ${errName(c.s[q.err])}`;
  if (k === POLL) return c.s[q.data] ? `ready (bits ${c.s[q.data]})` : 'nothing ready';
  if (isControl(k)) return 'done';
  return fmtKRes(callOfCode(k) as never, { ret: c.s[q.res], err: 0, data: c.s[q.data] });
}

/** The label of taking the request up: blocking, EINTR at once, or the executed outcome. */
export function takeUpLabel(c: Ctx, r: Req, blocks: boolean): string {
  const what = requestText(c, r);
  if (blocks)
    return `takes ${what}: it blocks${reqOp(c, r) === POLL && bug(c, 'lost-kick') ? ` (arming resets the eventfd${c.s[efd(c, r)] ? ', losing a kick' : ''}: the bug)` : ''}`;
  if (marked(c, r) && blocksAtPickup(c, r)) return `takes ${what}, marked by a signal: returns EINTR without blocking`;
  return `executes ${what} in P${proc(c, r) + 1}'s shadow process: ${outcomeText(c, r)}`;
}

