/**
 * A kernel's state and the system calls it executes: per-process descriptor tables, open file
 * descriptions (offset, reference count), a small file system (a directory of path names, inodes
 * with owner, link count and bytes) and sockets connected to an echo peer (a remote client for
 * AF_INET, a local peer for AF_UNIX: what is sent comes back to be received). Credentials are a uid
 * per process; a file is readable and writable by its owner and by root.
 *
 * The same code is instantiated four times: the primary domain's kernel (local calls), the storage
 * and network domains' kernels (their shadow processes), and the reference kernel (one kernel, one
 * descriptor table per process, no domains) that the compatibility property checks histories
 * against. Sharing it is deliberate: the service domains run the unmodified Linux system call code,
 * so what distinguishes VirtuOS from one kernel is the library and the dispatch around these calls,
 * which is what the properties are about. Everything is a pure function of the state words.
 *
 * Simplifications: every descriptor is opened O_RDWR; a file holds at most `bytes` bytes (a write
 * past the end fails with EFBIG); a socket buffer holds `bytes` bytes (a send to a full buffer
 * fails with EAGAIN instead of blocking); directories are not modelled beyond one namespace of four
 * names with no permission bits of their own; `rename` and `link` need no permission.
 *
 * VIRTUOS.md: "Routing of system calls", "Descriptors, fork, exec, polling, signals".
 */

/** Domain ids as in the VirtuOS code (syscall-frontend/_syscall.h). */
export const NET = 0;
export const STO = 1;
export const LOC = 2;
export const DOMAINS = ['network', 'storage', 'primary'] as const;

export const FREE = -1;
/** a descriptor number taken by an allocation that has not installed a file yet (reference kernel) */
export const RESERVED = -2;
/** a descriptor number being closed: no longer usable, not yet free (reference kernel, documented difference) */
export const CLOSING = -3;

export const OFD_FREE = 0;
export const OFD_FILE = 1;
export const OFD_SOCK = 2;

export const SOCK_FREE = 0;
export const SOCK_OPEN = 1;
export const SOCK_CONNECTED = 2;

export const EPERM = 1;
export const EIO = 5;
export const ENXIO = 6;
export const ENOENT = 2;
export const EINTR = 4;
export const EBADF = 9;
export const EAGAIN = 11;
export const EACCES = 13;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const EMFILE = 24;
export const EFBIG = 27;
export const ENOTSOCK = 88;
export const ENETDOWN = 100;
export const ECONNRESET = 104;
export const EISCONN = 106;
export const ENOTCONN = 107;

/** Readiness bits of one descriptor in a poll. */
export const POLLIN = 1;
export const POLLNVAL = 2;

export interface KernelShape {
  /** network | storage | primary | reference */
  name: string;
  /** the domain it is (LOC for the reference kernel, which is one kernel like the primary) */
  domain: number;
  procs: number;
  /** descriptor slots per process */
  fds: number;
  /** thread slots (per-thread eventfds; reference: per-client registers) */
  threads: number;
  ofds: number;
  inodes: number;
  sockets: number;
  names: number;
  /** bytes a file or a socket buffer holds */
  bytes: number;
}

