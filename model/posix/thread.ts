/**
 * A POSIX program thread, executing the libc-sclib side of every call: one machine per thread slot
 * (P1's threads T1..Tn, then one thread per child process).
 *
 * For each instruction of its program the thread routes the call (routing.ts), works on its
 * process's translation table (fd-table.ts) in the same atomic steps as the released uclibc.patch
 * (sclib_file_add / getid / put / release / replace), and has the call executed: a local call in the
 * primary kernel within the thread's own step (a recv or poll may block there), a remote call by
 * submitting a request to the owning service domain and collecting the answer later
 * (domain-worker.ts). It records every call's invocation and response in the ghost history.
 *
 * Composite calls follow the library: poll/select split the watched descriptors by domain, send each
 * service domain an asynchronous service poll that also watches the thread's eventfd in that domain,
 * poll the local part (and the thread's local eventfd, which every remote part kicks when it answers)
 * in the primary kernel, kick the eventfds of the domains that have not answered, wait for all
 * answers and merge them (clearing any kick that reached a domain after its part had returned);
 * setuid is sent to both service domains and executed locally; fork copies the table into the
 * child, whose thread registers with each service domain (REGISTER: the shadow process copies the
 * parent shadow's descriptor table) before the parent's fork returns; exec closes the close-on-exec
 * entries, remotely where the entry is remote; exit (explicit, or when the last thread of a process
 * finishes) closes the local descriptors and sends REMOVE to each service domain.
 *
 * Signals: another thread's pthread_kill sets the target's pending bit; the target takes it at its
 * next step. Without SA_RESTART a thread waiting for a remote answer marks its entries (the signal
 * flag and signal record: the service domain interrupts a worker blocked on it), and a thread blocked
 * in the primary kernel gets EINTR; with SA_RESTART nothing is interrupted.
 *
 * Simplifications: the M:N scheduling and the request-area protocol of a remote call are replaced
 * by the request slot (see domain-worker.ts); each atomic operation on the table is one step, several
 * plain stores to a private entry are one step; the per-thread eventfds exist for the life of the
 * process's registration (they are not created and closed per thread).
 *
 * VIRTUOS.md: "Routing of system calls", "Descriptors, fork, exec, polling, signals".
 */
import { defineComponent, type Ctx, type MachineState, type TransitionDef } from '../kit/kit.ts';
import { CNT_CLOSING, CNT_READY, entryState, lowestFreeBit } from './fd-table.ts';
import {
  EBADF, EINTR, EINVAL, EMFILE, LOC, NET, POLLIN, STO, DOMAINS,
  kClose, kExec, kExit, kFork, kReady, kSetuid, wouldBlock, type KRes,
} from './kernel.ts';
import { REC_CLAIMED_LATE, REC_DEFERRED, REC_EFFECT, REC_SIG_WAITING, REC_TIMEDOUT, REMOVE, REGISTER, SRC_NONE, procOfSlot, slotsOfProc, type PThreadLayout, type RpcLayout } from './layout.ts';
import { answerFailure, dropReference } from './service.ts';
import { callCode, errName, fmtFdArg, instrText, type CallName, type FdArg, type Instr } from './program.ts';
import { executeInKernel, fmtKRes } from './execute.ts';
import { domainPath, pathDomain, ROUTE_REFUSED_CROSS, ROUTE_REFUSED_MMAP, socketDomain } from './routing.ts';

// ---------------------------------------------------------------------------------------------
// Access to the thread's words

const PL = (c: Ctx) => c.L.posix!;
const TH = (c: Ctx): PThreadLayout => PL(c).thread[c.me];
const PROC = (c: Ctx) => procOfSlot(PL(c), c.me);
const LB = (c: Ctx) => PL(c).libc[PROC(c)];
const K = (c: Ctx, d: number) => PL(c).kernel[d];
const get = (c: Ctx, f: keyof PThreadLayout) => c.s[TH(c)[f]];
const set = (c: Ctx, f: keyof PThreadLayout, v: number) => {
  c.s[TH(c)[f]] = v;
};
const INS = (c: Ctx): Instr | undefined => PL(c).code[c.me][c.s[TH(c).ip]];
const REC = (c: Ctx) => PL(c).rec[c.me][c.s[TH(c).ip]];
const callIs = (c: Ctx, ...names: CallName[]) => {
  const i = INS(c);
  return i !== undefined && names.includes(i.call);
};
const bug = (c: Ctx, b: string) => c.L.cfg.bug === b;
const nDesc = (c: Ctx) => PL(c).cfg.descriptors;
const restart = (c: Ctx) => PL(c).cfg.program?.restart ?? false;
const RPC = (c: Ctx, d: number): RpcLayout => PL(c).rpc[c.me][d];
/** the bytes a write or send of this call writes: the call's own tag, so a read shows who wrote */
export const tagOf = (calls: number, slot: number, ip: number) => 1 + slot * calls + ip;
const tag = (c: Ctx) => tagOf(PL(c).cfg.calls, c.me, c.s[TH(c).ip]);
const tick = (c: Ctx) => c.s[PL(c).tick]++;

const cnt = (c: Ctx, fd: number) => c.s[LB(c).cnt + fd];
const validFd = (c: Ctx, fd: number) => fd >= 0 && fd < nDesc(c) && cnt(c, fd) > CNT_CLOSING;
/** Drop `n` from a counter; below 0 is the underflow a second close of a deferred-closed descriptor causes. */
const drop = (c: Ctx, fd: number, n: number) => {
  c.s[LB(c).cnt + fd] -= n;
  if (c.s[LB(c).cnt + fd] < 0) c.s[PL(c).underflow] = 1;
};
const toggle = (c: Ctx, fd: number) => {
  c.s[LB(c).bitmap] ^= 1 << fd;
};

/** continuation of the closing path */
const C_RESPOND = 0;
const C_INSTALL = 1;
const C_REPLACE = 2;
const C_POLLPUT = 3;
/** where the lowest-free-race bug's bitmap store goes next */
const T_DOMAINCALL = 1;
const T_FAILRELEASE = 2;
const T_CLOSEFREE = 3;
const T_REPLACEINSTALL = 4;

export const DIFF_CLOSE_DEFERRED = 1;
/** A service domain failed (composed system): results follow the recovery semantics from here, not one kernel's. */
export const DIFF_DOMAIN_FAILED = 2;
/** The compromised network domain acted (composed system): network calls return whatever it makes them from here. */
export const DIFF_NETWORK_COMPROMISED = 3;

const route = (c: Ctx, bits: number) => {
  c.s[REC(c).route] |= bits;
};
const effect = (c: Ctx) => {
  c.s[REC(c).flags] |= REC_EFFECT;
};

function resolveFd(c: Ctx, f: FdArg | undefined): number {
  if (f === undefined) return -1;
  if (typeof f === 'number') return f;
  const r = PL(c).rec[c.me][f.ret];
  return c.s[r.err] === 0 ? c.s[r.res] : -1;
}

/** The instruction with its descriptor arguments as resolved at the call. */
function callText(c: Ctx): string {
  const i = INS(c);
  if (!i) return '(nothing)';
  const show = (f: FdArg | undefined, v: number) => (typeof f === 'object' ? `${fmtFdArg(f)}=${v}` : String(v));
  switch (i.call) {
    case 'read':
    case 'write':
    case 'send':
    case 'recv':
      return `${i.call}(${show(i.fd, get(c, 'fd'))}, ${i.n})`;
    case 'close':
    case 'dup':
    case 'connect':
    case 'mmap':
      return `${i.call}(${show(i.fd, get(c, 'fd'))})`;
    case 'dup2':
      return `dup2(${show(i.fd, get(c, 'fd'))}, ${i.fd2})`;
    case 'poll':
    case 'select':
      return `${i.call}([${i.fds!.map((f, k) => show(f, get(c, k === 0 ? 'fd' : 'fd2'))).join(', ')}], ${i.timeout ? 'timeout' : 'no timeout'})`;
    default:
      return instrText(i);
  }
}
const resText = (c: Ctx) => (get(c, 'err') ? `-1 ${errName(get(c, 'err'))}` : String(get(c, 'res')));
const domName = (d: number) => (d === LOC ? 'primary' : DOMAINS[d]);

// ---------------------------------------------------------------------------------------------
// Calls executed in a kernel (shared by the local path here and the service domains' workers)

/** Arguments of the current call's kernel operation: [a0, a1, a2]. */
function opArgs(c: Ctx): [number, number, number] {
  const i = INS(c)!;
  switch (i.call) {
    case 'open':
      return [i.path!, (i.creat ? 1 : 0) | (i.cloexec ? 2 : 0), 0];
    case 'rename':
    case 'link':
      return [i.path!, i.to!, 0];
    case 'read':
    case 'recv':
    case 'write':
    case 'send':
      return [get(c, 'dfd'), i.n!, tag(c)];
    case 'setuid':
      return [i.uid!, 0, 0];
    default:
      return [get(c, 'dfd'), 0, 0];
  }
}

/** The domain a call on a path or a new socket goes to (calls on descriptors use the entry's domain). */
function targetDomain(c: Ctx): number {
  const i = INS(c)!;
  if (i.call === 'open' || i.call === 'rename' || i.call === 'link') return pathDomain(i.path!);
  if (i.call === 'socket') return socketDomain(i.family!);
  return get(c, 'dom');
}

/** Store a kernel result in the registers: new descriptor for calls that create one. */
function keepResult(c: Ctx, r: KRes): void {
  if (callIs(c, 'open', 'socket', 'dup', 'dup2')) {
    set(c, 'ndfd', r.err ? -1 : r.ret);
    set(c, 'err', r.err);
  } else {
    set(c, 'res', r.ret);
    set(c, 'err', r.err);
    set(c, 'data', r.data);
  }
}

/**
 * Submit a request to domain d (`fd`: the libc descriptor it works on, -1 for none). In the composed
 * system the frontend's recovery semantics (model/recovery/semantics.ts) apply here, in the same step: while the
 * domain is not running, or for a descriptor of an incarnation that has failed, the request is
 * answered at once without reaching any domain (service.ts failureAnswer); otherwise it takes a
 * frontend reference, which the caller drops when it collects the answer (freeSlot).
 */
function submit(c: Ctx, d: number, op: number, a0: number, a1: number, a2: number, fd = -1): void {
  const q = RPC(c, d);
  c.s[q.st] = 1;
  c.s[q.op] = op;
  c.s[q.a0] = a0;
  c.s[q.a1] = a1;
  c.s[q.a2] = a2;
  c.s[q.res] = 0;
  c.s[q.err] = 0;
  c.s[q.data] = 0;
  c.s[q.sig] = 0;
  c.s[q.timed] = 0;
  if (q.ref < 0) return;
  const w = c.L.rec!.dom[d];
  c.s[q.src] = SRC_NONE;
  c.s[q.gep] = fd >= 0 ? c.s[LB(c).gep + fd] : -1;
  if (c.s[w.running] === 0 || staleFd(c, fd)) return answerFailure(c, { d, slot: c.me }, c.s[w.running] === 0 ? 'down' : 'stale');
  c.s[w.refs]++;
  c.s[q.ref] = 1;
  c.s[q.ep] = c.s[w.fe];
}

