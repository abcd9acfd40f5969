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
 * Other schedulers (scripts/verifier/random/search/: PCT priorities, partial-order sampling, coverage-guided
 * mutation) drive the same run through a `Driver`, which picks each step of the schedule phase as
 * the run goes; the uniform picks above are one driver among them.
 *
 * After the schedule the run is finished by the drain: first the lowest-numbered enabled actor always
 * moves (the shortest way to finish, giving short traces), and if that has not quiesced within the
 * bound, a fair round-robin scheduler (the next enabled actor after the last one that moved) gets
 * another bound. Liveness properties judge the state where the drain stops: a state with nothing
 * enabled is a real deadlock whatever scheduler reached it; only when the fair phase also reaches its
 * bound is the run reported as not progressing. Invariants are checked after every step and stop the
 * run at the first violation.
 *
 * Incrementally: an invariant that declares the words it reads (Property.reads) is checked again only
 * after a step that changed one of them. It held on the state before the step (or the run would have
 * stopped there), it is a function of those words, so it holds after. Which words a step changed is
 * found by comparing only the watched words of the two states, each with a bit per invariant reading
 * it. The verdicts, and the step at which a run stops, are those of checking everything on every
 * state (`fullChecks`, which tests/incremental-checks.test.ts compares on every seeded variant).
 */
import type { Branch, HistEvent } from '../../model/kit/kit.ts';
import { fastStepper, perShape, type Choice, type FastStepper, type System } from '../../model/kit/system.ts';
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
  /** called after every step with its position among the actor's enabled steps and the states around it (valid only during the call: the buffers are reused) */
  onTake?: (actor: number, branch: Branch, choice: number, before: Int32Array, after: Int32Array) => void;
  /** check every invariant on every state, even those a step cannot have changed (see above) */
  fullChecks?: boolean;
  /**
   * a test aid: every state array the run no longer needs (the state two steps back) is filled with
   * junk, so that a property that keeps a state without copying it sees junk instead of a plausible
   * later state
   */
  scribble?: boolean;
}

/** What `scribble` fills a retired state with. */
const SCRIBBLE = 0x5a5a5a5;

/** Fair steps allowed after the schedule: generous for the work left in any run of this size. */
export function drainBound(sys: System): number {
  const c = sys.cfg;
  return 2000 + 400 * c.processes * c.threads * c.calls;
}

/**
 * Which invariants a step must be checked against: each invariant with a declared read set gets a bit
 * (at most 31 of them; any more are checked after every step), each watched word the bits of the
 * invariants that read it.
 */
export interface InvariantPlan {
  /** per property, in the order given: its bit, or -1 when it is checked after every step */
  bits: Int8Array;
  /**
   * the bits of the invariants whose watched words differ between two states, `after` starting at
   * word `at` of its array (generated code, see compileChanged)
   */
  changed: (before: Int32Array, after: Int32Array, at?: number) => number;
}

// cached per shape (model/kit/system.ts perShape): the POSIX layer's systems share their layout
const readSets = perShape(() => new Map<Property, Int32Array>());
const plans = perShape(() => new WeakMap<readonly Property[], InvariantPlan>());

/** The words invariant p declares it reads in sys, sorted, without repeats (cached per shape). */
export function readSet(sys: System, p: Property): Int32Array | null {
  if (!p.invariant || !p.reads) return null;
  const m = readSets(sys);
  let r = m.get(p);
  if (!r) {
    r = Int32Array.from(new Set(p.reads(sys))).sort();
    for (const w of r) if (!Number.isInteger(w) || w < 0 || w >= sys.init.length) throw new RangeError(`${p.name}: reads word ${w}, outside the state (${sys.init.length} words)`);
    m.set(p, r);
  }
  return r;
}

export function invariantPlan(sys: System, props: readonly Property[]): InvariantPlan {
  const m = plans(sys);
  let plan = m.get(props);
  if (plan) return plan;
  const bits = new Int8Array(props.length).fill(-1);
  const maskOf = new Map<number, number>();
  let next = 0;
  props.forEach((p, i) => {
    const r = readSet(sys, p);
    if (r === null || next === 31) return;
    bits[i] = next;
    for (const w of r) maskOf.set(w, (maskOf.get(w) ?? 0) | (1 << next));
    next++;
  });
  const watched = Int32Array.from(maskOf.keys()).sort();
  const masks = Int32Array.from(watched, (w) => maskOf.get(w)!);
  plan = { bits, changed: compileChanged(watched, masks) };
  m.set(props, plan);
  return plan;
}

