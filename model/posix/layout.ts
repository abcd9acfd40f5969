/**
 * Word offsets of the POSIX layer's state, appended after the dispatch model's words (layout.ts).
 * What the words mean is documented here, field by field; the components that write them say when.
 *
 * The state is: per process, its libc translation table; per thread, its control state and the
 * registers of the call in progress; per thread and service domain, one request slot (the remote
 * call in flight, see domain-worker.ts for why one slot models the dispatch transport); the three
 * kernels (network, storage, primary domain); and the ghost call history the properties read.
 */
import { KernelLayout, LOC, NET, STO, type KernelShape } from './kernel.ts';
import type { PosixConfig } from './config.ts';
import { PATHS, slotCode, type Instr } from './program.ts';

/** The libc-sclib translation table of one process (sclib_file_table_t), and its life cycle. */
export interface LibcLayout {
  /** per descriptor: reference counter, 0 free, 1 allocating/locked, 2 closing, 3 + users ready */
  cnt: number;
  /** per descriptor: the owning domain's descriptor number (dfd), -1 if none */
  dfd: number;
  /** per descriptor: the owning domain (sysid) */
  dom: number;
  /** per descriptor: SCLIB_FD_EXEC (close-on-exec) */
  flags: number;
  /** the free-descriptor bitmap (bit i set: descriptor i free), changed by atomic XOR */
  bitmap: number;
  /** 0 not created, 1 registering with the service domains, 2 running, 3 exiting, 4 exited */
  pstate: number;
  /** composed system (recovery on), per descriptor: the incarnation of its domain it was opened in (-1 local or free) */
  ep: number;
  /** ghost, per descriptor: the same, as the model knows it whatever the library does (the restart-descriptors property reads it) */
  gep: number;
  /** threads of the process that have not finished */
  live: number;
}

export interface PThreadLayout {
  /** control state (index into the posix-thread machine's states) */
  pc: number;
  /** next instruction of the thread's program */
  ip: number;
  /** a signal is pending for the thread */
  pend: number;
  /** the thread is inside a call (between invocation and return) */
  inCall: number;
  /** the call's descriptor argument (resolved) */
  fd: number;
  /** dup2: target descriptor; poll: second descriptor */
  fd2: number;
  /** the remote (or local kernel) descriptor the call uses */
  dfd: number;
  /** the domain executing the call */
  dom: number;
  /** the descriptor the domain created (open, socket, dup), to be installed */
  ndfd: number;
  /** descriptor being allocated (sclib_file_add) */
  cand: number;
  /** result being returned, errno, bytes (packed) */
  res: number;
  err: number;
  data: number;
  /** where the closing path returns to (a continuation code) */
  cont: number;
  /** loop cursor (exec's scan, poll's puts, setuid's submissions) */
  cur: number;
  /** lowest-free-race bug: the bitmap word loaded by a non-atomic toggle, and where to go after the store */
  tmp: number;
  tbit: number;
  tcont: number;
  /** poll: per watched position, its domain (-1: POLLNVAL) and remote descriptor */
  pd0: number;
  pd1: number;
  pf0: number;
  pf1: number;
  /** poll: domains involved (bit per domain) */
  pmask: number;
  /** poll: the local part's answer (bit per position) */
  ploc: number;
  /** poll: the local part returned */
  pdone: number;
  /** poll: a part timed out / was interrupted */
  ptime: number;
  pintr: number;
  /** dup2: the replaced entry existed, and its old descriptor and domain */
  old: number;
  odfd: number;
  odom: number;
  /** composed system: the incarnation the new descriptor (ndfd) was made in, to tag it when installed (-1 offset otherwise) */
  nep: number;
}