/**
 * The descriptor names an incarnation of its service domain that has failed: its tag is not the
 * incarnation the frontend serves, or RUNNING is clear (composed system only).
 */
function staleFd(c: Ctx, fd: number): boolean {
  const lc = LB(c);
  if (lc.ep < 0 || fd < 0 || fd >= nDesc(c)) return false;
  const d = c.s[lc.dom + fd];
  if (d === LOC || c.s[lc.dfd + fd] < 0) return false;
  const w = c.L.rec!.dom[d];
  return c.s[w.running] === 0 || c.s[lc.ep + fd] !== c.s[w.fe];
}
/** Tag a descriptor installed from domain d's answer with the incarnation the call was served in (composed system). */
function tagDescriptor(c: Ctx, fd: number, d: number): void {
  const lc = LB(c);
  if (lc.ep < 0) return;
  const ep = d === LOC ? -1 : get(c, 'nep');
  c.s[lc.ep + fd] = ep;
  c.s[lc.gep + fd] = ep;
}
/** A descriptor a call may use: open, and (composed system) of a live incarnation. */
const usableFd = (c: Ctx, fd: number) => validFd(c, fd) && !staleFd(c, fd);

function freeSlot(c: Ctx, d: number): void {
  const q = RPC(c, d);
  // a reference still held (an answer of the request slot transport) goes when the caller takes the answer
  dropReference(c, { d, slot: c.me });
  for (const f of ['st', 'op', 'a0', 'a1', 'a2', 'res', 'err', 'data', 'sig', 'timed'] as const) c.s[q[f]] = 0;
  if (q.ep >= 0) {
    c.s[q.ep] = -1;
    c.s[q.gep] = -1;
    c.s[q.src] = SRC_NONE;
  }
}

const rpcDone = (c: Ctx, d: number) => c.s[RPC(c, d).st] === 3;

// ---------------------------------------------------------------------------------------------
// Beginning and end of a call

const CLEAR: (keyof PThreadLayout)[] = ['fd', 'fd2', 'dfd', 'dom', 'ndfd', 'cand', 'res', 'err', 'data', 'cont', 'cur', 'tmp', 'tbit', 'tcont', 'pd0', 'pd1', 'pf0', 'pf1', 'pmask', 'ploc', 'pdone', 'ptime', 'pintr', 'old', 'odfd', 'odom'];
const NEG: (keyof PThreadLayout)[] = ['fd', 'fd2', 'dfd', 'dom', 'ndfd', 'cand', 'pd0', 'pd1', 'pf0', 'pf1', 'odfd', 'odom'];

export function clearRegisters(s: Int32Array, t: PThreadLayout): void {
  for (const f of CLEAR) s[t[f]] = 0;
  for (const f of NEG) s[t[f]] = -1;
  if (t.nep >= 0) s[t.nep] = -1;
}

function begin(c: Ctx): void {
  const i = INS(c)!;
  const r = REC(c);
  set(c, 'inCall', 1);
  c.s[r.inv] = tick(c);
  const fds = i.call === 'poll' || i.call === 'select' ? i.fds! : [i.fd];
  set(c, 'fd', resolveFd(c, fds[0]));
  set(c, 'fd2', i.call === 'dup2' ? i.fd2! : fds.length > 1 ? resolveFd(c, fds[1]) : -1);
  c.s[r.a0] = get(c, 'fd');
  c.s[r.a1] = get(c, 'fd2');
  set(c, 'cont', i.call === 'dup' ? C_INSTALL : i.call === 'dup2' ? C_REPLACE : i.call === 'poll' || i.call === 'select' ? C_POLLPUT : C_RESPOND);
}

function respond(c: Ctx): void {
  const r = REC(c);
  c.s[r.ret] = tick(c);
  c.s[r.res] = get(c, 'err') ? -1 : get(c, 'res');
  c.s[r.err] = get(c, 'err');
  c.s[r.data] = get(c, 'data');
  set(c, 'inCall', 0);
  set(c, 'ip', get(c, 'ip') + 1);
  clearRegisters(c.s, TH(c));
}

function fail(c: Ctx, err: number): void {
  set(c, 'res', -1);
  set(c, 'err', err);
}

// ---------------------------------------------------------------------------------------------
// Process life cycle (fork, exit) as whole-process operations

/** Which child a fork at the current instruction creates (children are numbered by P1's forks). */
function childOf(c: Ctx): number {
  const code = PL(c).code[c.me];
  let k = 0;
  for (let j = 0; j < get(c, 'ip'); j++) if (code[j].call === 'fork') k++;
  return 1 + k;
}

function exitProcess(c: Ctx): void {
  const P = PL(c);
  const p = PROC(c);
  const Lc = P.libc[p];
  kExit(c.s, K(c, LOC), p);
  for (const t of slotsOfProc(P, p)) {
    c.s[K(c, LOC).efdOpen(t)] = 0;
    c.s[K(c, LOC).efdCount(t)] = 0;
  }
  for (let fd = 0; fd < P.cfg.descriptors; fd++) {
    c.s[Lc.cnt + fd] = 0;
    c.s[Lc.dfd + fd] = -1;
    c.s[Lc.dom + fd] = 0;
    c.s[Lc.flags + fd] = 0;
  }
  c.s[Lc.bitmap] = 0;
  c.s[Lc.pstate] = 3;
  c.s[Lc.live] = 0;
  submit(c, NET, REMOVE, p, 0, 0);
  submit(c, STO, REMOVE, p, 0, 0);
}

// ---------------------------------------------------------------------------------------------
// poll/select

const npos = (c: Ctx) => (INS(c)?.fds?.length ?? 0);
const posDom = (c: Ctx, k: number) => get(c, k === 0 ? 'pd0' : 'pd1');
const posDfd = (c: Ctx, k: number) => get(c, k === 0 ? 'pf0' : 'pf1');
const popcount = (x: number) => (x & 1) + ((x >> 1) & 1) + ((x >> 2) & 1);
const useEfd = (c: Ctx) => popcount(get(c, 'pmask')) > 1;
const hasLocalPart = (c: Ctx) => (get(c, 'pmask') & (1 << LOC)) !== 0 || useEfd(c);
const remoteParts = (c: Ctx) => [NET, STO].filter((d) => get(c, 'pmask') & (1 << d));
const nextRemotePart = (c: Ctx) => remoteParts(c).find((d) => d >= get(c, 'cur')) ?? -1;

function localPollAnswer(c: Ctx): number {
  let bits = 0;
  for (let k = 0; k < npos(c); k++) if (posDom(c, k) === LOC && kReady(c.s, K(c, LOC), PROC(c), posDfd(c, k)) & POLLIN) bits |= 1 << k;
  return bits;
}
const localEfd = (c: Ctx) => c.s[K(c, LOC).efdCount(c.me)];
const localPartReady = (c: Ctx) => localPollAnswer(c) !== 0 || (useEfd(c) && localEfd(c) > 0);

function split(c: Ctx): void {
  let mask = 0;
  for (let k = 0; k < npos(c); k++) {
    const fd = get(c, k === 0 ? 'fd' : 'fd2');
    if (usableFd(c, fd)) {
      c.s[LB(c).cnt + fd]++;
      const d = c.s[LB(c).dom + fd];
      set(c, k === 0 ? 'pd0' : 'pd1', d);
      set(c, k === 0 ? 'pf0' : 'pf1', c.s[LB(c).dfd + fd]);
      mask |= 1 << d;
    }
  }
  set(c, 'pmask', mask);
  set(c, 'cur', 0);
  if (mask & (1 << LOC)) route(c, 1 << LOC);
}

function submitPollPart(c: Ctx): void {
  const d = nextRemotePart(c);
  let a0 = -1;
  let a1 = -1;
  for (let k = 0; k < npos(c); k++)
    if (posDom(c, k) === d) {
      if (a0 < 0) a0 = posDfd(c, k);
      else a1 = posDfd(c, k);
    }
  submit(c, d, callCode('poll'), a0, a1, (useEfd(c) ? 1 : 0) | (INS(c)!.timeout ? 2 : 0));
  route(c, 1 << d);
  set(c, 'cur', d + 1);
}

function mergePoll(c: Ctx): void {
  let mask = 0;
  for (let k = 0; k < npos(c); k++) if (posDom(c, k) < 0) mask |= 1 << k;
  mask |= get(c, 'ploc');
  let intr = get(c, 'pintr');
  let timed = get(c, 'ptime');
  for (const d of remoteParts(c)) {
    const q = RPC(c, d);
    if (c.s[q.err] === EINTR) intr = 1;
    if (c.s[q.timed]) timed = 1;
    // The answer's bit 0 is the domain's first watched descriptor, bit 1 its second.
    let j = 0;
    for (let k = 0; k < npos(c); k++)
      if (posDom(c, k) === d) {
        if (c.s[q.data] & (1 << j)) mask |= 1 << k;
        j++;
      }
    freeSlot(c, d);
  }
  if (useEfd(c)) {
    c.s[K(c, LOC).efdCount(c.me)] -= remoteParts(c).length;
    // A kick can reach a domain after its part has returned: the thread kicks every part not yet
    // DONE, and a part is DONE only some steps after its service poll returned (and consumed that
    // domain's kicks). Left there, the kick would end the thread's next poll in that domain at once,
    // kicked with nothing ready, and that poll would return 0 with no timeout (found by the random
    // search on the composed system). Every part is DONE now, so only this thread writes these
    // eventfds: the merge clears what is left in them.
    for (const d of remoteParts(c)) c.s[K(c, d).efdCount(c.me)] = 0;
  }
  const count = popcount(mask);
  if (timed) c.s[REC(c).flags] |= REC_TIMEDOUT;
  if (count > 0) {
    set(c, 'res', count);
    set(c, 'data', mask);
    set(c, 'err', 0);
  } else if (intr) fail(c, EINTR);
  else {
    set(c, 'res', 0);
    set(c, 'data', 0);
  }
  set(c, 'cur', 0);
}

// ---------------------------------------------------------------------------------------------
// Signals

/** States in which the thread waits for a kernel (remote answer, or blocked in the primary kernel). */
const WAITING = new Set(['await', 'closeAwait', 'replaceAwait', 'execAwait', 'setuidAwait', 'pollAwait', 'localBlocked', 'pollLocalWait', 'forkWait']);

