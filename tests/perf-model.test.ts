/**
 * The model side of the performance model: the parameter table, the cost rule of every event, and the
 * instruments a timed run uses in place of slower equivalents (each checked against the original).
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_CONFIG } from '../model/kit/config.ts';
import { COST_PARAMS, nominalCosts } from '../scripts/perf/costs.ts';
import { footprint } from '../model/kit/footprint.ts';
import { LineTracker, lineMap } from '../scripts/perf/cache-lines.ts';
import { Choices } from '../scripts/perf/choices.ts';
import { makePerfSystem, perfConfig, PERF_BOUNDS } from '../scripts/perf/perf-config.ts';
import { StepMeter } from '../model/kit/recorder.ts';
import { eventsWithoutRule, rulesWithoutEvent, stepCost, waitKind, type CallSpec } from '../scripts/perf/step-cost.ts';
import { BOUNDS, ConfigError } from '../model/kit/config.ts';
import { enabled, makeSystem, step, type System } from '../model/kit/system.ts';
import { rng } from '../scripts/perf/workloads.ts';

/**
 * Pseudo-random runs through the model (seeded), calling `visit` before each step; a run that
 * finishes starts again from the initial state (and `restart` is told), until `steps` steps.
 */
function walk(sys: System, steps: number, seed: number, visit: (s: Int32Array, ch: ReturnType<typeof enabled>[number]) => void, restart?: () => void): number {
  const r = rng(seed);
  let s = sys.init;
  for (let n = 0; n < steps; n++) {
    let en = enabled(sys, s);
    if (en.length === 0) {
      s = sys.init;
      restart?.();
      en = enabled(sys, s);
    }
    const ch = en[Math.floor(r() * en.length)];
    visit(s, ch);
    s = step(sys, s, ch);
  }
  return steps;
}

describe('the parameter table', () => {
  test('every parameter has a unit, a source, a description and a range around its value', () => {
    expect(COST_PARAMS.length).toBeGreaterThan(30);
    const names = new Set<string>();
    for (const p of COST_PARAMS) {
      expect(names.has(p.name), p.name).toBe(false);
      names.add(p.name);
      expect(p.source.length, p.name).toBeGreaterThan(5);
      expect(p.description.length, p.name).toBeGreaterThan(5);
      expect(p.range[0], p.name).toBeLessThanOrEqual(p.value);
      expect(p.value, p.name).toBeLessThanOrEqual(p.range[1]);
      expect(p.range[0], p.name).toBeLessThan(p.range[1]);
    }
  });

  test('the costs the issue lists are all there', () => {
    const names = COST_PARAMS.map((p) => p.name);
    for (const n of ['memOp', 'lineTransfer', 'atomic', 'pause', 'trap', 'hypercall', 'eventInject', 'contextSwitch', 'mnSwitch', 'copy', 'indirect', 'workRead', 'workSend'])
      expect(names).toContain(n);
  });
});

