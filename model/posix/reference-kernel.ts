/**
 * The reference kernel: the same calls on one kernel, with one descriptor table per process and no
 * domains, as a sequential specification for the Wing-Gong linearizability checker
 * (properties/lib/linearizability.ts). Its state is one kernel instance of kernel.ts; a step applies
 * one call and accepts it when the result equals what the call returned on the VirtuOS model.
 *
 * Descriptor allocation is two-phase, as in Linux (get_unused_fd, then fd_install or put_unused_fd):
 * an allocating call (open, socket, dup) reserves the lowest free number at one instant and later
 * installs the file or gives the number back, so a concurrent allocation may see the number taken
 * by an open that then fails. A dup takes its file when it reserves (fget). The other calls are
 * atomic. The documented differences (differences.ts) are applied where their rule says: a refused
 * cross-domain rename/link or remote mmap is a call without effect, an open overlapping a setuid of
 * its process may be judged under the old or the new uid, and poll/select results are not compared.
 *
 * An interrupted call (EINTR) is accepted as a call without effect when the call could block at
 * that instant (a recv on an empty connected socket), and for poll/select; no other call may return
 * EINTR, as on Linux where a signal interrupts only a sleeping call.
 */
import type { SequentialSpec } from '../kit/sequential-spec.ts';
import type { PosixConfig } from './config.ts';
import {
  CLOSING, EBADF, EINTR, EINVAL, EMFILE, FREE, INHERITED, KernelLayout, LOC, RESERVED, openInherited, releaseOfd,
  initKernel, install, kClose, kConnect, kExec, kExit, kFork, kLink, kMmap, kRead, kRename, kSetuid, kWrite,
  lowestFree, ofdOf, openFile, openSocket, seedFile, wouldBlock,
} from './kernel.ts';
import { errName, INITIAL_FILES, instrText, type Instr } from './program.ts';
import { pathDomain, socketDomain } from './routing.ts';

export interface RefInput {
  /** the thread slot that made the call */
  client: number;
  /** its process */
  proc: number;
  instr: Instr;
  /**
   * 'whole': an atomic call. Phases of the others, in order: open: reserve, openfile (the file is
   * opened: permission check, creation), complete (the number installed or given back); socket: reserve, complete;
   * dup: capture (the source's file), reserve, complete (or full: EMFILE); dup2: capture, lock (the
   * target), install (or drop: the dup failed); close: invalidate, free.
   */
  phase: 'whole' | 'capture' | 'reserve' | 'openfile' | 'complete' | 'full' | 'lock' | 'install' | 'drop' | 'invalidate' | 'free';
  /** resolved descriptor arguments */
  fd: number;
  fd2: number;
  /** complete: the descriptor number reserved */
  rsv: number;
  /** write/send: the bytes' tag */
  tag: number;
  /** fork: the child process */
  child: number;
  /** an open overlapping a setuid of its process: that setuid's uid (-1: none) */
  altUid: number;
  /** such an open in P1: the uid before the setuids it overlaps, which a domain may still hold (-1: none) */
  oldUid: number;
  /** reserve: the number was claimed when it was no longer the lowest free one (allocation-claims-number-found-earlier): any free number it names is accepted */
  late: boolean;
}

export interface RefOutput {
  res: number;
  err: number;
  data: number;
}

export function referenceLayout(c: PosixConfig): KernelLayout {
  const procs = 1 + c.forks;
  const clients = c.threads + c.forks;
  const ofds = procs * c.descriptors + clients;
  return new KernelLayout({ name: 'reference', domain: LOC, procs, fds: c.descriptors, threads: clients, ofds, inodes: 4 + ofds, sockets: ofds, names: 4, bytes: c.fileBytes }, 0);
}

export function referenceInit(K: KernelLayout): Int32Array {
  const s = new Int32Array(K.size);
  initKernel(s, K);
  for (const f of INITIAL_FILES) seedFile(s, K, f.path, f.bytes, pathDomain(f.path));
  s[K.live(0)] = 1;
  INHERITED.forEach((d, fd) => openInherited(s, K, d, fd));
  return s;
}

const same = (out: RefOutput | undefined, res: number, err: number, data = 0) => out === undefined || (out.res === res && out.err === err && out.data === data);