function takeSignal(c: Ctx, state: string): void {
  set(c, 'pend', 0);
  if (!get(c, 'inCall') || !WAITING.has(state)) return;
  c.s[REC(c).flags] |= REC_SIG_WAITING;
  if (restart(c)) return;
  for (const d of [NET, STO]) {
    const q = RPC(c, d);
    if (c.s[q.st] === 1 || c.s[q.st] === 2) c.s[q.sig] = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// The machine

const afterCall: TransitionDef[] = [
  { guard: 'installsDescriptor', target: 'install' },
  { guard: 'returnsDirectly', target: 'fetch', actions: 'respond' },
  { target: 'put' },
];
const withAction = (list: TransitionDef[], action: string): TransitionDef[] =>
  list.map((t) => ({ ...t, actions: [action, ...(t.actions === undefined ? [] : Array.isArray(t.actions) ? t.actions : [t.actions])] }));
const afterClose: TransitionDef[] = [
  { guard: 'contInstall', target: 'install' },
  { guard: 'contReplaceOk', target: 'replaceLock' },
  { guard: 'contPollPut', target: 'pollPut' },
  { target: 'fetch', actions: 'respond' },
];

const baseStates: Record<string, MachineState> = {
  unborn: {
    description: "a child slot: waits until its process is forked, then registers with the service domains (its shadow processes are created from the parent's)",
    on: { ChildRegistersWithDomains: { guard: 'processForked', target: 'registerWait', actions: 'submitRegister' } },
  },
  registerWait: {
    description: 'waiting until both service domains have registered the child',
    on: { ChildCompletesRegistration: { guard: 'registered', target: 'fetch', actions: 'finishRegister' } },
  },
  fetch: {
    description: 'between calls: about to make the next call of the program, or finish',
    on: {
      ThreadFinishes: [
        { guard: 'lastThreadDone', target: 'exitWait', actions: 'finishLast' },
        { guard: 'programDone', target: 'finished', actions: 'finishThread' },
      ],
      ThreadCallsLibc: [
        { guard: 'dup2OntoItself', target: 'fetch', actions: ['begin', 'returnFd2', 'respond'] },
        { guard: 'allocatingCall', target: 'allocFind', actions: 'begin' },
        { guard: 'descriptorCall', target: 'getid', actions: 'begin' },
        { guard: 'crossDomainPathCall', target: 'fetch', actions: ['begin', 'refuseCrossDomain', 'respond'] },
        { guard: 'pathCall', target: 'domainCall', actions: ['begin', 'routePath'] },
        { guard: 'pollCall', target: 'pollSplit', actions: 'begin' },
        { guard: 'setuidCall', target: 'setuidSubmit', actions: 'begin' },
        { guard: 'killCall', target: 'fetch', actions: ['begin', 'sendSignal', 'respond'] },
        { guard: 'forkCall', target: 'forkWait', actions: ['begin', 'forkClone'] },
        { guard: 'execCall', target: 'execScan', actions: ['begin', 'execLocal'] },
        { guard: 'exitCall', target: 'exitWait', actions: ['begin', 'exitExplicit'] },
      ],
    },
  },
  allocFind: {
    description:
      "sclib_file_add: about to search the bitmap for the lowest free descriptor (while that descriptor's counter is not 0 the search would fail its CAS and repeat: modelled as waiting until it changes)",
    on: {
      LibcFindsFreeDescriptor: [
        { guard: 'tableFullAfterGet', target: 'put', actions: 'failEmfile' },
        { guard: 'tableFull', target: 'fetch', actions: ['failEmfile', 'respond'] },
        { guard: 'lowestClaimable', target: 'allocCas', actions: 'findLowest' },
      ],
    },
  },
  allocCas: {
    description: "sclib_file_add: about to CAS the candidate's counter from 0 (free) to 1 (allocating)",
    on: {
      LibcClaimsDescriptor: [
        { guard: 'candidateFree', target: 'allocToggle', actions: 'claim' },
        { target: 'allocFind', actions: 'clearCandidate' },
      ],
    },
  },
  allocToggle: {
    description: "sclib_file_add: about to clear the claimed descriptor's bit in the bitmap (atomic XOR)",
    on: {
      LibcMarksDescriptorUsed: [
        { guard: 'racyToggle', target: 'toggleStore', actions: ['loadBitmap', 'thenDomainCall'] },
        { target: 'domainCall', actions: 'toggleCandidate' },
      ],
    },
  },
  toggleStore: {
    description: 'lowest-free-race bug: about to store the bitmap word loaded earlier with one bit flipped',
    on: {
      LibcStoresBitmap: [
        { guard: 'tcontDomainCall', target: 'domainCall', actions: 'storeBitmap' },
        { guard: 'tcontFailRelease', target: 'failRelease', actions: 'storeBitmap' },
        { guard: 'tcontCloseFree', target: 'closeFree', actions: 'storeBitmap' },
        { target: 'replaceInstall', actions: 'storeBitmap' },
      ],
    },
  },
  getid: {
    description: "sclib_file_getid: about to take a reference on the descriptor's entry (counter + 1 if ready)",
    on: {
      LibcTakesReference: [
        { guard: 'badDescriptor', target: 'fetch', actions: ['failEbadf', 'respond'] },
        { guard: 'closeCall', target: 'release', actions: 'incref' },
        { guard: 'dupCall', target: 'allocFind', actions: 'incref' },
        { guard: 'remoteMmap', target: 'put', actions: ['incref', 'refuseMmap'] },
        { target: 'domainCall', actions: 'incref' },
      ],
    },
  },
  domainCall: {
    description: 'about to have the call executed: in the primary kernel (local) or by submitting a request to the owning service domain',
    on: {
      ThreadEntersPrimaryKernel: [
        { guard: 'localBlocks', target: 'localBlocked', actions: 'blockLocal' },
        ...withAction(
          afterCall.map((t) => ({ ...t, guard: t.guard ? `local_${t.guard}` : 'isLocal' })),
          'executeLocal',
        ),
      ],
      LibcSubmitsRequest: { guard: 'isRemote', target: 'await', actions: 'submitCall' },
    },
  },
  localBlocked: {
    description: 'blocked in the primary kernel (a recv on an empty socket), interruptible by a signal',
    on: { ThreadWakesInPrimaryKernel: withAction(afterCall.map((t) => ({ ...t, guard: t.guard ? `ready_${t.guard}` : 'localCanProceed' })), 'executeLocal') },
  },
  await: {
    description: "waiting for the service domain's answer to the request",
    on: { LibcCollectsResult: withAction(afterCall.map((t) => ({ ...t, guard: t.guard ? `done_${t.guard}` : 'callDone' })), 'collect') },
  },
  install: {
    description: 'sclib_file_add_done: about to publish the new entry (add 2: ready) or cancel the allocation',
    on: {
      LibcInstallsDescriptor: [
        { guard: 'callFailed', target: 'failToggle' },
        { target: 'fetch', actions: ['installEntry', 'respond'] },
      ],
    },
  },
  failToggle: {
    description: "sclib_file_add_fail: about to set the descriptor's bit free again (atomic XOR)",
    on: {
      LibcFreesBitmapBit: [
        { guard: 'racyToggle', target: 'toggleStore', actions: ['loadBitmap', 'thenFailRelease'] },
        { target: 'failRelease', actions: 'toggleCandidate' },
      ],
    },
  },
  failRelease: {
    description: 'sclib_file_add_fail: about to subtract 1 from the counter (free again)',
    on: { LibcCancelsAllocation: { target: 'fetch', actions: ['cancelAllocation', 'respond'] } },
  },
  put: {
    description: 'sclib_file_put: about to drop the call\'s reference (counter - 1); leaving 2 means closing it',
    on: { LibcDropsReference: [{ guard: 'putIsLast', target: 'closeCall', actions: 'decref' }, ...withAction(afterClose, 'decref')] },
  },
  release: {
    description: 'close: about to drop the table\'s reference and the call\'s (counter - 2); leaving 2 means closing it now',
    on: {
      LibcDropsTableReference: [
        { guard: 'releaseIsLast', target: 'closeCall', actions: ['decrefTable', 'markClosing'] },
        { target: 'fetch', actions: ['decrefTable', 'markDeferred', 'respond'] },
      ],
    },
  },
  closeCall: {
    description: 'sclib_file_close: about to close the descriptor in its domain',
    on: {
      LibcClosesLocally: { guard: 'closeIsLocal', target: 'closeToggle', actions: 'closeLocal' },
      LibcSubmitsClose: { guard: 'closeIsRemote', target: 'closeAwait', actions: 'submitClose' },
    },
  },
  closeAwait: { description: "waiting for the service domain's answer to the close", on: { LibcCollectsClose: { guard: 'closeDone', target: 'closeToggle', actions: 'collectClose' } } },
  closeToggle: {
    description: 'about to clear the entry\'s dfd and set its bit free (atomic XOR)',
    on: {
      LibcFreesDescriptor: [
        { guard: 'racyToggle', target: 'toggleStore', actions: ['clearDfd', 'loadBitmapFd', 'thenCloseFree'] },
        { target: 'closeFree', actions: ['clearDfd', 'toggleFd'] },
      ],
    },
  },
  closeFree: {
    description: 'about to subtract 2 from the counter (free)',
    on: { LibcReleasesEntry: withAction(afterClose, 'freeEntry') },
  },
  replaceLock: {
    description: "dup2: about to lock the target entry (CAS 3 -> 1 if ready and unused, 0 -> 1 if free); waits while it is in use or being allocated",
    on: {
      LibcLocksTarget: [
        { guard: 'targetReady', target: 'replaceClose', actions: 'lockExisting' },
        { guard: 'targetFree', target: 'replaceToggle', actions: 'lockFree' },
      ],
    },
  },
  replaceClose: {
    description: "dup2: about to close the target's old descriptor in its domain",
    on: {
      LibcSkipsReplacedClose: { guard: 'noCloseVariant', target: 'replaceInstall' },
      LibcClosesReplacedLocally: { guard: 'replacedIsLocal', target: 'replaceInstall', actions: 'closeReplacedLocal' },
      LibcSubmitsReplacedClose: { guard: 'replacedIsRemote', target: 'replaceAwait', actions: 'submitReplacedClose' },
    },
  },
  replaceAwait: { description: "dup2: waiting for the service domain's answer to the close of the old descriptor", on: { LibcCollectsClose: { guard: 'replacedCloseDone', target: 'replaceInstall', actions: 'collectReplacedClose' } } },
  replaceToggle: {
    description: "dup2: about to clear the free target's bit (atomic XOR)",
    on: {
      LibcMarksDescriptorUsed: [
        { guard: 'racyToggle', target: 'toggleStore', actions: ['loadBitmapFd2', 'thenReplaceInstall'] },
        { target: 'replaceInstall', actions: 'toggleFd2' },
      ],
    },
  },
  replaceInstall: { description: 'dup2: about to install the duplicate at the target (add 2: ready)', on: { LibcInstallsReplacement: { target: 'fetch', actions: ['installReplacement', 'respond'] } } },
  pollSplit: {
    description: 'poll/select: about to take a reference on each watched descriptor and split them by domain',
    on: {
      LibcSplitsPoll: [
        { guard: 'selectOnBadDescriptor', target: 'pollPut', actions: ['split', 'failEbadf'] },
        { guard: 'nothingToWaitFor', target: 'pollPut', actions: ['split', 'mergePoll'] },
        { guard: 'remotePartsToSubmit', target: 'pollSubmit', actions: 'split' },
        { target: 'pollLocal', actions: 'split' },
      ],
    },
  },
  pollSubmit: {
    description: "poll/select: about to submit the next domain's asynchronous service poll",
    on: {
      LibcSubmitsPollPart: [
        { guard: 'lastPartThenLocal', target: 'pollLocal', actions: 'submitPollPart' },
        { guard: 'lastPart', target: 'pollAwait', actions: 'submitPollPart' },
        { target: 'pollSubmit', actions: 'submitPollPart' },
      ],
    },
  },
  pollLocal: {
    description: 'poll/select: about to poll the local descriptors (and the local eventfd) in the primary kernel',
    on: {
      ThreadPollsInPrimaryKernel: [
        { guard: 'localPartReady', target: 'pollKick', actions: 'localPollReturns' },
        { target: 'pollLocalWait', actions: 'routeLocal' },
      ],
    },
  },
  pollLocalWait: {
    description: 'poll/select: blocked in the primary kernel until a local descriptor is ready, the local eventfd is kicked, the timeout expires or a signal arrives',
    on: {
      ThreadWakesInPrimaryKernel: { guard: 'localPartReady', target: 'pollKick', actions: 'localPollReturns' },
      PollTimesOut: { guard: 'finiteTimeout', target: 'pollKick', actions: 'localPollTimesOut' },
    },
  },
  pollKick: {
    description: 'poll/select: the local part returned; about to kick the eventfd of every domain that has not answered',
    on: { LibcKicksDomains: { target: 'pollAwait', actions: 'kickDomains' } },
  },
  pollAwait: {
    description: 'poll/select: waiting for every remote part (and consuming their kicks of the local eventfd), then merging',
    on: { LibcCollectsPollParts: { guard: 'allPartsAnswered', target: 'pollPut', actions: 'mergePoll' } },
  },
  pollPut: {
    description: 'poll/select: about to drop the reference on the next watched descriptor, then return',
    on: {
      LibcDropsPollReference: [
        { guard: 'pollPutIsLast', target: 'closeCall', actions: 'pollDecref' },
        { guard: 'pollPutMore', target: 'pollPut', actions: 'pollDecref' },
        { target: 'fetch', actions: 'respond' },
      ],
    },
  },
  setuidSubmit: {
    description: 'setuid: about to submit the credential change to the next service domain',
    on: {
      LibcSubmitsSetuid: [
        { guard: 'lastSetuidPart', target: 'setuidLocal', actions: 'submitSetuidPart' },
        { target: 'setuidSubmit', actions: 'submitSetuidPart' },
      ],
    },
  },
  setuidLocal: { description: 'setuid: about to change the credentials in the primary kernel', on: { ThreadEntersPrimaryKernel: { target: 'setuidAwait', actions: 'setuidLocal' } } },
  setuidAwait: { description: "setuid: waiting for both service domains' answers", on: { LibcCollectsSetuid: { guard: 'setuidAnswered', target: 'fetch', actions: ['collectSetuid', 'respond'] } } },
  forkWait: { description: 'fork: waiting until the child has registered with every service domain', on: { LibcReturnsFromFork: { guard: 'childRegistered', target: 'fetch', actions: ['returnPid', 'respond'] } } },
  execScan: {
    description: 'execve: the libc restores its table and about to handle the next descriptor (close-on-exec ones are closed, remotely where remote)',
    on: {
      LibcRestoresDescriptor: [
        { guard: 'execScanDone', target: 'fetch', actions: 'respond' },
        { guard: 'execLeaksRemote', target: 'execScan', actions: 'execClearEntry' },
        { guard: 'execRemoteCloexec', target: 'execAwait', actions: 'submitExecClose' },
        { guard: 'execLocalCloexec', target: 'execScan', actions: 'execClearEntry' },
        { target: 'execScan', actions: 'execKeepEntry' },
      ],
    },
  },
  execAwait: { description: "execve: waiting for the service domain's answer to the close of a close-on-exec descriptor", on: { LibcCollectsClose: { guard: 'execCloseDone', target: 'execScan', actions: 'execClearEntry' } } },
  exitWait: { description: 'the process has exited in the primary domain; waiting until every service domain has processed REMOVE', on: { ProcessRemoved: { guard: 'removed', target: 'exited', actions: 'processExited' } } },
  finished: { description: 'the thread has made all its calls and exited (its process lives on)' },
  exited: { description: 'the process has exited and been removed from every domain' },
};

/** Every state but the dead ones can take a pending signal. */
const NO_SIGNAL = new Set(['unborn', 'registerWait', 'finished', 'exited', 'exitWait']);
const states: Record<string, MachineState> = {};
for (const [name, st] of Object.entries(baseStates)) {
  if (NO_SIGNAL.has(name)) {
    states[name] = st;
    continue;
  }
  const sig: TransitionDef[] =
    name === 'localBlocked'
      ? [{ guard: 'interruptsLocal', target: 'put', actions: 'signalInterruptsLocal' }, { guard: 'signalPending', target: name, actions: `signalIn_${name}` }]
      : name === 'pollLocalWait'
        ? [{ guard: 'interruptsLocal', target: 'pollKick', actions: 'signalInterruptsPoll' }, { guard: 'signalPending', target: name, actions: `signalIn_${name}` }]
        : [{ guard: 'signalPending', target: name, actions: `signalIn_${name}` }];
  states[name] = { ...st, on: { ...(st.on ?? {}), ThreadTakesSignal: sig } };
}

const signalActions: Record<string, (c: Ctx) => void> = {};
for (const name of Object.keys(baseStates)) signalActions[`signalIn_${name}`] = (c) => takeSignal(c, name);

// Guards of the after-call dispatch, with the condition of the state they are used in.
const installsDescriptor = (c: Ctx) => callIs(c, 'open', 'socket');
const returnsDirectly = (c: Ctx) => callIs(c, 'rename', 'link');
const isLocal = (c: Ctx) => targetDomain(c) === LOC;
const localBlocks = (c: Ctx) => isLocal(c) && callIs(c, 'read', 'recv') && wouldBlock(c.s, K(c, LOC), PROC(c), get(c, 'dfd'));
const callDone = (c: Ctx) => rpcDone(c, targetDomain(c));
const localCanProceed = (c: Ctx) => !wouldBlock(c.s, K(c, LOC), PROC(c), get(c, 'dfd'));

const allocating = (c: Ctx) => callIs(c, 'open', 'socket');
const racy = (c: Ctx) => bug(c, 'lowest-free-race');

export const posixThread = defineComponent({
  id: 'posix-thread',
  prefix: 'T',
  section: 'Descriptors, fork, exec, polling, signals',
  description:
    'A thread of a POSIX program running on VirtuOS: libc-sclib routes each call, keeps the descriptor translation table, executes local calls in the primary kernel ' +
    'and remote calls through a request to the owning service domain, and implements poll/select, setuid, fork, exec, exit and signals across domains.',
  initial: 'fetch',
  count: (L) => (L.posix ? L.posix.slots : 0),
  pc: (L, i) => L.posix!.thread[i].pc,
  states,
  guards: {
    programDone: (c) => INS(c) === undefined,
    lastThreadDone: (c) => INS(c) === undefined && c.s[LB(c).live] === 1,
    processForked: (c) => c.s[LB(c).pstate] === 1,
    registered: (c) => rpcDone(c, NET) && rpcDone(c, STO),
    dup2OntoItself: (c) => callIs(c, 'dup2') && resolveFd(c, INS(c)!.fd) === INS(c)!.fd2,
    allocatingCall: allocating,
    descriptorCall: (c) => callIs(c, 'read', 'write', 'close', 'dup', 'dup2', 'connect', 'send', 'recv', 'mmap'),
    crossDomainPathCall: (c) => callIs(c, 'rename', 'link') && pathDomain(INS(c)!.path!) !== pathDomain(INS(c)!.to!),
    pathCall: (c) => callIs(c, 'rename', 'link'),
    pollCall: (c) => callIs(c, 'poll', 'select'),
    setuidCall: (c) => callIs(c, 'setuid'),
    killCall: (c) => callIs(c, 'kill'),
    forkCall: (c) => callIs(c, 'fork'),
    execCall: (c) => callIs(c, 'exec'),
    exitCall: (c) => callIs(c, 'exit'),
    tableFullAfterGet: (c) => lowestFreeBit(c.s[LB(c).bitmap], nDesc(c)) < 0 && callIs(c, 'dup'),
    tableFull: (c) => lowestFreeBit(c.s[LB(c).bitmap], nDesc(c)) < 0,
    candidateFree: (c) => cnt(c, get(c, 'cand')) === 0,
    lowestClaimable: (c) => {
      const fd = lowestFreeBit(c.s[LB(c).bitmap], nDesc(c));
      return fd >= 0 && cnt(c, fd) === 0;
    },
    racyToggle: racy,
    tcontDomainCall: (c) => get(c, 'tcont') === T_DOMAINCALL,
    tcontFailRelease: (c) => get(c, 'tcont') === T_FAILRELEASE,
    tcontCloseFree: (c) => get(c, 'tcont') === T_CLOSEFREE,
    badDescriptor: (c) => !validFd(c, get(c, 'fd')),
    closeCall: (c) => callIs(c, 'close'),
    dupCall: (c) => callIs(c, 'dup'),
    remoteMmap: (c) => callIs(c, 'mmap') && c.s[LB(c).dom + get(c, 'fd')] !== LOC,
    localBlocks,
    isLocal,
    local_installsDescriptor: (c) => isLocal(c) && installsDescriptor(c),
    local_returnsDirectly: (c) => isLocal(c) && returnsDirectly(c),
    isRemote: (c) => !isLocal(c),
    localCanProceed,
    ready_installsDescriptor: (c) => localCanProceed(c) && installsDescriptor(c),
    ready_returnsDirectly: (c) => localCanProceed(c) && returnsDirectly(c),
    callDone,
    done_installsDescriptor: (c) => callDone(c) && installsDescriptor(c),
    done_returnsDirectly: (c) => callDone(c) && returnsDirectly(c),
    callFailed: (c) => get(c, 'err') !== 0,
    putIsLast: (c) => cnt(c, get(c, 'fd')) - 1 === CNT_CLOSING,
    releaseIsLast: (c) => cnt(c, get(c, 'fd')) - 2 === CNT_CLOSING,
    contInstall: (c) => get(c, 'cont') === C_INSTALL,
    contReplaceOk: (c) => get(c, 'cont') === C_REPLACE && get(c, 'err') === 0,
    contPollPut: (c) => get(c, 'cont') === C_POLLPUT,
    closeIsLocal: (c) => get(c, 'dom') === LOC,
    closeIsRemote: (c) => get(c, 'dom') !== LOC,
    closeDone: (c) => rpcDone(c, get(c, 'dom')),
    targetReady: (c) => cnt(c, get(c, 'fd2')) === CNT_READY,
    targetFree: (c) => cnt(c, get(c, 'fd2')) === 0,
    noCloseVariant: (c) => bug(c, 'dup2-noclose'),
    replacedIsLocal: (c) => !bug(c, 'dup2-noclose') && get(c, 'odom') === LOC,
    replacedIsRemote: (c) => !bug(c, 'dup2-noclose') && get(c, 'odom') !== LOC,
    replacedCloseDone: (c) => rpcDone(c, get(c, 'odom')),
    selectOnBadDescriptor: (c) => {
      if (!callIs(c, 'select')) return false;
      for (let k = 0; k < npos(c); k++) if (!usableFd(c, get(c, k === 0 ? 'fd' : 'fd2'))) return true;
      return false;
    },
    nothingToWaitFor: (c) => {
      for (let k = 0; k < npos(c); k++) if (usableFd(c, get(c, k === 0 ? 'fd' : 'fd2'))) return false;
      return true;
    },
    remotePartsToSubmit: (c) => {
      let mask = 0;
      for (let k = 0; k < npos(c); k++) {
        const fd = get(c, k === 0 ? 'fd' : 'fd2');
        if (usableFd(c, fd)) mask |= 1 << c.s[LB(c).dom + fd];
      }
      return (mask & ((1 << NET) | (1 << STO))) !== 0;
    },
    lastPartThenLocal: (c) => remoteParts(c).filter((d) => d >= get(c, 'cur')).length === 1 && hasLocalPart(c),
    lastPart: (c) => remoteParts(c).filter((d) => d >= get(c, 'cur')).length === 1,
    localPartReady,
    finiteTimeout: (c) => INS(c)?.timeout === true,
    allPartsAnswered: (c) => remoteParts(c).every((d) => rpcDone(c, d)) && (!useEfd(c) || localEfd(c) >= remoteParts(c).length),
    pollPutIsLast: (c) => {
      const k = get(c, 'cur');
      return k < npos(c) && posDom(c, k) >= 0 && cnt(c, get(c, k === 0 ? 'fd' : 'fd2')) - 1 === CNT_CLOSING;
    },
    pollPutMore: (c) => get(c, 'cur') < npos(c),
    lastSetuidPart: (c) => get(c, 'cur') === STO,
    setuidAnswered: (c) => rpcDone(c, NET) && rpcDone(c, STO),
    childRegistered: (c) => c.s[PL(c).libc[childOf(c)].pstate] >= 2,
    execScanDone: (c) => get(c, 'cur') >= nDesc(c),
    execLeaksRemote: (c) => bug(c, 'exec-leaks-cloexec') && execRemoteCloexec(c),
    execRemoteCloexec: (c) => execRemoteCloexec(c),
    execLocalCloexec: (c) => {
      const fd = get(c, 'cur');
      return c.s[LB(c).dfd + fd] >= 0 && c.s[LB(c).flags + fd] !== 0;
    },
    execCloseDone: (c) => rpcDone(c, c.s[LB(c).dom + get(c, 'cur')]),
    removed: (c) => rpcDone(c, NET) && rpcDone(c, STO),
    signalPending: (c) => get(c, 'pend') !== 0,
    interruptsLocal: (c) => get(c, 'pend') !== 0 && get(c, 'inCall') !== 0 && !restart(c),
  },
  guardDocs: {
    programDone: 'the thread has no more calls',
    lastThreadDone: 'no more calls, and it is the last live thread of its process (the process exits)',
    processForked: "the slot's process has been created by fork (it is registering)",
    registered: 'both service domains answered REGISTER',
    dup2OntoItself: 'dup2(fd, fd): the library returns fd at once, without looking it up',
    allocatingCall: 'open or socket: allocates a descriptor first',
    descriptorCall: 'a call on a descriptor: takes a reference on its entry first',
    crossDomainPathCall: 'rename/link with the two paths in different domains (refused with EINVAL)',
    pathCall: 'rename/link within one domain',
    pollCall: 'poll or select',
    setuidCall: 'setuid (sent to every domain)',
    killCall: 'pthread_kill',
    forkCall: 'fork',
    execCall: 'execve',
    exitCall: '_exit',
    tableFullAfterGet: 'no free descriptor, during a dup (which holds a reference to drop)',
    tableFull: 'no free descriptor: EMFILE',
    candidateFree: "the candidate's counter is 0 (the CAS succeeds)",
    lowestClaimable: "the lowest free bit's counter is 0 (else the thread waits: its CAS would fail and the search repeat)",
    racyToggle: 'the lowest-free-race bug: the bitmap toggle is a load then a store',
    tcontDomainCall: 'the racy toggle was the allocation\'s',
    tcontFailRelease: 'the racy toggle was a cancelled allocation\'s',
    tcontCloseFree: 'the racy toggle was a close\'s',
    badDescriptor: 'the descriptor is out of range or its entry is not ready (EBADF)',
    closeCall: 'the call is close',
    dupCall: 'the call is dup',
    remoteMmap: 'mmap of a remote descriptor (refused)',
    localBlocks: 'a local recv/read on an empty socket: it blocks in the primary kernel',
    isLocal: 'the call executes in the primary kernel',
    local_installsDescriptor: 'local, and the call creates a descriptor',
    local_returnsDirectly: 'local rename/link',
    isRemote: 'the call executes in a service domain',
    localCanProceed: 'the blocked local call can complete (data arrived)',
    ready_installsDescriptor: 'can proceed, and creates a descriptor',
    ready_returnsDirectly: 'can proceed, rename/link',
    callDone: 'the request is DONE',
    done_installsDescriptor: 'DONE, and the call creates a descriptor',
    done_returnsDirectly: 'DONE, rename/link',
    callFailed: 'the domain returned an error',
    putIsLast: 'dropping the reference leaves the counter at 2: the caller closes the descriptor',
    releaseIsLast: 'dropping two leaves the counter at 2: close closes it now',
    contInstall: 'the closing path continues into dup\'s install',
    contReplaceOk: 'the closing path continues into dup2\'s replacement (the dup succeeded)',
    contPollPut: 'the closing path continues poll\'s puts',
    closeIsLocal: 'the descriptor being closed is local',
    closeIsRemote: 'the descriptor being closed is remote',
    closeDone: 'the close request is DONE',
    targetReady: "dup2's target is ready and unused (counter 3)",
    targetFree: "dup2's target is free (counter 0)",
    noCloseVariant: 'the dup2-noclose bug: the replaced descriptor is not closed',
    replacedIsLocal: 'the replaced descriptor is local',
    replacedIsRemote: 'the replaced descriptor is remote',
    replacedCloseDone: 'the close of the replaced descriptor is DONE',
    selectOnBadDescriptor: 'select on a descriptor that is not open (EBADF)',
    nothingToWaitFor: 'every watched descriptor is invalid (POLLNVAL): poll returns at once',
    remotePartsToSubmit: 'some watched descriptor is remote',
    lastPartThenLocal: 'the last remote part, and a local part follows',
    lastPart: 'the last remote part, no local part',
    localPartReady: 'a local watched descriptor is ready, or the local eventfd was kicked',
    finiteTimeout: 'the poll has a finite timeout',
    allPartsAnswered: 'every remote part is DONE and each has kicked the local eventfd',
    pollPutIsLast: 'dropping this reference closes the descriptor',
    pollPutMore: 'more watched descriptors to put',
    lastSetuidPart: 'the second service domain',
    setuidAnswered: 'both service domains answered',
    childRegistered: 'the child is registered with both service domains',
    execScanDone: 'every descriptor handled',
    execLeaksRemote: 'the exec-leaks-cloexec bug, on a remote close-on-exec descriptor',
    execRemoteCloexec: 'a remote close-on-exec descriptor',
    execLocalCloexec: 'a local close-on-exec descriptor (the kernel closed it at execve)',
    execCloseDone: 'the remote close is DONE',
    removed: 'both service domains processed REMOVE',
    signalPending: 'a signal is pending',
    interruptsLocal: 'a signal is pending, the call is in the primary kernel, and the handler is without SA_RESTART',
  },
  actions: {
    ...signalActions,
    begin,
    respond,
    submitRegister: (c) => {
      submit(c, NET, REGISTER, 0, 0, 0);
      submit(c, STO, REGISTER, 0, 0, 0);
    },
    finishRegister: (c) => {
      freeSlot(c, NET);
      freeSlot(c, STO);
      c.s[LB(c).pstate] = 2;
    },
    finishThread: (c) => {
      c.s[LB(c).live]--;
    },
    finishLast: (c) => exitProcess(c),
    returnFd2: (c) => set(c, 'res', INS(c)!.fd2!),
    refuseCrossDomain: (c) => {
      fail(c, EINVAL);
      route(c, ROUTE_REFUSED_CROSS);
    },
    routePath: (c) => set(c, 'dom', targetDomain(c)),
    sendSignal: (c) => {
      const target = INS(c)!.thread!;
      const pc = c.s[PL(c).thread[target].pc];
      const dead = posixThread.stateIndex;
      if (pc !== dead.get('finished') && pc !== dead.get('exited') && pc !== dead.get('exitWait')) c.s[PL(c).thread[target].pend] = 1;
      set(c, 'res', 0);
    },
    forkClone: (c) => {
      const P = PL(c);
      const q = childOf(c);
      const parent = LB(c);
      const child = P.libc[q];
      for (let fd = 0; fd < P.cfg.descriptors; fd++) {
        for (const f of ['cnt', 'dfd', 'dom', 'flags'] as const) c.s[child[f] + fd] = c.s[parent[f] + fd];
        if (child.ep >= 0) {
          // fork-retags-stale: the child's copy of a remote descriptor is tagged with the incarnation the frontend serves now
          const d = c.s[parent.dom + fd];
          const retag = bug(c, 'fork-retags-stale') && d !== LOC && c.s[parent.dfd + fd] >= 0;
          c.s[child.ep + fd] = retag ? c.s[c.L.rec!.dom[d].fe] : c.s[parent.ep + fd];
          c.s[child.gep + fd] = c.s[parent.gep + fd];
        }
      }
      c.s[child.bitmap] = c.s[parent.bitmap];
      c.s[child.pstate] = 1;
      c.s[child.live] = 1;
      kFork(c.s, K(c, LOC), PROC(c), q, false);
      c.s[K(c, LOC).efdOpen(P.cfg.threads + q - 1)] = 1;
      route(c, 7);
      effect(c);
    },
    returnPid: (c) => set(c, 'res', childOf(c) + 1),
    execLocal: (c) => {
      let open = 0;
      let cloexec = 0;
      for (let fd = 0; fd < nDesc(c); fd++)
        if (c.s[LB(c).dfd + fd] >= 0) {
          open |= 1 << fd;
          if (c.s[LB(c).flags + fd]) cloexec |= 1 << fd;
        }
      c.s[REC(c).a0] = open;
      c.s[REC(c).a1] = cloexec;
      kExec(c.s, K(c, LOC), PROC(c));
      set(c, 'cur', 0);
      route(c, 1 << LOC);
      effect(c);
    },
    exitExplicit: (c) => {
      route(c, 7);
      effect(c);
      const r = REC(c);
      c.s[r.ret] = tick(c);
      c.s[r.res] = 0;
      set(c, 'inCall', 0);
      set(c, 'ip', get(c, 'ip') + 1);
      exitProcess(c);
    },
    processExited: (c) => {
      freeSlot(c, NET);
      freeSlot(c, STO);
      c.s[LB(c).pstate] = 4;
    },
    failEmfile: (c) => {
      fail(c, EMFILE);
      set(c, 'cont', C_RESPOND);
    },
    failEbadf: (c) => fail(c, EBADF),
    findLowest: (c) => set(c, 'cand', lowestFreeBit(c.s[LB(c).bitmap], nDesc(c))),
    claim: (c) => {
      c.s[LB(c).cnt + get(c, 'cand')] = 1;
      c.s[REC(c).rsv] = get(c, 'cand');
      c.s[REC(c).rt] = tick(c);
      // ghost: the number was found free earlier, and is no longer the lowest free one (another
      // thread took and released it, or freed a lower one, in between; differences.ts)
      if (lowestFreeBit(c.s[LB(c).bitmap], nDesc(c)) !== get(c, 'cand')) c.s[REC(c).flags] |= REC_CLAIMED_LATE;
    },
    clearCandidate: (c) => set(c, 'cand', -1),
    toggleCandidate: (c) => toggle(c, get(c, 'cand')),
    loadBitmap: (c) => {
      set(c, 'tmp', c.s[LB(c).bitmap]);
      set(c, 'tbit', get(c, 'cand'));
    },
    loadBitmapFd: (c) => {
      set(c, 'tmp', c.s[LB(c).bitmap]);
      set(c, 'tbit', get(c, 'fd'));
    },
    loadBitmapFd2: (c) => {
      set(c, 'tmp', c.s[LB(c).bitmap]);
      set(c, 'tbit', get(c, 'fd2'));
    },
    thenDomainCall: (c) => set(c, 'tcont', T_DOMAINCALL),
    thenFailRelease: (c) => set(c, 'tcont', T_FAILRELEASE),
    thenCloseFree: (c) => set(c, 'tcont', T_CLOSEFREE),
    thenReplaceInstall: (c) => set(c, 'tcont', T_REPLACEINSTALL),
    storeBitmap: (c) => {
      c.s[LB(c).bitmap] = get(c, 'tmp') ^ (1 << get(c, 'tbit'));
      set(c, 'tmp', 0);
      set(c, 'tbit', 0);
      set(c, 'tcont', 0);
    },
    incref: (c) => {
      const fd = get(c, 'fd');
      c.s[LB(c).cnt + fd]++;
      // dup and dup2 hold the source's file from here (the reference's fget).
      if (callIs(c, 'dup', 'dup2')) c.s[REC(c).gt] = tick(c);
      set(c, 'dfd', c.s[LB(c).dfd + fd]);
      set(c, 'dom', c.s[LB(c).dom + fd]);
    },
    refuseMmap: (c) => {
      fail(c, EINVAL);
      route(c, ROUTE_REFUSED_MMAP);
    },
    blockLocal: (c) => route(c, 1 << LOC),
    executeLocal: (c) => {
      const [a0, a1, a2] = opArgs(c);
      const op = callCode(INS(c)!.call);
      keepResult(c, executeInKernel(c.s, c.L, LOC, PROC(c), op, a0, a1, a2));
      set(c, 'dom', LOC);
      route(c, 1 << LOC);
      effect(c);
      if (callIs(c, 'open')) c.s[REC(c).gt] = tick(c);
    },
    submitCall: (c) => {
      const d = targetDomain(c);
      const [a0, a1, a2] = opArgs(c);
      set(c, 'dom', d);
      submit(c, d, callCode(INS(c)!.call), a0, a1, a2, callIs(c, 'open', 'rename', 'link', 'socket') ? -1 : get(c, 'fd'));
      route(c, 1 << d);
    },
    collect: (c) => {
      const q = RPC(c, get(c, 'dom'));
      keepResult(c, { ret: c.s[q.res], err: c.s[q.err], data: c.s[q.data] });
      if (TH(c).nep >= 0) set(c, 'nep', c.s[q.ep]);
      freeSlot(c, get(c, 'dom'));
    },
    installEntry: (c) => {
      const fd = get(c, 'cand');
      const Lc = LB(c);
      c.s[Lc.dfd + fd] = get(c, 'ndfd');
      c.s[Lc.dom + fd] = get(c, 'dom');
      c.s[Lc.flags + fd] = INS(c)!.cloexec ? 1 : 0;
      tagDescriptor(c, fd, get(c, 'dom'));
      c.s[Lc.cnt + fd] += 2;
      set(c, 'res', fd);
    },
    cancelAllocation: (c) => {
      c.s[LB(c).cnt + get(c, 'cand')] -= 1;
      set(c, 'res', -1);
    },
    decref: (c) => drop(c, get(c, 'fd'), 1),
    decrefTable: (c) => {
      drop(c, get(c, 'fd'), 2);
      set(c, 'res', 0);
    },
    markClosing: (c) => {
      // The number is no longer usable from here, but free only once the close has run in its domain.
      c.s[REC(c).rsv] = get(c, 'fd');
      c.s[REC(c).rt] = tick(c);
    },
    markDeferred: (c) => {
      // Another thread's call holds the descriptor: close returns now, the real close waits for it.
      c.s[REC(c).flags] |= REC_DEFERRED;
      if (c.s[PL(c).cut] < 0) {
        c.s[PL(c).cut] = c.s[PL(c).tick];
        c.s[PL(c).cutWhy] = DIFF_CLOSE_DEFERRED;
      }
    },
    closeLocal: (c) => {
      kClose(c.s, K(c, LOC), PROC(c), get(c, 'dfd'));
      route(c, 1 << LOC);
      if (callIs(c, 'close')) effect(c);
    },
    submitClose: (c) => {
      submit(c, get(c, 'dom'), callCode('close'), get(c, 'dfd'), 0, 0, get(c, 'fd'));
      route(c, 1 << get(c, 'dom'));
    },
    collectClose: (c) => freeSlot(c, get(c, 'dom')),
    clearDfd: (c) => {
      c.s[LB(c).dfd + get(c, 'fd')] = -1;
    },
    toggleFd: (c) => toggle(c, get(c, 'fd')),
    freeEntry: (c) => drop(c, get(c, 'fd'), 2),
    lockExisting: (c) => {
      const fd2 = get(c, 'fd2');
      c.s[LB(c).cnt + fd2] = 1;
      c.s[REC(c).rsv] = fd2;
      c.s[REC(c).rt] = tick(c);
      set(c, 'old', 1);
      set(c, 'odfd', c.s[LB(c).dfd + fd2]);
      set(c, 'odom', c.s[LB(c).dom + fd2]);
    },
    lockFree: (c) => {
      c.s[LB(c).cnt + get(c, 'fd2')] = 1;
      c.s[REC(c).rsv] = get(c, 'fd2');
      c.s[REC(c).rt] = tick(c);
      set(c, 'old', 0);
    },
    closeReplacedLocal: (c) => {
      kClose(c.s, K(c, LOC), PROC(c), get(c, 'odfd'));
      route(c, 1 << LOC);
    },
    submitReplacedClose: (c) => {
      submit(c, get(c, 'odom'), callCode('close'), get(c, 'odfd'), 0, 0, get(c, 'fd2'));
      route(c, 1 << get(c, 'odom'));
    },
    collectReplacedClose: (c) => freeSlot(c, get(c, 'odom')),
    toggleFd2: (c) => toggle(c, get(c, 'fd2')),
    installReplacement: (c) => {
      const fd2 = get(c, 'fd2');
      const Lc = LB(c);
      c.s[Lc.dfd + fd2] = get(c, 'ndfd');
      c.s[Lc.dom + fd2] = get(c, 'dom');
      c.s[Lc.flags + fd2] = 0;
      tagDescriptor(c, fd2, get(c, 'dom'));
      c.s[Lc.cnt + fd2] += 2;
      set(c, 'res', fd2);
      set(c, 'odfd', -1);
      set(c, 'odom', -1);
    },
    split,
    mergePoll,
    submitPollPart,
    routeLocal: (c) => route(c, 1 << LOC),
    localPollReturns: (c) => {
      set(c, 'ploc', localPollAnswer(c));
      set(c, 'pdone', 1);
      route(c, 1 << LOC);
    },
    localPollTimesOut: (c) => {
      set(c, 'ploc', 0);
      set(c, 'pdone', 1);
      set(c, 'ptime', 1);
    },
    signalInterruptsPoll: (c) => {
      takeSignal(c, 'pollLocalWait');
      set(c, 'pdone', 1);
      set(c, 'pintr', 1);
    },
    signalInterruptsLocal: (c) => {
      takeSignal(c, 'localBlocked');
      fail(c, EINTR);
    },
    kickDomains: (c) => {
      if (!useEfd(c)) return;
      for (const d of remoteParts(c)) if (!rpcDone(c, d)) c.s[K(c, d).efdCount(c.me)]++;
    },
    pollDecref: (c) => {
      const k = get(c, 'cur');
      if (posDom(c, k) >= 0) {
        const fd = get(c, k === 0 ? 'fd' : 'fd2');
        drop(c, fd, 1);
        // The closing path works on fd/dfd/dom: point them at this position.
        set(c, 'fd', fd);
        set(c, 'dfd', posDfd(c, k));
        set(c, 'dom', posDom(c, k));
      }
      set(c, 'cur', k + 1);
    },
    submitSetuidPart: (c) => {
      const d = get(c, 'cur') === 0 ? NET : STO;
      submit(c, d, callCode('setuid'), INS(c)!.uid!, 0, 0);
      route(c, 1 << d);
      set(c, 'cur', d + 1);
    },
    setuidLocal: (c) => {
      const r = kSetuid(c.s, K(c, LOC), PROC(c), INS(c)!.uid!);
      set(c, 'res', r.ret);
      set(c, 'err', r.err);
      route(c, 1 << LOC);
      effect(c);
    },
    collectSetuid: (c) => {
      for (const d of [NET, STO]) {
        const e = c.s[RPC(c, d).err];
        if (e) fail(c, e);
        freeSlot(c, d);
      }
    },
    submitExecClose: (c) => {
      const fd = get(c, 'cur');
      const d = c.s[LB(c).dom + fd];
      submit(c, d, callCode('close'), c.s[LB(c).dfd + fd], 0, 0, fd);
      route(c, 1 << d);
    },
    execClearEntry: (c) => {
      const fd = get(c, 'cur');
      const d = c.s[LB(c).dom + fd];
      if (d !== LOC && c.s[RPC(c, d).st] === 3) freeSlot(c, d);
      c.s[LB(c).dfd + fd] = -1;
      c.s[LB(c).dom + fd] = 0;
      c.s[LB(c).flags + fd] = 0;
      c.s[LB(c).cnt + fd] = 0;
      c.s[LB(c).bitmap] |= 1 << fd;
      set(c, 'cur', fd + 1);
    },
    execKeepEntry: (c) => {
      const fd = get(c, 'cur');
      c.s[LB(c).cnt + fd] = c.s[LB(c).dfd + fd] >= 0 ? CNT_READY : 0;
      set(c, 'cur', fd + 1);
    },
  },
  events: {
    ChildRegistersWithDomains: {
      from: 'child thread (libc init after fork)',
      to: 'storage and network domains',
      description: 'the new child sends REGISTER to each service domain: its shadow process is created from the parent shadow',
      label: (c) => `(child P${PROC(c) + 1}) sends REGISTER to the storage and network domains`,
    },
    ChildCompletesRegistration: {
      from: 'child thread',
      to: 'its parent (fork returns)',
      description: 'both service domains registered the child; it starts running its program',
      label: (c) => `(child P${PROC(c) + 1}) is registered with both service domains and starts`,
    },
    ThreadFinishes: {
      from: 'thread',
      to: 'its process',
      description: 'the thread has made all its calls; the last thread of a process exits the process',
      label: (c, target) =>
        target === 'exitWait'
          ? `finishes, the last thread of P${PROC(c) + 1}: the process exits (local descriptors closed, REMOVE sent to the storage and network domains)`
          : 'finishes its calls',
    },
    ThreadCallsLibc: {
      from: 'program thread',
      to: 'libc-sclib',
      description: 'the thread makes its next call; the library starts it',
      label: (c, target) => {
        const i = INS(c)!;
        const tail =
          i.call === 'open' || i.call === 'rename' || i.call === 'link'
            ? pathDomain(i.path!) === STO && (i.call === 'open' || pathDomain(i.to!) === STO)
              ? ` [storage domain, as "${domainPath(i.path!)}"${i.call !== 'open' ? ` and "${domainPath(i.to!)}"` : ''}]`
              : i.call !== 'open' && pathDomain(i.path!) !== pathDomain(i.to!)
                ? ' [paths in different domains: EINVAL]'
                : ' [primary domain]'
            : i.call === 'socket'
              ? ` [${socketDomain(i.family!) === NET ? 'network' : 'primary'} domain]`
              : i.call === 'setuid'
                ? ' [every domain]'
                : '';
        const who = PROC(c) > 0 ? ` (P${PROC(c) + 1})` : '';
        const call = i.call === 'fork' || i.call === 'exec' || i.call === 'exit' || i.call === 'kill' || i.call === 'open' || i.call === 'socket' || i.call === 'rename' || i.call === 'link' || i.call === 'setuid' ? instrText(i) : callTextPreview(c, i);
        const now = target === 'fetch' && i.call === 'kill' ? ' (signal pending for the target)' : '';
        return `calls ${call}${who}${tail}${now}`;
      },
    },
    LibcFindsFreeDescriptor: {
      from: 'libc (sclib_file_add)',
      to: 'free-descriptor bitmap',
      description: 'search the bitmap for the lowest free descriptor',
      label: (c, target) => (target === 'allocCas' ? `finds descriptor ${lowestFreeBit(c.s[LB(c).bitmap], nDesc(c))} lowest free in the bitmap ${bits(c.s[LB(c).bitmap], nDesc(c))}` : 'finds no free descriptor in the bitmap: EMFILE'),
    },
    LibcClaimsDescriptor: {
      from: 'libc (sclib_file_add)',
      to: 'translation-table entry counter',
      description: "CAS the candidate's counter 0 -> 1 (allocating)",
      label: (c, target) =>
        target === 'allocToggle'
          ? `claims descriptor ${get(c, 'cand')} (counter 0 -> 1: allocating)`
          : `fails to claim descriptor ${get(c, 'cand')} (counter is ${cnt(c, get(c, 'cand'))}: ${entryState(cnt(c, get(c, 'cand')))}), searches again`,
    },
    LibcMarksDescriptorUsed: {
      from: 'libc',
      to: 'free-descriptor bitmap',
      description: "toggle the descriptor's bit to in use",
      label: (c, target) => {
        const fd = c.s[TH(c).pc] === posixThread.stateIndex.get('replaceToggle') ? get(c, 'fd2') : get(c, 'cand');
        return target === 'toggleStore' ? `loads the bitmap ${bits(c.s[LB(c).bitmap], nDesc(c))} to mark descriptor ${fd} in use (plain load: the bug)` : `marks descriptor ${fd} in use in the bitmap (atomic XOR)`;
      },
    },
    LibcStoresBitmap: {
      from: 'libc (lowest-free-race bug)',
      to: 'free-descriptor bitmap',
      description: 'store the loaded bitmap word with one bit flipped (a lost update if another thread changed it meanwhile)',
      label: (c) => `stores the bitmap ${bits(get(c, 'tmp') ^ (1 << get(c, 'tbit')), nDesc(c))} (loaded ${bits(get(c, 'tmp'), nDesc(c))}, now ${bits(c.s[LB(c).bitmap], nDesc(c))})`,
    },
    LibcTakesReference: {
      from: 'libc (sclib_file_getid)',
      to: 'translation-table entry counter',
      description: 'take a reference on the entry if it is ready, else EBADF',
      label: (c, target) => {
        const fd = get(c, 'fd');
        if (target === 'fetch') return `finds descriptor ${fd} ${fd >= 0 && fd < nDesc(c) ? entryState(cnt(c, fd)) : 'out of range'}: EBADF`;
        return `takes a reference on descriptor ${fd} -> ${domName(c.s[LB(c).dom + fd])} dfd ${c.s[LB(c).dfd + fd]} (counter ${cnt(c, fd)} -> ${cnt(c, fd) + 1})${target === 'put' ? '; mmap of a remote descriptor is refused: EINVAL' : ''}`;
      },
    },
    ThreadEntersPrimaryKernel: {
      from: 'thread',
      to: 'primary kernel',
      description: 'execute the call in the primary domain\'s kernel',
      label: (c, target) => {
        if (target === 'localBlocked') return `${callText(c)} blocks in the primary kernel (socket empty)`;
        if (target === 'setuidAwait') return `executes setuid(${INS(c)!.uid}) in the primary kernel`;
        const copy = c.s.slice();
        const [a0, a1, a2] = opArgs(c);
        const r = executeInKernel(copy, c.L, LOC, PROC(c), callCode(INS(c)!.call), a0, a1, a2);
        return `executes ${callText(c)} in the primary kernel${INS(c)!.call !== 'open' && INS(c)!.call !== 'socket' && INS(c)!.call !== 'rename' && INS(c)!.call !== 'link' ? ` on dfd ${get(c, 'dfd')}` : ''}: ${fmtKRes(INS(c)!.call, r)}`;
      },
    },
    LibcSubmitsRequest: {
      from: 'libc',
      to: 'service domain (request slot)',
      description: 'submit the call as a request to the owning service domain',
      label: (c) => {
        const d = targetDomain(c);
        const i = INS(c)!;
        const what = i.call === 'open' ? `open("${domainPath(i.path!)}")` : i.call === 'rename' || i.call === 'link' ? `${i.call}("${domainPath(i.path!)}", "${domainPath(i.to!)}")` : i.call === 'socket' ? 'socket()' : `${i.call}(dfd ${get(c, 'dfd')}${i.n ? `, ${i.n}` : ''})`;
        return `submits ${what} to the ${DOMAINS[d]} domain`;
      },
    },
    ThreadWakesInPrimaryKernel: {
      from: 'primary kernel',
      to: 'thread',
      description: 'the blocked local call can complete (or the local poll wakes)',
      label: (c, target) => (target === 'pollKick' ? `wakes in the local poll: ${pollWakeText(c)}` : `wakes in the primary kernel: ${callText(c)} completes`),
    },
    LibcCollectsResult: {
      from: 'libc',
      to: 'request slot',
      description: "read the service domain's answer and free the request slot",
      label: (c) => {
        const q = RPC(c, targetDomain(c));
        return `collects the ${DOMAINS[targetDomain(c)]} domain's answer: ${fmtKRes(INS(c)!.call, { ret: c.s[q.res], err: c.s[q.err], data: c.s[q.data] })}`;
      },
    },
    LibcInstallsDescriptor: {
      from: 'libc (sclib_file_add_done)',
      to: 'translation-table entry',
      description: 'publish the new entry (dfd, domain, flags; counter + 2) or start cancelling it',
      label: (c, target) =>
        target === 'failToggle'
          ? `the call failed (${errName(get(c, 'err'))}): cancels descriptor ${get(c, 'cand')}`
          : `installs descriptor ${get(c, 'cand')} -> ${domName(get(c, 'dom'))} dfd ${get(c, 'ndfd')}${INS(c)!.cloexec ? ', close-on-exec' : ''} (counter 1 -> 3: ready)`,
    },
    LibcFreesBitmapBit: {
      from: 'libc (sclib_file_add_fail)',
      to: 'free-descriptor bitmap',
      description: "set the cancelled descriptor's bit free",
      label: (c, target) => (target === 'toggleStore' ? `loads the bitmap to free descriptor ${get(c, 'cand')} (plain load: the bug)` : `sets descriptor ${get(c, 'cand')} free in the bitmap`),
    },
    LibcCancelsAllocation: {
      from: 'libc (sclib_file_add_fail)',
      to: 'translation-table entry counter',
      description: 'subtract 1 from the counter: free',
      label: (c) => `releases descriptor ${get(c, 'cand')} (counter 1 -> 0) and returns -1 ${errName(get(c, 'err'))}`,
    },
    LibcDropsReference: {
      from: 'libc (sclib_file_put)',
      to: 'translation-table entry counter',
      description: "drop the call's reference; at 2 the descriptor is closed",
      label: (c, target) => {
        const fd = get(c, 'fd');
        const last = target === 'closeCall' ? ': the last reference, closes it' : '';
        const ret = target === 'fetch' ? ` and returns ${resText(c)}${dataText(c)}` : '';
        return `drops its reference on descriptor ${fd} (counter ${cnt(c, fd)} -> ${cnt(c, fd) - 1})${last}${ret}`;
      },
    },
    LibcDropsTableReference: {
      from: 'libc (close)',
      to: 'translation-table entry counter',
      description: "close: drop the table's and the call's references",
      label: (c, target) => {
        const fd = get(c, 'fd');
        return target === 'closeCall'
          ? `close: drops descriptor ${fd}'s references (counter ${cnt(c, fd)} -> ${cnt(c, fd) - 2}: closing)`
          : `close: drops descriptor ${fd}'s references (counter ${cnt(c, fd)} -> ${cnt(c, fd) - 2}); another thread still uses it, so the real close is left to it; returns 0`;
      },
    },
    LibcClosesLocally: {
      from: 'libc (sclib_file_close)',
      to: 'primary kernel',
      description: 'close the descriptor in the primary kernel',
      label: (c) => `closes primary dfd ${get(c, 'dfd')} (descriptor ${get(c, 'fd')})`,
    },
    LibcSubmitsClose: {
      from: 'libc (sclib_file_close)',
      to: 'service domain (request slot)',
      description: 'submit close of the remote descriptor',
      label: (c) => `submits close(dfd ${get(c, 'dfd')}) to the ${DOMAINS[get(c, 'dom')]} domain (descriptor ${get(c, 'fd')})`,
    },
    LibcCollectsClose: {
      from: 'libc',
      to: 'request slot',
      description: "read the service domain's answer to a close",
      label: () => 'collects the answer to the close',
    },
    LibcFreesDescriptor: {
      from: 'libc',
      to: 'translation-table entry, bitmap',
      description: "clear the entry's dfd and set its bit free",
      label: (c, target) => (target === 'toggleStore' ? `clears descriptor ${get(c, 'fd')}'s dfd and loads the bitmap to free it (plain load: the bug)` : `clears descriptor ${get(c, 'fd')}'s dfd and sets it free in the bitmap`),
    },
    LibcReleasesEntry: {
      from: 'libc',
      to: 'translation-table entry counter',
      description: 'subtract 2: the entry is free',
      label: (c, target) => `frees descriptor ${get(c, 'fd')} (counter 2 -> 0)${target === 'fetch' ? ` and returns ${resText(c)}${dataText(c)}` : ''}`,
    },
    LibcLocksTarget: {
      from: 'libc (sclib_replace_lock_fd)',
      to: "dup2 target's counter",
      description: 'lock the target entry',
      label: (c, target) => `locks dup2's target ${get(c, 'fd2')} (counter ${cnt(c, get(c, 'fd2'))} -> 1)${target === 'replaceClose' ? `: it holds ${domName(c.s[LB(c).dom + get(c, 'fd2')])} dfd ${c.s[LB(c).dfd + get(c, 'fd2')]}` : ': it was free'}`,
    },
    LibcSkipsReplacedClose: {
      from: 'libc (dup2-noclose bug)',
      to: '-',
      description: "the replaced descriptor's old dfd is not closed",
      label: (c) => `does not close the replaced ${domName(get(c, 'odom'))} dfd ${get(c, 'odfd')} (the bug)`,
    },
    LibcClosesReplacedLocally: {
      from: 'libc',
      to: 'primary kernel',
      description: "close dup2's replaced local descriptor",
      label: (c) => `closes the replaced primary dfd ${get(c, 'odfd')}`,
    },
    LibcSubmitsReplacedClose: {
      from: 'libc',
      to: 'service domain (request slot)',
      description: "submit the close of dup2's replaced remote descriptor",
      label: (c) => `submits close(dfd ${get(c, 'odfd')}) of the replaced descriptor to the ${DOMAINS[get(c, 'odom')]} domain`,
    },
    LibcInstallsReplacement: {
      from: 'libc (sclib_file_replace)',
      to: 'translation-table entry',
      description: 'install the duplicate at the target (counter + 2)',
      label: (c) => `installs descriptor ${get(c, 'fd2')} -> ${domName(get(c, 'dom'))} dfd ${get(c, 'ndfd')} (counter 1 -> 3) and returns ${get(c, 'fd2')}`,
    },
    LibcSplitsPoll: {
      from: 'libc (poll/select)',
      to: 'translation-table entries',
      description: 'take references on the watched descriptors and split them by domain',
      label: (c, target) => {
        const parts: string[] = [];
        for (let k = 0; k < npos(c); k++) {
          const fd = get(c, k === 0 ? 'fd' : 'fd2');
          parts.push(validFd(c, fd) ? `${fd} -> ${domName(c.s[LB(c).dom + fd])}` : `${fd} -> POLLNVAL`);
        }
        return `splits the watched descriptors: ${parts.join(', ')}${target === 'pollPut' ? (callIs(c, 'select') && get(c, 'err') === 0 ? '' : '') : ''}`;
      },
    },
    LibcSubmitsPollPart: {
      from: 'libc (poll/select)',
      to: 'service domain (request slot)',
      description: "submit one domain's asynchronous service poll (watching that domain's eventfd too when several domains are involved)",
      label: (c) => {
        const d = nextRemotePart(c);
        const dfds: number[] = [];
        for (let k = 0; k < npos(c); k++) if (posDom(c, k) === d) dfds.push(posDfd(c, k));
        return `submits service poll(dfd ${dfds.join(', ')}${useEfd(c) ? ', its eventfd' : ''}) to the ${DOMAINS[d]} domain`;
      },
    },
    ThreadPollsInPrimaryKernel: {
      from: 'thread',
      to: 'primary kernel',
      description: 'poll the local part (local descriptors and the local eventfd)',
      label: (c, target) => (target === 'pollKick' ? `polls locally: ${pollWakeText(c)}` : `polls locally: nothing ready, blocks`),
    },
    PollTimesOut: {
      from: 'timer',
      to: 'thread (local poll)',
      description: "the poll's timeout expires in the local part",
      label: () => 'local poll times out',
    },
    LibcKicksDomains: {
      from: 'libc (service_notify)',
      to: 'eventfds of the service domains',
      description: 'kick the eventfd of every domain whose part has not answered',
      label: (c) => {
        const k = useEfd(c) ? remoteParts(c).filter((d) => !rpcDone(c, d)) : [];
        return k.length ? `kicks the eventfd of the ${k.map((d) => DOMAINS[d]).join(' and ')} domain${k.length > 1 ? 's' : ''}` : 'has no domain left to kick';
      },
    },
    LibcCollectsPollParts: {
      from: 'libc (poll/select)',
      to: 'request slots',
      description: 'collect every remote part and merge the answers; clear any kick left in their eventfds (one that arrived after the part had returned)',
      label: (c) => {
        const copy = c.s.slice();
        const ctx: Ctx = { ...c, s: copy };
        mergePoll(ctx);
        return `collects the answers and merges: ${copy[TH(c).err] ? `-1 ${errName(copy[TH(c).err])}` : `${copy[TH(c).res]} ready (positions ${maskText(copy[TH(c).data], npos(c))})`}`;
      },
    },
    LibcDropsPollReference: {
      from: 'libc (poll/select)',
      to: 'translation-table entry counter',
      description: 'drop the reference on a watched descriptor',
      label: (c, target) => {
        if (target === 'fetch') return `returns ${resText(c)}${get(c, 'err') ? '' : ` (ready positions ${maskText(get(c, 'data'), npos(c))})`}`;
        const k = get(c, 'cur');
        const fd = get(c, k === 0 ? 'fd' : 'fd2');
        return posDom(c, k) >= 0 ? `drops its reference on descriptor ${fd} (counter ${cnt(c, fd)} -> ${cnt(c, fd) - 1})` : `skips position ${k + 1} (POLLNVAL)`;
      },
    },
    LibcSubmitsSetuid: {
      from: 'libc (SCLIB_ALL_SIMPLE_CALL)',
      to: 'service domain (request slot)',
      description: 'submit the credential change to a service domain',
      label: (c) => `submits setuid(${INS(c)!.uid}) to the ${get(c, 'cur') === 0 ? 'network' : 'storage'} domain`,
    },
    LibcCollectsSetuid: {
      from: 'libc',
      to: 'request slots',
      description: "collect both domains' answers to setuid",
      label: (c) => `collects both domains' answers to setuid and returns ${rpcErr(c) || get(c, 'err') ? `-1 ${errName(rpcErr(c) || get(c, 'err'))}` : '0'}`,
    },
    LibcReturnsFromFork: {
      from: 'libc (__internal_sys_clone_parent)',
      to: 'thread',
      description: 'the child has registered: fork returns its pid',
      label: (c) => `fork returns ${childOf(c) + 1} (child P${childOf(c) + 1} registered)`,
    },
    LibcRestoresDescriptor: {
      from: 'libc (sclib_file_exec)',
      to: 'translation-table entry',
      description: 'after execve, close a close-on-exec entry (remotely if remote) or mark it ready again',
      label: (c, target) => {
        const fd = get(c, 'cur');
        if (target === 'fetch') return 'execve returns into the new image';
        const d = c.s[LB(c).dom + fd];
        if (target === 'execAwait') return `descriptor ${fd} is close-on-exec: submits close(dfd ${c.s[LB(c).dfd + fd]}) to the ${DOMAINS[d]} domain`;
        if (c.s[LB(c).dfd + fd] < 0) return `descriptor ${fd} is free`;
        if (c.s[LB(c).flags + fd]) return d === LOC ? `descriptor ${fd} is close-on-exec and local: the kernel closed it at execve; entry freed` : `descriptor ${fd} is close-on-exec: entry freed without closing ${DOMAINS[d]} dfd ${c.s[LB(c).dfd + fd]} (the bug)`;
        return `descriptor ${fd} stays open -> ${domName(d)} dfd ${c.s[LB(c).dfd + fd]}`;
      },
    },
    ProcessRemoved: {
      from: 'storage and network domains',
      to: 'primary domain',
      description: 'every service domain has processed REMOVE: the process is gone',
      label: (c) => `P${PROC(c) + 1} is removed from every domain`,
    },
    ThreadTakesSignal: {
      from: 'kernel (signal delivery)',
      to: 'thread',
      description: 'the pending signal is delivered; its handler runs; a wait in a kernel is interrupted unless SA_RESTART',
      label: (c, target) => {
        const pc = posixThread.states[c.s[TH(c).pc]].name;
        if (target === 'put' || (target === 'pollKick' && pc === 'pollLocalWait')) return 'takes the signal: the call blocked in the primary kernel returns EINTR';
        if (!get(c, 'inCall') || !WAITING.has(pc)) return 'takes the signal: the handler runs (no call is waiting)';
        if (restart(c)) return 'takes the signal: the handler runs and the wait restarts (SA_RESTART)';
        const flagged = [NET, STO].filter((d) => c.s[RPC(c, d).st] === 1 || c.s[RPC(c, d).st] === 2);
        return flagged.length
          ? `takes the signal: marks its ${flagged.map((d) => DOMAINS[d]).join(' and ')} request${flagged.length > 1 ? 's' : ''} and sends a signal record`
          : 'takes the signal: the handler runs (its requests are answered already)';
      },
    },
  },
});

function execRemoteCloexec(c: Ctx): boolean {
  const fd = get(c, 'cur');
  return fd < nDesc(c) && c.s[LB(c).dfd + fd] >= 0 && c.s[LB(c).flags + fd] !== 0 && c.s[LB(c).dom + fd] !== LOC;
}

function rpcErr(c: Ctx): number {
  for (const d of [NET, STO]) if (c.s[RPC(c, d).err]) return c.s[RPC(c, d).err];
  return 0;
}

/** The call as the label shows it before `begin` resolved the registers. */
function callTextPreview(c: Ctx, i: Instr): string {
  const show = (f: FdArg | undefined) => (typeof f === 'object' ? `${fmtFdArg(f)}=${resolveFd(c, f)}` : String(f));
  switch (i.call) {
    case 'read':
    case 'write':
    case 'send':
    case 'recv':
      return `${i.call}(${show(i.fd)}, ${i.n})`;
    case 'close':
    case 'dup':
    case 'connect':
    case 'mmap':
      return `${i.call}(${show(i.fd)})`;
    case 'dup2':
      return `dup2(${show(i.fd)}, ${i.fd2})`;
    case 'poll':
    case 'select':
      return `${i.call}([${i.fds!.map(show).join(', ')}], ${i.timeout ? 'timeout' : 'no timeout'})`;
    default:
      return instrText(i);
  }
}

const unpack = (data: number, n: number) => {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    out.push(data % 64);
    data = Math.floor(data / 64);
  }
  return out;
};
const dataText = (c: Ctx) => (callIs(c, 'read', 'recv') && !get(c, 'err') && get(c, 'res') > 0 ? ` bytes [${unpack(get(c, 'data'), get(c, 'res')).join(', ')}]` : '');
const bits = (b: number, n: number) => `${Array.from({ length: n }, (_, i) => ((b >> i) & 1 ? 'F' : 'u')).join('')}`;
const maskText = (m: number, n: number) => {
  const out: number[] = [];
  for (let k = 0; k < n; k++) if (m & (1 << k)) out.push(k + 1);
  return out.length ? out.join(', ') : 'none';
};
function pollWakeText(c: Ctx): string {
  const a = localPollAnswer(c);
  if (a) return `local descriptor ready (positions ${maskText(a, npos(c))})`;
  return 'the local eventfd was kicked by a remote answer';
}