describe('cost rules', () => {
  test('every event of every machine has a cost rule, and every rule names an event', () => {
    expect(eventsWithoutRule()).toEqual([]);
    expect(rulesWithoutEvent()).toEqual([]);
  });

  test('a DONE check that finds nothing and an empty poll are busy waits; a check that finds DONE is not', () => {
    const sys = makeSystem({ ...DEFAULT_CONFIG, blockingPair: false, spins: 2 });
    const kinds = new Map<string, Set<string>>();
    walk(sys, 4000, 7, (_s, ch) => {
      const key = `${ch.event.name}->${ch.branch.targetName}`;
      if (!kinds.has(key)) kinds.set(key, new Set());
      kinds.get(key)!.add(String(waitKind(ch)));
    });
    expect(kinds.get('CallerChecksDone->spin')).toEqual(new Set(['spin']));
    expect(kinds.get('CallerChecksDone->readResult')).toEqual(new Set(['null']));
    expect(kinds.get('WorkerLoadsAllocTop->loadNext')).toEqual(new Set(['null']));
    expect(kinds.get('WorkerLoadsAllocTop->sleepLoadWake')).toEqual(new Set(['poll']));
  });

  test('a trap, a hypercall and a context switch are charged where the protocol takes them', () => {
    const sys = makeSystem({ ...DEFAULT_CONFIG, blockingPair: false, spins: 1, workerPolls: 1 });
    const costs = nominalCosts();
    const lines = new LineTracker(lineMap(sys), 4);
    const call: CallSpec = { name: 'write', work: 1000, bytesIn: 64, bytesOut: 0, wait: () => 0 };
    const seen = new Map<string, Record<string, number>>();
    walk(sys, 6000, 3, (s, ch) => {
      const c = stepCost({ costs, sys, s, ch, core: ch.actor % 4, lines, callOf: () => call, now: 0 });
      seen.set(`${ch.event.name}->${ch.branch.targetName}`, c.charge.toRecord());
    });
    expect(seen.get('CallerLoadsWakeWord->trapWake')?.trap).toBe(costs.trap);
    expect(seen.get('FrontendSendsWakeEvent->spin')?.hypercall).toBe(costs.hypercall);
    expect(seen.get('WorkerSendsNotifyEvent->poll')?.hypercall).toBe(costs.hypercall);
    expect(seen.get('KernelThreadWakes->deqLoadHead')?.switch).toBe(costs.contextSwitch);
    expect(seen.get('WorkerExecutesCall->writeResult')?.work).toBe(1000);
    expect(seen.get('CallerFillsEntry->storeId')?.copy).toBe(64 * costs.copy);
    expect(seen.get('CallerPopsFreeEntry->fill')?.atomic).toBe(costs.atomic);
  });
});

describe('instruments of a timed run', () => {
  test('StepMeter measures exactly what footprint() measures', () => {
    for (const sys of [makeSystem({ ...DEFAULT_CONFIG }), makePerfSystem({ threads: 5, calls: 3 })]) {
      const meter = new StepMeter(sys);
      const n = walk(sys, 3000, 11, (s, ch) => {
        const a = footprint(sys, s, ch);
        const b = meter.of(s, ch);
        expect(new Set(b.reads)).toEqual(a.reads);
        expect(new Set(b.writes)).toEqual(a.writes);
      });
      expect(n).toBeGreaterThan(200);
    }
  });

  test('the kept choices always equal what enabled() gives', () => {
    const sys = makePerfSystem({ threads: 4, calls: 3 });
    let choices: Choices | null = null;
    let prev: { actor: number; writes: number[] } | null = null;
    const meter = new StepMeter(sys);
    let checked = 0;
    walk(
      sys,
      3000,
      5,
      (s, ch) => {
        if (!choices) choices = new Choices(sys, s);
        else if (prev) choices.update(s, prev.actor, prev.writes);
        expect(choices.check(s)).toEqual([]);
        checked++;
        prev = { actor: ch.actor, writes: [...meter.of(s, ch).writes] };
      },
      () => {
        choices = null;
        prev = null;
      },
    );
    expect(checked).toBe(3000);
  });

  test('a line written on one core and read on another is a transfer; read again, a hit', () => {
    const sys = makeSystem({ ...DEFAULT_CONFIG });
    const t = new LineTracker(lineMap(sys), 2);
    const freeTop = sys.L.proc[0].freeTop;
    expect(t.access(0, [], [freeTop])).toEqual({ lines: 1, transfers: 1 }); // cold
    expect(t.access(0, [freeTop], [])).toEqual({ lines: 1, transfers: 0 });
    expect(t.access(1, [freeTop], [])).toEqual({ lines: 1, transfers: 1 });
    expect(t.access(1, [freeTop, freeTop + 1], [])).toEqual({ lines: 1, transfers: 0 }); // the stamp shares the line
    expect(t.access(0, [], [freeTop])).toEqual({ lines: 1, transfers: 1 }); // invalidates core 1's copy
    expect(t.access(0, [], [sys.L.thread[0].pc])).toEqual({ lines: 0, transfers: 0 }); // private words are free
  });
});

describe('performance configurations', () => {
  test('they are checked against their own bounds, and exploration keeps its own', () => {
    expect(perfConfig({ threads: 32, calls: 200 }).workers).toBe(33);
    expect(() => perfConfig({ threads: 65, calls: 1 })).toThrow(ConfigError);
    expect(() => makeSystem(perfConfig({ threads: 32, calls: 200 }))).toThrow(/out of range/);
    expect(BOUNDS.threads[1]).toBeLessThan(PERF_BOUNDS.threads[1]);
  });
});