/** One request slot: a thread's remote call to one service domain. */
export interface RpcLayout {
  /** control state of the domain's worker serving this slot (index into its machine's states) */
  wpc: number;
  /** 0 idle, 1 submitted, 2 picked and blocked in the service domain, 3 done */
  st: number;
  /** the call (a call code, or REGISTER/REMOVE) */
  op: number;
  /** arguments */
  a0: number;
  a1: number;
  a2: number;
  /** result, errno, bytes */
  res: number;
  err: number;
  data: number;
  /** the signal flag of the entry (set by the caller when a signal arrives) */
  sig: number;
  /** poll: ended by its timeout */
  timed: number;
  /** composed system (recovery on): the call holds a frontend reference */
  ref: number;
  /** composed system: the incarnation of the domain it was submitted to */
  ep: number;
  /** composed system, ghost: the descriptor's incarnation as the model knows it (gep), -1 for a call on no descriptor */
  gep: number;
  /** composed system, ghost: who wrote the answer: 0 nobody yet, 1 the domain's kernel (served), 2 the frontend or library (failure) */
  src: number;
}

/** Ghost record of one call of one thread: what the history checks read. */
export interface RecordLayout {
  /** history times (ticks) of invocation and response; -1 not yet */
  inv: number;
  ret: number;
  res: number;
  err: number;
  data: number;
  /** allocating calls: the descriptor number reserved and when (tick); close: the number and when it became unusable; -1 none */
  rsv: number;
  rt: number;
  /** dup/dup2: when the source descriptor was taken (its reference, and with it the file); open: when
   *  its domain opened the file (permission check, creation); -1 not yet */
  gt: number;
  /** resolved descriptor arguments (exec: open and close-on-exec descriptors before it, as masks) */
  a0: number;
  a1: number;
  /** REC_* bits */
  flags: number;
  /** route bits (routing.ts) */
  route: number;
}

export const REC_SIG_WAITING = 1; // a signal was taken while the call waited in a kernel
export const REC_EFFECT = 2; // a kernel executed the call's operation
export const REC_TIMEDOUT = 4; // poll/select: a timeout expired
export const REC_DEFERRED = 8; // close: another thread held the descriptor, the real close was deferred
export const REC_RELAXED = 16; // reserved for checks: the call overlapped a setuid of its process
export const REC_CLAIMED_LATE = 32; // open/socket/dup: the number claimed was not the lowest free one at the claim (differences.ts: allocation-claims-number-found-earlier)

export interface PosixLayout {
  cfg: PosixConfig;
  /** thread slots: P1's threads, then one per child */
  slots: number;
  procs: number;
  /** each slot's program */
  code: Instr[][];
  libc: LibcLayout[];
  thread: PThreadLayout[];
  /** rpc[slot][d] for d = NET, STO */
  rpc: RpcLayout[][];
  /** rec[slot][k]: the k-th call of the slot */
  rec: RecordLayout[][];
  /** the history clock */
  tick: number;
  /** the first documented difference that cuts the history: its tick (-1 none) and its code */
  cut: number;
  cutWhy: number;
  /** a translation-table counter went below 0 (a close of a descriptor whose close was deferred) */
  underflow: number;
  /** kernels by domain id: NET, STO, LOC */
  kernel: KernelLayout[];
  /** procSlots[p]: the thread slots of process p (slotsOfProc) */
  procSlots: readonly (readonly number[])[];
  /** first word after the layer */
  end: number;
}

export const REGISTER = 100;
export const REMOVE = 101;

export const procOfSlot = (PL: PosixLayout, t: number) => (t < PL.cfg.threads ? 0 : 1 + t - PL.cfg.threads);
/** The thread slots of process p: P1's threads, or a child's one slot (one array per layout, read only). */
export const slotsOfProc = (PL: PosixLayout, p: number): readonly number[] => PL.procSlots[p];

/** Descriptor slots of a domain kernel's table: the libc's descriptors plus room for calls in flight. */
export const domainFds = (c: PosixConfig) => c.descriptors + c.threads + 1;

export function kernelShape(c: PosixConfig, domain: number): KernelShape {
  const procs = 1 + c.forks;
  const fds = domainFds(c);
  const ofds = procs * fds;
  return {
    name: ['network', 'storage', 'primary'][domain],
    domain,
    procs,
    fds,
    threads: c.threads + c.forks,
    ofds,
    inodes: domain === NET ? 0 : PATHS.length + ofds,
    sockets: domain === STO ? 0 : ofds,
    names: PATHS.length,
    bytes: c.fileBytes,
  };
}

