/**
 * Descriptors across restarts (safety; composed system).
 *
 * A descriptor belongs to the incarnation of its service domain it was opened in. After that
 * incarnation fails, the descriptor is dead for good, in the process and in every child forked from it
 * later: no call on it reaches the restarted domain, whose new shadow process may by then have another
 * file under the same number (EBADF is decided by the library; model/recovery/semantics.ts). Fork copies each
 * descriptor's incarnation with it. Only the composed system can state this: it needs fork and exec
 * (POSIX), the translation table's incarnation tags and a restart (recovery), and the request reaching
 * a domain (dispatch). The incarnation a descriptor really belongs to is a ghost the model keeps beside
 * the library's own tag.
 *
 * - stale-descriptor-never-reaches-a-domain: every request submitted to a domain on a descriptor
 *   names a descriptor of the incarnation that serves it;
 * - fork-keeps-incarnations: a forked child's descriptors carry the parent's incarnations.
 *
 * VIRTUOS.md: "Failure and recovery", "Descriptors, fork, exec, polling, signals" (fork).
 */
import { DOMAINS, NET, STO } from '../../model/posix/kernel.ts';
import { RPC_BLOCKED, RPC_SERVED, RPC_SUBMITTED } from '../../model/posix/service.ts';
import type { Property } from '../property.ts';
import { systemOn } from './lib.ts';
import { stateName } from '../posix/lib/waiting.ts';
import { tableCorrupt } from '../posix/lib/history.ts';

export const restartDescriptors: Property = {
  name: 'restart-descriptors',
  group: 'system',
  kind: 'safety',
  section: 'Failure and recovery',
  description:
    'A descriptor of a failed incarnation stays dead in the process and in every child forked from it: no call on it reaches the restarted domain; fork copies each descriptor\'s incarnation.',
  clauses: {
    'stale-descriptor-never-reaches-a-domain': 'a request on a descriptor reaches a domain only if the descriptor belongs to the incarnation serving it (until a documented deferred close: then the table no longer counts its users)',
    'fork-keeps-incarnations': "a forked child's descriptors belong to the incarnations the parent's do",
  },
  applies: systemOn,
  invariant(sys, s) {
    const PL = sys.L.posix!;
    const R = sys.L.rec!;
    // after a deferred close the translation table's counters no longer count users (documented:
    // close-deferred-while-in-use): a reference can outlive its entry, so its ghost incarnation is not judged
    const corrupt = tableCorrupt(sys, s);
    for (let t = 0; t < PL.slots && !corrupt; t++)
      for (const d of [NET, STO]) {
        const q = PL.rpc[t][d];
        const st = s[q.st];
        if ((st !== RPC_SUBMITTED && st !== RPC_BLOCKED && st !== RPC_SERVED) || !s[q.ref] || s[q.gep] < 0) continue;
        if (s[q.gep] !== s[q.ep])
          return {
            clause: 'stale-descriptor-never-reaches-a-domain',
            message: `T${t + 1}'s request to the ${DOMAINS[d]} domain names a descriptor of incarnation ${s[q.gep]}, but incarnation ${s[q.ep]} serves it (the frontend's is ${s[R.dom[d].fe]})`,
          };
      }
    for (let p = 1; p < PL.procs; p++) {
      const child = PL.libc[p];
      const parent = PL.libc[0];
      // while the fork is in progress (the parent waits in fork, the child has made no call) the child's table is the parent's copy
      const slot = PL.cfg.threads + p - 1;
      if (s[child.pstate] === 0 || s[PL.thread[slot].ip] > 0 || s[PL.thread[slot].inCall] || stateName(sys, s, 0) !== 'forkWait') continue;
      for (let fd = 0; fd < PL.cfg.descriptors; fd++) {
        if (s[child.dfd + fd] < 0) continue;
        if (s[child.ep + fd] !== s[parent.ep + fd])
          return { clause: 'fork-keeps-incarnations', message: `child P${p + 1}'s descriptor ${fd} is tagged with incarnation ${s[child.ep + fd]} of the ${DOMAINS[s[child.dom + fd]]} domain, the parent's with ${s[parent.ep + fd]}` };
      }
    }
    return null;
  },
};
