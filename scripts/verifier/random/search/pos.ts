/**
 * Partial-order sampling (POS, Yuan, Yang, Gu, CAV 2018): every actor's next step has a random
 * priority, the highest-priority step that can happen is taken, and then the steps that race with
 * it get fresh priorities, as does the next step of the actor that moved. Unlike PCT, whose
 * priorities hold for a whole run, this keeps resampling where it matters, which samples the
 * partial orders of racing steps far more evenly than uniform picks (which favour orders with many
 * equivalent interleavings).
 *
 * Which steps race is approximated without footprints (measuring them costs more than the step):
 * two actors race when a step of one changes a shared word (coverage.ts) the other's last step
 * changed. That is exact for the conflicting stores and CASes the protocol's races are made of,
 * and misses a plain load racing with a store until the loading actor writes. The input is the
 * priorities' seed and how many steps the sampling takes before the drain finishes the run;
 * fast-check shrinks the latter (and minimisation works on the executed trace in any case).
 */
import fc from 'fast-check';
import type { System } from '../../../../model/kit/system.ts';
import type { Driver } from '../../explore.ts';
import { sharedWords } from './coverage.ts';

export interface PosInput {
  kind: 'pos';
  /** seed of the priorities (a 32-bit xorshift generator: a tape of numbers would be long and shrink slowly) */
  seed: number;
  /** steps the sampling schedules before the drain finishes the run */
  steps: number;
}

export function posArb(cap: number): fc.Arbitrary<PosInput> {
  return fc.record({ kind: fc.constant('pos' as const), seed: fc.nat(), steps: fc.nat(cap) });
}

export function posDriver(sys: System, input: PosInput): Driver & { stepped(actor: number, before: Int32Array, after: Int32Array): void } {
  const n = sys.actors.length;
  const words = sharedWords(sys);
  const lastWriter = new Int32Array(sys.init.length).fill(-1);
  let x = input.seed | 0 || 0x2545f491;
  const draw = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 8;
  };
  const prio = Int32Array.from({ length: n }, draw);
  let step = 0;
  return {
    choice: 0,
    next(s, st, brs) {
      if (step >= input.steps) return -1;
      let best = -1;
      for (let a = 0; a < n; a++) if ((best < 0 || prio[a] > prio[best]) && st.actorEnabledInto(s, a, brs) > 0) best = a;
      if (best < 0) return -1;
      const k = st.actorEnabledInto(s, best, brs);
      this.choice = k > 1 ? draw() % k : 0;
      step++;
      return best;
    },
    stepped(actor, before, after) {
      prio[actor] = draw();
      for (let i = 0; i < words.length; i++) {
        const w = words[i];
        if (before[w] === after[w]) continue;
        const other = lastWriter[w];
        if (other >= 0 && other !== actor) prio[other] = draw();
        lastWriter[w] = actor;
      }
    },
  };
}

export function posMeta(input: PosInput): Record<string, unknown> {
  return { seed: input.seed, steps: input.steps, race: 'a step changes a shared word the other actor changed last' };
}
