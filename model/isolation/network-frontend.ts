/**
 * The syscall-frontend's notify thread for the network domain (FN), in the primary domain: the same
 * drain as the storage domain's (frontend.ts), on the network domain's notify ring and event channel,
 * with the check the primary makes on every record a service domain sends.
 *
 * A record names a thread group (tgid: a process) and a thread (pid: one of its kernel threads). The
 * frontend wakes the process's rqueue_wait queue only if the pid belongs to the thread group and the
 * thread group is registered with the domain that sent the record; anything else is ignored. The
 * released code (service.c, syscall_process_request) checks only the first half, that the pid belongs
 * to the claimed thread group: a compromised domain that names a real (tgid, pid) pair of a process
 * registered only with the other service domain would still wake that process's sleepers (a spurious
 * wake-up: they retry the dequeue and sleep again; no memory is touched, but the process's scheduling
 * is no longer independent of the compromised domain). The model checks registration as well, and the
 * confinement property is what shows the difference.
 *
 * The ring itself is in a page the network domain owns and may scribble on: the thread reads the
 * length word but never more records than the ring holds (the real ring macros mask the indices).
 *
 * The `notify-unchecked` seeded bug drops the check: the record's pid alone names the process to wake.
 *
 * The storage domain's records are not checked here: that domain is not the adversary's, and its
 * drain is the dispatch model's (frontend.ts).
 *
 * VIRTUOS.md: "Memory and isolation" (the primary checks every notify record), "The dispatch protocol" step 3.
 */
import { NETWORK, PRIMARY, primaryMapsRing, type IsolationLayout } from './layout.ts';
import { defineComponent, type Ctx } from '../kit/kit.ts';
import { networkConnect } from './primary-domain.ts';
import { wakeWaitQueue } from '../dispatch/worker-pool.ts';
import { dispatchProc, SERVICE_NETWORK } from '../kit/layout.ts';
import { ddOfService } from '../system/instance.ts';

const iso = (c: Ctx): IsolationLayout => c.L.iso!;
const connectedPc = networkConnect.stateIndex.get('connected')!;
const pendingWord = (c: Ctx) => iso(c).ports[PRIMARY][iso(c).port.primaryNotify(NETWORK)].pending;

/** Does the record (tgid, pid) name a thread of a process registered with the network domain? */
export function recordValid(I: IsolationLayout, cfg: { processes: number; kernelThreads: number }, tgid: number, pid: number): boolean {
  const K = cfg.kernelThreads;
  return tgid >= 0 && tgid < cfg.processes && pid >= 0 && pid < cfg.processes * K && Math.floor(pid / K) === tgid && I.registered(NETWORK, tgid);
}

/** The process whose wait queue a record wakes, or -1 if the frontend ignores it. */
export function recordTarget(I: IsolationLayout, cfg: { processes: number; kernelThreads: number; bug: string | null }, tgid: number, pid: number): number {
  if (recordValid(I, cfg, tgid, pid)) return tgid;
  if (cfg.bug === 'notify-unchecked' && pid >= 0 && pid < cfg.processes * cfg.kernelThreads) return Math.floor(pid / cfg.kernelThreads);
  return -1;
}

