/**
 * fork and exec inheritance (safety).
 *
 * A child created by fork sees the parent's open descriptors with the same numbers, owned by the
 * same domains, sharing the parent's open file descriptions (so offsets are shared): VirtuOS copies
 * the translation table with the process memory, and each service domain creates the child's shadow
 * process by copying the parent shadow's descriptor table, so remote descriptors keep their numbers.
 * After exec, exactly the close-on-exec descriptors are gone, in the library and in every domain
 * (remote ones are closed remotely), and the others remain.
 *
 * - child-sees-parent-descriptors: when the child has registered with every domain and before it
 *   makes a call, its translation table equals the parent's;
 * - child-shares-open-file-descriptions: at that moment, in every domain, the child's descriptor
 *   table has at each of the parent's numbers the same open file description as the parent's;
 * - exec-closes-exactly-cloexec: when exec returns, the open descriptors are those open before it
 *   minus the close-on-exec ones;
 * - exec-closes-cloexec-remotely: at that moment every domain holds for the process exactly the
 *   descriptors its table refers to.
 *
 * VIRTUOS.md: "Descriptors, fork, exec, polling, signals" (fork, exec).
 */
import { LOC, NET, STO } from '../../model/posix/kernel.ts';
import type { Property } from '../property.ts';
import { descriptorJudged, domainJudged } from './lib/scope.ts';
import { stateName } from './lib/waiting.ts';

const DOM = ['network', 'storage', 'primary'];

export const forkExecInheritance: Property = {
  name: 'fork-exec-inheritance',
  group: 'posix',
  kind: 'safety',
  section: 'Descriptors, fork, exec, polling, signals',
  description: "The child sees the parent's descriptors with the same numbers, domains and open file descriptions (offsets); exec closes exactly the close-on-exec ones, remotely where remote.",
  clauses: {
    'child-sees-parent-descriptors': "right after registration the child's translation table equals the parent's",
    'child-shares-open-file-descriptions': "right after registration the child's table in every domain holds the parent's open file descriptions at the same numbers",
    'exec-closes-exactly-cloexec': 'after exec the open descriptors are the ones open before minus the close-on-exec ones',
    'exec-closes-cloexec-remotely': 'after exec every domain holds exactly the descriptors the translation table refers to',
  },
  invariant(sys, s) {
    const PL = sys.L.posix;
    if (!PL) return null;
    const D = PL.cfg.descriptors;
    for (let q = 1; q < PL.procs; q++) {
      const slot = PL.cfg.threads + q - 1;
      const th = PL.thread[slot];
      const child = PL.libc[q];
      const parent = PL.libc[0];
      // Just registered: the child runs, has made no call, and the parent still waits in fork.
      if (s[child.pstate] === 2 && s[th.ip] === 0 && !s[th.inCall] && stateName(sys, s, 0) === 'forkWait') {
        for (let fd = 0; fd < D; fd++)
          for (const f of ['cnt', 'dfd', 'dom', 'flags'] as const)
            if (s[child[f] + fd] !== s[parent[f] + fd])
              return { clause: 'child-sees-parent-descriptors', message: `child P${q + 1}'s descriptor ${fd} has ${f} ${s[child[f] + fd]}, the parent's has ${s[parent[f] + fd]}` };
        for (let fd = 0; fd < D; fd++) {
          const dfd = s[parent.dfd + fd];
          if (dfd < 0 || !descriptorJudged(sys, s, 0, fd)) continue;
          const d = s[parent.dom + fd];
          const K = PL.kernel[d];
          if (s[K.fd(q, dfd)] !== s[K.fd(0, dfd)])
            return { clause: 'child-shares-open-file-descriptions', message: `in the ${DOM[d]} domain child P${q + 1}'s descriptor ${dfd} (its descriptor ${fd}) is ${s[K.fd(q, dfd)] < 0 ? 'not open' : `open file description ${s[K.fd(q, dfd)]}`}, the parent's is open file description ${s[K.fd(0, dfd)]}` };
        }
      }
      // Just after exec returned, before the next call.
      const ip = s[th.ip];
      if (ip > 0 && !s[th.inCall] && PL.code[slot][ip - 1]?.call === 'exec' && s[child.pstate] === 2) {
        const r = PL.rec[slot][ip - 1];
        let open = 0;
        for (let fd = 0; fd < D; fd++) if (s[child.dfd + fd] >= 0) open |= 1 << fd;
        const expected = s[r.a0] & ~s[r.a1];
        if (open !== expected) return { clause: 'exec-closes-exactly-cloexec', message: `after exec child P${q + 1}'s open descriptors are {${list(open, D)}}, expected {${list(expected, D)}}` };
        for (const d of [NET, STO, LOC]) {
          const K = PL.kernel[d];
          if (!s[K.live(q)] || s[K.alias(q)] >= 0 || !domainJudged(sys, s, d)) continue;
          const held = new Set<number>();
          for (let fd = 0; fd < D; fd++) if (s[child.dfd + fd] >= 0 && s[child.dom + fd] === d && descriptorJudged(sys, s, q, fd)) held.add(s[child.dfd + fd]);
          for (let i = 0; i < K.shape.fds; i++)
            if ((s[K.fd(q, i)] >= 0) !== held.has(i))
              return { clause: 'exec-closes-cloexec-remotely', message: `after exec the ${DOM[d]} domain ${held.has(i) ? 'lacks' : 'still holds'} descriptor ${i} of child P${q + 1}` };
        }
      }
    }
    return null;
  },
};

function list(mask: number, n: number): string {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (mask & (1 << i)) out.push(i);
  return out.join(', ');
}
