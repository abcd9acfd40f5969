/**
 * The search strategies of random mode, side by side: what a run's input is under each, how it
 * drives a run (explore.ts's Driver), on which system it runs, and what the trace's #meta says
 * about it. Every strategy's input is a fast-check value, so a failing run shrinks whichever
 * strategy found it, and the trace records the executed steps, so replay needs none of them.
 *
 * - uniform: today's [actor, burst] picks (explore.ts), unchanged, so that its results are the
 *   same as before the other strategies existed;
 * - pct: random priorities with change points (pct.ts);
 * - pos: partial-order sampling (pos.ts);
 * - swarm: a narrowed configuration and favoured actors per run (swarm.ts);
 * - feedback: mutations of a corpus of runs that reached new coverage (feedback.ts);
 * - mix (the CLI's default): the runs take turns in the fixed cycle MIX, so the budget is shared
 *   the same way whatever the seed, and every batch of a batched run has the same share.
 *
 * All of them work from the system's actors, `enabled`/`step` (through the stepper) and the state
 * layout's regions only; none knows a protocol word.
 */
import fc from 'fast-check';
import type { Config } from '../../../../model/kit/config.ts';
import type { Program } from '../../../../model/posix/program.ts';
import type { System } from '../../../../model/kit/system.ts';
import { picksDriver, runSchedule, type Driver, type Pick } from '../../explore.ts';
import { Corpus, FeedbackArbitrary, type FeedbackInput } from './feedback.ts';
import { pctArb, pctDriver, pctMeta, type PctInput } from './pct.ts';
import { posArb, posDriver, posMeta, type PosInput } from './pos.ts';
import { swarmArb, swarmConfig, swarmDriver, swarmMeta, type SwarmInput } from './swarm.ts';

