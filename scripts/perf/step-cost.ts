/**
 * The cost of one step of the model, in cycles: what executing that atomic step of the dispatch
 * protocol costs the core that runs it.
 *
 * A step's cost has two parts.
 * - Its memory operations, measured, not declared: `footprint()` (or the faster `StepMeter`, which gives
 *   the same) runs the step's guards and actions on a recording array, the line map groups the words it touched into cache lines, and the line tracker
 *   says which of those lines another core wrote or holds (a transfer) and which are local hits. A
 *   step that is a locked instruction (CAS, XCHG, atomic add) pays the atomic cost on top.
 * - What the step is, by its event and the branch it takes (the table RULES below): a trap into the
 *   kernel, a hypercall that sends an event-channel notification, taking such a notification, a
 *   kernel context switch, a wake-up, an M:N switch, a spawn, the copies of the call's data, and the
 *   call itself (its own work, its copies, the residual pollution on the service core, and any wait for
 *   the outside world, such as a client's next connection).
 *
 * Two kinds of step are busy waits: a caller's DONE check that finds the call not done (one share of
 * the 4000-PAUSE spin) and an idle worker's empty poll of alloc_top (one share of the 5000-yield poll).
 * Their cost is their share of the spin or poll; the timed execution may end one early when the
 * awaited word changes (see scripts/perf/engine.ts) and then charges the cycles actually spent.
 *
 * The rules name the model's events; a test checks that every event of every machine has a rule, so
 * an event added to the model without a cost is noticed.
 */
import type { CostName, Costs } from './costs.ts';
import { footprint } from '../../model/kit/footprint.ts';
import { DEFAULT_CONFIG } from '../../model/kit/config.ts';
import { COMPONENTS, makeSystem, type Choice, type System } from '../../model/kit/system.ts';
import { workerPool } from '../../model/dispatch/worker-pool.ts';
import type { LineTracker } from './cache-lines.ts';
import type { StepMeter } from '../../model/kit/recorder.ts';
import { Charge, type Kind } from './charge.ts';

/** A remote call as the workload defines it: what the worker executes and what the caller copies. */
export interface CallSpec {
  /** call name, e.g. 'read' */
  name: string;
  /** the call's own kernel work, cycles */
  work: number;
  /** bytes copied from the caller into the kernel (write, send) */
  bytesIn: number;
  /** bytes copied from the kernel back to the caller (read, recv) */
  bytesOut: number;
  /** wall time the call waits in the kernel for the outside world, given when it runs */
  wait: (now: number) => number;
}

/** The workload's view: the k-th remote call of a thread into this service domain. */
export type CallOf = (thread: number, k: number) => CallSpec;

export interface StepCost {
  charge: Charge;
  /** wall time after the step before the actor can take its next step */
  delay: number;
  /** the step sends an event-channel notification (its receiver sees it after a delivery delay) */
  notifies: boolean;
  /** a busy-wait step: the kind of wait, or null */
  wait: 'spin' | 'poll' | null;
  /** events counted for the reports (added to `tally` when one is given) */
  counts: Partial<Record<Counter, number>>;
  /** the words the step writes (its footprint's writes) */
  writes: Iterable<number>;
}

export type Counter = 'traps' | 'hypercalls' | 'notifications' | 'switches' | 'wakeups' | 'transfers' | 'atomics' | 'spins' | 'polls' | 'parks' | 'calls';

interface RuleInput {
  costs: Costs;
  sys: System;
  s: Int32Array;
  ch: Choice;
  target: string;
  /** the actor's index among its kind (ctx.me) */
  me: number;
  now: number;
  callOf: CallOf;
  out: StepCost;
  add: (kind: Kind, name: CostName, times?: number) => void;
  count: (c: Counter, n?: number) => void;
}

interface Rule {
  /** a locked instruction: CAS, XCHG or atomic add */
  atomic?: boolean;
  /** branch targets at which the step is one more check of an unchanged word */
  wait?: { kind: 'spin' | 'poll'; targets: readonly string[] };
  /** other costs, by branch */
  more?: (x: RuleInput) => void;
}

