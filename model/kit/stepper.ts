/**
 * Stepping a system without allocation, for the exhaustive search, the random verifier and the
 * benchmarks: the FastStepper interface, the numbering of every branch of the model, and the
 * interpretive stepper, which walks each actor's compiled step table (kit.ts `compile`) at run time.
 * compiled.ts generates the same stepper as straight-line code; system.ts's `fastStepper` picks
 * which one the verifiers run.
 */
import { COMPONENTS, type System } from './components.ts';
import type { Branch, CompiledEvent, Ctx, HistEvent } from './kit.ts';
import { NO_EMIT } from './kit.ts';

/** One enabled step: an actor, its event, and the branch whose guard holds. */
export interface Choice {
  actor: number;
  event: CompiledEvent;
  branch: Branch;
}

/**
 * The system's two step functions (`enabled` and `step` of system.ts) without allocation: the
 * enabled steps go into caller-owned arrays and a step writes into a caller-owned buffer. They run
 * the very guards and actions `enabled` and `step` run, in the same order; tests check on random
 * schedules that every stepper takes the same steps as xstate itself.
 */
export interface FastStepper {
  sys: System;
  /** number of actors */
  actors: number;
  /** the most steps `enabledInto` can report for one state (the size its output arrays need) */
  maxEnabled: number;
  /** every branch of every component, numbered (a branch's number is its `id`), so that a step fits in two integers */
  branches: Branch[];
  /** the enabled steps of `s`: their actors into `actorOut`, their branches into `branchOut`; returns how many */
  enabledInto(s: Int32Array, actorOut: Int32Array, branchOut: Branch[]): number;
  /** the enabled steps of one actor (in the order `enabledInto` lists them) into `branchOut`; returns how many */
  actorEnabledInto(s: Int32Array, actor: number, branchOut: Branch[]): number;
  /**
   * The first enabled step of the first actor, counting from `from` and wrapping round, that can
   * move: its actor (or -1 if nothing is enabled), its branch in branchOut[0]. From 0 this is the
   * first step `enabledInto` lists.
   */
  firstEnabled(s: Int32Array, from: number, branchOut: Branch[]): number;
  /** write the successor of `s` by `actor` taking `branch` into `dst` (which must not be `s`) */
  stepInto(s: Int32Array, actor: number, branch: Branch, dst: Int32Array, emit?: (e: HistEvent) => void): void;
  /** the Choice object of an enabled step, for the functions that take one */
  choice(s: Int32Array, actor: number, branch: Branch): Choice;
}

/**
 * Every branch of every component, numbered in component, state, event, branch order (the same for
 * every system, so that a branch number means the same thing in any stepper), and its event.
 */
export const BRANCHES: { branches: Branch[]; eventById: CompiledEvent[] } = (() => {
  const branches: Branch[] = [];
  const eventById: CompiledEvent[] = [];
  for (const comp of COMPONENTS)
    for (const st of comp.states)
      for (const ev of st.events)
        for (const br of ev.branches) {
          br.id = branches.length;
          branches.push(br);
          eventById.push(ev);
        }
  return { branches, eventById };
})();

/** The most steps one state can enable: per actor, the most events any state of its machine has. */
export const maxEnabledOf = (sys: System): number =>
  sys.actors.reduce((sum, a) => sum + Math.max(1, ...COMPONENTS[a.comp].states.map((st) => st.events.length)), 0);

/** Each actor's context as the guards and actions see it: `s` is pointed at the state being read or written. */
export const actorContexts = (sys: System): Ctx[] => sys.actors.map((a) => ({ s: sys.init, me: a.me, L: sys.L, emit: NO_EMIT }));

/**
 * The stepper that interprets the step tables: per actor it indexes its machine's current state's
 * events and tries their branches' guards in order. The reference the compiled stepper is checked
 * against, and the one to read to see what a step is.
 */
export function interpretedStepper(sys: System): FastStepper {
  const n = sys.actors.length;
  const ctxs = actorContexts(sys);
  const comps = sys.actors.map((a) => COMPONENTS[a.comp]);
  const runnable = comps.map((c) => c.spec.runnable ?? null);
  const pcAt = Int32Array.from(sys.actors.map((a) => a.pcAt));
  const { branches, eventById } = BRANCHES;
  /** Actor a's enabled steps (per event, the first branch whose guard holds) into branchOut from k; returns the new k. The gate is the caller's. */
  const stepsOf = (s: Int32Array, a: number, branchOut: Branch[], k: number): number => {
    const ctx = ctxs[a];
    ctx.s = s;
    const run = runnable[a];
    if (run !== null && !run(ctx)) return k;
    const events = comps[a].states[s[pcAt[a]]].events;
    for (let e = 0; e < events.length; e++) {
      const brs = events[e].branches;
      for (let b = 0; b < brs.length; b++) {
        const br = brs[b];
        if (br.guard === null || br.guard(ctx)) {
          branchOut[k++] = br;
          break;
        }
      }
    }
    return k;
  };
  const stepper: FastStepper = {
    sys,
    actors: n,
    maxEnabled: maxEnabledOf(sys),
    branches,
    enabledInto(s, actorOut, branchOut) {
      let k = 0;
      const last = sys.gate !== null && !sys.gate(s) ? sys.heldFrom : n;
      for (let a = 0; a < last; a++) {
        const from = k;
        k = stepsOf(s, a, branchOut, k);
        for (let j = from; j < k; j++) actorOut[j] = a;
      }
      return k;
    },
    actorEnabledInto(s, a, branchOut) {
      if (sys.gate !== null && a >= sys.heldFrom && !sys.gate(s)) return 0;
      return stepsOf(s, a, branchOut, 0);
    },
    firstEnabled(s, from, branchOut) {
      for (let i = 0; i < n; i++) {
        const a = (from + i) % n;
        if (stepper.actorEnabledInto(s, a, branchOut) > 0) return a;
      }
      return -1;
    },
    stepInto(s, actor, branch, dst, emit = NO_EMIT) {
      dst.set(s);
      const ctx = ctxs[actor];
      ctx.s = dst;
      ctx.emit = emit;
      const acts = branch.actions;
      for (let i = 0; i < acts.length; i++) acts[i](ctx);
      ctx.emit = NO_EMIT;
      dst[pcAt[actor]] = branch.target;
    },
    choice(_s, actor, branch) {
      return { actor, event: eventById[branch.id], branch };
    },
  };
  return stepper;
}
