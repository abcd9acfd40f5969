/**
 * Right thread (safety).
 *
 * Each result reaches the thread that issued the call, and no thread resumes before its entry is
 * DONE: when a thread is about to read its result, its entry holds DONE, its own handle and its own
 * sequence number; and the value it reads back is the result of its own request. With M:N threading a
 * kernel thread runs whichever thread's handle it dequeued, so a handle enqueued for the wrong thread
 * or an entry reused under a reader shows up here.
 *
 * VIRTUOS.md: "The dispatch protocol", steps 3-5; hazards ("a result delivered to the wrong thread").
 */
import { ID_DONE, SEEN_FAILED, threadName } from '../../model/kit/layout.ts';
import { resultOf, sclib } from '../../model/dispatch/sclib.ts';
import { procJudged } from '../../model/system/instance.ts';
import type { Property } from '../property.ts';
import { judgedReads, words } from '../lib/reads.ts';

const readResult = sclib.stateIndex.get('readResult')!;

export const rightThread: Property = {
  name: 'right-thread',
  group: 'dispatch',
  kind: 'safety',
  section: 'The dispatch protocol',
  description: 'Each result reaches the thread that issued it, and no thread resumes before its entry is DONE.',
  clauses: {
    'own-result': 'the value a thread reads back is the result of its own request',
    'resumed-only-when-done': 'a thread about to read its result finds its entry DONE, with its own handle and sequence number',
  },
  *reads({ L }) {
    yield* judgedReads(L);
    yield* words(L.seen, L.requests);
    for (const th of L.thread) yield* [th.pc, th.e, th.k];
    for (const p of L.proc) for (const at of [p.id, p.owner, p.seq]) yield* words(at, L.cfg.entries);
  },
  invariant(sys, s) {
    const L = sys.L;
    for (let r = 0; r < L.requests; r++) {
      if (!procJudged(s, L, Math.floor(r / L.cfg.calls / L.cfg.threads))) continue;
      const got = s[L.seen + r];
      if (got !== 0 && got !== SEEN_FAILED && got !== resultOf(r)) return { clause: 'own-result', message: `request ${r + 1} read back ${got}, but its result is ${resultOf(r)}` };
    }
    for (let t = 0; t < L.thread.length; t++) {
      const th = L.thread[t];
      if (s[th.pc] !== readResult || !procJudged(s, L, Math.floor(t / L.cfg.threads))) continue;
      const p = L.proc[Math.floor(t / L.cfg.threads)];
      const e = s[th.e];
      if (s[p.id + e] !== ID_DONE) return { clause: 'resumed-only-when-done', message: `${threadName(L, t)} is about to read entry ${e}, whose call id is ${s[p.id + e]}, not DONE` };
      if (s[p.owner + e] !== t || s[p.seq + e] !== s[th.k] + 1)
        return { clause: 'resumed-only-when-done', message: `${threadName(L, t)} is about to read entry ${e}, which now belongs to ${threadName(L, s[p.owner + e])} (seq ${s[p.seq + e]})` };
    }
    return null;
  },
};
