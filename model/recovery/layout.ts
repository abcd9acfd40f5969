/**
 * Where the failure-and-recovery layer's words live, laid out after every other word only when
 * `recovery` is on (so no other layer's layout changes), and the constants its machines share.
 *
 * The layer runs on the isolation layer's hypervisor (recovery implies isolation): a service domain's
 * incarnations are the hypervisor's domains (a new domain id after every restart, fresh frames, grant
 * table and ports), its lifecycle is the hypervisor's lifecycle machine, and the frontend's
 * connection, mappings and event channels are the primary domain's real ones (primary-domain.ts). What
 * this layer adds are the words the isolation layer has no use for: the frontend's RUNNING bit,
 * reference count and lock, the administrator's requests, the two client programs and their calls,
 * and each domain's request path one level above the dispatch protocol (a call is one request entry
 * that a client submits, a backend serves and the frontend's notify thread completes; the lock-free
 * stacks and queues that carry it are verified by the dispatch group). Request entries, ready-queue
 * handles, notify records and shadow processes carry the incarnation (the domain's generation) that
 * made them, so that a property can ask whether anything of an old incarnation survives.
 *
 * Domains are numbered as in the VirtuOS code (_syscall.h): network = 0, storage = 1. Client C1
 * transfers a file through the storage domain, client C2 a stream through the network domain; each is
 * registered only with the domain it uses (VirtuOS registers every process with every domain; a
 * shadow process without descriptors is invisible to its process, so the model leaves it out).
 */
import type { Config } from '../kit/config.ts';
import { domidOf, LIFE, slotOfSysid, type IsolationLayout } from '../isolation/layout.ts';

/** Domain indices of the layer: the service ids of _syscall.h (isolation-layout.ts SYSID_*). */
export const NET = 0;
export const STO = 1;
export const DOMAINS = 2;
export const DOMAIN_NAMES = ['network', 'storage'] as const;
/** Xen domain id of incarnation `epoch` of a domain (the isolation layer's numbering: storage 1, 3, 5...; network 2, 4, 6...). */
export const domidAt = (d: number, epoch: number) => domidOf(slotOf(d), epoch);
/** The incarnation a domain id of domain d belongs to (the inverse of domidAt). */
export const epochOfDomid = (d: number, domid: number) => (domid - slotOf(d)) / 2;
/** The isolation layer's domain slot of a domain of this layer (its index is the service id). */
export const slotOf = slotOfSysid;
/** The incarnation (the hypervisor's generation) of domain d. */
export const epochOf = (s: Int32Array, I: IsolationLayout, d: number) => s[I.gen[slotOf(d)]];
/** The hypervisor's lifecycle state of domain d (LIFE in isolation-layout.ts). */
export const lifeOfDomain = (s: Int32Array, I: IsolationLayout, d: number) => s[I.life[slotOf(d) - 1].pc];
export const domainRunning = (s: Int32Array, I: IsolationLayout, d: number) => lifeOfDomain(s, I, d) === LIFE.running;

/** The administrator's pending request to the toolstack for a domain (DomainWords.adminReq). */
export const REQ_NONE = 0;
export const REQ_CLEAN = 1; // destroy the crashed or halted domain
export const REQ_START = 2; // create the next incarnation

/** Clients: C1 uses the storage domain, C2 the network domain. */
export const CLIENTS = 2;
export const domainOfClient = (p: number) => (p === 0 ? STO : NET);
const STORAGE_CLIENTS: readonly number[] = Object.freeze([0]);
const NETWORK_CLIENTS: readonly number[] = Object.freeze([1]);
export const clientsOf = (d: number): readonly number[] => (d === STO ? STORAGE_CLIENTS : NETWORK_CLIENTS);

/** Operations of a client's program. */
export const OP_OPEN = 1; // open("/storage/f") or socket()+connect()
export const OP_XFER = 2; // write(fd, chunk k) or send(fd, chunk k)
export const OP_SYNC = 3; // fsync(fd) (storage only)
export const OP_CLOSE = 4;
export const OP_DONE = 5; // the program has finished
export const OP_NAMES = ['-', 'open', 'xfer', 'fsync', 'close', 'done'];
export const opName = (p: number, op: number) => (op === OP_OPEN ? (p === 0 ? 'open' : 'socket+connect') : op === OP_XFER ? (p === 0 ? 'write' : 'send') : OP_NAMES[op]);

/** A client's call status. */
export const CALL_IDLE = 0;
export const CALL_PENDING = 1; // submitted, no result yet
export const CALL_DONE = 2; // a result is there for the client to take

/** Capacity of each domain's notify ring. */
export const RING = 2;

export interface DomainWords {
  running: number; // the frontend's RUNNING bit
  refs: number; // the frontend's reference count (its connection's own, plus one per call in flight)
  fe: number; // the incarnation the frontend's connection serves calls of, -1 none
  stopReq: number; // the administrator has asked for an orderly stop of the running incarnation
  adminReq: number; // the administrator's pending request to the toolstack (REQ_*)
  shutdown: number; // the domain has asked the hypervisor to shut it down (SCHEDOP_shutdown)
  ringLen: number; // records in the notify ring (in the domain's notify-ring frame)
  ringThr: number; // [RING] client a record names
  ringEp: number; // [RING] incarnation that pushed the record
  fr: number; // frontend notify actor: pc
  frThr: number; // notify actor: client of the record it holds
  frEp: number; // notify actor: incarnation of the record it holds
  b: number; // backend actor: pc
  bCur: number; // backend: client whose request it is serving, -1 none
}

