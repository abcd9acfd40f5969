/**
 * One run of the model: execute a schedule, then let the run finish, checking properties throughout.
 *
 * A schedule is a list of picks [actor, burst]: the actor takes a step if it can, then up to `burst`
 * more while it still can; a pick of an actor that cannot move is skipped. Picks name actors, not
 * positions in the enabled list, so removing one pick leaves the meaning of the others intact; and
 * only the schedule's own picks are executed (nothing is filled in), so a shorter schedule is a
 * shorter run. Both make fast-check's shrinking shorten the executed trace. Bursts are what let the
 * random search find races that need one actor preempted while another takes a dozen steps (ABA,
 * lost wakeups).
 *
 * After the schedule the run is finished by the drain: first the lowest-numbered enabled actor always
 * moves (the shortest way to finish, giving short traces), and if that has not quiesced within the
 * bound, a fair round-robin scheduler (the next enabled actor after the last one that moved) gets
 * another bound. Liveness properties judge the state where the drain stops: a state with nothing
 * enabled is a real deadlock whatever scheduler reached it; only when the fair phase also reaches its
 * bound is the run reported as not progressing. Invariants are checked after every step and stop the
 * run at the first violation.
 */
import type { HistEvent } from '../../model/kit.ts';
import { enabled, step, type Choice, type System } from '../../model/system.ts';
import type { Broken, Property, RunEnd, TimedEvent } from '../../properties/property.ts';

export interface Violation extends Broken {
  property: string;
  /** number of steps executed when it was detected (the trace length) */
  step: number;
}

export interface Executed {
  choice: Choice;
  /** the state before the step */
  before: Int32Array;
  phase: 'schedule' | 'drain';
}

export interface RunResult {
  violation: Violation | null;
  steps: number;
  /** the executed steps, when `record` was asked for */
  trace: Executed[];
  final: Int32Array;
  end: RunEnd;
  /** properties whose history check was inconclusive (budget) in this run */
  unknown: string[];
}

export interface RunOptions {
  props: readonly Property[];
  record?: boolean;
  /** called with every state reached, including the initial one */
  onState?: (s: Int32Array) => void;
  /** called with every step taken, and whether the schedule or the drain took it */
  onStep?: (ch: Choice, phase: Executed['phase']) => void;
}

/** Fair steps allowed after the schedule: generous for the work left in any run of this size. */
export function drainBound(sys: System): number {
  const c = sys.cfg;
  return 2000 + 400 * c.processes * c.threads * c.calls;
}

/** The step an actor can take now (if it has several, the pick chooses), or null. */
function enabledOf(sys: System, s: Int32Array, actor: number, pick: number): Choice | null {
  const mine = enabled(sys, s).filter((c) => c.actor === actor);
  return mine.length === 0 ? null : mine[Math.floor(pick / sys.actors.length) % mine.length];
}

function checkInvariants(sys: System, s: Int32Array, props: readonly Property[], stepNo: number): Violation | null {
  for (const p of props) {
    if (!p.invariant) continue;
    const b = p.invariant(sys, s);
    if (b) return { property: p.name, ...b, step: stepNo };
  }
  return null;
}

/** The per-run checkers of the properties that have one (a fresh set for every run). */
export type Monitors = { property: string; check: ReturnType<NonNullable<Property['monitor']>> }[];
export const startMonitors = (sys: System, props: readonly Property[]): Monitors => props.filter((p) => p.monitor).map((p) => ({ property: p.name, check: p.monitor!(sys) }));

/** Check what a step did (transition properties and run monitors), then the state it reached (invariants). */
export function checkStep(sys: System, before: Int32Array, ch: Choice, after: Int32Array, props: readonly Property[], stepNo: number, monitors: Monitors = []): Violation | null {
  for (const p of props) {
    if (!p.transition) continue;
    const b = p.transition(sys, before, ch, after);
    if (b) return { property: p.name, ...b, step: stepNo };
  }
  for (const m of monitors) {
    const b = m.check(before, ch, after);
    if (b) return { property: m.property, ...b, step: stepNo };
  }
  return checkInvariants(sys, after, props, stepNo);
}

