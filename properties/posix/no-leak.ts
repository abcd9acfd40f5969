/**
 * No leak across domains (safety).
 *
 * Nothing of a process outlives it in any domain, and nothing it holds in a domain is forgotten by
 * its library while it lives. After a process has exited and every service domain has processed
 * REMOVE, no domain keeps anything of it: no shadow process, no descriptors, no eventfds, no grants
 * of its shared regions, no mapping of its ready queue, no request in flight, and the primary kernel
 * keeps no descriptor of it. While it runs, every descriptor its shadow processes (and the primary
 * kernel) hold for it is one its translation table refers to, or one a call in flight holds (a new
 * descriptor not installed yet, dup2's replaced descriptor being closed, an answer not collected
 * yet); any other is an orphan that stays open until the process exits.
 *
 * VIRTUOS.md: "Descriptors, fork, exec, polling, signals"; "Memory and isolation" (grants, ready
 * queue mapping); exit is REMOVE in the backend.
 */
import { callCode } from '../../model/posix/program.ts';
import { LOC, NET, STO } from '../../model/posix/kernel.ts';
import { slotsOfProc } from '../../model/posix/layout.ts';
import { storageWorker } from '../../model/posix/domain-worker.ts';
import { RPC_DONE, RPC_SERVED } from '../../model/posix/service.ts';
import { tableCorrupt } from './lib/history.ts';
import { domainJudged } from './lib/scope.ts';
import type { Property } from '../property.ts';

const DOM = ['network', 'storage', 'primary'];
const IDLE = storageWorker.stateIndex.get('idle')!;
const CREATES = new Set([callCode('open'), callCode('socket'), callCode('dup'), callCode('dup2')]);
const EVERY_DOMAIN = [NET, STO, LOC];
const SERVICE_DOMAINS = [NET, STO];
/**
 * The descriptors a live process is known to hold in one domain (1: held). The invariant runs on
 * every step of every run, so it clears one array per domain judged instead of building a set.
 */
let held = new Uint8Array(64);
/** Descriptor i is held (one outside the table cannot be one of the table's, so it is not kept). */
function hold(i: number): void {
  if (i >= 0 && i < held.length) held[i] = 1;
}

export const noLeak: Property = {
  name: 'no-leak',
  group: 'posix',
  kind: 'safety',
  section: 'Descriptors, fork, exec, polling, signals',
  description: 'After a process exits nothing of it remains in any domain; while it runs every descriptor a domain holds for it is referred to by its translation table or by a call in flight.',
  clauses: {
    'exited-process-leaves-nothing': 'an exited process has no shadow process, descriptor, eventfd, grant, ready-queue mapping or request left in any domain',
    'no-orphan-descriptor': 'every descriptor a domain holds for a running process is referred to by its translation table or by a call in flight (until a documented deferred close)',
  },
  invariant(sys, s) {
    const PL = sys.L.posix;
    if (!PL) return null;
    for (let p = 0; p < PL.procs; p++) {
      const pstate = s[PL.libc[p].pstate];
      if (pstate === 4) {
        for (const d of EVERY_DOMAIN) {
          if (!domainJudged(sys, s, d)) continue;
          const K = PL.kernel[d];
          const where = `P${p + 1} has exited but the ${DOM[d]} domain`;
          if (s[K.live(p)]) return { clause: 'exited-process-leaves-nothing', message: `${where} still has its ${d === LOC ? 'process' : 'shadow process'}` };
          for (let i = 0; i < K.shape.fds; i++) if (s[K.fd(p, i)] >= 0) return { clause: 'exited-process-leaves-nothing', message: `${where} still holds its descriptor ${i}` };
          if (s[K.grants(p)] || s[K.rqMapped(p)]) return { clause: 'exited-process-leaves-nothing', message: `${where} still ${s[K.grants(p)] ? 'grants its shared regions' : 'maps its ready queue'}` };
          for (const t of slotsOfProc(PL, p)) if (s[K.efdOpen(t)]) return { clause: 'exited-process-leaves-nothing', message: `${where} still has T${t + 1}'s eventfd` };
        }
        for (const t of slotsOfProc(PL, p))
          for (const d of SERVICE_DOMAINS) {
            if (!domainJudged(sys, s, d)) continue;
            if (s[PL.rpc[t][d].st] !== 0) return { clause: 'exited-process-leaves-nothing', message: `P${p + 1} has exited but T${t + 1}'s request to the ${DOM[d]} domain is still in flight` };
            if (s[PL.rpc[t][d].wpc] !== IDLE) return { clause: 'exited-process-leaves-nothing', message: `P${p + 1} has exited but its ${DOM[d]} worker for T${t + 1} is still running a call` };
          }
      }
      // After a deferred close the table's counters no longer count users (documented: close-deferred-while-in-use).
      if (pstate !== 2 || tableCorrupt(sys, s)) continue;
      for (const d of EVERY_DOMAIN) {
        const K = PL.kernel[d];
        if (!s[K.live(p)] || s[K.alias(p)] >= 0 || !domainJudged(sys, s, d)) continue;
        if (held.length < K.shape.fds) held = new Uint8Array(2 * K.shape.fds);
        held.fill(0);
        const lc = PL.libc[p];
        for (let fd = 0; fd < PL.cfg.descriptors; fd++) if (s[lc.cnt + fd] > 0 && s[lc.dom + fd] === d && s[lc.dfd + fd] >= 0) hold(s[lc.dfd + fd]);
        for (const t of slotsOfProc(PL, p)) {
          const th = PL.thread[t];
          if (!s[th.inCall]) continue;
          if (s[th.dom] === d && s[th.ndfd] >= 0) hold(s[th.ndfd]);
          if (s[th.odom] === d && s[th.odfd] >= 0) hold(s[th.odfd]);
          if (d !== LOC) {
            const q = PL.rpc[t][d];
            if ((s[q.st] === RPC_DONE || s[q.st] === RPC_SERVED) && CREATES.has(s[q.op]) && s[q.err] === 0) hold(s[q.res]);
          }
        }
        for (let i = 0; i < K.shape.fds; i++)
          if (s[K.fd(p, i)] >= 0 && held[i] === 0)
            return { clause: 'no-orphan-descriptor', message: `the ${DOM[d]} domain holds descriptor ${i} for P${p + 1}, which neither its translation table nor a call in flight refers to` };
      }
    }
    return null;
  },
};
