/**
 * One run of the model: execute a schedule, continue fairly, check properties.
 *
 * A schedule is a list of numbers; step i takes enabled[schedule[i] mod |enabled|]. Only the
 * schedule's own choices are executed (nothing is filled in), so a shorter schedule is a shorter
 * run, which is what lets fast-check's shrinking shorten the trace itself. After the schedule the run
 * is continued by a fair round-robin scheduler (the next enabled actor after the last one that moved)
 * until nothing is enabled or the drain bound is reached; liveness properties judge the state where
 * it stops. Invariants are checked after every step and stop the run at the first violation.
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
  /** called with every step taken */
  onStep?: (ch: Choice) => void;
}

/** Fair steps allowed after the schedule: generous for the work left in any run of this size. */
export function drainBound(sys: System): number {
  const c = sys.cfg;
  return 2000 + 400 * c.processes * c.threads * c.calls;
}

function checkInvariants(sys: System, s: Int32Array, props: readonly Property[], stepNo: number): Violation | null {
  for (const p of props) {
    if (!p.invariant) continue;
    const b = p.invariant(sys, s);
    if (b) return { property: p.name, ...b, step: stepNo };
  }
  return null;
}

/** Check what can only be judged at the end of a run: final-state (liveness) and history properties. */
export function checkEnd(sys: System, s: Int32Array, end: RunEnd, events: TimedEvent[], props: readonly Property[], stepNo: number, unknown: string[]): Violation | null {
  for (const p of props) {
    if (!p.final) continue;
    const b = p.final(sys, s, end);
    if (b) return { property: p.name, ...b, step: stepNo };
  }
  for (const p of props) {
    if (!p.history) continue;
    const b = p.history(sys, events);
    if (b === 'unknown') unknown.push(p.name);
    else if (b) return { property: p.name, ...b, step: stepNo };
  }
  return null;
}

export function runSchedule(sys: System, schedule: readonly number[], opts: RunOptions): RunResult {
  const { props } = opts;
  const events: TimedEvent[] = [];
  const trace: Executed[] = [];
  let s = sys.init;
  let n = 0;
  let lastActor = -1;
  let emitActor = 0;
  const emit = (e: HistEvent) => events.push({ ...e, time: n, actor: emitActor });
  opts.onState?.(s);
  const take = (ch: Choice, phase: Executed['phase']) => {
    if (opts.record) trace.push({ choice: ch, before: s, phase });
    opts.onStep?.(ch);
    emitActor = ch.actor;
    s = step(sys, s, ch, emit);
    n++;
    lastActor = ch.actor;
    opts.onState?.(s);
  };
  const stop = (violation: Violation | null, end: RunEnd, unknown: string[] = []): RunResult => ({ violation, steps: n, trace, final: s, end, unknown });

  let v = checkInvariants(sys, s, props, 0);
  if (v) return stop(v, { quiescent: false, hitBound: false, bound: 0 });
  for (const pick of schedule) {
    const en = enabled(sys, s);
    if (en.length === 0) break;
    take(en[pick % en.length], 'schedule');
    v = checkInvariants(sys, s, props, n);
    if (v) return stop(v, { quiescent: false, hitBound: false, bound: 0 });
  }
  const bound = drainBound(sys);
  let quiescent = false;
  for (let i = 0; ; i++) {
    const en = enabled(sys, s);
    if (en.length === 0) {
      quiescent = true;
      break;
    }
    if (i >= bound) break;
    let ch = en[0];
    for (const c of en)
      if (c.actor > lastActor) {
        ch = c;
        break;
      }
    take(ch, 'drain');
    v = checkInvariants(sys, s, props, n);
    if (v) return stop(v, { quiescent: false, hitBound: false, bound });
  }
  const end: RunEnd = { quiescent, hitBound: !quiescent, bound };
  const unknown: string[] = [];
  v = checkEnd(sys, s, end, events, props, n, unknown);
  return stop(v, end, unknown);
}
