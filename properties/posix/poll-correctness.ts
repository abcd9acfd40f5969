/**
 * poll/select across domains return when, and only when, a watched descriptor is ready (safety and
 * bounded liveness).
 *
 * The library splits the watched descriptors by domain, sends each service domain an asynchronous
 * service poll that also watches the thread's eventfd there, polls the local part in the primary
 * kernel, and kicks the eventfds of the domains that have not answered when the first one does.
 * Two things can go wrong: the call returns with nothing ready although its timeout has not expired
 * (a spurious empty return), or it never returns although a watched descriptor in some domain is
 * ready, because the kick that should end a remote part was lost.
 *
 * - no-spurious-empty-return (invariant on the history): a poll or select that returned 0 had a
 *   finite timeout that expired in some part;
 * - no-lost-kick (checked when the run ends quiescent): no thread is still waiting in a poll or
 *   select while one of its watched descriptors is ready in its domain, or while one part of it
 *   (local or remote) has answered.
 *
 * This is not a proof of liveness: it checks the runs the verifier generates, each continued by a
 * fair scheduler until nothing can move (within the drain bound).
 *
 * VIRTUOS.md: "Descriptors, fork, exec, polling, signals" (select/poll).
 */
import { REC_TIMEDOUT } from '../../model/posix/layout.ts';
import { boundHitByUnjudged, type Property } from '../property.ts';
import { callRecords } from './lib/history.ts';
import { pollHasReason, stateName } from './lib/waiting.ts';
import { routeJudged, waitsOnUnjudged } from './lib/scope.ts';

export const pollCorrectness: Property = {
  name: 'poll-correctness',
  group: 'posix',
  kind: 'liveness',
  section: 'Descriptors, fork, exec, polling, signals',
  description: 'poll/select across domains return when and only when a watched descriptor in some domain is ready: no empty return before the timeout, no lost eventfd kick.',
  clauses: {
    'no-spurious-empty-return': 'a poll/select that returns 0 had a finite timeout that expired',
    'no-lost-kick': 'no thread waits for ever in poll/select while a watched descriptor is ready or a part of the call has answered',
  },
  invariant(sys, s) {
    const PL = sys.L.posix;
    if (!PL) return null;
    for (const r of callRecords(sys, s)) {
      const call = PL.code[r.slot][r.index].call;
      if ((call === 'poll' || call === 'select') && r.ret >= 0 && r.err === 0 && r.res === 0 && !(r.flags & REC_TIMEDOUT) && routeJudged(sys, s, r.route))
        return { clause: 'no-spurious-empty-return', message: `T${r.slot + 1}'s ${call} (call ${r.index + 1}) returned 0 without a timeout expiring` };
    }
    return null;
  },
  final(sys, s, end) {
    const PL = sys.L.posix;
    if (!PL || !(end.quiescent || boundHitByUnjudged(sys, s, end))) return null;
    for (let t = 0; t < PL.slots; t++) {
      const st = stateName(sys, s, t);
      if ((st !== 'pollLocalWait' && st !== 'pollAwait') || waitsOnUnjudged(sys, s, t)) continue;
      const why = pollHasReason(sys, s, t);
      if (why) return { clause: 'no-lost-kick', message: `T${t + 1} waits for ever in ${PL.code[t][s[PL.thread[t].ip]].call} although ${why}` };
    }
    return null;
  },
};
