/**
 * No lost wakeup (liveness, checked as a bounded property).
 *
 * Once threads stop submitting, every issued call completes: after the random schedule the run is
 * continued by a fair round-robin scheduler for a bounded number of steps (the bound is printed with
 * every verdict); it must reach a state where nothing is enabled and every thread has exited. A thread
 * left parked while its entry is DONE is a lost wakeup (the completion happened but nobody resumed it);
 * a thread left waiting for a call that never ran is a deadlock (for example every worker blocked);
 * reaching the bound with steps still enabled is a livelock or a too-small bound.
 *
 * This is not a proof of liveness: it checks the runs the verifier generates, each for a bounded
 * number of fair steps.
 *
 * VIRTUOS.md: "The dispatch protocol" step 4, "Workers"; hazards ("a lost wakeup").
 */
import { ID_DONE } from '../model/layout.ts';
import { sclib } from '../model/sclib.ts';
import { pcName } from '../model/system.ts';
import type { Property } from './property.ts';

const exited = sclib.stateIndex.get('exited')!;
const blocked = sclib.stateIndex.get('blocked')!;

export const noLostWakeup: Property = {
  name: 'no-lost-wakeup',
  group: 'dispatch',
  kind: 'liveness',
  section: 'The dispatch protocol',
  description: 'Under fair scheduling, once threads stop submitting, every issued call completes and no thread sleeps while its entry is DONE (checked within a stated bound of fair steps).',
  clauses: {
    'no-sleeper-with-done-entry': 'no thread is left parked while its entry is DONE',
    'all-calls-complete': 'every thread finishes all its calls',
    'progress-within-bound': 'the fair continuation of a run quiesces within its bound',
  },
  final(sys, s, end) {
    const L = sys.L;
    if (end.hitBound) return { clause: 'progress-within-bound', message: `steps were still enabled after ${end.bound} fair steps` };
    for (let t = 0; t < L.thread.length; t++) {
      const th = L.thread[t];
      if (s[th.pc] !== blocked || s[th.att] !== -1) continue;
      const p = L.proc[Math.floor(t / L.cfg.threads)];
      if (s[p.id + s[th.e]] === ID_DONE) return { clause: 'no-sleeper-with-done-entry', message: `T${t + 1} sleeps for ever although its entry ${s[th.e]} is DONE (a lost wakeup)` };
    }
    for (let t = 0; t < L.thread.length; t++) {
      if (s[L.thread[t].pc] !== exited) {
        const a = sys.actors.findIndex((x) => x.name === `T${t + 1}`);
        return { clause: 'all-calls-complete', message: `nothing can move, but T${t + 1} is stuck in ${pcName(sys, s, a)} after ${s[L.thread[t].k]} of ${L.cfg.calls} calls` };
      }
    }
    return null;
  },
};
