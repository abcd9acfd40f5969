/**
 * No hang (liveness): every call pending in a service domain when it crashes returns, within
 * NO_HANG_BOUND fair steps, even if the domain never comes back; and no call is left waiting at the
 * end of a run.
 *
 * - pending-calls-return: at every crash of D, in the run continued with D never restarted (its
 *   backend, the administrator and the fault injector held; recovery/lib.ts), every process whose call
 *   was pending in D's incarnation has its call returned within NO_HANG_BOUND fair steps;
 * - all-return: when the run ends (after the fair drain), no process is waiting for a result; with the
 *   adversary on, the network client is promised this only for calls the crash failed (the clause
 *   above): a compromised network domain may take a call and never answer it (found by the composed
 *   search: the adversary took every port so the restarted domain's own boot failed, registered the
 *   service itself, and the client's call went to a domain that never served it).
 *
 * VIRTUOS.md: "Failure and recovery" (waiters get an error).
 */
import { crashOf } from '../../model/recovery/fault-injector.ts';
import { NO_HANG_BOUND } from '../../model/recovery/semantics.ts';
import { CALL_PENDING, CLIENTS, DOMAIN_NAMES, domainOfClient } from '../../model/recovery/layout.ts';
import type { Property } from '../property.ts';
import { clientPc, derivedRun, heldAfterCrash, promisedAtEnd, recoveryOn } from './lib.ts';

export const noHang: Property = {
  name: 'no-hang',
  group: 'recovery',
  kind: 'liveness',
  section: 'Failure and recovery',
  description: `Every call pending in a service domain when it crashes returns (with an error) within ${NO_HANG_BOUND} fair steps, even if the domain never comes back; no call waits at the end of a run.`,
  clauses: {
    'pending-calls-return': `after a crash of D, with D never restarted, every call pending in D returns within ${NO_HANG_BOUND} fair steps`,
    'all-return': 'at the end of the run no process waits for a result (with the adversary on, the network client excepted: a compromised domain may never answer)',
  },
  applies: recoveryOn,
  monitor: (sys) => (_before, ch, after) => {
    const d = crashOf(ch.event.name);
    if (d < 0 || !sys.L.rec) return null;
    const R = sys.L.rec;
    const waitPc = clientPc('wait');
    const pending = [...Array(CLIENTS).keys()].filter((p) => domainOfClient(p) === d && after[R.client[p].status] === CALL_PENDING && after[R.client[p].pc] === waitPc);
    if (pending.length === 0) return null;
    const r = derivedRun(sys, after, heldAfterCrash(sys, d), NO_HANG_BOUND, (s) => pending.every((p) => s[R.client[p].pc] !== waitPc));
    if (!r.reached) {
      const stuck = pending.filter((p) => r.s[R.client[p].pc] === waitPc);
      return { clause: 'pending-calls-return', message: `${stuck.map((p) => `C${p + 1}`).join(', ')}, pending in the crashed ${DOMAIN_NAMES[d]} domain, did not return within ${NO_HANG_BOUND} fair steps` };
    }
    return null;
  },
  final: (sys, s, end) => {
    const R = sys.L.rec!;
    const waitPc = clientPc('wait');
    for (let p = 0; p < CLIENTS; p++)
      if (s[R.client[p].pc] === waitPc && promisedAtEnd(sys.cfg, domainOfClient(p))) return { clause: 'all-return', message: `C${p + 1} still waits for its call at the end of the run (${end.quiescent ? 'nothing else can move' : `fair drain bound ${end.bound} reached`})` };
    return null;
  },
};