/**
 * The comparison of the watched words, as code: one test per group of words that share their bits,
 * skipped once those bits are all set, the word indices and masks constants. It runs after every
 * step, and the loop over the two arrays it replaces took a seventh of a checked random run.
 */
function compileChanged(watched: Int32Array, masks: Int32Array): (before: Int32Array, after: Int32Array, at?: number) => number {
  const groups = new Map<number, number[]>();
  watched.forEach((w, i) => groups.set(masks[i], [...(groups.get(masks[i]) ?? []), w]));
  const body = ['"use strict";', 'let d = 0;', 'const o = at | 0;'];
  for (const [mask, ws] of groups) body.push(`if ((d & ${mask}) !== ${mask} && (${ws.map((w) => `b[${w}] !== a[o + ${w}]`).join(' || ')})) d |= ${mask};`);
  body.push('return d;');
  return new Function('b', 'a', 'at', body.join('\n')) as (before: Int32Array, after: Int32Array, at?: number) => number;
}

/** Check the invariants; with a plan, only those whose bit is in `dirty` and those it gives none. */
function checkInvariants(sys: System, s: Int32Array, props: readonly Property[], stepNo: number, bits: Int8Array | null = null, dirty = -1): Violation | null {
  for (let i = 0; i < props.length; i++) {
    const p = props[i];
    if (!p.invariant) continue;
    if (bits !== null && bits[i] >= 0 && (dirty & (1 << bits[i])) === 0) continue;
    const b = p.invariant(sys, s);
    if (b) return { property: p.name, ...b, step: stepNo };
  }
  return null;
}

/** The per-run checkers of the properties that have one (a fresh set for every run). */
export type Monitors = { property: string; check: ReturnType<NonNullable<Property['monitor']>> }[];
export const startMonitors = (sys: System, props: readonly Property[]): Monitors => props.filter((p) => p.monitor).map((p) => ({ property: p.name, check: p.monitor!(sys) }));

/**
 * Check what a step did (transition properties and run monitors), then the state it reached
 * (invariants; with `bits` and `dirty` from an invariant plan, those the step can have changed).
 */
