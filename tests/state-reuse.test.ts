/**
 * A random run computes its states in two alternating buffers, also when transition properties and
 * run monitors look at the steps (scripts/verifier/explore.ts): a property that keeps a state must
 * copy it (properties/property.ts). Checked here for every property with a transition or monitor
 * check: runs whose retired states are filled with junk (`scribble`) give the verdicts of runs where
 * every state has its own array (`record`), on the correct model of each layer and on every seeded
 * variant that breaks such a property.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../model/kit/config.ts';
import { makeSystem } from '../model/kit/system.ts';
import { VARIANTS } from '../model/variants.ts';
import { layerConfig, propertiesFor } from '../properties/index.ts';
import { runSchedule, type Pick } from '../scripts/verifier/explore.ts';
import { defaultMaxPicks, scheduleArb } from '../scripts/verifier/random/verify.ts';
import { variantConfig } from '../scripts/verifier/random/search/time-to-bug.ts';

const stepChecked = (cfg: Config) => propertiesFor(cfg).filter((p) => p.transition || p.monitor);

const cases: [string, Config][] = [
  ...(['isolation', 'recovery', 'system'] as const).map((l) => [`correct, layer ${l}`, layerConfig({ ...DEFAULT_CONFIG }, l)] as [string, Config]),
  ['correct, isolation with the adversary', { ...layerConfig({ ...DEFAULT_CONFIG }, 'isolation'), adversary: true }],
  ...VARIANTS.filter((v) => {
    const names = new Set(stepChecked(variantConfig(v)).map((p) => p.name));
    return v.breaks.some((b) => names.has(b));
  }).map((v) => [v.name, variantConfig(v)] as [string, Config]),
];

describe('properties that look at steps keep no state arrays the run reuses', () => {
  const caught = new Map<string, number>();
  test('there are such properties and variants that break them', () => {
    expect(stepChecked(cases[3][1]).map((p) => p.name)).toContain('confinement');
    expect(cases.length).toBeGreaterThan(6);
  });

  test.each(cases)('%s: junk in retired states changes no verdict', (_name, cfg) => {
    const sys = makeSystem(cfg);
    const props = stepChecked(cfg);
    const scheds = fc.sample(scheduleArb(sys.actors.length, defaultMaxPicks(cfg)), { seed: 11, numRuns: 12 }) as Pick[][];
    let violations = 0;
    for (const sched of scheds) {
      const own = runSchedule(sys, sched, { props, record: true });
      const reused = runSchedule(sys, sched, { props, scribble: true });
      const key = (r: typeof own) => [r.steps, r.violation?.property, r.violation?.clause, r.violation?.step, r.violation?.message];
      expect(key(reused)).toEqual(key(own));
      // and as a run goes by default, the two buffers alternating (what keys a step must not be its array)
      expect(key(runSchedule(sys, sched, { props }))).toEqual(key(own));
      if (own.violation) violations++;
    }
    if (cfg.bug) caught.set(_name, violations);
  });

  test('the comparisons saw violations: several of those variants were caught on these schedules', () => {
    expect([...caught.values()].filter((n) => n > 0).length).toBeGreaterThanOrEqual(4);
  });
});