const kernelThreadsWoken = (x: RuleInput, proc: number) => {
  const { L } = x.sys;
  const K = L.cfg.kernelThreads;
  let n = 0;
  for (let k = proc * K; k < proc * K + K; k++) if (x.s[L.kernel[k].reg] && !x.s[L.kernel[k].pend]) n++;
  return n;
};

const asleepPc = workerPool.stateIndex.get('asleep')!;

/** The request a worker holds: (global thread index, call index) from the argument word. */
function requestOfWorker(x: RuleInput): { thread: number; k: number } {
  const { L } = x.sys;
  const w = L.worker[x.me];
  const P = L.proc[Math.floor(x.me / L.cfg.workers)];
  const r = x.s[P.arg + x.s[w.e]] - 1;
  return { thread: Math.floor(r / L.cfg.calls), k: r % L.cfg.calls };
}

const callOfThread = (x: RuleInput) => x.callOf(x.me, x.s[x.sys.L.thread[x.me].k]);

const RULES: Record<string, Rule> = {
  // user thread (libc-sclib)
  CallerLoadsFreeTop: { more: (x) => x.target === 'loadFreeTop' && x.add('mn-switch', 'mnSwitch') },
  CallerLoadsNext: {},
  CallerPopsFreeEntry: { atomic: true },
  CallerFillsEntry: { more: (x) => x.add('copy', 'copy', callOfThread(x).bytesIn) },
  CallerStoresCallId: {},
  CallerLoadsAllocTop: {},
  CallerLinksEntry: {},
  CallerPushesRequest: { atomic: true, more: (x) => x.target !== 'loadAllocTop' && x.count('calls') },
  CallerLoadsWakeWord: {
    more: (x) => {
      if (x.target !== 'trapWake') return;
      x.add('trap', 'trap');
      x.add('indirect', 'indirect');
      x.count('traps');
    },
  },
  FrontendSetsWakeInProgress: { atomic: true },
  FrontendSendsWakeEvent: {
    more: (x) => {
      x.add('hypercall', 'hypercall');
      x.out.notifies = true;
      x.count('hypercalls');
      x.count('notifications');
    },
  },
  CallerChecksDone: { wait: { kind: 'spin', targets: ['spin', 'setRqueue'] } },
  CallerSetsRqueue: { atomic: true, more: (x) => x.target === 'blocked' && x.count('parks') },
  CallerResumes: {},
  CallerReadsResult: { more: (x) => x.add('copy', 'copy', callOfThread(x).bytesOut) },
  CallerLoadsFreeTopToFree: {},
  CallerLinksFreedEntry: {},
  CallerFreesEntry: { atomic: true },

  // primary-domain kernel thread
  KernelThreadSwitchesToThread: { more: (x) => x.add('mn-switch', 'mnSwitch') },
  KernelThreadEntersRqueueWait: {
    atomic: true,
    more: (x) => {
      x.add('trap', 'trap');
      x.add('indirect', 'indirect');
      x.count('traps');
    },
  },
  KernelLoadsHead: {},
  KernelLoadsTail: {},
  KernelLoadsHeadNext: {},
  KernelRechecksHead: {
    more: (x) => {
      if (x.target !== 'sleep') return;
      x.add('switch', 'contextSwitch');
      x.count('switches');
    },
  },
  KernelAdvancesTail: { atomic: true },
  KernelReadsHandle: {},
  KernelSwingsHead: { atomic: true },
  KernelLoadsNodePoolTop: {},
  KernelLinksFreedNode: {},
  KernelFreesNode: { atomic: true },
  KernelDequeuesHandle: {
    atomic: true,
    more: (x) => {
      if (x.target !== 'sleep') return;
      x.add('switch', 'contextSwitch');
      x.count('switches');
    },
  },
  KernelThreadWakes: {
    more: (x) => {
      x.add('switch', 'contextSwitch');
      x.count('switches');
    },
  },
  KernelThreadLeavesRqueueWait: { atomic: true, more: (x) => x.add('mn-switch', 'mnSwitch') },

  // service-domain worker
  WorkerStarts: {
    more: (x) => {
      x.add('switch', 'contextSwitch');
      x.count('switches');
    },
  },
  WorkerLoadsAllocTop: { wait: { kind: 'poll', targets: ['poll', 'sleepLoadWake'] } },
  WorkerLoadsNext: {},
  WorkerPopsRequest: { atomic: true },
  WorkerSpawnsWorker: { atomic: true, more: (x) => x.add('spawn', 'threadSpawn') },
  WorkerExecutesCall: {
    more: (x) => {
      const { thread, k } = requestOfWorker(x);
      const call = x.callOf(thread, k);
      x.out.charge.add('work', call.work);
      x.add('copy', 'copy', call.bytesIn + call.bytesOut);
      x.add('indirect', 'serviceIndirect');
      const wait = call.wait(x.now);
      if (wait > 0) {
        // The worker sleeps in the kernel until the outside world answers, then is woken.
        x.out.delay = wait;
        x.add('switch', 'contextSwitch', 2);
        x.add('wakeup', 'wakeup');
        x.count('switches', 2);
        x.count('wakeups');
      }
    },
  },
  WorkerWritesResult: {},
  // a POSIX call blocked in the service domain's kernel (composed system): the worker is woken to finish it
  WorkerResumesCall: { more: (x) => x.add('wakeup', 'wakeup') },
  WorkerInterrupted: { more: (x) => x.add('wakeup', 'wakeup') },
  WorkerTimesOut: { more: (x) => x.add('wakeup', 'wakeup') },
  WorkerExchangesDone: { atomic: true },
  WorkerLoadsCallId: {},
  WorkerStoresDone: {},
  WorkerReadsHandle: {},
  WorkerReadsWaiters: {},
  WorkerLoadsNodePoolTop: {},
  WorkerLoadsNodePoolNext: {},
  WorkerTakesNode: { atomic: true },
  WorkerInitialisesNode: {},
  WorkerLoadsTail: {},
  WorkerLoadsTailNext: {},
  WorkerRechecksTail: {},
  WorkerLinksNode: { atomic: true },
  WorkerAdvancesTail: { atomic: true },
  WorkerSwingsTail: { atomic: true },
  WorkerEnqueuesHandle: { atomic: true },
  WorkerPushesNotifyRecord: { atomic: true },
  WorkerSendsNotifyEvent: {
    more: (x) => {
      x.add('hypercall', 'hypercall');
      x.out.notifies = true;
      x.count('hypercalls');
      x.count('notifications');
    },
  },
  WorkerWakesWaiters: {
    more: (x) => {
      const n = kernelThreadsWoken(x, Math.floor(x.me / x.sys.cfg.workers));
      x.add('wakeup', 'wakeup', n);
      x.count('wakeups', n);
    },
  },
  WorkerLoadsWakeWord: {},
  WorkerSetsWakeRequested: { atomic: true },
  WorkerRechecksAllocTop: {},
  WorkerGoesToSleep: {
    atomic: true,
    more: (x) => {
      if (x.target !== 'asleep') return;
      x.add('switch', 'contextSwitch');
      x.count('switches');
    },
  },
  WorkerWakesUp: {
    more: (x) => {
      x.add('switch', 'contextSwitch');
      x.count('switches');
    },
  },

  // frontend notify thread (primary domain)
  FrontendTakesNotifyEvent: { more: (x) => x.add('event', 'eventInject') },
  FrontendPopsNotifyRecord: { atomic: true },
  FrontendWakesWaitQueue: {
    more: (x) => {
      const n = kernelThreadsWoken(x, x.s[x.sys.L.frontend.rec]);
      x.add('wakeup', 'wakeup', n);
      x.count('wakeups', n);
    },
  },

  // backend wake handler (service domain)
  BackendTakesWakeEvent: { more: (x) => x.add('event', 'eventInject') },
  BackendLoadsWakeWord: {},
  BackendWakesWorkers: {
    atomic: true,
    more: (x) => {
      if (x.target !== 'waitEvent') return;
      let n = 0;
      for (const w of x.sys.L.worker) if (x.s[w.pc] === asleepPc) n++;
      x.add('wakeup', 'wakeup', n);
      x.count('wakeups', n);
    },
  },
};

