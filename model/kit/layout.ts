/**
 * The whole system state is one flat array of 32-bit words, like the shared memory it models: every
 * shared word (a stamped top counts as two adjacent words changed together by one double-width CAS),
 * every actor's control state and registers, and the ghost variables the properties read. A state is
 * never changed in place; a step copies the array and writes the copy. The flat form is the canonical
 * serialisation (equal states have equal words) and makes copying and hashing cheap; `decode` in
 * system.ts turns it into named fields for traces and people.
 *
 * This file only assigns word offsets; what the words mean is documented where they are declared.
 */
import { transportOf, type Config } from './config.ts';
import { makePosixLayout, type PosixLayout } from '../posix/layout.ts';
import { layoutIsolation, type IsolationLayout } from '../isolation/layout.ts';
import { layoutRecovery, type RecoveryLayout } from '../recovery/layout.ts';

export const NIL = -1;

/**
 * The index of a word a configuration does not lay out (the lock-free queue's words with the atomic
 * queue): negative, and far enough below 0 that an element of such an array field (base + i) is
 * negative too, so that reading it is caught (tests/model.test.ts) and writing it changes nothing.
 */
export const ABSENT = -(2 ** 30);

/** Call id byte of a request entry, as in the VirtuOS code. */
export const ID_EMPTY = 0;
export const ID_CALL = 1; // ordinary call (the model's `write`)
export const ID_SEND = 2; // send on the process's socket pair: unblocks a recv
export const ID_RECV = 3; // recv: blocks in the service domain until a send has run
export const ID_RQUEUE = 0x80; // SYSCALL_ENTRY_RQUEUE: the caller stopped spinning
export const ID_DONE = 0xff; // SYSCALL_ENTRY_DONE

/** Ghost `seen` of a request whose call failed with its domain (composed system): never read back, never to be executed. */
export const SEEN_FAILED = -1;

/** Wake word of the service domain, packed into one word so that one CAS changes it. */
export const WAKE_RUNNING_MASK = 0xff; // running workers
export const WAKE_SLEEPING_SHIFT = 8; // sleeping workers, 8 bits
export const WAKE_REQUESTED = 1 << 16;
export const WAKE_IN_PROGRESS = 1 << 17;

export const wakeRunning = (w: number) => w & WAKE_RUNNING_MASK;
export const wakeSleeping = (w: number) => (w >> WAKE_SLEEPING_SHIFT) & 0xff;
export const wakeWord = (running: number, sleeping: number, requested: boolean, inProgress: boolean) =>
  running | (sleeping << WAKE_SLEEPING_SHIFT) | (requested ? WAKE_REQUESTED : 0) | (inProgress ? WAKE_IN_PROGRESS : 0);

class Alloc {
  size = 0;
  word(): number {
    return this.size++;
  }
  words(n: number): number {
    const at = this.size;
    this.size += n;
    return at;
  }
}

/** Offsets of one process's shared regions (request area, ready queue) and its shadow process. */
export interface ProcessLayout {
  freeTop: number; // free_top {index, stamp}: two words
  allocTop: number; // alloc_top {index, stamp}
  next: number; // next[entries]: link of both Treiber stacks
  id: number; // call id byte per entry (EMPTY, CALL|SEND|RECV, |RQUEUE, DONE)
  seq: number; // sequence number per entry
  arg: number; // args[0] per entry; the worker overwrites it with the result
  owner: number; // the waiting thread's handle per entry
  waiters: number; // ready queue `waiters`: kernel threads in rqueue_wait
  // Michael-Scott ready queue (lockfree): nodes 0..threads+1, node 0 the first dummy; with the
  // atomic queue these words are not laid out (ABSENT), and neither are the registers only the lock-free
  // queue's steps use (MS_KERNEL_REGISTERS, MS_WORKER_REGISTERS)
  head: number; // {index, stamp}
  tail: number; // {index, stamp}
  nodeValue: number; // handle per node
  nodeNext: number; // {index, stamp} per node (two words each)
  poolTop: number; // free-node pool, a Treiber stack {index, stamp}
  poolNext: number; // link of the pool per node
  // atomic ready queue
  rqLen: number;
  rq: number; // handles, rq[0] is the head
  // shadow process in the service domain
  tokens: number; // sends executed and not yet consumed by a recv
  liveWorkers: number; // workers spawned
  idleWorkers: number; // workers not executing a request
}

