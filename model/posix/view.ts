/**
 * The POSIX layer's state with names, for traces and replay: each process's translation table, each
 * thread's control state and call registers, each request slot, the three kernels (shadow processes,
 * files, sockets, open file descriptions, eventfds) and the call history. Total: it never fails on a
 * corrupted state.
 */
import type { Plain } from '../kit/plain.ts';
import type { System } from '../kit/system.ts';
import { entryState } from './fd-table.ts';
import { DOMAINS, FREE, OFD_FILE, OFD_FREE, RESERVED, SOCK_FREE, type KernelLayout } from './kernel.ts';
import { REGISTER, REMOVE, procOfSlot, type PosixLayout } from './layout.ts';
import { callOfCode, errName, instrText, PATHS } from './program.ts';
import { routeName } from './routing.ts';
import { posixThread } from './thread.ts';
import { storageWorker } from './domain-worker.ts';

export const POSIX_VARS = ['processes', 'threads', 'requests', 'kernels', 'history'] as const;

const PSTATE = ['not created', 'registering', 'running', 'exiting', 'exited'];
const RPCST = ['idle', 'submitted', 'blocked', 'done', 'served'];
const domName = (d: number) => (d >= 0 && d < 3 ? DOMAINS[d] : String(d));

function kernelView(s: Int32Array, K: KernelLayout): Record<string, Plain> {
  const procs: Plain[] = [];
  for (let p = 0; p < K.shape.procs; p++) {
    const fds: Record<string, Plain> = {};
    for (let i = 0; i < K.shape.fds; i++) {
      const o = s[K.fd(p, i)];
      if (o === FREE) continue;
      fds[String(i)] = o === RESERVED ? 'reserved' : `ofd ${o}${s[K.cloexec(p, i)] ? ' cloexec' : ''}`;
    }
    const pv: Record<string, Plain> = { live: s[K.live(p)] !== 0, uid: s[K.uid(p)], descriptors: fds };
    if (s[K.alias(p)] >= 0) pv.uses_table_of = `P${s[K.alias(p)] + 1}`;
    if (K.shape.name !== 'primary') {
      pv.grants = s[K.grants(p)];
      pv.ready_queue_mapped = s[K.rqMapped(p)] !== 0;
    }
    procs.push(pv);
  }
  const files: Record<string, Plain> = {};
  for (let n = 0; n < K.shape.names; n++) if (s[K.dir(n)] !== FREE) files[PATHS[n]] = `inode ${s[K.dir(n)]}`;
  const inodes: Record<string, Plain> = {};
  for (let i = 0; i < K.shape.inodes; i++) {
    if (s[K.inoLinks(i)] === 0 && s[K.inoOpens(i)] === 0) continue;
    const size = s[K.inoSize(i)];
    inodes[String(i)] = { links: s[K.inoLinks(i)], opens: s[K.inoOpens(i)], owner: s[K.inoOwner(i)], bytes: Array.from({ length: Math.max(0, Math.min(size, K.shape.bytes)) }, (_, k) => s[K.inoByte(i, k)]) };
  }
  const ofds: Record<string, Plain> = {};
  for (let o = 0; o < K.shape.ofds; o++) {
    if (s[K.ofdKind(o)] === OFD_FREE) continue;
    ofds[String(o)] = { [s[K.ofdKind(o)] === OFD_FILE ? 'inode' : 'socket']: s[K.ofdObj(o)], offset: s[K.ofdOff(o)], refs: s[K.ofdRefs(o)] };
  }
  const sockets: Record<string, Plain> = {};
  for (let k = 0; k < K.shape.sockets; k++) {
    if (s[K.sockState(k)] === SOCK_FREE) continue;
    const len = s[K.sockLen(k)];
    sockets[String(k)] = { connected: s[K.sockState(k)] === 2, queued: Array.from({ length: Math.max(0, Math.min(len, K.shape.bytes)) }, (_, j) => s[K.sockByte(k, j)]) };
  }
  const eventfds: Record<string, Plain> = {};
  for (let t = 0; t < K.shape.threads; t++) if (s[K.efdOpen(t)]) eventfds[`T${t + 1}`] = s[K.efdCount(t)];
  const out: Record<string, Plain> = { processes: procs, open_files: ofds, eventfds };
  if (K.shape.inodes) {
    out.files = files;
    out.inodes = inodes;
  }
  if (K.shape.sockets) out.sockets = sockets;
  return out;
}