/** Check what can only be judged at the end of a run: final-state (liveness) and history properties. */
export function checkEnd(sys: System, s: Int32Array, end: RunEnd, events: TimedEvent[], props: readonly Property[], stepNo: number, unknown: string[]): Violation | null {
  for (const p of props) {
    if (!p.final) continue;
    const b = p.final(sys, s, end);
    if (b) return { property: p.name, ...b, step: stepNo };
  }
  return checkHistory(sys, events, props, stepNo, unknown);
}

/** What can already be judged on a run stopped before its drain: a history that is not linearizable stays so. */
export function checkPrefix(sys: System, events: TimedEvent[], props: readonly Property[], stepNo: number): Violation | null {
  return checkHistory(sys, events, props, stepNo, []);
}

function checkHistory(sys: System, events: TimedEvent[], props: readonly Property[], stepNo: number, unknown: string[]): Violation | null {
  for (const p of props) {
    if (!p.history) continue;
    const b = p.history(sys, events);
    if (b === 'unknown') unknown.push(p.name);
    else if (b) return { property: p.name, ...b, step: stepNo };
  }
  return null;
}

export type Pick = readonly [actor: number, burst: number];

export function runSchedule(sys: System, schedule: readonly Pick[], opts: RunOptions): RunResult {
  const { props } = opts;
  const events: TimedEvent[] = [];
  const trace: Executed[] = [];
  let s = sys.init;
  let n = 0;
  let lastActor = -1;
  let emitActor = 0;
  const emit = (e: HistEvent) => events.push({ ...e, time: n, actor: emitActor });
  const record = opts.record === true;
  const monitors = startMonitors(sys, props);
  let before = s;
  opts.onState?.(s);
  const take = (ch: Choice, phase: Executed['phase']) => {
    if (record) trace.push({ choice: ch, before: s, phase });
    opts.onStep?.(ch, phase);
    emitActor = ch.actor;
    before = s;
    s = step(sys, s, ch, emit);
    n++;
    lastActor = ch.actor;
    opts.onState?.(s);
  };
  const stop = (violation: Violation | null, end: RunEnd, unknown: string[] = []): RunResult => ({ violation, steps: n, trace, final: s, end, unknown });

  let v = checkInvariants(sys, s, props, 0);
  if (v) return stop(v, { quiescent: false, hitBound: false, bound: 0 });
  const nActors = sys.actors.length;
  for (const [pick, burst] of schedule) {
    const actor = pick % nActors;
    for (let b = 0; b <= burst; b++) {
      const ch = enabledOf(sys, s, actor, pick);
      if (!ch) break;
      take(ch, 'schedule');
      v = checkStep(sys, before, ch, s, props, n, monitors);
      if (v) return stop(v, { quiescent: false, hitBound: false, bound: 0 });
    }
  }
  // A history that is not linearizable stays so whatever follows, so check the schedule's own
  // history before the drain: counterexamples then need no drain at all.
  const early = checkPrefix(sys, events, props, n);
  if (early) return stop(early, { quiescent: false, hitBound: false, bound: 0 });
  const bound = drainBound(sys);
  let quiescent = false;
  for (const fair of [false, true]) {
    for (let i = 0; i < bound; i++) {
      const en = enabled(sys, s);
      if (en.length === 0) break;
      let ch = en[0];
      if (fair)
        for (const c of en)
          if (c.actor > lastActor) {
            ch = c;
            break;
          }
      take(ch, 'drain');
      v = checkStep(sys, before, ch, s, props, n, monitors);
      if (v) return stop(v, { quiescent: false, hitBound: false, bound });
    }
    quiescent = enabled(sys, s).length === 0;
    if (quiescent) break;
  }
  const end: RunEnd = { quiescent, hitBound: !quiescent, bound };
  const unknown: string[] = [];
  v = checkEnd(sys, s, end, events, props, n, unknown);
  return stop(v, end, unknown);
}