/** Word offsets of one kernel instance inside the state array. */
export class KernelLayout {
  readonly size: number;
  private readonly pBase: number;
  private readonly pStride: number;
  private readonly oBase: number;
  private readonly iBase: number;
  private readonly iStride: number;
  private readonly dBase: number;
  private readonly sBase: number;
  private readonly sStride: number;
  private readonly eBase: number;
  private readonly hBase: number;
  constructor(readonly shape: KernelShape, readonly base: number) {
    let at = base;
    this.pBase = at;
    this.pStride = 5 + 2 * shape.fds;
    at += shape.procs * this.pStride;
    this.oBase = at;
    at += shape.ofds * 5;
    this.iBase = at;
    this.iStride = 5 + shape.bytes;
    at += shape.inodes * this.iStride;
    this.dBase = at;
    at += shape.names;
    this.sBase = at;
    this.sStride = 2 + shape.bytes;
    at += shape.sockets * this.sStride;
    this.eBase = at;
    at += shape.threads * 2;
    this.hBase = at;
    at += shape.threads;
    this.size = at - base;
  }
  // process table (a shadow process in a service domain)
  /** the process exists in this kernel (registered, for a shadow process) */
  live(p: number) { return this.pBase + p * this.pStride; }
  /** its uid */
  uid(p: number) { return this.pBase + p * this.pStride + 1; }
  /** whose descriptor table it uses (-1: its own; set only by the fork-shares-table bug) */
  alias(p: number) { return this.pBase + p * this.pStride + 2; }
  /** pages of its shared regions granted to the primary domain (request area, data area, wake page) */
  grants(p: number) { return this.pBase + p * this.pStride + 3; }
  /** the process's ready queue is mapped into this service domain */
  rqMapped(p: number) { return this.pBase + p * this.pStride + 4; }
  /** descriptor slot: open file description index, FREE or RESERVED */
  fd(p: number, i: number) { return this.pBase + p * this.pStride + 5 + i; }
  cloexec(p: number, i: number) { return this.pBase + p * this.pStride + 5 + this.shape.fds + i; }
  // open file descriptions
  ofdKind(o: number) { return this.oBase + o * 5; }
  ofdObj(o: number) { return this.oBase + o * 5 + 1; }
  ofdOff(o: number) { return this.oBase + o * 5 + 2; }
  ofdRefs(o: number) { return this.oBase + o * 5 + 3; }
  /** the domain the object lives in under VirtuOS (what the reference kernel needs to know) */
  ofdHome(o: number) { return this.oBase + o * 5 + 4; }
  // inodes
  inoLinks(i: number) { return this.iBase + i * this.iStride; }
  inoOpens(i: number) { return this.iBase + i * this.iStride + 1; }
  inoOwner(i: number) { return this.iBase + i * this.iStride + 2; }
  inoSize(i: number) { return this.iBase + i * this.iStride + 3; }
  inoHome(i: number) { return this.iBase + i * this.iStride + 4; }
  inoByte(i: number, k: number) { return this.iBase + i * this.iStride + 5 + k; }
  /** directory entry of a path name: inode or FREE */
  dir(n: number) { return this.dBase + n; }
  sockState(k: number) { return this.sBase + k * this.sStride; }
  sockLen(k: number) { return this.sBase + k * this.sStride + 1; }
  sockByte(k: number, j: number) { return this.sBase + k * this.sStride + 2 + j; }
  /** per-thread eventfd (VirtuOS's sclib_thread.efd[domain]) */
  efdOpen(t: number) { return this.eBase + 2 * t; }
  efdCount(t: number) { return this.eBase + 2 * t + 1; }
  /** reference kernel: the open file description a client's dup in progress holds (fget) */
  held(t: number) { return this.hBase + t; }
}

export interface KRes {
  /** return value (-1 on error) */
  ret: number;
  /** errno, 0 on success */
  err: number;
  /** bytes transferred, packed base 64 (first byte lowest) */
  data: number;
  /** the call would block (recv on an empty socket) */
  block?: boolean;
}

const ok = (ret: number, data = 0): KRes => ({ ret, err: 0, data });
const fail = (err: number): KRes => ({ ret: -1, err, data: 0 });
const BLOCK: KRes = { ret: -1, err: 0, data: 0, block: true };

export const packBytes = (bytes: number[]) => bytes.reduceRight((acc, b) => acc * 64 + b, 0);
export function unpackBytes(data: number, n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    out.push(data % 64);
    data = Math.floor(data / 64);
  }
  return out;
}

/** Whose descriptor table a process uses (its own unless the fork-shares-table bug aliased it). */
export const tableOf = (s: Int32Array, K: KernelLayout, p: number) => (s[K.alias(p)] >= 0 ? s[K.alias(p)] : p);

export function lowestFree(s: Int32Array, K: KernelLayout, p: number): number {
  const q = tableOf(s, K, p);
  for (let i = 0; i < K.shape.fds; i++) if (s[K.fd(q, i)] === FREE) return i;
  return -1;
}

/** The open file description behind a descriptor, or -1. */
export function ofdOf(s: Int32Array, K: KernelLayout, p: number, fd: number): number {
  if (fd < 0 || fd >= K.shape.fds || !s[K.live(p)]) return -1;
  const o = s[K.fd(tableOf(s, K, p), fd)];
  return o >= 0 ? o : -1;
}

function allocOfd(s: Int32Array, K: KernelLayout, kind: number, obj: number, home: number): number {
  for (let o = 0; o < K.shape.ofds; o++)
    if (s[K.ofdKind(o)] === OFD_FREE) {
      s[K.ofdKind(o)] = kind;
      s[K.ofdObj(o)] = obj;
      s[K.ofdOff(o)] = 0;
      s[K.ofdRefs(o)] = 1;
      s[K.ofdHome(o)] = home;
      return o;
    }
  throw new Error(`${K.shape.name} kernel: no free open file description (the layout bound is too small)`);
}