/** Who wrote a request's answer (RpcLayout.src). */
export const SRC_NONE = 0;
export const SRC_DOMAIN = 1;
export const SRC_FRONTEND = 2;

/**
 * `recovery`: the composed system's words for crashes and restarts (incarnation tags, references,
 * answer origins) exist only then, so that the POSIX layer alone lays out as before (they are -1
 * offsets otherwise, never read).
 */
export function makePosixLayout(c: PosixConfig, base: number, recovery = false): PosixLayout {
  let at = base;
  const word = () => at++;
  const words = (n: number) => {
    const w = at;
    at += n;
    return w;
  };
  const D = c.descriptors;
  const slots = c.threads + c.forks;
  const procs = 1 + c.forks;
  const libc: LibcLayout[] = [];
  for (let p = 0; p < procs; p++) libc.push({ cnt: words(D), dfd: words(D), dom: words(D), flags: words(D), bitmap: word(), pstate: word(), live: word(), ep: -1, gep: -1 });
  const names = ['pc', 'ip', 'pend', 'inCall', 'fd', 'fd2', 'dfd', 'dom', 'ndfd', 'cand', 'res', 'err', 'data', 'cont', 'cur', 'tmp', 'tbit', 'tcont', 'pd0', 'pd1', 'pf0', 'pf1', 'pmask', 'ploc', 'pdone', 'ptime', 'pintr', 'old', 'odfd', 'odom'] as const;
  const thread: PThreadLayout[] = [];
  for (let t = 0; t < slots; t++) {
    const o = {} as Record<(typeof names)[number], number>;
    for (const n of names) o[n] = word();
    thread.push({ ...o, nep: -1 });
  }
  const rpcNames = ['wpc', 'st', 'op', 'a0', 'a1', 'a2', 'res', 'err', 'data', 'sig', 'timed'] as const;
  const rpc: RpcLayout[][] = [];
  for (let t = 0; t < slots; t++) {
    const row: RpcLayout[] = [];
    for (let d = 0; d < 2; d++) {
      const o = {} as Record<(typeof rpcNames)[number], number>;
      for (const n of rpcNames) o[n] = word();
      row.push({ ...o, ref: -1, ep: -1, gep: -1, src: -1 });
    }
    rpc.push(row);
  }
  const recNames = ['inv', 'ret', 'res', 'err', 'data', 'rsv', 'rt', 'gt', 'a0', 'a1', 'flags', 'route'] as const;
  const rec: RecordLayout[][] = [];
  for (let t = 0; t < slots; t++) {
    const row: RecordLayout[] = [];
    for (let k = 0; k < c.calls; k++) {
      const o = {} as Record<(typeof recNames)[number], number>;
      for (const n of recNames) o[n] = word();
      row.push(o);
    }
    rec.push(row);
  }
  if (recovery) {
    for (const th of thread) th.nep = word();
    for (const lc of libc) {
      lc.ep = words(D);
      lc.gep = words(D);
    }
    for (const row of rpc) for (const q of row) for (const k of ['ref', 'ep', 'gep', 'src'] as const) q[k] = word();
  }
  const tick = word();
  const cut = word();
  const cutWhy = word();
  const underflow = word();
  const kernel: KernelLayout[] = [];
  for (const d of [NET, STO, LOC]) {
    const K = new KernelLayout(kernelShape(c, d), at);
    at += K.size;
    kernel.push(K);
  }
  // checked on every step by the properties: built once, not on every call
  const procSlots = Array.from({ length: procs }, (_, p) => Object.freeze(p === 0 ? Array.from({ length: c.threads }, (_, t) => t) : [c.threads + p - 1]));
  return { cfg: c, slots, procs, code: slotCode(c.program, c.threads, c.forks), libc, thread, rpc, rec, tick, cut, cutWhy, underflow, kernel, procSlots, end: at };
}