export function decodePosix(sys: System, s: Int32Array): Record<string, Plain> {
  const PL: PosixLayout = sys.L.posix!;
  const D = PL.cfg.descriptors;
  const processes = PL.libc.map((lc, p) => {
    const table: Record<string, Plain> = {};
    for (let fd = 0; fd < D; fd++) {
      const cnt = s[lc.cnt + fd];
      if (cnt === 0 && s[lc.dfd + fd] < 0) continue;
      table[String(fd)] = { state: entryState(cnt), domain: domName(s[lc.dom + fd]), dfd: s[lc.dfd + fd], cloexec: s[lc.flags + fd] !== 0 };
    }
    const bits = Array.from({ length: D }, (_, i) => ((s[lc.bitmap] >> i) & 1 ? 'F' : 'u')).join('');
    return { pid: p + 1, state: PSTATE[s[lc.pstate]] ?? String(s[lc.pstate]), live_threads: s[lc.live], table, free_bitmap: bits };
  });
  const threads = PL.thread.map((th, t) => {
    const pc = posixThread.states[s[th.pc]]?.name ?? `?${s[th.pc]}`;
    const ins = PL.code[t][s[th.ip]];
    // Registers are shown only while they hold something (neither 0 nor -1).
    const regs: Record<string, number> = {};
    for (const [k, at] of Object.entries(th)) if (at >= 0 && k !== 'pc' && k !== 'ip' && k !== 'pend' && k !== 'inCall' && s[at] !== 0 && s[at] !== -1) regs[k] = s[at];
    return { name: `T${t + 1}`, process: `P${procOfSlot(PL, t) + 1}`, pc, next_call: ins ? `${s[th.ip] + 1}. ${instrText(ins)}` : '-', in_call: s[th.inCall] !== 0, signal_pending: s[th.pend] !== 0, regs };
  });
  const requests = PL.rpc.map((row, t) => {
    const out: Record<string, Plain> = {};
    row.forEach((q, d) => {
      const op = s[q.op];
      if (s[q.st] === 0 && storageWorker.states[s[q.wpc]]?.name === 'idle') {
        out[DOMAINS[d]] = 'idle';
        return;
      }
      out[DOMAINS[d]] = {
        worker: storageWorker.states[s[q.wpc]]?.name ?? `?${s[q.wpc]}`,
        state: RPCST[s[q.st]] ?? String(s[q.st]),
        call: op === REGISTER ? 'REGISTER' : op === REMOVE ? 'REMOVE' : callOfCode(op),
        args: [s[q.a0], s[q.a1], s[q.a2]],
        result: s[q.err] ? `-1 ${errName(s[q.err])}` : s[q.res],
        data: s[q.data],
        signal: s[q.sig] !== 0,
        timed_out: s[q.timed] !== 0,
      };
    });
    return { thread: `T${t + 1}`, ...out };
  });
  const kernels = { network: kernelView(s, PL.kernel[0]), storage: kernelView(s, PL.kernel[1]), primary: kernelView(s, PL.kernel[2]) };
  const calls: Plain[] = [];
  PL.rec.forEach((row, t) =>
    row.forEach((r, k) => {
      if (s[r.inv] < 0) return;
      const ins = PL.code[t][k];
      const c: Record<string, Plain> = { call: `T${t + 1}.${k + 1} ${instrText(ins)}`, args: [s[r.a0], s[r.a1]], invoked: s[r.inv], returned: s[r.ret] };
      if (s[r.ret] >= 0) c.result = s[r.err] ? `-1 ${errName(s[r.err])}` : s[r.res];
      if (s[r.data]) c.data = s[r.data];
      if (s[r.rsv] >= 0) c[ins.call === 'close' ? 'unusable' : ins.call === 'dup2' ? 'locked' : 'reserved'] = `descriptor ${s[r.rsv]} at ${s[r.rt]}`;
      if (s[r.gt] >= 0) c[ins.call === 'open' ? 'file_opened_at' : 'source_taken_at'] = s[r.gt];
      if (s[r.flags]) c.flags = s[r.flags];
      c.route = routeName(ins.call, s[r.route]);
      calls.push(c);
    }),
  );
  const history = { clock: s[PL.tick], cut_at: s[PL.cut], calls };
  return { processes, threads, requests, kernels, history };
}