/** The machines a timed run executes: those with actors in the dispatch model (the layers switched on by other configuration fields are not timed). */
function timedComponents() {
  const L = makeSystem(DEFAULT_CONFIG).L;
  return COMPONENTS.filter((c) => c.spec.count(L) > 0);
}

/** Events of the timed machines with no cost rule (a test keeps this empty). */
export function eventsWithoutRule(): string[] {
  const out: string[] = [];
  for (const comp of timedComponents()) for (const st of comp.states) for (const ev of st.events) if (!RULES[ev.name] && !out.includes(ev.name)) out.push(ev.name);
  return out;
}

/** Rules that name no event of the model (stale after a model change; a test keeps this empty). */
export function rulesWithoutEvent(): string[] {
  const names = new Set<string>();
  for (const comp of timedComponents()) for (const st of comp.states) for (const ev of st.events) names.add(ev.name);
  return Object.keys(RULES).filter((n) => !names.has(n));
}

/** Is this step a busy wait (a DONE check that finds nothing, an empty poll), and of which kind? */
export function waitKind(ch: Choice): 'spin' | 'poll' | null {
  const w = RULES[ch.event.name]?.wait;
  return w && w.targets.includes(ch.branch.targetName) ? w.kind : null;
}

/** Cycles one busy-wait step stands for: its share of the whole spin or poll. */
export function waitQuantum(costs: Costs, sys: System, kind: 'spin' | 'poll'): number {
  return kind === 'spin' ? (costs.pause * costs.spinPauses) / sys.cfg.spins : (costs.yield * costs.pollYields) / sys.cfg.workerPolls;
}