export const networkFrontend = defineComponent({
  id: 'frontend-network-notify',
  prefix: 'FN',
  section: 'Memory and isolation',
  description:
    "The syscall-frontend's notify thread for the network domain: on its event it clears the pending bit, drains the network domain's notify ring " +
    'and wakes the rqueue_wait queue of the process a record names, only if the pid belongs to the thread group and the group is registered with the network domain.',
  initial: 'waitEvent',
  count: (L) => (L.iso ? 1 : 0),
  pc: (L) => L.iso!.notify.pc,
  states: {
    waitEvent: {
      description: 'blocked until the network notify channel is pending (while connected)',
      on: { FrontendTakesNetworkEvent: { guard: 'connectedAndPending', target: 'drain', actions: 'clearPending' } },
    },
    drain: {
      description: 'about to pop a record from the network notify ring',
      on: {
        FrontendPopsNetworkRecord: [
          { guard: 'ringMappedNonEmpty', target: 'check', actions: 'popRecord' },
          { target: 'waitEvent' },
        ],
      },
    },
    check: {
      description: 'holds a record; about to check it and wake the process it names',
      on: {
        FrontendChecksNotifyRecord: [
          { guard: 'recordAccepted', target: 'drain', actions: 'wakeProcess' },
          { target: 'drain', actions: 'dropRecord' },
        ],
      },
    },
  },
  guards: {
    connectedAndPending: (c) => c.s[iso(c).connect[NETWORK - 1].pc] === connectedPc && c.s[pendingWord(c)] !== 0,
    ringMappedNonEmpty: (c) => primaryMapsRing(c.s, iso(c), NETWORK) && c.s[iso(c).ringN.len] > 0,
    recordAccepted: (c) => recordTarget(iso(c), c.L.cfg, c.s[iso(c).notify.tgid], c.s[iso(c).notify.pid]) >= 0,
  },
  guardDocs: {
    connectedAndPending: 'the frontend is connected to the network domain and its notify channel is pending',
    ringMappedNonEmpty: 'the network notify ring is mapped and holds a record',
    recordAccepted: 'the pid is a thread of the claimed thread group, and the group is registered with the network domain (notify-unchecked: any existing pid)',
  },
  actions: {
    clearPending: (c) => {
      c.s[pendingWord(c)] = 0;
    },
    popRecord: (c) => {
      const r = iso(c).ringN;
      // the length is in a page the network domain writes: never trust it beyond the ring's capacity
      const n = Math.min(c.s[r.len], r.capacity);
      c.s[iso(c).notify.tgid] = c.s[r.tgid];
      c.s[iso(c).notify.pid] = c.s[r.pid];
      for (let i = 0; i + 1 < n; i++) {
        c.s[r.tgid + i] = c.s[r.tgid + i + 1];
        c.s[r.pid + i] = c.s[r.pid + i + 1];
      }
      c.s[r.tgid + n - 1] = 0;
      c.s[r.pid + n - 1] = 0;
      c.s[r.len] = n - 1;
    },
    wakeProcess: (c) => {
      // with an instance per domain the record wakes the process's network instance (its own ready queue)
      const p = recordTarget(iso(c), c.L.cfg, c.s[iso(c).notify.tgid], c.s[iso(c).notify.pid]);
      wakeWaitQueue(c, c.L.dd.length > 1 ? dispatchProc(c.L, ddOfService(c.L, SERVICE_NETWORK), p) : p);
      c.s[iso(c).notify.tgid] = 0;
      c.s[iso(c).notify.pid] = 0;
    },
    dropRecord: (c) => {
      c.s[iso(c).notify.tgid] = 0;
      c.s[iso(c).notify.pid] = 0;
    },
  },
  events: {
    FrontendTakesNetworkEvent: {
      from: 'frontend notify thread (network)',
      to: 'event channel (network -> primary)',
      description: 'clear the pending bit before draining the ring',
      label: () => 'takes the network notify event (clears pending)',
    },
    FrontendPopsNetworkRecord: {
      from: 'frontend notify thread (network)',
      to: 'network notify ring',
      description: 'pop the oldest record, or go back to waiting',
      label: (c, target) => (target === 'check' ? `pops record {tgid P${c.s[iso(c).ringN.tgid] + 1}, pid K${c.s[iso(c).ringN.pid] + 1}}` : 'finds the network notify ring empty'),
    },
    FrontendChecksNotifyRecord: {
      from: 'frontend notify thread (network)',
      to: 'process wait queue',
      description: 'check the record against the thread groups registered with the network domain; wake that process or ignore the record',
      label: (c) => {
        const t = recordTarget(iso(c), c.L.cfg, c.s[iso(c).notify.tgid], c.s[iso(c).notify.pid]);
        return t >= 0 ? `accepts the record and wakes the wait queue of process ${t + 1}` : 'ignores the record (not a thread of a process registered with the network domain)';
      },
    },
  },
});
