import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../model/kit/config.ts';
import { ID_DONE } from '../model/kit/layout.ts';
import { makeSystem } from '../model/kit/system.ts';
import { VARIANTS } from '../model/variants.ts';
import { PROPERTIES, propertiesFor } from '../properties/index.ts';

/** The dispatch group: what the default configuration checks. */
const DISPATCH = propertiesFor(DEFAULT_CONFIG);
import { operationsOf } from '../properties/dispatch/linearizable.ts';
import type { TimedEvent } from '../properties/property.ts';
import { runSchedule, type Pick } from '../scripts/verifier/explore.ts';
import { loadTrace, replay } from '../scripts/traces/trace.ts';
import { scheduleArb, verify } from '../scripts/verifier/random/verify.ts';
import type { StrategyChoice } from '../scripts/verifier/random/search/strategy.ts';
import fc from 'fast-check';

const out = mkdtempSync(join(tmpdir(), 'virtuos-verifier-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the correct model', () => {
  test('all properties hold on 800 runs (seed 11)', () => {
    const s = verify({ cfg: DEFAULT_CONFIG, variant: 'correct', props: DISPATCH, seed: 11, runs: 800, timeS: null, outDir: out });
    expect(s.results.map((r) => [r.property, r.status])).toEqual(DISPATCH.map((p) => [p.name, 'holds']));
    expect(s.runs).toBe(800);
    expect(s.ok).toBe(true);
  });

  test.each([
    ['two processes, one kernel thread each', { processes: 2, threads: 2, kernelThreads: 1 }],
    ['four threads, three workers, longer spins and polls', { threads: 4, kernelThreads: 2, entries: 3, workers: 3, spins: 3, workerPolls: 3 }],
    ['1:1 threads, one entry short of threads', { threads: 3, kernelThreads: 3, entries: 2, ringCapacity: 1 }],
    ['three processes, atomic queue, direct notify', { processes: 3, threads: 2, kernelThreads: 2, calls: 1, readyQueue: 'atomic', notify: 'direct' }],
    ['the SPIN anchor 2x2 configuration', { threads: 2, kernelThreads: 2, initialWorkers: 2, blockingPair: false, wakePath: false, notify: 'direct', readyQueue: 'atomic' }],
  ] as [string, Partial<Config>][])('all properties hold in other configurations too: %s', (_name, over) => {
    const s = verify({ cfg: { ...DEFAULT_CONFIG, ...over }, variant: 'correct', props: DISPATCH, seed: 21, runs: 300, timeS: null, outDir: out });
    expect(s.results.filter((r) => r.status !== 'holds')).toEqual([]);
  });

  test('a crash of the model on a schedule is reported as an error, never as a verdict', () => {
    const crashing = { ...PROPERTIES[0], name: 'crashes', invariant: () => { throw new Error('boom'); } };
    expect(() => verify({ cfg: DEFAULT_CONFIG, variant: 'correct', props: [crashing], seed: 1, runs: 10, timeS: null, outDir: out })).toThrow(/the model crashed on a generated schedule.*boom/s);
  });

  test('the same seed gives the same summary', () => {
    const a = verify({ cfg: DEFAULT_CONFIG, variant: 'correct', props: DISPATCH, seed: 3, runs: 150, timeS: null, outDir: out });
    const b = verify({ cfg: DEFAULT_CONFIG, variant: 'correct', props: DISPATCH, seed: 3, runs: 150, timeS: null, outDir: out });
    expect({ ...a, timeS: 0 }).toEqual({ ...b, timeS: 0 });
  });
});

/**
 * Non-vacuity: each property is exercised by runs of the correct model that reach the situation it
 * talks about, so that its passing means something.
 */
describe('every property is exercised by the correct model', () => {
  const sys = makeSystem(DEFAULT_CONFIG);
  const L = sys.L;
  const seen = { parkedThenDone: 0, resultRead: 0, queueHeldHandle: 0, bothStacksUsed: 0, deqReturnedValue: 0, deqReturnedEmpty: 0, spawned: 0, workerSlept: 0 };
  const blockedPc = 12;
  fc.assert(
    fc.property(scheduleArb(sys.actors.length, 120), (sched) => {
      const events: TimedEvent[] = [];
      const r = runSchedule(sys, sched as Pick[], {
        props: DISPATCH,
        record: true,
        onState: (s) => {
          const p = L.proc[0];
          if (s[L.seen] !== 0) seen.resultRead++;
          if (s[p.tail] !== s[p.head]) seen.queueHeldHandle++;
          if (s[p.freeTop] !== -1 && s[p.allocTop] !== -1) seen.bothStacksUsed++;
          if (s[p.liveWorkers] > 1) seen.spawned++;
          if ((s[L.wake] >> 8) & 0xff) seen.workerSlept++;
          for (const t of L.thread) if (s[t.att] === -1 && s[t.e] >= 0 && s[p.id + s[t.e]] === ID_DONE) seen.parkedThenDone++;
        },
      });
      for (const x of r.trace) {
        const n = x.choice.event.name;
        if (n === 'KernelSwingsHead' && x.choice.branch.targetName === 'poolLoad') seen.deqReturnedValue++;
        if (n === 'KernelRechecksHead' && x.choice.branch.targetName === 'sleep') seen.deqReturnedEmpty++;
      }
      void events;
      void blockedPc;
      return r.violation === null;
    }),
    { seed: 5, numRuns: 300 },
  );
  test.each(Object.keys(seen))('%s is reached', (k) => {
    expect(seen[k as keyof typeof seen]).toBeGreaterThan(0);
  });
});

describe('seeded bugs are caught by the first property they name, and the trace replays', () => {
  // Uniform picks, seed 1, unless pinned here: the wake-word ABA is beyond uniform picks (15,000 runs
  // on seeds 1-5 find nothing); the default mix finds it on seed 15 after 14 runs (a POS run).
  const pinned: Record<string, { strategy: StrategyChoice; seed: number }> = { 'woken-unchecked': { strategy: 'mix', seed: 15 } };
  // the dispatch model's bugs; each layer's own test file does the same for its bugs
  for (const v of VARIANTS.filter((x) => !x.config?.posix && !x.config?.isolation && !x.config?.recovery)) {
    test(v.name, () => {
      const cfg: Config = { ...DEFAULT_CONFIG, ...v.config, bug: v.name };
      const props = PROPERTIES.filter((p) => p.name === v.breaks[0]);
      const how = pinned[v.name] ?? { strategy: 'uniform', seed: 1 };
      const s = verify({ cfg, variant: v.name, props, seed: how.seed, runs: 4000, timeS: null, outDir: out, strategy: how.strategy });
      const caught = s.results.filter((r) => r.status === 'violated');
      expect(caught.length).toBeGreaterThan(0);
      for (const r of caught) {
        expect(v.breaks).toContain(r.property);
        const t = loadTrace(r.trace!);
        const rep = replay(t);
        expect(rep.outcome).toBe('reproduced');
        expect(rep.verdict?.property).toBe(r.property);
        expect(rep.verdict?.clause).toBe(r.clause);
      }
    });
  }
});

describe('counterexamples are short', () => {
  test('free-early: right-thread is broken within 30 steps (seed 1)', () => {
    const v = VARIANTS.find((x) => x.name === 'free-early')!;
    const s = verify({ cfg: { ...DEFAULT_CONFIG, bug: v.name }, variant: v.name, props: PROPERTIES.filter((p) => p.name === 'right-thread'), seed: 1, runs: 2000, timeS: null, outDir: out });
    expect(s.results[0].status).toBe('violated');
    expect(s.results[0].traceSteps).toBeLessThanOrEqual(30);
  });
  test('lostwake: the lost wakeup is caught the moment the worker stores DONE, within 40 steps (seed 1)', () => {
    const s = verify({ cfg: { ...DEFAULT_CONFIG, bug: 'lostwake' }, variant: 'lostwake', props: PROPERTIES.filter((p) => p.name === 'no-lost-wakeup'), seed: 1, runs: 2000, timeS: null, outDir: out });
    expect(s.results[0].clause).toBe('completed-call-in-flight');
    expect(s.results[0].traceSteps).toBeLessThanOrEqual(40);
  });
});

describe('the linearizability history', () => {
  test('pairs each actor\'s invocation with its response, retries extending the open operation', () => {
    const ev = (time: number, actor: number, kind: 'inv' | 'ret', op: 'push' | 'pop', value: number | null): TimedEvent => ({ obj: 'free', proc: 0, kind, op, value, time, actor });
    const ops = operationsOf([ev(0, 1, 'inv', 'pop', null), ev(1, 2, 'inv', 'push', 3), ev(2, 1, 'inv', 'pop', null), ev(3, 2, 'ret', 'push', null), ev(4, 1, 'ret', 'pop', 3)], 0, 'free');
    expect(ops.map((o) => [o.client, o.call, o.ret, o.input, o.output])).toEqual([
      [1, 0, 4, { op: 'pop' }, { value: 3 }],
      [2, 1, 3, { op: 'push', value: 3 }, { value: null }],
    ]);
  });
});

test('trace files are byte-identical for the same seed', () => {
  const run = (dir: string) => {
    const s = verify({ cfg: { ...DEFAULT_CONFIG, bug: 'nospawn' }, variant: 'nospawn', props: DISPATCH, seed: 9, runs: 500, timeS: null, outDir: dir });
    return s.results.filter((r) => r.trace).map((r) => readFileSync(r.trace!, 'utf8'));
  };
  const a = run(join(out, 'a'));
  const b = run(join(out, 'b'));
  expect(a.length).toBeGreaterThan(0);
  expect(a).toEqual(b);
});

describe('regressions', () => {
  test('two processes: a worker woken while it prepares to sleep does not sleep (the wake-word ABA the exhaustive search found)', () => {
    // The 55 steps of the shortest counterexample found before the fix, as actor picks: process 2's
    // worker had set WAKE_REQUESTED, the wake-up for its request came before it slept, and process 1's
    // worker recreated the wake word it had loaded, so its CAS to sleeping succeeded and nobody served the request.
    const cfg: Config = { ...DEFAULT_CONFIG, processes: 2, threads: 1, kernelThreads: 1, calls: 1, entries: 1, workers: 1, initialWorkers: 1, blockingPair: false };
    const sys = makeSystem(cfg);
    const names = ['T1', 'T1', 'T1', 'T1', 'T1', 'T1', 'T1', 'T2', 'T2', 'T2', 'T2', 'T2', 'T2', 'T2', 'W1', 'T1', 'T1', 'W1', 'W2', 'W2', 'W2', 'W2', 'T2', 'T2', 'T2', 'T2', 'T2', 'T2', 'K2', 'K2', 'K2', 'K2', 'K2', 'B', 'B', 'B', 'W1', 'W1', 'W1', 'W1', 'W1', 'W1', 'W1', 'W1', 'T1', 'T1', 'T1', 'T1', 'T1', 'W1', 'W2', 'W1', 'W1', 'W1', 'W1'];
    const picks: Pick[] = names.map((n) => [sys.actors.findIndex((a) => a.name === n), 0] as const);
    expect(picks.every(([a]) => a >= 0)).toBe(true);
    const r = runSchedule(sys, picks, { props: DISPATCH, record: true });
    expect(r.violation).toBeNull();
    expect(r.end.quiescent).toBe(true);
    // the worker of process 2 was woken between WAKE_REQUESTED and its sleep, and did not sleep
    expect(r.trace.some((x) => x.choice.event.name === 'WorkerGoesToSleep' && x.choice.branch.targetName === 'poll' && x.before[sys.L.worker[x.choice.actor - sys.actors.findIndex((a) => a.name === 'W1')].woken] === 1)).toBe(true);
  });
});