export interface StepInput {
  costs: Costs;
  sys: System;
  /** the state before the step */
  s: Int32Array;
  ch: Choice;
  /** the core (vCPU) that runs it */
  core: number;
  lines: LineTracker;
  callOf: CallOf;
  /** when the step starts (only calls that wait for the outside world look at it) */
  now: number;
  /** measures the step's footprint faster than `footprint()`, with the same result */
  meter?: StepMeter;
  /** add the step's counts into this tally instead of a fresh one (a timed run keeps one per instance) */
  tally?: Partial<Record<Counter, number>>;
}

/**
 * The cost of a step. Pure except for the line tracker, which it advances (the step's accesses
 * become the new holders), so costing a trace step by step in order gives the same numbers every time.
 */
export function stepCost(i: StepInput): StepCost {
  const { costs, sys, s, ch } = i;
  const fp = i.meter ? i.meter.of(s, ch) : footprint(sys, s, ch);
  const out: StepCost = { charge: new Charge(), delay: 0, notifies: false, wait: null, counts: i.tally ?? {}, writes: fp.writes };
  const acc = i.lines.access(i.core, fp.reads, fp.writes);
  out.charge.add('memory', (acc.lines - acc.transfers) * costs.memOp);
  out.charge.add('transfer', acc.transfers * costs.lineTransfer);
  if (acc.transfers) countInto(out, 'transfers', acc.transfers);
  const rule = RULES[ch.event.name] ?? {};
  if (rule.atomic) {
    out.charge.add('atomic', costs.atomic);
    countInto(out, 'atomics', 1);
  }
  const kind = waitKind(ch);
  if (kind) {
    out.wait = kind;
    out.charge.add(kind, waitQuantum(costs, sys, kind));
    countInto(out, kind === 'spin' ? 'spins' : 'polls', 1);
  }
  if (rule.more) rule.more(new Input(i, out));
  return out;
}

function countInto(out: StepCost, c: Counter, n: number): void {
  out.counts[c] = (out.counts[c] ?? 0) + n;
}

/** What a rule sees of the step it costs. */
class Input implements RuleInput {
  readonly costs: Costs;
  readonly sys: System;
  readonly s: Int32Array;
  readonly ch: Choice;
  readonly target: string;
  readonly me: number;
  readonly now: number;
  readonly callOf: CallOf;
  constructor(
    i: StepInput,
    readonly out: StepCost,
  ) {
    this.costs = i.costs;
    this.sys = i.sys;
    this.s = i.s;
    this.ch = i.ch;
    this.target = i.ch.branch.targetName;
    this.me = i.sys.actors[i.ch.actor].me;
    this.now = i.now;
    this.callOf = i.callOf;
  }
  add(kind: Kind, name: CostName, times = 1): void {
    this.out.charge.add(kind, this.costs[name] * times);
  }
  count(c: Counter, n = 1): void {
    countInto(this.out, c, n);
  }
}
