/**
 * The syscall-frontend's notify thread, in the primary domain: it turns the service domain's
 * notifications into wake-ups of the kernel threads sleeping in `rqueue_wait`.
 *
 * When the event channel from the service domain is pending it clears the pending bit first and only
 * then drains the notify ring, so that a record pushed after the drain is covered by a new pending
 * bit rather than lost. For each record it wakes the wait queue of the process the record names.
 * The frontend's other duty, waking a service domain on the submit path (CAS-setting
 * WAKE_IN_PROGRESS and signalling the event channel), runs in the caller's trap and is written in
 * the user-thread machine (sclib.ts).
 *
 * Simplifications: the ring push is one step (the real ring is a lock-protected ring of records);
 * records are not checked against the sender here (the isolation model adds that).
 *
 * VIRTUOS.md: "Components" (syscall-frontend), "The dispatch protocol" step 3.
 */
import { primaryMapsRing, STORAGE } from '../isolation/layout.ts';
import { dispatchActorName } from '../kit/layout.ts';
import { defineComponent, type Ctx } from '../kit/kit.ts';
import { wakeWaitQueue } from './worker-pool.ts';

/** The dispatch domain this notify thread serves (one per dispatch domain whose notify ring is the dispatch model's). */
const DD = (c: Ctx) => c.L.dd[c.me];

export const frontend = defineComponent({
  id: 'frontend',
  prefix: 'F',
  name: (L, i) => dispatchActorName(L, 'F', i),
  section: 'Components',
  description:
    "The syscall-frontend's notify thread in the primary domain: on an event-channel signal from the service domain it clears the pending bit, " +
    'drains the notify ring and wakes the wait queue of each process named by a record.',
  initial: 'waitEvent',
  // With the isolation layer the storage domain's notify ring is a page of that domain which the primary
  // maps while connected: once the frontend has unmapped it (the domain stopped) the thread touches it no
  // more, and it starts afresh with the next incarnation (found by memory-isolation in the composed system:
  // a drain begun before a crash went on reading the ring after the DISCONNECT).
  runnable: (c) => c.L.iso === null || primaryMapsRing(c.s, c.L.iso, STORAGE),
  // with the isolation layer the network domain's records go through FN (network-frontend.ts), which checks them
  count: (L) => (L.cfg.notify === 'ring' ? (L.iso ? 1 : L.dd.length) : 0),
  pc: (L, i) => L.dd[i].frontend.pc,
  states: {
    waitEvent: { description: 'blocked until the event channel from the service domain is pending', on: { FrontendTakesNotifyEvent: { guard: 'eventPending', target: 'drain', actions: 'clearPending' } } },
    drain: {
      description: 'about to pop a record from the notify ring',
      on: {
        FrontendPopsNotifyRecord: [
          { guard: 'ringNonEmpty', target: 'wake', actions: 'popRecord' },
          { target: 'waitEvent' },
        ],
      },
    },
    wake: { description: 'holds a record; about to wake that process\'s wait queue', on: { FrontendWakesWaitQueue: { target: 'drain', actions: 'wakeProcess' } } },
  },
  guards: {
    eventPending: (c) => c.s[DD(c).evtToPrimary] !== 0,
    ringNonEmpty: (c) => c.s[DD(c).ringLen] > 0,
  },
  guardDocs: {
    eventPending: 'the event channel from the service domain is pending',
    ringNonEmpty: 'the notify ring holds a record',
  },
  actions: {
    clearPending: (c) => {
      c.s[DD(c).evtToPrimary] = 0;
    },
    popRecord: (c: Ctx) => {
      const n = c.s[DD(c).ringLen];
      c.s[DD(c).frontend.rec] = c.s[DD(c).ring];
      for (let i = 0; i + 1 < n; i++) c.s[DD(c).ring + i] = c.s[DD(c).ring + i + 1];
      c.s[DD(c).ring + n - 1] = 0;
      c.s[DD(c).ringLen] = n - 1;
    },
    wakeProcess: (c) => {
      wakeWaitQueue(c, c.s[DD(c).frontend.rec]);
      c.s[DD(c).frontend.rec] = 0;
    },
  },
  events: {
    FrontendTakesNotifyEvent: { from: 'frontend notify thread', to: 'event channel (service -> primary)', description: 'clear the pending bit before draining the ring', label: () => 'takes the notify event (clears pending)' },
    FrontendPopsNotifyRecord: {
      from: 'frontend notify thread',
      to: 'notify ring',
      description: 'pop the oldest notify record, or go back to waiting when the ring is empty',
      label: (c, target) => (target === 'wake' ? `pops a notify record for process ${c.s[DD(c).ring] + 1}` : 'finds the notify ring empty'),
    },
    FrontendWakesWaitQueue: { from: 'frontend notify thread', to: 'process wait queue', description: 'wake every kernel thread registered on the process wait queue', label: (c) => `wakes the wait queue of process ${c.s[DD(c).frontend.rec] + 1}` },
  },
});
