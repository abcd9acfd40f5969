/**
 * Exactly-once (safety, plus a check at the end of the run).
 *
 * Every request a thread submits is executed by the service domain exactly once: never twice (a
 * request served twice would, for example, write a file twice), and a thread never reads a result of
 * a request that was not executed; when a run ends with every thread finished, each of their calls
 * ran once. The count comes from a ghost counter the worker's execute step increments for the request
 * number it finds in the entry's argument, so an entry popped twice or a stale entry shows up here.
 *
 * VIRTUOS.md: "The dispatch protocol", hazards ("a request served twice or never").
 */
import { SEEN_FAILED, threadName } from '../../model/kit/layout.ts';
import { sclib } from '../../model/dispatch/sclib.ts';
import { procJudged } from '../../model/system/instance.ts';
import type { Property } from '../property.ts';
import { judgedReads, words } from '../lib/reads.ts';

const exited = sclib.stateIndex.get('exited')!;
const idle = sclib.stateIndex.get('idle')!;

export const exactlyOnce: Property = {
  name: 'exactly-once',
  group: 'dispatch',
  kind: 'safety',
  section: 'The dispatch protocol',
  description: 'Every submitted request is executed exactly once: never twice, never read back unexecuted, and every call of a finished thread ran once.',
  clauses: {
    'at-most-once': 'no request is executed more than once',
    'executed-before-read': 'a caller reads a result only for a request that was executed',
    'finished-calls-executed': 'at the end of a run, every call of every exited thread (or, carrying POSIX calls, every call a thread has returned) was executed exactly once; a call that failed with its domain (composed system) at most once',
  },
  *reads({ L }) {
    yield* judgedReads(L);
    yield* words(L.execd, L.requests);
    yield* words(L.seen, L.requests);
  },
  invariant(sys, s) {
    const L = sys.L;
    for (let r = 0; r < L.requests; r++) {
      if (!procJudged(s, L, Math.floor(r / L.cfg.calls / L.cfg.threads))) continue;
      const n = s[L.execd + r];
      if (n > 1) return { clause: 'at-most-once', message: `request ${r + 1} was executed ${n} times` };
      if (s[L.seen + r] !== 0 && s[L.seen + r] !== SEEN_FAILED && n !== 1) return { clause: 'executed-before-read', message: `request ${r + 1}'s result was read but the request was executed ${n} times` };
    }
    return null;
  },
  final(sys, s) {
    const L = sys.L;
    for (let t = 0; t < L.thread.length; t++) {
      // an exited thread made all its calls; a thread idle between the calls of its POSIX thread made k of them
      const pc = s[L.thread[t].pc];
      if ((pc !== exited && pc !== idle) || !procJudged(s, L, Math.floor(t / L.cfg.threads))) continue;
      for (let k = 0; k < s[L.thread[t].k]; k++) {
        const r = t * L.cfg.calls + k;
        // a call that failed with its domain ran at most once (the at-most-once clause judges it)
        if (s[L.execd + r] !== 1 && s[L.seen + r] !== SEEN_FAILED) return { clause: 'finished-calls-executed', message: `${threadName(L, t)} ${pc === exited ? 'exited' : 'returned'} but its call ${k + 1} (request ${r + 1}) was executed ${s[L.execd + r]} times` };
      }
    }
    return null;
  },
};