/** Apply one call to a copy of the reference state; null when the recorded output is impossible here. */
function apply(K: KernelLayout, s: Int32Array, inp: RefInput, out: RefOutput | undefined): Int32Array | null {
  const n = s.slice();
  const p = inp.proc;
  const i = inp.instr;
  if (!n[K.live(p)]) return null;
  if (out?.err === EINTR) {
    if ((i.call === 'recv' || i.call === 'read') && wouldBlock(n, K, p, inp.fd)) return n;
    if (i.call === 'poll' || i.call === 'select') return n;
    return null;
  }
  if (inp.phase === 'invalidate') {
    const o = ofdOf(n, K, p, inp.fd);
    if (o < 0) return null;
    n[K.fd(p, inp.fd)] = CLOSING;
    n[K.cloexec(p, inp.fd)] = 0;
    releaseOfd(n, K, o);
    return n;
  }
  if (inp.phase === 'free') {
    if (n[K.fd(p, inp.fd)] !== CLOSING) return null;
    n[K.fd(p, inp.fd)] = FREE;
    return same(out, 0, 0) ? n : null;
  }
  if (inp.phase === 'capture') {
    const o = ofdOf(n, K, p, inp.fd);
    if (o < 0) return null;
    n[K.ofdRefs(o)]++;
    n[K.held(inp.client)] = o;
    return n;
  }
  if (inp.phase === 'full' || inp.phase === 'drop') {
    const o = n[K.held(inp.client)];
    if (o < 0) return null;
    if (inp.phase === 'full' ? lowestFree(n, K, p) >= 0 || !same(out, -1, EMFILE) : out !== undefined && out.err === 0) return null;
    releaseOfd(n, K, o);
    n[K.held(inp.client)] = -1;
    return n;
  }
  if (inp.phase === 'lock') {
    const old = n[K.fd(p, inp.fd2)];
    if (n[K.held(inp.client)] < 0 || old === RESERVED || old === CLOSING) return null;
    n[K.fd(p, inp.fd2)] = CLOSING;
    n[K.cloexec(p, inp.fd2)] = 0;
    if (old >= 0) releaseOfd(n, K, old);
    return n;
  }
  if (inp.phase === 'install') {
    const o = n[K.held(inp.client)];
    if (o < 0 || n[K.fd(p, inp.fd2)] !== CLOSING) return null;
    install(n, K, p, inp.fd2, o, false);
    n[K.held(inp.client)] = -1;
    return same(out, inp.fd2, 0) ? n : null;
  }
  if (inp.phase === 'reserve') {
    if (i.call === 'dup' && n[K.held(inp.client)] < 0) return null;
    // a late claim (a documented difference) reserves the number it got, if that number is free
    const fd = inp.late && out !== undefined ? (n[K.fd(p, out.res)] === FREE ? out.res : -1) : lowestFree(n, K, p);
    if (fd < 0 || (out !== undefined && out.res !== fd)) return null;
    n[K.fd(p, fd)] = RESERVED;
    return n;
  }
  if (inp.phase === 'openfile') {
    if (n[K.fd(p, inp.rsv)] !== RESERVED) return null;
    const tryUid = (uid: number): Int32Array | null => {
      const m = n.slice();
      const saved = m[K.uid(p)];
      m[K.uid(p)] = uid;
      const r = openFile(m, K, p, i.path!, i.creat!, pathDomain(i.path!));
      m[K.uid(p)] = saved;
      if (r.err) return same(out, -1, r.err) ? m : null;
      m[K.held(inp.client)] = r.ofd;
      return same(out, 0, 0) ? m : null;
    };
    return tryUid(n[K.uid(p)]) ?? (inp.altUid >= 0 ? tryUid(inp.altUid) : null) ?? (inp.oldUid >= 0 ? tryUid(inp.oldUid) : null);
  }
  if (inp.phase === 'complete') {
    const fd = inp.rsv;
    if (n[K.fd(p, fd)] !== RESERVED) return null;
    if (i.call === 'open') {
      const o = n[K.held(inp.client)];
      n[K.held(inp.client)] = -1;
      if (o < 0) {
        n[K.fd(p, fd)] = FREE;
        return out === undefined || (out.res === -1 && out.err !== 0) ? n : null;
      }
      install(n, K, p, fd, o, i.cloexec!);
      return same(out, fd, 0) ? n : null;
    }
    if (i.call === 'socket') {
      install(n, K, p, fd, openSocket(n, K, socketDomain(i.family!)), false);
      return same(out, fd, 0) ? n : null;
    }
    // dup: install the file taken at reservation
    const o = n[K.held(inp.client)];
    if (o < 0) return null;
    install(n, K, p, fd, o, false);
    n[K.held(inp.client)] = -1;
    return same(out, fd, 0) ? n : null;
  }
  // a whole call
  const check = (r: { ret: number; err: number; data: number; block?: boolean }) => (r.block ? null : same(out, r.ret, r.err, r.data) ? n : null);
  switch (i.call) {
    case 'open':
    case 'socket':
      return lowestFree(n, K, p) < 0 && same(out, -1, EMFILE) ? n : null;
    case 'dup':
      return ofdOf(n, K, p, inp.fd) < 0 && same(out, -1, EBADF) ? n : null;
    case 'read':
    case 'recv':
      return check(kRead(n, K, p, inp.fd, i.n!));
    case 'write':
    case 'send':
      return check(kWrite(n, K, p, inp.fd, i.n!, inp.tag));
    case 'close':
      return check(kClose(n, K, p, inp.fd));
    case 'dup2':
      if (inp.fd === inp.fd2 && out !== undefined && out.err === 0 && out.res === inp.fd2) return n;
      return ofdOf(n, K, p, inp.fd) < 0 && same(out, -1, EBADF) ? n : null;
    case 'connect':
      return check(kConnect(n, K, p, inp.fd));
    case 'mmap': {
      const o = ofdOf(n, K, p, inp.fd);
      if (out?.err === EINVAL && o >= 0 && n[K.ofdHome(o)] !== LOC) return n;
      return check(kMmap(n, K, p, inp.fd));
    }
    case 'rename':
    case 'link':
      if (out?.err === EINVAL && pathDomain(i.path!) !== pathDomain(i.to!)) return n;
      return check(i.call === 'rename' ? kRename(n, K, i.path!, i.to!) : kLink(n, K, i.path!, i.to!));
    case 'setuid':
      return check(kSetuid(n, K, p, i.uid!));
    case 'poll':
    case 'select':
    case 'kill':
      return n;
    case 'fork':
      kFork(n, K, p, inp.child, false);
      return same(out, inp.child + 1, 0) ? n : null;
    case 'exec':
      kExec(n, K, p);
      return same(out, 0, 0) ? n : null;
    case 'exit':
      kExit(n, K, p);
      return n;
  }
}