function freeInodeIfUnused(s: Int32Array, K: KernelLayout, i: number): void {
  if (s[K.inoLinks(i)] > 0 || s[K.inoOpens(i)] > 0) return;
  s[K.inoOwner(i)] = 0;
  s[K.inoSize(i)] = 0;
  s[K.inoHome(i)] = 0;
  for (let k = 0; k < K.shape.bytes; k++) s[K.inoByte(i, k)] = 0;
}

/** Drop one reference to an open file description; the last one frees it and its object. */
export function releaseOfd(s: Int32Array, K: KernelLayout, o: number): void {
  if (--s[K.ofdRefs(o)] > 0) return;
  const obj = s[K.ofdObj(o)];
  if (s[K.ofdKind(o)] === OFD_FILE) {
    s[K.inoOpens(obj)]--;
    freeInodeIfUnused(s, K, obj);
  } else if (s[K.ofdKind(o)] === OFD_SOCK) {
    s[K.sockState(obj)] = SOCK_FREE;
    s[K.sockLen(obj)] = 0;
    for (let j = 0; j < K.shape.bytes; j++) s[K.sockByte(obj, j)] = 0;
  }
  s[K.ofdKind(o)] = OFD_FREE;
  s[K.ofdObj(o)] = 0;
  s[K.ofdOff(o)] = 0;
  s[K.ofdRefs(o)] = 0;
  s[K.ofdHome(o)] = 0;
}

export function install(s: Int32Array, K: KernelLayout, p: number, fd: number, o: number, cloexec: boolean): void {
  const q = tableOf(s, K, p);
  s[K.fd(q, fd)] = o;
  s[K.cloexec(q, fd)] = cloexec ? 1 : 0;
}

/** Open a path name into a new open file description (no descriptor yet): do_filp_open. */
export function openFile(s: Int32Array, K: KernelLayout, p: number, name: number, creat: boolean, home: number): { ofd: number; err: number } {
  let i = s[K.dir(name)];
  const uid = s[K.uid(p)];
  if (i === FREE) {
    if (!creat) return { ofd: -1, err: ENOENT };
    i = -1;
    for (let k = 0; k < K.shape.inodes; k++)
      if (s[K.inoLinks(k)] === 0 && s[K.inoOpens(k)] === 0) {
        i = k;
        break;
      }
    if (i < 0) throw new Error(`${K.shape.name} kernel: no free inode (the layout bound is too small)`);
    s[K.inoLinks(i)] = 1;
    s[K.inoOwner(i)] = uid;
    s[K.inoSize(i)] = 0;
    s[K.inoHome(i)] = home;
    s[K.dir(name)] = i;
  } else if (uid !== 0 && s[K.inoOwner(i)] !== uid) return { ofd: -1, err: EACCES };
  s[K.inoOpens(i)]++;
  return { ofd: allocOfd(s, K, OFD_FILE, i, s[K.inoHome(i)]), err: 0 };
}

/** A new unconnected socket's open file description. */
export function openSocket(s: Int32Array, K: KernelLayout, home: number): number {
  for (let k = 0; k < K.shape.sockets; k++)
    if (s[K.sockState(k)] === SOCK_FREE) {
      s[K.sockState(k)] = SOCK_OPEN;
      s[K.sockLen(k)] = 0;
      return allocOfd(s, K, OFD_SOCK, k, home);
    }
  throw new Error(`${K.shape.name} kernel: no free socket (the layout bound is too small)`);
}

/** open(2) in one kernel: the lowest free descriptor, then the file. */
export function kOpen(s: Int32Array, K: KernelLayout, p: number, name: number, creat: boolean, cloexec: boolean, home: number): KRes {
  const fd = lowestFree(s, K, p);
  if (fd < 0) return fail(EMFILE);
  const r = openFile(s, K, p, name, creat, home);
  if (r.err) return fail(r.err);
  install(s, K, p, fd, r.ofd, cloexec);
  return ok(fd);
}

export function kSocket(s: Int32Array, K: KernelLayout, p: number, home: number): KRes {
  const fd = lowestFree(s, K, p);
  if (fd < 0) return fail(EMFILE);
  install(s, K, p, fd, openSocket(s, K, home), false);
  return ok(fd);
}

