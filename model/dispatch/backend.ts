/**
 * The syscall-backend's wake-event handler, in the service domain: what runs when the primary
 * domain signals the service domain's event channel because a caller saw WAKE_REQUESTED.
 *
 * It clears the pending bit, loads the wake word and CASes it to move every sleeping worker to
 * running and clear WAKE_REQUESTED and WAKE_IN_PROGRESS, then wakes every worker on the domain's
 * wait queue: the sleeping ones (which counted themselves in the word with the CAS that put them to
 * sleep) and the ones between setting WAKE_REQUESTED and sleeping, which then do not sleep.
 *
 * Simplifications: all sleepers are woken (a wake-up of all workers of the domain, each of which
 * polls its own process's alloc_top), not one chosen worker.
 *
 * VIRTUOS.md: "The dispatch protocol" step 2, "Workers".
 */
import { defineComponent, type Ctx } from '../kit/kit.ts';
import { serviceSideRuns } from '../system/instance.ts';
import { wakeRunning, wakeSleeping, wakeWord, dispatchActorName } from '../kit/layout.ts';
import { fmtWake } from './sclib.ts';
import { workerPool } from './worker-pool.ts';

/** The dispatch domain this handler serves. */
const DD = (c: Ctx) => c.L.dd[c.me];
/** Wake every worker of that domain's shadow processes that is on the domain's wait queue. */
function wakeWaiting(c: Ctx): void {
  const n = c.L.cfg.processes * c.L.cfg.workers;
  for (let w = c.me * n; w < c.me * n + n; w++) {
    const wk = c.L.worker[w];
    if (waitingPcs.has(c.s[wk.pc])) c.s[wk.woken] = 1;
  }
}

/** Worker states on the domain's wait queue: from setting WAKE_REQUESTED (prepare_to_wait) to waking. */
const waitingPcs = new Set(['sleepRecheck', 'sleepCommit', 'asleep'].map((n) => workerPool.stateIndex.get(n)!));

export const backend = defineComponent({
  id: 'backend-wake',
  prefix: 'B',
  name: (L, i) => dispatchActorName(L, 'B', i),
  section: 'The dispatch protocol',
  description:
    "The syscall-backend's handler for the service domain's wake event: it clears the pending bit and CASes the wake word to move all sleeping workers " +
    'to running (clearing WAKE_REQUESTED and WAKE_IN_PROGRESS), then wakes them.',
  initial: 'waitEvent',
  count: (L) => (L.cfg.wakePath ? L.dd.length : 0),
  pc: (L, i) => L.dd[i].backend.pc,
  runnable: (c) => serviceSideRuns(c.s, c.L, c.me),
  states: {
    waitEvent: { description: 'blocked until the event channel from the primary domain is pending', on: { BackendTakesWakeEvent: { guard: 'eventPending', target: 'loadWake', actions: 'clearPending' } } },
    loadWake: { description: 'about to load the wake word', on: { BackendLoadsWakeWord: { target: 'casWake', actions: 'loadWake' } } },
    casWake: {
      description: 'about to CAS the wake word: sleepers become running, both flags cleared',
      on: {
        BackendWakesWorkers: [
          { guard: 'wakeUnchanged', target: 'waitEvent', actions: 'wakeWorkers' },
          { target: 'loadWake', actions: 'clearLoaded' },
        ],
      },
    },
  },
  guards: {
    eventPending: (c) => c.s[DD(c).evtToService] !== 0,
    wakeUnchanged: (c) => c.s[DD(c).wake] === c.s[DD(c).backend.wl],
  },
  guardDocs: {
    eventPending: 'the event channel from the primary domain is pending',
    wakeUnchanged: 'the wake word still equals the loaded value',
  },
  actions: {
    clearPending: (c) => {
      c.s[DD(c).evtToService] = 0;
    },
    loadWake: (c) => {
      c.s[DD(c).backend.wl] = c.s[DD(c).wake];
    },
    clearLoaded: (c) => {
      c.s[DD(c).backend.wl] = 0;
    },
    wakeWorkers: (c) => {
      const w = c.s[DD(c).backend.wl];
      c.s[DD(c).wake] = wakeWord(wakeRunning(w) + wakeSleeping(w), 0, false, false);
      c.s[DD(c).backend.wl] = 0;
      wakeWaiting(c);
    },
  },
  events: {
    BackendTakesWakeEvent: { from: 'backend wake handler', to: 'event channel (primary -> service)', description: 'take the wake event and clear its pending bit', label: () => 'takes the wake event (clears pending)' },
    BackendLoadsWakeWord: { from: 'backend wake handler', to: 'wake page', description: 'load the wake word', label: (c) => `loads the wake word ${fmtWake(c.s[DD(c).wake])}` },
    BackendWakesWorkers: {
      from: 'backend wake handler',
      to: 'wake page, sleeping workers',
      description: 'CAS the wake word (sleeping -> running, flags cleared) and wake the workers on the wait queue',
      label: (c, target) => (target === 'waitEvent' ? `wakes ${wakeSleeping(c.s[DD(c).backend.wl])} sleeping worker(s)` : 'fails to CAS the wake word, reloads'),
    },
  },
});
