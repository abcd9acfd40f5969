/**
 * The posix properties hold on the correct model in a pinned campaign, and every seeded bug of the
 * POSIX layer is caught by each property its variant names, with a pinned seed and run bound: the
 * clause is asserted, and the shrunk counterexample is short.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_CONFIG, parseConfig } from '../model/kit/config.ts';
import { DEFAULT_POSIX } from '../model/posix/config.ts';
import { layerOf, VARIANTS } from '../model/variants.ts';
import { PROPERTIES, propertyByName } from '../properties/index.ts';
import { verify } from '../scripts/verifier/random/verify.ts';

const POSIX_PROPS = PROPERTIES.filter((p) => p.group === 'posix');

/** The clause each (variant, property) is caught through with seed 1. */
const EXPECTED: Record<string, Record<string, string>> = {
  'lowest-free-race': { compatibility: 'linearizable-to-reference' },
  'dup2-noclose': { 'no-leak': 'no-orphan-descriptor', 'fork-exec-inheritance': 'exec-closes-cloexec-remotely' },
  'fork-shares-table': { compatibility: 'linearizable-to-reference', 'fork-exec-inheritance': 'child-shares-open-file-descriptions', 'no-leak': 'no-orphan-descriptor' },
  'lost-kick': { 'poll-correctness': 'no-lost-kick' },
  'exec-leaks-cloexec': { 'fork-exec-inheritance': 'exec-closes-cloexec-remotely', 'no-leak': 'no-orphan-descriptor' },
  'eintr-after-effect': { 'signal-semantics': 'eintr-has-no-effect', compatibility: 'linearizable-to-reference', 'no-leak': 'no-orphan-descriptor' },
};

describe('posix properties on the correct model', () => {
  test('all five hold in 600 generated programs (seed 1), and the summary counts every call and route', () => {
    const s = verify({ cfg: parseConfig({ ...DEFAULT_CONFIG, posix: DEFAULT_POSIX }), variant: 'correct', props: POSIX_PROPS, seed: 1, runs: 600, timeS: null, outDir: '/nonexistent', writeTraces: false });
    expect(s.results.map((r) => [r.property, r.status])).toEqual(POSIX_PROPS.map((p) => [p.name, 'holds']));
    expect(s.posix!.runs).toBe(600);
    for (const [call, n] of Object.entries(s.posix!.calls)) expect(n, call).toBeGreaterThan(0);
    for (const [route, n] of Object.entries(s.posix!.routes)) expect(n, route).toBeGreaterThan(0);
    for (const [situation, n] of Object.entries(s.posix!.reached)) expect(n, situation).toBeGreaterThan(0);
  });
});

describe('seeded bugs of the POSIX layer', () => {
  const posixVariants = VARIANTS.filter((v) => layerOf(v) === 'posix');
  test('there are six, each with an expected clause per property it breaks', () => {
    expect(posixVariants.map((v) => v.name)).toEqual(Object.keys(EXPECTED));
    for (const v of posixVariants) expect(v.breaks.slice().sort()).toEqual(Object.keys(EXPECTED[v.name]).sort());
  });
  for (const v of posixVariants)
    for (const prop of v.breaks)
      test(`${v.name} is caught by ${prop}`, () => {
        const cfg = parseConfig({ ...DEFAULT_CONFIG, ...v.config, bug: v.name });
        const s = verify({ cfg, variant: v.name, props: [propertyByName(prop)!], seed: 1, runs: 3000, timeS: null, outDir: '/nonexistent', writeTraces: false });
        const r = s.results[0];
        expect(r.status).toBe('violated');
        expect(r.clause).toBe(EXPECTED[v.name][prop]);
        expect(r.traceSteps).toBeLessThan(60);
      });
});
