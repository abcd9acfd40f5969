/**
 * The search strategies of random mode: each is deterministic for its seed; the mix shares the budget
 * in its fixed cycle; PCT and POS find the wake-word ABA (woken-unchecked) that uniform picks do not,
 * and the default strategy's counterexamples of it replay; a swarm run's narrowed configuration is
 * within the user's and is what its trace records; the feedback corpus is built from runs that reached
 * new coverage, and mutating it gives runs that start like its entries; shards merge per strategy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { BOUNDS, DEFAULT_CONFIG, type Config } from '../model/kit/config.ts';
import { makeSystem } from '../model/kit/system.ts';
import { VARIANTS } from '../model/variants.ts';
import { propertiesFor, propertyByName } from '../properties/index.ts';
import { main } from '../scripts/cli/main.ts';
import { runDriven, runSchedule } from '../scripts/verifier/explore.ts';
import { loadTrace, replay } from '../scripts/traces/trace.ts';
import { defaultMaxPicks, verify } from '../scripts/verifier/random/verify.ts';
import { Corpus, FeedbackArbitrary } from '../scripts/verifier/random/search/feedback.ts';
import { initialOrder, pctDriver, type PctInput } from '../scripts/verifier/random/search/pct.ts';
import { driverFor, MIX, scheduleArb, searchArb, searchEnv, STRATEGY_CHOICES, type RunInput } from '../scripts/verifier/random/search/strategy.ts';
import { swarmConfig } from '../scripts/verifier/random/search/swarm.ts';

const out = mkdtempSync(join(tmpdir(), 'virtuos-search-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const DISPATCH = propertiesFor(DEFAULT_CONFIG);
const WOKEN = VARIANTS.find((v) => v.name === 'woken-unchecked')!;
const wokenCfg: Config = { ...DEFAULT_CONFIG, ...WOKEN.config, bug: WOKEN.name };

describe('every strategy is deterministic', () => {
  test.each(STRATEGY_CHOICES)('%s: the same seed gives the same summary', (strategy) => {
    const run = () => ({ ...verify({ cfg: DEFAULT_CONFIG, variant: 'correct', props: DISPATCH, seed: 4, runs: 90, timeS: null, outDir: out, strategy }), timeS: 0 });
    const a = run();
    expect(a.ok).toBe(true);
    expect(a.strategy).toBe(strategy);
    expect(a.signatures).toBeGreaterThan(0);
    expect(run()).toEqual(a);
  });
});

test('the mix shares the budget in its fixed cycle, and reports each member', () => {
  const s = verify({ cfg: DEFAULT_CONFIG, variant: 'correct', props: DISPATCH, seed: 5, runs: MIX.length * 10, timeS: null, outDir: out, strategy: 'mix' });
  const share = Object.fromEntries(s.strategies.map((x) => [x.strategy, x.runs]));
  expect(share).toEqual({ uniform: 30, pct: 20, pos: 10, swarm: 10, feedback: 20 });
  for (const x of s.strategies) expect(x.coverage).toBeGreaterThan(0);
  // swarm's narrowed systems number their actors differently: machine coverage must still be counted on the right machines
  for (const c of s.coverage) expect(c.states[0]).toBeLessThanOrEqual(c.states[1]);
  // a signature reached by several members counts once in all
  expect(s.signatures).toBeLessThanOrEqual(s.strategies.reduce((a, x) => a + x.coverage, 0));
});

describe('the wake-word ABA of two processes (woken-unchecked)', () => {
  const sys = makeSystem(wokenCfg);
  const env = searchEnv(sys, defaultMaxPicks(wokenCfg), null);
  const prop = propertyByName('no-lost-wakeup')!;
  const firstFind = (strategy: 'pct' | 'pos', seed: number, runs: number) =>
    (fc.sample(searchArb(env, strategy), { seed, numRuns: runs }) as RunInput[]).findIndex((x) => runDriven(sys, driverFor(env, sys, x), { props: [prop] }).violation !== null) + 1;

  test('PCT finds it on pinned seeds within 150 runs, POS within 50', () => {
    expect([10, 24, 40].map((seed) => firstFind('pct', seed, 150))).toEqual([109, 135, 120]);
    expect([14, 15].map((seed) => firstFind('pos', seed, 50))).toEqual([44, 14]);
  });

  test('the default strategy finds it on several seeds (exit 1 from the CLI), and the traces replay', async () => {
    // seed 15 is tests/verifier.test.ts's
    const s = verify({ cfg: wokenCfg, variant: WOKEN.name, props: propertiesFor(wokenCfg), seed: 2, runs: 1000, timeS: null, outDir: join(out, 'woken'), strategy: 'mix', stopAtFirst: true });
    const r = s.results.find((x) => x.status === 'violated')!;
    expect([r.property, s.runs]).toEqual(['no-lost-wakeup', 428]);
    const t = loadTrace(r.trace!);
    expect(t.itf.meta.scheduler).toMatchObject({ strategy: r.strategy });
    expect(replay(t).outcome).toBe('reproduced');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await main(['verify', '--variant', WOKEN.name, '--seed', '24', '--runs', '300', '--property', 'no-lost-wakeup', '--out', join(out, 'cli')])).toBe(1);
    } finally {
      log.mockRestore();
    }
    expect(replay(loadTrace(join(out, 'cli', 'no-lost-wakeup', `${WOKEN.name}-24.itf.json`))).outcome).toBe('reproduced');
  });
});

describe('PCT', () => {
  test('the highest-priority actor that can move moves; a change point drops the actor about to move below all others', () => {
    const sys = makeSystem(DEFAULT_CONFIG);
    const n = sys.actors.length;
    const firstActors = (input: PctInput) => {
      const seen: string[] = [];
      runDriven(sys, pctDriver(sys, input, 1000), { props: [], onStep: (ch, phase) => void (phase === 'schedule' && seen.push(sys.actors[ch.actor].name)) });
      return seen;
    };
    // T2 first, then T1: T2 runs until it parks (or the kernel thread takes over), never interrupted by T1
    const ranks = Array.from({ length: n }, (_, a) => (sys.actors[a].name === 'T2' ? 100 : sys.actors[a].name === 'T1' ? 50 : 0));
    const plain = firstActors({ kind: 'pct', ranks, changes: [], choices: [] });
    expect(initialOrder({ kind: 'pct', ranks, changes: [], choices: [] }).slice(0, 2).map((a) => sys.actors[a].name)).toEqual(['T2', 'T1']);
    const t2Run = plain.indexOf('T1');
    expect(t2Run).toBeGreaterThan(3);
    expect(plain.slice(0, t2Run).every((a) => a === 'T2')).toBe(true);
    // a change point at step 2 preempts T2 there: T1 takes step 2
    const changed = firstActors({ kind: 'pct', ranks, changes: [2], choices: [] });
    expect(changed.slice(0, 3)).toEqual(['T2', 'T2', 'T1']);
  });
});

describe('swarm', () => {
  test('a narrowed configuration stays within the user\'s bounds and satisfies the cross-field rules', () => {
    const user: Config = { ...DEFAULT_CONFIG, processes: 2, threads: 4, kernelThreads: 3, entries: 3, workers: 3 };
    fc.assert(
      fc.property(fc.array(fc.nat(1 << 16), { minLength: 20, maxLength: 20 }), (narrow) => {
        const c = swarmConfig(user, narrow);
        for (const k of Object.keys(BOUNDS) as (keyof typeof BOUNDS)[]) expect(c[k]).toBeGreaterThanOrEqual(BOUNDS[k][0]), expect(c[k]).toBeLessThanOrEqual(user[k]);
        expect(c.stampModulus).toBe(user.stampModulus);
        expect(() => makeSystem(c)).not.toThrow();
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  test('a draw that narrows nothing is the user\'s configuration itself (its system, its distinct states)', () => {
    const least: Config = { ...DEFAULT_CONFIG, threads: 1, kernelThreads: 1, calls: 1, entries: 1, workers: 1, ringCapacity: 1, blockingPair: false };
    expect(swarmConfig(least, Array(20).fill(1))).toBe(least);
  });

  test('a counterexample found on a narrowed configuration records it, and replays', () => {
    const cfg: Config = { ...DEFAULT_CONFIG, bug: 'nospawn' };
    const s = verify({ cfg, variant: 'nospawn', props: DISPATCH, seed: 1, runs: 200, timeS: null, outDir: join(out, 'swarm'), strategy: 'swarm', stopAtFirst: true });
    const r = s.results.find((x) => x.status === 'violated')!;
    const t = loadTrace(r.trace!);
    const meta = t.itf.meta.scheduler as { strategy: string; narrowed: Partial<Config>; favoured: string[] };
    expect(meta.strategy).toBe('swarm');
    expect(meta.narrowed).toEqual({ workers: 1, ringCapacity: 1 });
    expect(t.meta.config).toMatchObject(meta.narrowed);
    expect(replay(t).outcome).toBe('reproduced');
  });
});

describe('feedback', () => {
  test('an entry is the executed run: replayed as a schedule it is the same run', () => {
    const sys = makeSystem(DEFAULT_CONFIG);
    const n = sys.actors.length;
    const [sched] = fc.sample(scheduleArb(n, 120), { seed: 3, numRuns: 1 });
    const steps: number[] = [];
    const a = runSchedule(sys, sched, { props: [], onTake: (actor, _b, choice) => void steps.push(actor + n * choice) });
    const corpus = new Corpus();
    corpus.add(steps, steps.length, undefined);
    const b = runSchedule(sys, corpus.entries[0].picks, { props: [] });
    expect(b.steps).toBe(a.steps);
    expect([...b.final]).toEqual([...a.final]);
  });

  test('mutations start from corpus entries, and say how they were made', () => {
    const corpus = new Corpus();
    const picks = Array.from({ length: 40 }, (_, i) => i % 9);
    corpus.add(picks, picks.length, undefined);
    const arb = new FeedbackArbitrary(corpus, 9, 120, scheduleArb(9, 120).map((p) => ({ picks: p, program: undefined })));
    const made = fc.sample(arb, { seed: 2, numRuns: 40 });
    const mutated = made.filter((v) => v.input.origin.startsWith('corpus entry 0 of 1'));
    expect(mutated.length).toBeGreaterThan(25);
    expect(made.length - mutated.length).toBeGreaterThan(0);
    for (const v of mutated) expect(v.input.origin).toMatch(/cut at|splice|replace|delay|hurry/);
  });
});

test('virtuos merge sums the strategies of shards and unites their coverage, as one batched run', async () => {
  const cli = async (...argv: string[]) => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a) => void lines.push(a.join(' ')));
    try {
      await main(argv);
    } finally {
      log.mockRestore();
    }
    return JSON.parse(lines.at(-1)!);
  };
  const whole = await cli('verify', '--layer', 'dispatch', '--runs', '600', '--seed', '6', '--workers', '1', '--shard', '1/1', '--json', '--out', out);
  const files = [1, 2].map((k) => join(out, `strategies-${k}.json`));
  for (const [i, f] of files.entries()) writeFileSync(f, JSON.stringify(await cli('verify', '--layer', 'dispatch', '--runs', '600', '--seed', '6', '--shard', `${i + 1}/2`, '--json', '--out', out)));
  const merged = await cli('merge', ...files, '--json');
  expect(whole.strategy).toBe('mix');
  expect(merged.strategy).toBe('mix');
  expect(merged.strategies).toEqual(whole.strategies);
  expect(merged.signatures).toBe(whole.signatures);
});