export const STRATEGIES = ['uniform', 'pct', 'pos', 'swarm', 'feedback'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
export type StrategyChoice = StrategyName | 'mix';
export const STRATEGY_CHOICES: readonly StrategyChoice[] = [...STRATEGIES, 'mix'];

/** The turns of the default mix: uniform keeps the largest share (it finds the shallow bugs fastest). */
export const MIX: readonly StrategyName[] = ['uniform', 'pct', 'feedback', 'uniform', 'pos', 'feedback', 'uniform', 'pct', 'swarm'];

export type Schedule = Pick[] | PctInput | PosInput | SwarmInput | FeedbackInput;

/** A run's input, whatever drew it. */
export interface RunInput {
  strategy: StrategyName;
  /** the POSIX layer's generated program, when the configuration generates them */
  program?: Program;
  sched: Schedule;
}

/** What the strategies need to know of a verification; one per verification (the corpus is its own). */
export interface SearchEnv {
  sys: System;
  cfg: Config;
  maxPicks: number;
  /** PCT's k: the length of the run the drain alone makes (which PCT's runs are close to) */
  stepBound: number;
  /** most steps a PCT or POS schedule takes before the drain finishes the run */
  cap: number;
  corpus: Corpus;
  /** the generated programs of the POSIX layer, or null */
  programs: fc.Arbitrary<Program> | null;
}

export function searchEnv(sys: System, maxPicks: number, programs: fc.Arbitrary<Program> | null): SearchEnv {
  // with a program per run, the configuration's own system has no program to run: the picks' bound stands in
  const stepBound = programs ? maxPicks : Math.max(16, runSchedule(sys, [], { props: [] }).steps);
  // a few times a whole run: enough for any interleaving PCT means, and a spinning top-priority actor costs little
  return { sys, cfg: sys.cfg, maxPicks, stepBound, cap: 4 * stepBound, corpus: new Corpus(), programs };
}

export function scheduleArb(actors: number, maxPicks: number): fc.Arbitrary<Pick[]> {
  return fc.array(fc.tuple(fc.nat(actors * 4 - 1), fc.nat(11)), { maxLength: maxPicks, size: 'max' });
}

/** A strategy's schedules as run inputs, with a generated program each when the layer wants one. */
function withProgram<T extends Schedule>(env: SearchEnv, strategy: StrategyName, arb: fc.Arbitrary<T>): fc.Arbitrary<RunInput> {
  return env.programs ? fc.tuple(env.programs, arb).map(([program, sched]): RunInput => ({ strategy, program, sched })) : arb.map((sched): RunInput => ({ strategy, sched }));
}

function strategyArb(env: SearchEnv, s: StrategyName): fc.Arbitrary<RunInput> {
  const n = env.sys.actors.length;
  switch (s) {
    case 'uniform':
      return withProgram(env, s, scheduleArb(n, env.maxPicks));
    case 'pct':
      return withProgram(env, s, pctArb(n, env.stepBound));
    case 'pos':
      return withProgram(env, s, posArb(env.cap));
    case 'swarm':
      return withProgram(env, s, swarmArb(n, env.maxPicks));
    case 'feedback': {
      const fresh = env.programs
        ? fc.tuple(env.programs, scheduleArb(n, env.maxPicks)).map(([program, picks]) => ({ picks, program: program as Program | undefined }))
        : scheduleArb(n, env.maxPicks).map((picks) => ({ picks, program: undefined as Program | undefined }));
      return new FeedbackArbitrary(env.corpus, n, env.maxPicks, fresh).map((v): RunInput => (v.program ? { strategy: s, program: v.program, sched: v.input } : { strategy: s, sched: v.input }));
    }
  }
}

/** Runs taking turns between strategies in a fixed cycle; each run shrinks within the strategy that drew it. */
class MixArbitrary extends fc.Arbitrary<RunInput> {
  private turn = 0;
  constructor(
    private readonly cycle: readonly StrategyName[],
    private readonly arbs: Map<StrategyName, fc.Arbitrary<RunInput>>,
  ) {
    super();
  }
  generate(mrng: fc.Random, bias: number | undefined): fc.Value<RunInput> {
    const s = this.cycle[this.turn++ % this.cycle.length];
    const v = this.arbs.get(s)!.generate(mrng, bias);
    return new fc.Value(v.value_, { strategy: s, context: v.context });
  }
  canShrinkWithoutContext(_value: unknown): _value is RunInput {
    return false;
  }
  shrink(value: RunInput, context: unknown): fc.Stream<fc.Value<RunInput>> {
    const c = context as { strategy: StrategyName; context: unknown };
    return this.arbs
      .get(c.strategy)!
      .shrink(value, c.context)
      .map((v) => new fc.Value(v.value_, { strategy: c.strategy, context: v.context }));
  }
}

/** The arbitrary of run inputs for a --strategy choice. */
export function searchArb(env: SearchEnv, choice: StrategyChoice): fc.Arbitrary<RunInput> {
  if (choice !== 'mix') return strategyArb(env, choice);
  return new MixArbitrary(MIX, new Map([...new Set(MIX)].map((s) => [s, strategyArb(env, s)])));
}

/** The configuration a run uses: the verification's, or the narrowed one of a swarm run. */
export function runConfig(env: SearchEnv, input: RunInput): Config {
  return input.strategy === 'swarm' ? swarmConfig(env.cfg, (input.sched as SwarmInput).narrow) : env.cfg;
}

export function driverFor(env: SearchEnv, sys: System, input: RunInput): Driver {
  const n = sys.actors.length;
  switch (input.strategy) {
    case 'uniform':
      return picksDriver(input.sched as Pick[], n);
    case 'feedback':
      return picksDriver((input.sched as FeedbackInput).picks, n);
    case 'pct':
      return pctDriver(sys, input.sched as PctInput, env.cap);
    case 'pos':
      return posDriver(sys, input.sched as PosInput);
    case 'swarm':
      return swarmDriver(sys, input.sched as SwarmInput);
  }
}

/** The trace's #meta.scheduler: the strategy and its parameters for the run that found the counterexample. */
export function schedulerMeta(env: SearchEnv, sys: System, input: RunInput): Record<string, unknown> {
  const params = ((): Record<string, unknown> => {
    switch (input.strategy) {
      case 'uniform':
        return { picks: (input.sched as Pick[]).length };
      case 'feedback':
        return { picks: (input.sched as FeedbackInput).picks.length, origin: (input.sched as FeedbackInput).origin };
      case 'pct':
        return pctMeta(sys, input.sched as PctInput, env.stepBound);
      case 'pos':
        return posMeta(input.sched as PosInput);
      case 'swarm':
        return swarmMeta(env.cfg, sys, input.sched as SwarmInput);
    }
  })();
  return { strategy: input.strategy, ...params };
}