export function referenceSpec(c: PosixConfig): SequentialSpec<Int32Array, RefInput, RefOutput> {
  const K = referenceLayout(c);
  const init = referenceInit(K);
  return {
    name: 'reference kernel',
    init: () => init,
    step: (s, inp, out) => apply(K, s, inp, out),
    key: (s) => s.join(','),
    describe: (inp, out) => describeCall(inp, out),
  };
}

export function describeCall(inp: RefInput, out: RefOutput | undefined): string {
  const i = inp.instr;
  const who = `T${inp.client + 1}`;
  let call = instrText(i);
  if (inp.fd >= 0 && i.fd !== undefined) call = call.replace(/\((\$\d+|\d+)/, `(${inp.fd}`);
  const phase =
    inp.phase === 'reserve' ? ' [reserves a descriptor]' : inp.phase === 'openfile' ? ' [opens the file]' : inp.phase === 'complete' ? ` [completes in descriptor ${inp.rsv}]` : inp.phase === 'invalidate' ? ' [descriptor unusable]' : inp.phase === 'free' ? ' [descriptor free]' : inp.phase === 'lock' ? ' [target locked]' : inp.phase === 'install' ? ' [duplicate installed]' : inp.phase === 'capture' ? ' [source taken]' : inp.phase === 'full' ? ' [no free descriptor]' : inp.phase === 'drop' ? ' [source dropped]' : '';
  if (out === undefined) return `${who} ${call}${phase}`;
  const r = out.err ? `-1 ${errName(out.err)}` : String(out.res);
  return `${who} ${call}${phase} -> ${r}${out.data && (i.call === 'read' || i.call === 'recv') ? ` data ${out.data}` : ''}`;
}