export function checkStep(sys: System, before: Int32Array, ch: Choice, after: Int32Array, props: readonly Property[], stepNo: number, monitors: Monitors = [], bits: Int8Array | null = null, dirty = -1): Violation | null {
  for (const p of props) {
    if (!p.transition) continue;
    const b = p.transition(sys, before, ch, after);
    if (b) return { property: p.name, ...b, step: stepNo };
  }
  for (const m of monitors) {
    const b = m.check(before, ch, after);
    if (b) return { property: m.property, ...b, step: stepNo };
  }
  return checkInvariants(sys, after, props, stepNo, bits, dirty);
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

/**
 * The schedule phase of a run, one step at a time. `next` returns the actor to move, having put
 * that actor's enabled steps into `brs` and the position of the one to take into `choice`; or -1
 * when the schedule is over. It must return only an actor that can move.
 */
export interface Driver {
  next(s: Int32Array, st: FastStepper, brs: Branch[]): number;
  choice: number;
  /** told of every step it chose, with the states around it */
  stepped?(actor: number, before: Int32Array, after: Int32Array): void;
}

/** The uniform picks: each [pick, burst] moves actor pick mod n, then up to `burst` more steps while it can. */
export function picksDriver(schedule: readonly Pick[], nActors: number): Driver {
  let i = 0;
  let b = 0;
  return {
    choice: 0,
    next(s, st, brs) {
      while (i < schedule.length) {
        const [pick, burst] = schedule[i];
        if (b <= burst) {
          const actor = pick % nActors;
          const k = st.actorEnabledInto(s, actor, brs);
          if (k > 0) {
            b++;
            // if the actor has several steps, the pick chooses
            this.choice = Math.floor(pick / nActors) % k;
            return actor;
          }
        }
        i++;
        b = 0;
      }
      return -1;
    },
  };
}

/**
 * Run a schedule, then the drain. States are computed in place in two alternating buffers (the
 * allocation-free steps of model/kit/system.ts); only a recorded run keeps a copy of every state.
 * History events are produced only when a property needs them.
 */
export function runSchedule(sys: System, schedule: readonly Pick[], opts: RunOptions): RunResult {
  return runDriven(sys, picksDriver(schedule, sys.actors.length), opts);
}

/** Run the schedule a driver chooses, then the drain. */
export function runDriven(sys: System, driver: Driver, opts: RunOptions): RunResult {
  const { props } = opts;
  const st = fastStepper(sys);
  const events: TimedEvent[] = [];
  const trace: Executed[] = [];
  const wantHistory = props.some((p) => p.history);
  // Transition properties and run monitors look at the step and at the states around it during the
  // call (one that keeps a state copies it: properties/property.ts); only a recorded run keeps every
  // state in its own array.
  const monitors = startMonitors(sys, props);
  const stepChecks = monitors.length > 0 || props.some((p) => p.transition);
  const fresh = opts.record === true;
  let s: Int32Array = fresh ? sys.init : sys.init.slice();
  let spare: Int32Array = new Int32Array(s.length);
  let before: Int32Array = s;
  let n = 0;
  let lastActor = -1;
  let emitActor = 0;
  const emit = wantHistory ? (e: HistEvent) => events.push({ obj: e.obj, proc: e.proc, kind: e.kind, op: e.op, value: e.value, time: n, actor: emitActor }) : undefined;
  const brs: Branch[] = new Array(st.maxEnabled);
  let taken: Choice | null = null;
  opts.onState?.(s);
  const take = (actor: number, choice: number, phase: Executed['phase']) => {
    const br = brs[choice];
    taken = opts.record || opts.onStep || stepChecks ? st.choice(s, actor, br) : null;
    if (opts.record) trace.push({ choice: taken!, before: s, phase });
    // the state two steps back, which nothing in the run needs any more
    const retired = opts.scribble && !fresh ? spare : null;
    if (fresh || retired) spare = new Int32Array(s.length);
    if (opts.onStep) opts.onStep(taken!, phase);
    emitActor = actor;
    st.stepInto(s, actor, br, spare, emit);
    retired?.fill(SCRIBBLE);
    opts.onTake?.(actor, br, choice, s, spare);
    if (phase === 'schedule') driver.stepped?.(actor, s, spare);
    before = s;
    s = spare;
    spare = before;
    n++;
    lastActor = actor;
    opts.onState?.(s);
  };
  const plan = opts.fullChecks ? null : invariantPlan(sys, props);
  const bits = plan?.bits ?? null;
  const check = () => {
    const dirty = plan ? plan.changed(before, s) : -1;
    return stepChecks ? checkStep(sys, before, taken!, s, props, n, monitors, bits, dirty) : checkInvariants(sys, s, props, n, bits, dirty);
  };
  const stop = (violation: Violation | null, end: RunEnd, unknown: string[] = []): RunResult => ({ violation, steps: n, trace, final: fresh ? s : s.slice(), end, unknown });

  let v = checkInvariants(sys, s, props, 0);
  if (v) return stop(v, { quiescent: false, hitBound: false, bound: 0 });
  const nActors = sys.actors.length;
  for (let actor = driver.next(s, st, brs); actor >= 0; actor = driver.next(s, st, brs)) {
    take(actor, driver.choice, 'schedule');
    v = check();
    if (v) return stop(v, { quiescent: false, hitBound: false, bound: 0 });
  }
  // A history that is not linearizable stays so whatever follows, so check the schedule's own
  // history before the drain: counterexamples then need no drain at all.
  const early = wantHistory ? checkPrefix(sys, events, props, n) : null;
  if (early) return stop(early, { quiescent: false, hitBound: false, bound: 0 });
  const bound = drainBound(sys);
  let quiescent = false;
  for (const fair of [false, true]) {
    for (let i = 0; i < bound; i++) {
      // The lowest-numbered actor that can move; in the fair phase, the next one after the last mover.
      const a = st.firstEnabled(s, fair ? (lastActor + 1) % nActors : 0, brs);
      if (a < 0) break;
      take(a, 0, 'drain');
      v = check();
      if (v) return stop(v, { quiescent: false, hitBound: false, bound });
    }
    quiescent = st.firstEnabled(s, 0, brs) < 0;
    if (quiescent) break;
  }
  const end: RunEnd = { quiescent, hitBound: !quiescent, bound };
  const unknown: string[] = [];
  v = checkEnd(sys, s, end, events, props, n, unknown);
  return stop(v, end, unknown);
}