export interface ThreadLayout {
  pc: number; // control state (index into the user-thread machine's states)
  att: number; // kernel thread running this user thread, or NIL
  e: number; // entry held
  ti: number; // loaded top index
  ts: number; // loaded top stamp
  nx: number; // loaded next
  sp: number; // DONE checks made
  k: number; // calls completed
  got: number; // result read back (0 = not read)
  wl: number; // loaded wake word
}

export interface KernelLayout {
  pc: number;
  cur: number; // user thread it runs, or NIL
  reg: number; // registered on the process wait queue (rqueue_wait)
  pend: number; // woken by a notification
  hi: number; // loaded head {index, stamp}
  hs: number;
  ti: number; // loaded tail
  ts: number;
  ni: number; // loaded next of head {index, stamp}
  ns: number;
  v: number; // dequeued handle
  pi: number; // loaded pool top {index, stamp} (freeing the old dummy)
  ps: number;
  fn: number; // node being freed
}

export interface WorkerLayout {
  pc: number;
  e: number; // entry being served
  ti: number;
  ts: number;
  nx: number;
  r: number; // argument loaded (request number + 1)
  old: number; // call id loaded (lostwake variant)
  h: number; // handle to enqueue
  wz: number; // waiters loaded (waiters-early variant)
  polls: number; // empty polls so far
  woken: number; // set by the backend's wake-event handler
  wl: number; // loaded wake word
  n: number; // node taken from the pool
  qi: number; // loaded tail {index, stamp}
  qs: number;
  ni: number; // loaded next of tail {index, stamp}
  ns: number;
  spawn: number; // set by the spawning worker
}

/**
 * One service domain's instance of the dispatch protocol: its wake page, its event channels with the
 * primary domain, its notify ring and the frontend's and backend's registers for it. The dispatch
 * model alone has one (the storage domain's); when POSIX calls travel through the dispatch machines
 * there are two, storage then network, each with its own dispatch processes (a request area, a ready
 * queue and a shadow process per program process), threads, kernel threads and workers.
 */
export interface DispatchDomain {
  /** the service id of _syscall.h: network 0, storage 1 */
  service: number;
  wake: number; // the wake word
  evtToService: number; // event-channel pending bit: primary -> service domain (wake)
  evtToPrimary: number; // event-channel pending bit: service -> primary domain (notify)
  ringLen: number;
  ring: number; // notify records: the dispatch process each
  frontend: { pc: number; rec: number };
  backend: { pc: number; wl: number };
  /** the incarnation of the service domain this instance's shared regions were set up for (recovery; -1 before the first connection) */
  epoch: number;
}

/** Service ids (as _syscall.h numbers them): the dispatch model alone serves the storage domain. */
export const SERVICE_NETWORK = 0;
export const SERVICE_STORAGE = 1;

/** Dispatch instances in a configuration: two when POSIX calls travel through the dispatch machines, else one. */
export const dispatchDomainCount = (cfg: Config) => (transportOf(cfg) === 'dispatch' ? 2 : 1);

export interface Layout {
  cfg: Config;
  size: number;
  /** ready-queue nodes per process (capacity threads+1, plus the dummy) */
  nodes: number;
  /** total requests: dispatch processes x threads x calls */
  requests: number;
  /** dispatch processes: the `processes` of each dispatch domain in turn (dispatch process q is process q % processes of dd[q / processes]) */
  proc: ProcessLayout[];
  /** the dispatch domains (storage first); the words below are dd[0]'s, the dispatch model's one service domain */
  dd: DispatchDomain[];
  // service domain (the first): its wake page, event channels and the notify ring
  wake: number; // the wake word
  evtToService: number; // event-channel pending bit: primary -> service domain (wake)
  evtToPrimary: number; // event-channel pending bit: service -> primary domain (notify)
  ringLen: number;
  ring: number; // notify records: the pid (process index) each
  // ghost
  execd: number; // executions per request
  seen: number; // result the caller read back, per request (0 = not read yet)
  fault: number; // a kernel thread dequeued a value that names no thread of its process (only a broken queue does): that dispatch process + 1
  thread: ThreadLayout[];
  kernel: KernelLayout[];
  worker: WorkerLayout[];
  frontend: { pc: number; rec: number };
  backend: { pc: number; wl: number };
  /** the POSIX layer's words (model/posix/layout.ts), after all of the above; null when the layer is off */
  posix: PosixLayout | null;
  /** the isolation layer's words (isolation-layout.ts), after all of the above; null when the layer is off */
  iso: IsolationLayout | null;
  /** the failure-and-recovery layer's words (recovery-layout.ts), after everything else; null when the layer is off */
  rec: RecoveryLayout | null;
}

