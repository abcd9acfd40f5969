/**
 * Signals during remote calls behave as POSIX says (safety, and bounded liveness for interruption).
 *
 * A signal arriving while a call waits in a kernel: without SA_RESTART the call returns EINTR and
 * has no effect beyond what POSIX allows for a partial operation (here: none, since no modelled call
 * transfers part of its data before blocking); with SA_RESTART the call is not interrupted and
 * completes. VirtuOS implements this across domains: the caller marks its request and sends a
 * signal record, and the service domain interrupts the worker blocked on it, or the worker that
 * picks the marked request returns EINTR instead of blocking.
 *
 * - eintr-only-when-signalled: a call returns EINTR only if a signal was taken while it waited in a
 *   kernel and the handler is without SA_RESTART;
 * - eintr-has-no-effect: a call that returns EINTR was not executed by any kernel;
 * - interrupted-call-returns (when the run ends quiescent): no thread is still waiting in a call that
 *   a signal without SA_RESTART interrupted.
 *
 * VIRTUOS.md: "Descriptors, fork, exec, polling, signals" (signals).
 */
import { EINTR } from '../../model/posix/kernel.ts';
import { REC_EFFECT, REC_SIG_WAITING } from '../../model/posix/layout.ts';
import { boundHitByUnjudged, type Property } from '../property.ts';
import { callRecords } from './lib/history.ts';
import { stateName } from './lib/waiting.ts';
import { routeJudged, waitsOnUnjudged } from './lib/scope.ts';

const WAITING = new Set(['await', 'closeAwait', 'replaceAwait', 'execAwait', 'setuidAwait', 'pollAwait', 'localBlocked', 'pollLocalWait']);

export const signalSemantics: Property = {
  name: 'signal-semantics',
  group: 'posix',
  kind: 'safety',
  section: 'Descriptors, fork, exec, polling, signals',
  description: 'A call interrupted by a signal without SA_RESTART returns EINTR and has no effect; with SA_RESTART it completes; EINTR never appears otherwise.',
  clauses: {
    'eintr-only-when-signalled': 'EINTR is returned only by a call that took a signal while waiting in a kernel, with a handler without SA_RESTART',
    'eintr-has-no-effect': 'a call that returned EINTR was executed by no kernel',
    'interrupted-call-returns': 'no thread still waits in a call that a signal without SA_RESTART interrupted',
  },
  invariant(sys, s) {
    const PL = sys.L.posix;
    if (!PL) return null;
    const restart = PL.cfg.program?.restart ?? false;
    for (const r of callRecords(sys, s)) {
      if (r.ret < 0 || r.err !== EINTR || !routeJudged(sys, s, r.route)) continue;
      const call = PL.code[r.slot][r.index].call;
      if (!(r.flags & REC_SIG_WAITING) || restart)
        return { clause: 'eintr-only-when-signalled', message: `T${r.slot + 1}'s ${call} (call ${r.index + 1}) returned EINTR ${restart ? 'although the handler has SA_RESTART' : 'without a signal while it waited'}` };
      if (r.flags & REC_EFFECT) return { clause: 'eintr-has-no-effect', message: `T${r.slot + 1}'s ${call} (call ${r.index + 1}) returned EINTR but a kernel executed it` };
    }
    return null;
  },
  final(sys, s, end) {
    const PL = sys.L.posix;
    if (!PL || !(end.quiescent || boundHitByUnjudged(sys, s, end)) || PL.cfg.program?.restart) return null;
    for (let t = 0; t < PL.slots; t++) {
      const th = PL.thread[t];
      if (!s[th.inCall] || !WAITING.has(stateName(sys, s, t)) || waitsOnUnjudged(sys, s, t)) continue;
      const r = PL.rec[t][s[th.ip]];
      if (s[r.flags] & REC_SIG_WAITING) return { clause: 'interrupted-call-returns', message: `T${t + 1} still waits in ${PL.code[t][s[th.ip]].call} after a signal without SA_RESTART interrupted it` };
    }
    return null;
  },
};
