/**
 * Crash containment across domains (safety; composed system).
 *
 * A service domain's failure shows only in the calls that used it: a call whose every remote part went
 * to domains that have not failed never returns a crash error (EIO, ECONNRESET, ENXIO, ENETDOWN); and
 * a poll or select that spans a failed domain and a running one does not fail: the failed domain's
 * descriptors are reported ready (an error condition the next call on them returns), the running
 * domain's readiness as usual. Only the composed system can state this: it needs POSIX calls of both
 * domains in one process, carried by the dispatch machines, and a crash.
 *
 * - no-foreign-crash-error: a returned call with a crash error touched a domain that has failed;
 * - poll-survives-a-failed-domain: no poll or select returns a crash error.
 *
 * VIRTUOS.md: "Failure and recovery" (a crash must not take down processes that do not use the
 * domain; model/recovery/semantics.ts decides the rest), "Descriptors, fork, exec, polling, signals".
 */
import { DOMAINS, ECONNRESET, EIO, ENETDOWN, ENXIO, NET, STO } from '../../model/posix/kernel.ts';
import { errName } from '../../model/posix/program.ts';
import { callRecords } from '../posix/lib/history.ts';
import type { Property } from '../property.ts';
import { hasFailed, systemOn } from './lib.ts';
import { routeJudged } from '../posix/lib/scope.ts';

const CRASH_ERRORS = new Set([EIO, ECONNRESET, ENXIO, ENETDOWN]);

export const crashContainment: Property = {
  name: 'crash-containment',
  group: 'system',
  kind: 'safety',
  section: 'Failure and recovery',
  description:
    "A service domain's failure shows only in calls that used it: a call that went only to domains that have not failed never returns a crash error, and a poll or select over a failed and a running domain reports the failed domain's descriptors ready instead of failing.",
  clauses: {
    'no-foreign-crash-error': 'a call that returned EIO, ECONNRESET, ENXIO or ENETDOWN went to a service domain that has failed',
    'poll-survives-a-failed-domain': 'no poll or select returns a crash error',
  },
  applies: systemOn,
  invariant(sys, s) {
    const PL = sys.L.posix!;
    for (const r of callRecords(sys, s)) {
      if (r.ret < 0 || !CRASH_ERRORS.has(r.err) || !routeJudged(sys, s, r.route)) continue;
      const call = PL.code[r.slot][r.index].call;
      const what = `T${r.slot + 1}'s ${call} (call ${r.index + 1}) returned ${errName(r.err)}`;
      if (call === 'poll' || call === 'select') return { clause: 'poll-survives-a-failed-domain', message: `${what}: a failed domain's part must report its descriptors ready, not fail the call` };
      const used = [NET, STO].filter((d) => r.route & (1 << d));
      if (!used.some((d) => hasFailed(sys, s, d)))
        return { clause: 'no-foreign-crash-error', message: `${what}, but it went only to the ${used.map((d) => DOMAINS[d]).join(' and ') || 'primary'} domain, which has not failed` };
    }
    return null;
  },
};
