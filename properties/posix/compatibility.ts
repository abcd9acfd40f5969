/**
 * Compatibility with one kernel (a property of the call history, with a liveness clause).
 *
 * Unmodified POSIX programs keep working while their calls are spread over three kernels: for every
 * generated program and interleaving, what the calls returned on the VirtuOS model (return values,
 * errnos, descriptor numbers, bytes read) is what the reference kernel (one kernel, one descriptor
 * table per process, no domains; model/posix/reference-kernel.ts) returns for some order of the same
 * calls that respects real time: a call that returned before another was invoked comes first. The
 * check is a Wing-Gong linearizability search with the reference kernel as the sequential
 * specification. The documented differences (model/posix/differences.ts) are excepted by name and
 * counted; nothing else is.
 *
 * A second clause: at the end of a run no call is stuck where one kernel would not wait: a thread
 * still in a call must be blocked on something a program can wait for (a recv or poll with nothing
 * to read, or dup2 onto a descriptor in use, the documented difference), not spinning or waiting on
 * the library itself.
 *
 * VIRTUOS.md: "Routing of system calls", "Descriptors, fork, exec, polling, signals".
 */
import { checkLinearizable } from '../lib/linearizability.ts';
import { referenceSpec } from '../../model/posix/reference-kernel.ts';
import { boundHitByUnjudged, type Property } from '../property.ts';
import { posixHistory, tableCorrupt } from './lib/history.ts';
import { stuckCall } from './lib/waiting.ts';

/** Final states whose reference search ran out of budget (neither holds nor broken); the verifier counts them. */
export const compatInconclusive = new WeakSet<Int32Array>();

const MAX_NODES = 2_000_000;

export const compatibility: Property = {
  name: 'compatibility',
  group: 'posix',
  kind: 'history',
  section: 'Routing of system calls',
  description:
    "Every program's observable results on VirtuOS (return values, errnos, descriptor numbers, bytes read) are ones the single-kernel reference produces for some real-time-respecting order of the same calls; documented differences excepted by name.",
  clauses: {
    'linearizable-to-reference': 'the call history is linearizable with the reference kernel as its sequential specification (documented differences excepted)',
    'no-call-stuck': 'at the end of a run every thread still in a call waits for something one kernel would also wait for',
  },
  final(sys, s, end) {
    if (!sys.L.posix) return null;
    // After a deferred close the table's counters no longer count users (documented: close-deferred-while-in-use).
    const corrupt = tableCorrupt(sys, s);
    // a drain that only the compromised network domain's machines kept going judges the rest as at rest
    const atRest = end.quiescent || boundHitByUnjudged(sys, s, end);
    if (atRest && !corrupt) {
      const stuck = stuckCall(sys, s);
      if (stuck) return { clause: 'no-call-stuck', message: stuck };
    } else if (end.hitBound && !corrupt) return { clause: 'no-call-stuck', message: `steps were still enabled after ${end.bound} fair steps (a call spins for ever)` };
    const h = posixHistory(sys, s);
    const r = checkLinearizable(referenceSpec(sys.L.posix.cfg), h.ops, { maxNodes: MAX_NODES });
    if (r.verdict === 'unknown') {
      compatInconclusive.add(s);
      return null;
    }
    if (r.verdict === 'illegal') {
      const cut = h.cut ? ` (history cut at tick ${h.cut.tick}: ${h.cut.name})` : '';
      return { clause: 'linearizable-to-reference', message: `${r.explanation}${cut}` };
    }
    return null;
  },
};