export function kClose(s: Int32Array, K: KernelLayout, p: number, fd: number): KRes {
  const o = ofdOf(s, K, p, fd);
  if (o < 0) return fail(EBADF);
  const q = tableOf(s, K, p);
  s[K.fd(q, fd)] = FREE;
  s[K.cloexec(q, fd)] = 0;
  releaseOfd(s, K, o);
  return ok(0);
}

export function kDup(s: Int32Array, K: KernelLayout, p: number, fd: number): KRes {
  const o = ofdOf(s, K, p, fd);
  if (o < 0) return fail(EBADF);
  const nfd = lowestFree(s, K, p);
  if (nfd < 0) return fail(EMFILE);
  s[K.ofdRefs(o)]++;
  install(s, K, p, nfd, o, false);
  return ok(nfd);
}

/** dup2 in one kernel (Linux: EBUSY when the target is reserved by an open in progress). */
export function kDup2(s: Int32Array, K: KernelLayout, p: number, fd: number, fd2: number): KRes {
  const o = ofdOf(s, K, p, fd);
  if (o < 0 || fd2 < 0 || fd2 >= K.shape.fds) return fail(EBADF);
  if (fd === fd2) return ok(fd2);
  const q = tableOf(s, K, p);
  const old = s[K.fd(q, fd2)];
  if (old === RESERVED || old === CLOSING) return fail(EBUSY);
  s[K.ofdRefs(o)]++;
  install(s, K, p, fd2, o, false);
  if (old >= 0) releaseOfd(s, K, old);
  return ok(fd2);
}

export function kRead(s: Int32Array, K: KernelLayout, p: number, fd: number, n: number): KRes {
  const o = ofdOf(s, K, p, fd);
  if (o < 0) return fail(EBADF);
  if (s[K.ofdKind(o)] === OFD_SOCK) return kRecv(s, K, p, fd, n);
  const i = s[K.ofdObj(o)];
  const off = s[K.ofdOff(o)];
  const count = Math.max(0, Math.min(n, s[K.inoSize(i)] - off));
  const bytes: number[] = [];
  for (let k = 0; k < count; k++) bytes.push(s[K.inoByte(i, off + k)]);
  s[K.ofdOff(o)] = off + count;
  return ok(count, packBytes(bytes));
}

export function kWrite(s: Int32Array, K: KernelLayout, p: number, fd: number, n: number, tag: number): KRes {
  const o = ofdOf(s, K, p, fd);
  if (o < 0) return fail(EBADF);
  if (s[K.ofdKind(o)] === OFD_SOCK) return kSend(s, K, p, fd, n, tag);
  const i = s[K.ofdObj(o)];
  const off = s[K.ofdOff(o)];
  if (off >= K.shape.bytes) return fail(EFBIG);
  const count = Math.min(n, K.shape.bytes - off);
  for (let k = 0; k < count; k++) s[K.inoByte(i, off + k)] = tag;
  s[K.inoSize(i)] = Math.max(s[K.inoSize(i)], off + count);
  s[K.ofdOff(o)] = off + count;
  return ok(count);
}

export function kConnect(s: Int32Array, K: KernelLayout, p: number, fd: number): KRes {
  const o = ofdOf(s, K, p, fd);
  if (o < 0) return fail(EBADF);
  if (s[K.ofdKind(o)] !== OFD_SOCK) return fail(ENOTSOCK);
  const k = s[K.ofdObj(o)];
  if (s[K.sockState(k)] === SOCK_CONNECTED) return fail(EISCONN);
  s[K.sockState(k)] = SOCK_CONNECTED;
  return ok(0);
}

/** send: the echo peer returns the bytes into the socket's receive buffer. */
export function kSend(s: Int32Array, K: KernelLayout, p: number, fd: number, n: number, tag: number): KRes {
  const o = ofdOf(s, K, p, fd);
  if (o < 0) return fail(EBADF);
  if (s[K.ofdKind(o)] !== OFD_SOCK) return fail(ENOTSOCK);
  const k = s[K.ofdObj(o)];
  if (s[K.sockState(k)] !== SOCK_CONNECTED) return fail(ENOTCONN);
  const len = s[K.sockLen(k)];
  const count = Math.min(n, K.shape.bytes - len);
  if (count === 0) return fail(EAGAIN);
  for (let j = 0; j < count; j++) s[K.sockByte(k, len + j)] = tag;
  s[K.sockLen(k)] = len + count;
  return ok(count);
}

