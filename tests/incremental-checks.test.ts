/**
 * Incremental invariant checks (scripts/verifier/explore.ts, Property.reads): an invariant is checked
 * again only after a step that changed a word it declares it reads. Two things make that sound, and
 * each is tested here:
 * - the declarations cover what the invariants read: every invariant with a declaration is run on
 *   states of every layer and every seeded variant through an array that records each word read;
 * - the runs' verdicts are those of checking everything on every state: the same violation (property,
 *   clause, step) or none, on every seeded variant that breaks an incrementally checked invariant.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { anchorConfig, DEFAULT_CONFIG, type Config } from '../model/kit/config.ts';
import { makeSystem, type System } from '../model/kit/system.ts';
import { VARIANTS } from '../model/variants.ts';
import { layerConfig, LAYERS, propertiesFor } from '../properties/index.ts';
import type { Property } from '../properties/property.ts';
import { invariantPlan, readSet, runSchedule, type Pick } from '../scripts/verifier/explore.ts';
import { defaultMaxPicks, scheduleArb } from '../scripts/verifier/random/verify.ts';
import { variantConfig } from '../scripts/verifier/random/search/time-to-bug.ts';
import { nodeNextAt, queueContents, queueIncludes } from '../model/dispatch/ready-queue.ts';
import { regionMap } from '../model/kit/footprint.ts';
import { programArb } from '../scripts/verifier/random/posix-programs.ts';
import { entrySafety, processBroken, surelyWellFormed } from '../properties/dispatch/entry-safety.ts';
import { procJudged } from '../model/system/instance.ts';

const declared = (cfg: Config) => propertiesFor(cfg).filter((p) => p.invariant && p.reads);

/** States reached by random runs of the configuration (seeded), at most `max` of them. */
function statesOf(sys: System, runs: number, max: number): Int32Array[] {
  const out: Int32Array[] = [];
  const scheds = fc.sample(scheduleArb(sys.actors.length, defaultMaxPicks(sys.cfg)), { seed: 5, numRuns: runs }) as Pick[][];
  for (const sched of scheds) {
    if (out.length >= max) break;
    runSchedule(sys, sched, { props: [], onState: (s) => void (out.length < max && out.push(s.slice())) });
  }
  return out;
}

