/**
 * The POSIX layer's initial state: P1 running with its three inherited descriptors (0 a TCP socket
 * connected to a remote client, network domain; 1 "/storage/a", storage domain; 2 an AF_UNIX socket
 * connected to a local peer, primary domain), registered with both service domains (shadow
 * processes, grants, ready-queue mapping, per-thread eventfds); the files "/storage/a" and "/tmp/c"
 * with their initial contents; children not yet created; every request slot idle.
 */
import { clearRegisters, posixThread } from './thread.ts';
import { storageWorker } from './domain-worker.ts';
import { fullBitmap } from './fd-table.ts';
import { INHERITED, initKernel, LOC, NET, openInherited, seedFile, STO } from './kernel.ts';
import type { PosixLayout } from './layout.ts';
import { INITIAL_FILES } from './program.ts';
import { pathDomain } from './routing.ts';

export function initPosix(s: Int32Array, PL: PosixLayout): void {
  const c = PL.cfg;
  const nP1 = c.program ? c.program.threads.length : c.threads;
  for (let t = 0; t < PL.slots; t++) {
    const th = PL.thread[t];
    clearRegisters(s, th);
    s[th.pc] = posixThread.stateIndex.get(t < c.threads ? (t < nP1 ? 'fetch' : 'finished') : 'unborn')!;
    for (const d of [NET, STO]) s[PL.rpc[t][d].wpc] = storageWorker.stateIndex.get('idle')!;
    for (const r of PL.rec[t]) for (const f of ['inv', 'ret', 'rsv', 'rt', 'gt', 'a0', 'a1'] as const) s[r[f]] = -1;
  }
  s[PL.tick] = 0;
  s[PL.cut] = -1;
  for (let p = 0; p < PL.procs; p++) {
    const lc = PL.libc[p];
    for (let fd = 0; fd < c.descriptors; fd++) s[lc.dfd + fd] = -1;
  }
  const p1 = PL.libc[0];
  for (let fd = 0; fd < 3; fd++) {
    s[p1.cnt + fd] = 3;
    s[p1.dfd + fd] = 0;
    s[p1.dom + fd] = INHERITED[fd];
  }
  s[p1.bitmap] = fullBitmap(c.descriptors) & ~7;
  // the composed system tags every descriptor with its domain's incarnation (the first, 0; -1 local or free)
  for (const lc of PL.libc)
    if (lc.ep >= 0)
      for (let fd = 0; fd < c.descriptors; fd++) {
        const ep = lc === p1 && fd < 3 && INHERITED[fd] !== LOC ? 0 : -1;
        s[lc.ep + fd] = ep;
        s[lc.gep + fd] = ep;
      }
  for (const row of PL.rpc)
    for (const q of row)
      if (q.ep >= 0) {
        s[q.ep] = -1;
        s[q.gep] = -1;
      }
  s[p1.pstate] = 2;
  s[p1.live] = nP1;
  for (const d of [NET, STO, LOC]) {
    const K = PL.kernel[d];
    initKernel(s, K);
    for (const f of INITIAL_FILES) if (pathDomain(f.path) === d) seedFile(s, K, f.path, f.bytes, d);
    s[K.live(0)] = 1;
    openInherited(s, K, d, 0);
    if (d !== LOC) {
      s[K.grants(0)] = 3;
      s[K.rqMapped(0)] = 1;
    }
    for (let t = 0; t < c.threads; t++) s[K.efdOpen(t)] = 1;
  }
}
