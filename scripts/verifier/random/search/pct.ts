/**
 * PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010):
 * every actor gets a distinct random priority, the highest-priority actor that can move always
 * moves, and at d-1 random steps (the change points) the actor about to move drops to a priority
 * below every initial one, the i-th change point to priority i. A bug of depth d (d ordering
 * constraints between steps) in a run of k steps by n actors is found with probability at least
 * 1/(n k^(d-1)) per run, whatever the bug.
 *
 * Here the run's input is the priorities, the change points and the choices among an actor's
 * several enabled steps (the adversary and the fault injector have many; PCT itself says nothing
 * about them), all plain arrays that fast-check generates and shrinks (fewer change points, earlier
 * ones, lower ranks). The depth varies per run (1 to MAX_DEPTH), and k is the length of the run the
 * drain alone makes from the initial state, a stand-in for the run length that needs no run of its
 * own (with a program generated per run, the bound on picks). Priorities hold for at most `cap` steps: an actor that spins waiting for a lower one would
 * otherwise never let it move; the drain (fair round-robin in its second phase) then finishes the run.
 */
import fc from 'fast-check';
import type { Branch } from '../../../../model/kit/kit.ts';
import type { FastStepper, System } from '../../../../model/kit/system.ts';
import type { Driver } from '../../explore.ts';

export const MAX_DEPTH = 6;

export interface PctInput {
  kind: 'pct';
  /** a rank per actor: higher goes first, ties to the lower-numbered actor */
  ranks: number[];
  /** the change points: step numbers in [0, stepBound) */
  changes: number[];
  /** which of an actor's several enabled steps to take, used in turn whenever there is a choice */
  choices: number[];
}

export function pctArb(actors: number, stepBound: number): fc.Arbitrary<PctInput> {
  return fc.record({
    kind: fc.constant('pct' as const),
    ranks: fc.array(fc.nat(actors * 16), { minLength: actors, maxLength: actors }),
    changes: fc.array(fc.nat(Math.max(0, stepBound - 1)), { maxLength: MAX_DEPTH - 1 }),
    choices: fc.array(fc.nat(1023), { maxLength: 32 }),
  });
}

/** The actors from highest priority to lowest, at the start of a run. */
export function initialOrder(input: PctInput): number[] {
  return input.ranks.map((r, a) => [r, a]).sort((x, y) => y[0] - x[0] || x[1] - y[1]).map(([, a]) => a);
}

export function pctDriver(sys: System, input: PctInput, cap: number): Driver {
  const n = sys.actors.length;
  const d = input.changes.length + 1;
  // initial priorities d+1..d+n, change point i (0-based) lowers to priority i+1
  const prio = new Int32Array(n);
  initialOrder(input).forEach((a, pos) => (prio[a] = d + n - pos));
  let order = [...prio.keys()].sort((a, b) => prio[b] - prio[a]);
  let step = 0;
  let c = 0;
  const highest = (s: Int32Array, st: FastStepper, brs: Branch[]): [number, number] => {
    for (const a of order) {
      const k = st.actorEnabledInto(s, a, brs);
      if (k > 0) return [a, k];
    }
    return [-1, 0];
  };
  return {
    choice: 0,
    next(s, st, brs) {
      if (step >= cap) return -1;
      let [a, k] = highest(s, st, brs);
      if (a < 0) return -1;
      let lowered = false;
      for (let i = 0; i < input.changes.length; i++)
        if (input.changes[i] === step) {
          prio[a] = i + 1;
          lowered = true;
        }
      if (lowered) {
        order = [...prio.keys()].sort((x, y) => prio[y] - prio[x]);
        [a, k] = highest(s, st, brs);
      }
      step++;
      this.choice = k > 1 && input.choices.length ? input.choices[c++ % input.choices.length] % k : 0;
      return a;
    },
  };
}

export function pctMeta(sys: System, input: PctInput, stepBound: number): Record<string, unknown> {
  return {
    depth: input.changes.length + 1,
    stepBound,
    priorities: initialOrder(input).map((a) => sys.actors[a].name),
    changePoints: input.changes,
    choices: input.choices,
  };
}