/** The words invariant p reads on some of the states and does not declare. */
function undeclaredReads(sys: System, p: Property, states: readonly Int32Array[]): number[] {
  const allowed = new Set(p.reads!(sys));
  const missing = new Set<number>();
  for (const s of states) {
    const view = new Proxy(s, {
      get(target, key) {
        if (typeof key === 'string' && /^\d+$/.test(key) && !allowed.has(Number(key))) missing.add(Number(key));
        const v = Reflect.get(target, key, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    p.invariant!(sys, view);
  }
  return [...missing].sort((a, b) => a - b);
}

const CONFIGS: [string, Config][] = [
  ...LAYERS.map((l) => [`layer ${l}`, layerConfig({ ...DEFAULT_CONFIG }, l)] as [string, Config]),
  ['anchor 2x2 (atomic queue)', anchorConfig(2, 2)],
  ['two processes, three entries', { ...DEFAULT_CONFIG, processes: 2, threads: 2, entries: 3 }],
  // the composed system's variants change its behaviour, not its layout: 'layer system' covers their reads
  ...VARIANTS.filter((v) => !variantConfig(v).system).map((v) => [`variant ${v.name}`, variantConfig(v)] as [string, Config]),
];

describe('every declared read set covers what its invariant reads', () => {
  test.each(CONFIGS.filter(([, cfg]) => declared(cfg).length > 0))('%s', (_name, cfg) => {
    const sys = makeSystem(cfg);
    const states = statesOf(sys, 30, 2000);
    for (const p of declared(cfg)) expect([p.name, undeclaredReads(sys, p, states)]).toEqual([p.name, []]);
  });

  test('read sets and shared words are the same for every POSIX program of a shape (they are cached per shape)', () => {
    for (const layer of ['posix', 'system'] as const) {
      const cfg = layerConfig({ ...DEFAULT_CONFIG }, layer);
      const base = makeSystem(cfg);
      const reads = (sys: System) => JSON.stringify(propertiesFor(sys.cfg).filter((p) => p.reads).map((p) => [...new Set(p.reads!(sys))].sort((a, b) => a - b)));
      const regions = (sys: System) => JSON.stringify(regionMap(sys));
      for (const program of fc.sample(programArb(cfg.posix!), { seed: 9, numRuns: 5 })) {
        const sys = makeSystem({ ...cfg, posix: { ...cfg.posix!, program } });
        expect(sys.shape).toBe(base.shape);
        expect(reads(sys)).toBe(reads(base));
        expect(regions(sys)).toBe(regions(base));
      }
    }
  });

  test('a declaration that leaves out a word is caught', () => {
    const sys = makeSystem({ ...DEFAULT_CONFIG });
    const states = statesOf(sys, 10, 500);
    for (const p of declared(sys.cfg)) {
      const all = [...readSet(sys, p)!];
      // leave out each word in turn: some state must read it, or the declaration was wider than needed
      const caught = all.filter((w) => undeclaredReads(sys, { ...p, reads: () => all.filter((x) => x !== w) }, states).includes(w));
      expect(caught.length, p.name).toBeGreaterThan(all.length / 2);
    }
  });
});

describe('incremental checking gives the verdicts of checking every invariant on every state', () => {
  // each seeded variant with each incrementally checked invariant it breaks, that invariant alone (so
  // that another one breaking first does not hide it); and the correct model with every property
  const pairs: [string, Config, Property[]][] = VARIANTS.flatMap((v) => {
    const cfg = variantConfig(v);
    return declared(cfg)
      .filter((p) => v.breaks.includes(p.name))
      .map((p) => [`${v.name}, ${p.name}`, cfg, [p]] as [string, Config, Property[]]);
  });
  pairs.push(['correct, every property', { ...DEFAULT_CONFIG }, propertiesFor(DEFAULT_CONFIG)]);
  /** every invariant violated by some run below, with full checks */
  const violated = new Set<string>();

  test.each(pairs)('%s', (_name, cfg, props) => {
    const sys = makeSystem(cfg);
    const runs = cfg.system ? 80 : 250;
    const scheds = fc.sample(scheduleArb(sys.actors.length, defaultMaxPicks(cfg)), { seed: 3, numRuns: runs }) as Pick[][];
    const verdict = (full: boolean) =>
      scheds.map((sched) => {
        const r = runSchedule(sys, sched, { props, fullChecks: full });
        return [r.steps, r.violation && ([r.violation.property, r.violation.clause, r.violation.step] as const)] as const;
      });
    const full = verdict(true);
    expect(verdict(false)).toEqual(full);
    for (const [, v] of full) if (v) violated.add(String(v[0]));
  });

  test('those runs broke every incrementally checked invariant (the comparison saw violations of each)', () => {
    expect(declared(DEFAULT_CONFIG).map((p) => p.name).filter((p) => !violated.has(p))).toEqual([]);
  });

  test('a step that changes no watched word of an invariant leaves its bit clear', () => {
    const sys = makeSystem({ ...DEFAULT_CONFIG });
    const props = propertiesFor(sys.cfg);
    const plan = invariantPlan(sys, props);
    const s = sys.init.slice();
    expect(plan.changed(s, s.slice())).toBe(0);
    props.forEach((p, i) => {
      if (plan.bits[i] < 0) return;
      for (const w of readSet(sys, p)!) {
        const t = s.slice();
        t[w] ^= 1;
        expect(plan.changed(s, t) & (1 << plan.bits[i])).not.toBe(0);
      }
    });
  });
});

test('queueIncludes answers as queueContents(...).items.includes on states of every variant, broken queues included', () => {
  let compared = 0;
  for (const v of VARIANTS.filter((x) => !variantConfig(x).system)) {
    const sys = makeSystem(variantConfig(v));
    const { L, cfg } = sys;
    const states = statesOf(sys, 10, 800);
    // and some with the queue's links scrambled: cycles, links back to the dummy, out of range
    const rnd = fc.sample(fc.array(fc.integer({ min: -2, max: L.nodes }), { minLength: 2 * L.nodes + 2, maxLength: 2 * L.nodes + 2 }), { seed: 7, numRuns: 200 });
    for (const [i, xs] of rnd.entries()) {
      const s = states[i % states.length].slice();
      const p = L.proc[0];
      s[p.head] = xs[0];
      s[p.tail] = xs[1];
      for (let n = 0; n < L.nodes; n++) [s[nodeNextAt(p, n)], s[p.nodeValue + n]] = [xs[2 + 2 * n], xs[3 + 2 * n]];
      states.push(s);
    }
    for (const s of states)
      for (const p of L.proc)
        for (let h = -1; h <= L.thread.length; h++) {
          const atomic = cfg.readyQueue === 'atomic';
          expect(queueIncludes(s, p, L.nodes, atomic, h)).toBe(queueContents(s, p, L.nodes, atomic).items.includes(h));
          compared++;
        }
  }
  expect(compared).toBeGreaterThan(10_000);
});

describe("entry-safety's bit-set check (surelyWellFormed) never passes a process its full check (processBroken) finds broken", () => {
  /** the judged processes of s for which the bit-set check says all is well: processBroken must find nothing */
  function compare(sys: System, s: Int32Array, tally: { surely: number; broken: number; checked: number }): void {
    for (let p = 0; p < sys.L.proc.length; p++) {
      if (!procJudged(s, sys.L, p)) continue;
      tally.checked++;
      const broken = processBroken(sys, s, p);
      if (broken) tally.broken++;
      if (!surelyWellFormed(sys, s, p)) continue;
      tally.surely++;
      expect(broken).toBeNull();
    }
  }

  test.each(CONFIGS)('states of %s', (_name, cfg) => {
    const sys = makeSystem(cfg);
    const tally = { surely: 0, broken: 0, checked: 0 };
    for (const s of statesOf(sys, 40, 3000)) compare(sys, s, tally);
    // the bit-set check is the common path, not one that never says yes
    expect(tally.surely).toBeGreaterThan(tally.checked * 0.9 - tally.broken);
  });

  test('states with one to three words entry-safety reads set to small values (broken stacks, queues and entries)', () => {
    for (const cfg of [{ ...DEFAULT_CONFIG }, anchorConfig(2, 2), { ...DEFAULT_CONFIG, processes: 2, threads: 2, entries: 3 }]) {
      const sys = makeSystem(cfg);
      const reads = [...readSet(sys, entrySafety)!];
      const states = statesOf(sys, 20, 400);
      const tally = { surely: 0, broken: 0, checked: 0 };
      fc.assert(
        fc.property(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: -2, max: 6 })), { minLength: 1, maxLength: 3 }), (i, changes) => {
          const s = states[i % states.length].slice();
          for (const [w, value] of changes) s[reads[w % reads.length]] = value;
          compare(sys, s, tally);
        }),
        { seed: 20261207, numRuns: 6000 },
      );
      expect(tally.broken).toBeGreaterThan(400);
    }
  });
});