/** recv: blocks (returns `block`) while a connected socket's buffer is empty. */
export function kRecv(s: Int32Array, K: KernelLayout, p: number, fd: number, n: number): KRes {
  const o = ofdOf(s, K, p, fd);
  if (o < 0) return fail(EBADF);
  if (s[K.ofdKind(o)] !== OFD_SOCK) return fail(ENOTSOCK);
  const k = s[K.ofdObj(o)];
  if (s[K.sockState(k)] !== SOCK_CONNECTED) return fail(ENOTCONN);
  const len = s[K.sockLen(k)];
  if (len === 0) return BLOCK;
  const count = Math.min(n, len);
  const bytes: number[] = [];
  for (let j = 0; j < count; j++) bytes.push(s[K.sockByte(k, j)]);
  for (let j = 0; j < K.shape.bytes; j++) s[K.sockByte(k, j)] = j + count < len ? s[K.sockByte(k, j + count)] : 0;
  s[K.sockLen(k)] = len - count;
  return ok(count, packBytes(bytes));
}

/** Would a read or recv on this descriptor block now? */
export function wouldBlock(s: Int32Array, K: KernelLayout, p: number, fd: number): boolean {
  const o = ofdOf(s, K, p, fd);
  if (o < 0 || s[K.ofdKind(o)] !== OFD_SOCK) return false;
  const k = s[K.ofdObj(o)];
  return s[K.sockState(k)] === SOCK_CONNECTED && s[K.sockLen(k)] === 0;
}

export function kMmap(s: Int32Array, K: KernelLayout, p: number, fd: number): KRes {
  const o = ofdOf(s, K, p, fd);
  if (o < 0) return fail(EBADF);
  if (s[K.ofdKind(o)] === OFD_SOCK) return fail(ENODEV);
  return ok(0);
}

export function kRename(s: Int32Array, K: KernelLayout, from: number, to: number): KRes {
  const i = s[K.dir(from)];
  if (i === FREE) return fail(ENOENT);
  const old = s[K.dir(to)];
  // Two names of one file: POSIX says rename does nothing.
  if (from === to || old === i) return ok(0);
  s[K.dir(to)] = i;
  s[K.dir(from)] = FREE;
  if (old !== FREE) {
    s[K.inoLinks(old)]--;
    freeInodeIfUnused(s, K, old);
  }
  return ok(0);
}

export function kLink(s: Int32Array, K: KernelLayout, from: number, to: number): KRes {
  const i = s[K.dir(from)];
  if (i === FREE) return fail(ENOENT);
  if (s[K.dir(to)] !== FREE) return fail(EEXIST);
  s[K.dir(to)] = i;
  s[K.inoLinks(i)]++;
  return ok(0);
}

export function kSetuid(s: Int32Array, K: KernelLayout, p: number, uid: number): KRes {
  const cur = s[K.uid(p)];
  if (cur !== 0 && uid !== cur) return fail(EPERM);
  s[K.uid(p)] = uid;
  return ok(0);
}

/** Readiness of a descriptor for reading: POLLNVAL if it is not open; a file is always readable;
 *  an unconnected socket reports POLLHUP, counted as ready; a connected one when data is queued. */
export function kReady(s: Int32Array, K: KernelLayout, p: number, fd: number): number {
  const o = ofdOf(s, K, p, fd);
  if (o < 0) return POLLNVAL;
  if (s[K.ofdKind(o)] === OFD_FILE) return POLLIN;
  const k = s[K.ofdObj(o)];
  return s[K.sockState(k)] !== SOCK_CONNECTED || s[K.sockLen(k)] > 0 ? POLLIN : 0;
}

/** fork: the child gets a copy of the parent's descriptor table sharing its open file
 *  descriptions (so offsets are shared), and the parent's uid. `share` is the seeded bug where the
 *  child uses the parent's very table instead. */
export function kFork(s: Int32Array, K: KernelLayout, parent: number, child: number, share: boolean): void {
  s[K.live(child)] = 1;
  s[K.uid(child)] = s[K.uid(parent)];
  if (share) {
    s[K.alias(child)] = tableOf(s, K, parent);
    return;
  }
  s[K.alias(child)] = -1;
  const q = tableOf(s, K, parent);
  for (let i = 0; i < K.shape.fds; i++) {
    const o = s[K.fd(q, i)];
    s[K.fd(child, i)] = o >= 0 ? o : FREE;
    s[K.cloexec(child, i)] = o >= 0 ? s[K.cloexec(q, i)] : 0;
    if (o >= 0) s[K.ofdRefs(o)]++;
  }
}