/** Words for the named fields in order; the fields of `absent` get none (ABSENT). */
function fields<T extends string>(a: Alloc, names: readonly T[], absent: readonly string[] = []): Record<T, number> {
  const out = {} as Record<T, number>;
  for (const n of names) out[n] = absent.includes(n) ? ABSENT : a.word();
  return out;
}

/**
 * Registers only the lock-free ready queue's steps use (primary-kernel.ts: the dequeue's loaded head,
 * tail, next and pool top and the node being freed; worker-pool.ts: the enqueue's node and loaded
 * tail and next). With the atomic queue they are not laid out, nor are the queue's nodes, head, tail
 * and pool: a state is then a third smaller at the SPIN anchor's sizes, and the exhaustive search,
 * which copies and packs every successor whole, correspondingly faster. Every other word of a
 * configuration is laid out whether or not its steps ever touch it.
 */
export const MS_KERNEL_REGISTERS = ['hi', 'hs', 'ti', 'ts', 'ni', 'ns', 'pi', 'ps', 'fn'] as const;
export const MS_WORKER_REGISTERS = ['n', 'qi', 'qs', 'ni', 'ns'] as const;

export function makeLayout(cfg: Config): Layout {
  const a = new Alloc();
  const T = cfg.threads;
  const E = cfg.entries;
  // Ready-queue capacity: one more handle than threads, so that a handle queued twice (a bug) is
  // still representable and the property sees it instead of the enqueue blocking on a full queue.
  const N = T + 2; // nodes: capacity plus the dummy
  const D = dispatchDomainCount(cfg);
  const proc: ProcessLayout[] = [];
  const ms = cfg.readyQueue === 'lockfree';
  const msWords = (n: number) => (ms ? a.words(n) : ABSENT);
  for (let p = 0; p < D * cfg.processes; p++) {
    proc.push({
      freeTop: a.words(2),
      allocTop: a.words(2),
      next: a.words(E),
      id: a.words(E),
      seq: a.words(E),
      arg: a.words(E),
      owner: a.words(E),
      waiters: a.word(),
      head: msWords(2),
      tail: msWords(2),
      nodeValue: msWords(N),
      nodeNext: msWords(2 * N),
      poolTop: msWords(2),
      poolNext: msWords(N),
      rqLen: a.word(),
      rq: a.words(T + 1),
      tokens: a.word(),
      liveWorkers: a.word(),
      idleWorkers: a.word(),
    });
  }
  const dd: DispatchDomain[] = [];
  for (let d = 0; d < D; d++) {
    const wake = a.word();
    const evtToService = a.word();
    const evtToPrimary = a.word();
    const ringLen = a.word();
    const ring = a.words(cfg.ringCapacity);
    dd.push({ service: d === 0 ? SERVICE_STORAGE : SERVICE_NETWORK, wake, evtToService, evtToPrimary, ringLen, ring, frontend: { pc: -1, rec: -1 }, backend: { pc: -1, wl: -1 }, epoch: -1 });
  }
  const requests = D * cfg.processes * T * cfg.calls;
  const execd = a.words(requests);
  const seen = a.words(requests);
  const fault = a.word();
  const thread: ThreadLayout[] = [];
  for (let i = 0; i < D * cfg.processes * T; i++) thread.push(fields(a, ['pc', 'att', 'e', 'ti', 'ts', 'nx', 'sp', 'k', 'got', 'wl'] as const));
  const kernel: KernelLayout[] = [];
  for (let i = 0; i < D * cfg.processes * cfg.kernelThreads; i++)
    kernel.push(fields(a, ['pc', 'cur', 'reg', 'pend', 'hi', 'hs', 'ti', 'ts', 'ni', 'ns', 'v', 'pi', 'ps', 'fn'] as const, ms ? [] : MS_KERNEL_REGISTERS));
  const worker: WorkerLayout[] = [];
  for (let i = 0; i < D * cfg.processes * cfg.workers; i++)
    worker.push(fields(a, ['pc', 'e', 'ti', 'ts', 'nx', 'r', 'old', 'h', 'wz', 'polls', 'woken', 'wl', 'n', 'qi', 'qs', 'ni', 'ns', 'spawn'] as const, ms ? [] : MS_WORKER_REGISTERS));
  for (const x of dd) {
    x.frontend = fields(a, ['pc', 'rec'] as const);
    x.backend = fields(a, ['pc', 'wl'] as const);
  }
  // the second instance's incarnation word only exists with it, so that one instance lays out as before
  if (D > 1) for (const x of dd) x.epoch = a.word();
  const { wake, evtToService, evtToPrimary, ringLen, ring, frontend, backend } = dd[0];
  const iso = cfg.isolation ? layoutIsolation(a, cfg, dd) : null;
  const rec = cfg.recovery ? layoutRecovery(a, cfg) : null;
  const posix = cfg.posix ? makePosixLayout(cfg.posix, a.size, cfg.recovery) : null;
  const size = posix ? posix.end : a.size;
  return { cfg, size, nodes: N, requests, proc, dd, wake, evtToService, evtToPrimary, ringLen, ring, execd, seen, fault, thread, kernel, worker, frontend, backend, posix, iso, rec };
}