export interface ClientWords {
  pc: number;
  op: number; // the operation its program issues next (OP_*)
  k: number; // the chunk it transfers next
  fd: number; // incarnation its descriptor was opened in, -1 none (the translation table's owning domain is its domain)
  reqEp: number; // incarnation the pending call was submitted to
  status: number; // CALL_*
  res: number; // result of the last call (negative: an errno)
  resEp: number; // ghost: incarnation whose backend produced the result, -1 for an error made by the frontend or the library
  hasRef: number; // holds a frontend reference for its call in flight
  shadow: number; // incarnation of its shadow process in its domain, -1 none
  entry: number; // incarnation of the request entry it holds, -1 none
  eres: number; // result word of that request entry, written by the backend
  served: number; // the backend has executed the pending request
  rq: number; // incarnation that queued its handle on its ready queue, -1 none
  errs: number; // ghost: error results it has seen
  synced: number; // ghost (storage): chunks a completed fsync acknowledged
  peer: number; // ghost (network): chunks the remote peer received on the current connection
}

export interface RecoveryLayout {
  dom: DomainWords[];
  client: ClientWords[];
  cache: number; // [chunks] storage domain's page cache: chunk k holds k+1 once written, 0 before
  disk: number; // [chunks] the disk: what survives a storage crash
  feLock: number; // the frontend's lock over its domain table: -1 free, else the domain whose recovery holds it
  crashesLeft: number; // crashes (and device failures) the fault injector may still cause
  crashes: number; // ghost: crashes so far
  stopsLeft: number; // orderly stops the administrator may still make
  fi: number; // fault injector pc
  at: number; // admin tool pc
}

interface Alloc {
  word(): number;
  words(n: number): number;
}

export function layoutRecovery(a: Alloc, cfg: Config): RecoveryLayout {
  const dom: DomainWords[] = [];
  for (let d = 0; d < DOMAINS; d++)
    dom.push({
      running: a.word(),
      refs: a.word(),
      fe: a.word(),
      stopReq: a.word(),
      adminReq: a.word(),
      shutdown: a.word(),
      ringLen: a.word(),
      ringThr: a.words(RING),
      ringEp: a.words(RING),
      fr: a.word(),
      frThr: a.word(),
      frEp: a.word(),
      b: a.word(),
      bCur: a.word(),
    });
  const client: ClientWords[] = [];
  for (let p = 0; p < CLIENTS; p++)
    client.push({
      pc: a.word(),
      op: a.word(),
      k: a.word(),
      fd: a.word(),
      reqEp: a.word(),
      status: a.word(),
      res: a.word(),
      resEp: a.word(),
      hasRef: a.word(),
      shadow: a.word(),
      entry: a.word(),
      eres: a.word(),
      served: a.word(),
      rq: a.word(),
      errs: a.word(),
      synced: a.word(),
      peer: a.word(),
    });
  return { dom, client, cache: a.words(cfg.chunks), disk: a.words(cfg.chunks), feLock: a.word(), crashesLeft: a.word(), crashes: a.word(), stopsLeft: a.word(), fi: a.word(), at: a.word() };
}

/**
 * Initial words, before the boot: no connection, no descriptor, no call in flight. The system's
 * initial state is the one the boot reaches (system.ts runs the hypervisor, the service domains and
 * the frontend until both domains are connected).
 */
export function initRecovery(R: RecoveryLayout, cfg: Config, s: Int32Array): void {
  for (const w of R.dom) for (const k of ['fe', 'frThr', 'frEp', 'bCur'] as const) s[w[k]] = -1;
  for (const c of R.client) {
    s[c.op] = OP_OPEN;
    for (const k of ['fd', 'reqEp', 'resEp', 'entry', 'rq', 'shadow'] as const) s[c[k]] = -1;
  }
  s[R.feLock] = -1;
  s[R.crashesLeft] = cfg.crashes;
  s[R.stopsLeft] = cfg.adminStops;
}

/** Every word of the layer with a name, for the region map and traces. */
export function recoveryWords(R: RecoveryLayout, cfg: Config): { at: number; field: string }[] {
  const out: { at: number; field: string }[] = [];
  R.dom.forEach((w, d) => {
    for (const [k, at] of Object.entries(w)) {
      const n = k === 'ringThr' || k === 'ringEp' ? RING : 1;
      for (let i = 0; i < n; i++) out.push({ at: at + i, field: `${DOMAIN_NAMES[d]}.${k}${n > 1 ? `[${i}]` : ''}` });
    }
  });
  R.client.forEach((c, p) => {
    for (const [k, at] of Object.entries(c)) out.push({ at, field: `C${p + 1}.${k}` });
  });
  for (let i = 0; i < cfg.chunks; i++) {
    out.push({ at: R.cache + i, field: `storage.cache[${i}]` });
    out.push({ at: R.disk + i, field: `storage.disk[${i}]` });
  }
  out.push({ at: R.feLock, field: 'frontend.lock' }, { at: R.crashesLeft, field: 'fault.crashes_left' }, { at: R.crashes, field: 'fault.crashes' }, { at: R.stopsLeft, field: 'admin.stops_left' }, { at: R.fi, field: 'FI.pc' }, { at: R.at, field: 'AT.pc' });
  return out;
}