/** execve's part in the kernel: descriptors marked close-on-exec are closed. */
export function kExec(s: Int32Array, K: KernelLayout, p: number): void {
  const q = tableOf(s, K, p);
  for (let i = 0; i < K.shape.fds; i++) if (s[K.fd(q, i)] >= 0 && s[K.cloexec(q, i)]) kClose(s, K, p, i);
}

/** Process exit: every descriptor closed and the process gone. */
export function kExit(s: Int32Array, K: KernelLayout, p: number): void {
  const q = tableOf(s, K, p);
  for (let i = 0; i < K.shape.fds; i++) if (s[K.fd(q, i)] >= 0) kClose(s, K, p, i);
  s[K.live(p)] = 0;
  s[K.uid(p)] = 0;
  s[K.alias(p)] = -1;
}

/**
 * A service domain's shadow processes die with its incarnation (composed system): every process
 * there closes everything and is gone. Files stay where they are (the file system is on the disk);
 * sockets are gone with their connections.
 */
export function kWipe(s: Int32Array, K: KernelLayout): void {
  for (let p = 0; p < K.shape.procs; p++) if (s[K.live(p)]) kExit(s, K, p);
  for (let t = 0; t < K.shape.threads; t++) {
    s[K.efdOpen(t)] = 0;
    s[K.efdCount(t)] = 0;
  }
  for (let p = 0; p < K.shape.procs; p++) {
    s[K.grants(p)] = 0;
    s[K.rqMapped(p)] = 0;
  }
}

/**
 * A new incarnation's shadow process for a live process, as the frontend registers it: an empty
 * descriptor table, the process's credentials (`uid`), its threads' eventfds, its grants and ready-queue mapping.
 */
export function kRegister(s: Int32Array, K: KernelLayout, p: number, uid: number, threads: readonly number[]): void {
  s[K.live(p)] = 1;
  s[K.uid(p)] = uid;
  s[K.alias(p)] = -1;
  for (let i = 0; i < K.shape.fds; i++) {
    s[K.fd(p, i)] = FREE;
    s[K.cloexec(p, i)] = 0;
  }
  s[K.grants(p)] = 3;
  s[K.rqMapped(p)] = 1;
  for (const t of threads) {
    s[K.efdOpen(t)] = 1;
    s[K.efdCount(t)] = 0;
  }
}

/** Descriptors of a process that are open in this kernel. */
export function openDescriptors(s: Int32Array, K: KernelLayout, p: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < K.shape.fds; i++) if (s[K.fd(p, i)] >= 0) out.push(i);
  return out;
}

/** The domain of each of P1's inherited descriptors 0, 1, 2 (stand-ins for stdin, stdout, stderr). */
export const INHERITED = [NET, STO, LOC] as const;

/** The byte each inherited socket's peer has already sent when P1 starts (a client's request). */
export const PEER_BYTE = [40, 0, 41] as const;

/** Open P1's inherited descriptor that lives in domain `d` in kernel K, as descriptor `fd`:
 *  "/storage/a" for the storage domain, otherwise a socket connected to the echo peer, with one
 *  byte from the peer queued. */
export function openInherited(s: Int32Array, K: KernelLayout, d: number, fd: number): void {
  if (d === STO) {
    install(s, K, 0, fd, openFile(s, K, 0, 0, false, STO).ofd, false);
  } else {
    const o = openSocket(s, K, d);
    const k = s[K.ofdObj(o)];
    s[K.sockState(k)] = SOCK_CONNECTED;
    s[K.sockByte(k, 0)] = PEER_BYTE[d];
    s[K.sockLen(k)] = 1;
    install(s, K, 0, fd, o, false);
  }
}

/** Fresh kernel words: nothing open, every slot free. */
export function initKernel(s: Int32Array, K: KernelLayout): void {
  for (let p = 0; p < K.shape.procs; p++) {
    s[K.alias(p)] = -1;
    for (let i = 0; i < K.shape.fds; i++) s[K.fd(p, i)] = FREE;
  }
  for (let n = 0; n < K.shape.names; n++) s[K.dir(n)] = FREE;
  for (let t = 0; t < K.shape.threads; t++) s[K.held(t)] = -1;
}

/** Create a file with contents at a path name (initial state). */
export function seedFile(s: Int32Array, K: KernelLayout, name: number, bytes: number[], home: number): void {
  const r = openFile(s, K, 0, name, true, home);
  const i = s[K.ofdObj(r.ofd)];
  bytes.forEach((b, k) => (s[K.inoByte(i, k)] = b));
  s[K.inoSize(i)] = bytes.length;
  releaseOfd(s, K, r.ofd);
}