/** Dispatch domain index of dispatch process q. */
export const domainOfProc = (L: Layout, q: number) => Math.floor(q / L.cfg.processes);
/** Dispatch process of a program process in dispatch domain d. */
export const dispatchProc = (L: Layout, d: number, p: number) => d * L.cfg.processes + p;

/** The POSIX thread slot a dispatch thread carries the calls of (transport dispatch), or -1 for one no slot uses (see posix/carry.ts). */
export function slotOfDispatchThread(L: Layout, t: number): number {
  const T = L.cfg.threads;
  const p = Math.floor(t / T) % L.cfg.processes;
  const local = t % T;
  if (p === 0) return local;
  return local === 0 ? T + p - 1 : -1;
}

/**
 * Names of the dispatch actors in traces: T1, K1, W1, F and B with one instance. With one instance per
 * service domain (POSIX calls carried) each name says the domain, /S or /N: a user thread is named
 * after the POSIX thread whose calls it carries (T1/S carries T1's storage calls; a thread no POSIX
 * thread uses is U<n>), kernel threads and workers are numbered within their domain.
 */
export function dispatchActorName(L: Layout, kind: 'T' | 'K' | 'W' | 'F' | 'B', i: number): string {
  if (L.dd.length === 1) return kind === 'F' || kind === 'B' ? kind : `${kind}${i + 1}`;
  const per = { T: L.cfg.threads, K: L.cfg.kernelThreads, W: L.cfg.workers, F: 0, B: 0 }[kind] * L.cfg.processes;
  const d = per === 0 ? i : Math.floor(i / per);
  const dom = L.dd[d].service === SERVICE_STORAGE ? 'S' : 'N';
  if (kind === 'F' || kind === 'B') return `${kind}/${dom}`;
  if (kind === 'T') {
    const slot = slotOfDispatchThread(L, i);
    return slot < 0 ? `U${i + 1}/${dom}` : `T${slot + 1}/${dom}`;
  }
  return `${kind}${i - d * per + 1}/${dom}`;
}

/** A handle (a dispatch thread index) in traces: the thread's name, or T<n> for a value that names no thread. */
export const threadName = (L: Layout, h: number) => (h >= 0 && h < L.thread.length ? dispatchActorName(L, 'T', h) : `T${h + 1}`);

/** A dispatch process in messages: "process 1" with one instance, "P1/S" (P1's storage instance) with two. */
export function dispatchProcName(L: Layout, q: number): string {
  if (L.dd.length === 1) return `process ${q + 1}`;
  return `P${(q % L.cfg.processes) + 1}/${L.dd[domainOfProc(L, q)].service === SERVICE_STORAGE ? 'S' : 'N'}`;
}
