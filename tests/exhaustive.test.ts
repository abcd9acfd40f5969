/**
 * The exhaustive search: the fast stepping it is built on agrees with the reference semantics; it
 * proves the dispatch properties of a small configuration; it finds every seeded bug with a shortest
 * counterexample that replays; the lossy stores and the limits report what they covered; unsound
 * combinations are refused. Sizes are pinned like a model-checking manifest: a change in the model
 * that changes them should be noticed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { anchorConfig, DEFAULT_CONFIG, parseConfig, type Config } from '../model/kit/config.ts';
import type { Branch } from '../model/kit/kit.ts';
import { enabled, fastStepper, makeSystem, step, stepViaXstate } from '../model/kit/system.ts';
import { VARIANTS } from '../model/variants.ts';
import { propertiesFor, propertyByName } from '../properties/index.ts';
import { CombinationError, exhaustive, Expander, MEMORY_CHECK, type ExhaustiveOptions } from '../scripts/verifier/exhaustive/exhaustive.ts';
import { loadTrace, replay } from '../scripts/traces/trace.ts';
import { FullStore, hashWords, StateCodec } from '../scripts/verifier/exhaustive/store.ts';

const STATE_PROPS = propertiesFor(DEFAULT_CONFIG).filter((p) => p.invariant || p.final);
/** The dispatch model's seeded bugs: the layers have their own test files. */
const DISPATCH_VARIANTS = VARIANTS.filter((v) => !v.config?.posix && !v.config?.isolation && !v.config?.recovery);
/**
 * Those whose shortest counterexample is in the table below. woken-unchecked's is 55 steps of two
 * processes, found after 1.84M states (about 20 s, docs/exhaustive.md): beyond a unit test.
 */
const TABLED = DISPATCH_VARIANTS.filter((v) => v.name !== 'woken-unchecked');
const out = mkdtempSync(join(tmpdir(), 'virtuos-exhaustive-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** 2 callers x 1 call x 2 entries x 1 worker: 21,811 states; shows lostwake, waiters-early, free-early. */
const A = (bug: Config['bug'] = null) => anchorConfig(2, 1, 2, 1, 1, bug);
/** 1 caller x 2 calls x 2 entries x 2 workers: shows nostamp (an ABA needs two workers and a reused entry). */
const B = (bug: Config['bug'] = null) => anchorConfig(1, 2, 2, 2, 1, bug);
/** M:N, lock-free queue, wake path, the blocking recv/send pair: shows nospawn. */
const N = (bug: Config['bug'] = null) => parseConfig({ ...DEFAULT_CONFIG, threads: 2, kernelThreads: 1, calls: 1, entries: 2, workers: 2, bug });

function opts(cfg: Config, variant: string, extra: Partial<ExhaustiveOptions> = {}): ExhaustiveOptions {
  return { cfg, variant, props: STATE_PROPS, maxStates: 2_000_000, maxDepth: null, store: 'full', symmetry: [], por: false, liveness: 'terminal', outDir: out, writeTraces: false, ...extra };
}

describe('fast stepping', () => {
  test('enabledInto/stepInto take the same steps as enabled/step, and as xstate itself, on random schedules', () => {
    const configs = [DEFAULT_CONFIG, anchorConfig(2, 2), ...DISPATCH_VARIANTS.map((v) => ({ ...DEFAULT_CONFIG, ...(v.config ?? {}), bug: v.name }))];
    for (const cfg of configs) {
      const sys = makeSystem(cfg);
      const st = fastStepper(sys);
      const acts = new Int32Array(st.maxEnabled);
      const brs: Branch[] = new Array(st.maxEnabled);
      const picks = fc.sample(fc.array(fc.nat(1000), { minLength: 150, maxLength: 150 }), { seed: 7, numRuns: 5 });
      for (const walk of picks) {
        let s = sys.init;
        for (const pick of walk) {
          const ref = enabled(sys, s);
          const n = st.enabledInto(s, acts, brs);
          expect(n).toBe(ref.length);
          for (let k = 0; k < n; k++) {
            expect(acts[k]).toBe(ref[k].actor);
            expect(brs[k]).toBe(ref[k].branch);
          }
          if (n === 0) break;
          const ch = ref[pick % n];
          const next = step(sys, s, ch);
          const fast = new Int32Array(s.length);
          st.stepInto(s, ch.actor, ch.branch, fast);
          expect(Array.from(fast)).toEqual(Array.from(next));
          expect(Array.from(stepViaXstate(sys, s, ch).s)).toEqual(Array.from(next));
          const mine = st.actorEnabledInto(s, ch.actor, brs);
          expect(brs.slice(0, mine)).toEqual(ref.filter((c) => c.actor === ch.actor).map((c) => c.branch));
          s = next;
        }
      }
    }
  });
});

describe('exhaustive search', () => {
  test('proves the dispatch properties for a small configuration, and says exactly what it proved', async () => {
    const s = await exhaustive(opts(A(), 'correct', { liveness: 'cycles' }));
    expect(s.ok).toBe(true);
    expect(s.complete).toBe(true);
    expect(s.limit).toBeNull();
    expect({ states: s.states, transitions: s.transitions, depth: s.depth, terminal: s.terminalStates }).toEqual({ states: 21_811, transitions: 57_178, depth: 57, terminal: 28 });
    expect(s.liveness).toEqual({ mode: 'cycles', cyclicComponents: 0, fairComponents: 0 });
    expect(s.results.map((r) => [r.property, r.status])).toEqual(STATE_PROPS.map((p) => [p.name, 'holds']));
    expect(s.statement).toMatch(/^PROVED: exactly-once, right-thread, no-lost-wakeup, entry-safety on every reachable state \(21,811 states/);
    expect(s.statement).toContain('under weak fairness, on every cycle');
    expect(s.statement).toContain('threads=2');
  });

  const expected: { variant: string; cfg: Config; property: string; clause: string; steps: number }[] = [
    { variant: 'nostamp', cfg: B('nostamp'), property: 'entry-safety', clause: 'entry-on-one-stack', steps: 30 },
    { variant: 'lostwake', cfg: A('lostwake'), property: 'no-lost-wakeup', clause: 'completed-call-in-flight', steps: 17 },
    { variant: 'waiters-early', cfg: A('waiters-early'), property: 'no-lost-wakeup', clause: 'no-sleeper-with-done-entry', steps: 42 },
    { variant: 'free-early', cfg: A('free-early'), property: 'entry-safety', clause: 'free-entry-not-held', steps: 18 },
    { variant: 'nospawn', cfg: N('nospawn'), property: 'no-lost-wakeup', clause: 'all-calls-complete', steps: 31 },
  ];
  test('every seeded bug is in the table', () => {
    expect(expected.map((e) => e.variant).sort()).toEqual(TABLED.map((v) => v.name).sort());
  });

  test.each(expected)('finds $variant with a shortest counterexample ($steps steps) that replays', async (e) => {
    const prop = propertyByName(e.property)!;
    const s = await exhaustive(opts(e.cfg, e.variant, { props: [prop], writeTraces: true }));
    const r = s.results[0];
    expect([r.status, r.clause, r.traceSteps]).toEqual(['violated', e.clause, e.steps]);
    expect(r.trace).toBe(join(out, e.property, `${e.variant}-exhaustive.itf.json`));
    const t = loadTrace(r.trace!);
    expect(t.meta.steps).toHaveLength(e.steps);
    // a terminal-state (deadlock) counterexample ends quiescent, so that replay re-checks liveness there; an invariant's does not
    expect(t.meta.end.quiescent).toBe(e.clause === 'no-sleeper-with-done-entry' || e.clause === 'all-calls-complete');
    const rep = replay(t);
    expect(rep.outcome).toBe('reproduced');
    expect(rep.verdict).toMatchObject({ property: e.property, clause: e.clause, step: e.steps });
    // Shortest: no counterexample within one step less (a bounded proof of the bound).
    const shorter = await exhaustive(opts(e.cfg, e.variant, { props: [prop], maxDepth: e.steps - 1 }));
    expect(shorter.results[0].status).toBe('holds');
    expect(shorter.limit).toBe('max-depth');
  });

  test('the correct model holds where each bug shows', async () => {
    for (const cfg of [A(), B(), N()]) {
      const s = await exhaustive(opts(cfg, 'correct', { maxStates: 40_000 }));
      expect(s.results.filter((r) => r.status === 'violated')).toEqual([]);
    }
  });

  test('hash compaction and bitstate find the same violations and state how much they may have missed', async () => {
    const full = await exhaustive(opts(A('lostwake'), 'lostwake'));
    const verdicts = (x: typeof full) => x.results.map((r) => [r.property, r.status, r.clause, r.traceSteps]);
    const hc = await exhaustive(opts(A('lostwake'), 'lostwake', { store: 'hashcompact', writeTraces: true }));
    expect(verdicts(hc)).toEqual(verdicts(full));
    expect(hc.states).toBe(full.states);
    expect(hc.store.omission.kind).toBe('probability-any-missed');
    expect(hc.statement).toMatch(/probability that some state was missed is at most \d\.\d\de-\d+/);
    expect(replay(loadTrace(hc.results.find((r) => r.trace)!.trace!)).outcome).toBe('reproduced');
    const bs = await exhaustive(opts(A('lostwake'), 'lostwake', { store: 'bitstate', bitstateBits: 22 }));
    expect(verdicts(bs)).toEqual(verdicts(full));
    expect(bs.states).toBe(full.states);
    expect(bs.store.omission.kind).toBe('expected-missed');
    expect(bs.statement).toMatch(/^Hold: .* on the [\d,]+ states the bitstate search visited/);
    expect(bs.statement).toMatch(/states are expected to have been missed directly .* so this is a partial search/);
    // A small bit array misses states, and says so.
    const tiny = await exhaustive(opts(A('lostwake'), 'lostwake', { store: 'bitstate', bitstateBits: 16 }));
    expect(tiny.states).toBeLessThan(full.states);
    expect(tiny.store.omission).toMatchObject({ kind: 'expected-missed' });
    expect((tiny.store.omission as { value: number }).value).toBeGreaterThan(100);
  });

  test('a depth bound and a state limit say what was covered, and a limited search is not called a proof', async () => {
    const d = await exhaustive(opts(A(), 'correct', { maxDepth: 10 }));
    expect([d.limit, d.complete, d.depth]).toEqual(['max-depth', false, 10]);
    expect(d.statement).toMatch(/^Hold: .* on every state within 10 steps of the initial state/);
    const m = await exhaustive(opts(A(), 'correct', { maxStates: 1000 }));
    expect([m.limit, m.complete, m.states]).toEqual(['max-states', false, 1000]);
    expect(m.statement).toContain('NOT a proof');
  });

  test('a memory limit stops at the same state every time (judged on table sizes, not timing) and is not called a proof', async () => {
    const whole = await exhaustive(opts(A(), 'correct', {}));
    // the first page of packed states and the table already take more than this
    const a = await exhaustive(opts(A(), 'correct', { maxBytes: 2 ** 20 }));
    const b = await exhaustive(opts(A(), 'correct', { maxBytes: 2 ** 20 }));
    expect([a.limit, a.complete, a.states]).toEqual(['max-memory', false, MEMORY_CHECK]);
    expect(b.states).toBe(a.states);
    expect(a.statement).toMatch(/the memory limit \(1 MB of tables, --max-memory; the tables, [0-9.]+ MB, and their next growth would pass it\) was hit/);
    expect(a.statement).toContain('NOT a proof');
    // the tables never pass a limit above their first allocation (the first page and table, about
    // 5 MB): it is judged with their next growth (a new page of 65,536 states, a doubling table)
    for (const mb of [10, 22]) {
      const l = await exhaustive(opts(anchorConfig(2, 1), 'correct', { maxBytes: mb * 2 ** 20 }));
      expect(l.limit).toBe('max-memory');
      expect(l.tableBytes, `${mb} MB`).toBeLessThanOrEqual(mb * 2 ** 20);
    }
    // a limit above what the search needs changes nothing
    const roomy = await exhaustive(opts(A(), 'correct', { maxBytes: 2 ** 34 }));
    expect([roomy.limit, roomy.states, roomy.statement.startsWith('PROVED')]).toEqual([null, whole.states, true]);
  });

  test('refuses the combinations a reduction cannot preserve, with the reason', async () => {
    const live = propertyByName('no-lost-wakeup')!;
    await expect(exhaustive(opts(A(), 'correct', { props: [propertyByName('linearizable')!] }))).rejects.toThrow(/operation history, which is not part of the state/);
    await expect(exhaustive(opts(A(), 'correct', { props: [live], liveness: 'cycles', symmetry: ['workers'] }))).rejects.toThrow(CombinationError);
    await expect(exhaustive(opts(A(), 'correct', { props: [live], liveness: 'cycles', symmetry: ['workers'] }))).rejects.toThrow(/weak fairness is about individual actors/);
    await expect(exhaustive(opts(A(), 'correct', { props: [live], liveness: 'cycles', por: true }))).rejects.toThrow(/partial-order reduction/);
    await expect(exhaustive(opts(A(), 'correct', { props: [live], liveness: 'cycles', store: 'bitstate' }))).rejects.toThrow(/bitstate store/);
  });
});

describe('state store', () => {
  test('the packing has room for every member number the symmetry declarations know of, not only those the walk saw', () => {
    // 4x1x2x2 reduced by every group: a walk of canonical states never attaches the first thread to
    // the fourth kernel thread; a deep state does (3 needs a third bit)
    const cfg = anchorConfig(4, 1, 2, 2);
    const props = propertiesFor(cfg).filter((p) => p.invariant || p.final);
    const ex = new Expander({ cfg, props: props.map((p) => p.name), symmetry: ['threads', 'kernels', 'workers', 'entries'], por: false }, (n) => propertyByName(n)!);
    const settled = (sample: Int32Array[]) => {
      const c = new StateCodec(ex.initial());
      c.widenForAll(sample);
      return c;
    };
    const attached = (t: number) => {
      const s = ex.initial();
      s[ex.sys.L.thread[t].att] = cfg.kernelThreads - 1;
      return s;
    };
    const threads = Array.from({ length: cfg.threads }, (_, t) => t);
    const walked = settled(ex.walk(20_000));
    expect(threads.some((t) => walked.misfits(attached(t)).length > 0)).toBe(true);
    const sampled = settled(ex.packingSample(20_000));
    for (const t of threads) expect(sampled.misfits(attached(t))).toEqual([]);
    // the room costs a bit a thread at most (its attachment field: 2 bits for the walk's -1..1, 3 for -1..3)
    const bits = (c: StateCodec) => c.kind.reduce((a, k) => a + k, 0);
    expect(bits(sampled) - bits(walked)).toBeLessThanOrEqual(cfg.threads);
  });

  test('adding prepared batches numbers states exactly as adding them one by one, across widenings', () => {
    for (const cfg of [anchorConfig(2, 2), DEFAULT_CONFIG]) {
      const sys = makeSystem(cfg);
      const st = fastStepper(sys);
      const w = sys.L.size;
      const acts = new Int32Array(st.maxEnabled);
      const brs: Branch[] = new Array(st.maxEnabled);
      // breadth-first-like batches: each state's successors, in a buffer with gaps between them
      const one = new FullStore(sys.init);
      const batched = new FullStore(sys.init);
      one.add(sys.init);
      batched.add(sys.init);
      const frontier: Int32Array[] = [sys.init];
      const buf = new Int32Array(4 * st.maxEnabled * w);
      const offs = new Int32Array(4 * st.maxEnabled);
      let widenedBetween = 0;
      for (let round = 0; round < 60 && frontier.length; round++) {
        let count = 0;
        for (let g = 0; g < 4 && frontier.length; g++) {
          const s = frontier.shift()!;
          const n = st.enabledInto(s, acts, brs);
          for (let k = 0; k < n; k++) {
            const at = (g * st.maxEnabled + k) * w;
            st.stepInto(s, acts[k], brs[k], buf.subarray(at, at + w));
            offs[count++] = at;
          }
        }
        batched.prepare(buf, offs, count);
        for (let k = 0; k < count; k++) {
          // now and then a state outside the batch widens the packing between prepare and addPrepared
          if (k === 1 && round % 7 === 3) {
            const odd = sys.init.slice();
            odd[round % w] = 100_000 + round;
            const before = batched.repacks;
            expect(batched.add(odd)).toBe(one.add(odd));
            if (batched.repacks > before) widenedBetween++;
          }
          const r = batched.addPrepared(k, buf, offs[k]);
          expect(r).toBe(one.add(buf, offs[k]));
          if (r >= 0) frontier.push(buf.slice(offs[k], offs[k] + w));
        }
      }
      expect(batched.size).toBe(one.size);
      expect(batched.repacks).toBeGreaterThan(0);
      expect(batched.stats().widenings).toBe(batched.repacks);
      expect(widenedBetween).toBeGreaterThan(0);
      const a = new Int32Array(w);
      const b = new Int32Array(w);
      for (let i = 0; i < one.size; i++) {
        one.get(i, a);
        batched.get(i, b);
        expect(b).toEqual(a);
        expect(batched.find(a)).toBe(i);
      }
    }
  });

  test('the generated packing packs and unpacks exactly as the loops over the field lists do, across widenings', () => {
    for (const [cfg, coding] of [[anchorConfig(2, 2), true], [anchorConfig(2, 2), false], [DEFAULT_CONFIG, true], [DEFAULT_CONFIG, false]] as const) {
      const sys = makeSystem(cfg);
      const st = fastStepper(sys);
      const codec = new StateCodec(sys.init, undefined, coding);
      const acts = new Int32Array(st.maxEnabled);
      const brs: Branch[] = new Array(st.maxEnabled);
      const a = { i32: new Int32Array(sys.L.size + 2) };
      const r = { i32: new Int32Array(sys.L.size + 2) };
      const back = new Int32Array(sys.L.size);
      const backLoop = new Int32Array(sys.L.size);
      let widened = 0;
      const seen: Int32Array[] = [];
      for (const walk of fc.sample(fc.array(fc.nat(1000), { minLength: 200, maxLength: 200 }), { seed: 3, numRuns: 4 })) {
        let s = sys.init;
        for (const pick of walk) {
          const n = st.enabledInto(s, acts, brs);
          if (n === 0) break;
          const next = new Int32Array(s.length);
          st.stepInto(s, acts[pick % n], brs[pick % n], next);
          s = next;
          seen.push(s);
          const fits = codec.encode(s, a.i32);
          expect(codec.encodeLoop(s, r.i32)).toBe(fits);
          // packing with the hash: the same verdict, and the hash of the packed words
          const h = codec.encodeHash(s, a.i32);
          expect(h >= 0).toBe(fits);
          if (fits) expect(h).toBe(hashWords(a.i32, 0, codec.stride >>> 2));
          if (!fits) {
            widened++;
            codec.widenFor(s);
            expect(codec.encode(s, a.i32)).toBe(true);
            expect(codec.encodeLoop(s, r.i32)).toBe(true);
          }
          expect(Array.from(a.i32.subarray(0, codec.stride >>> 2))).toEqual(Array.from(r.i32.subarray(0, codec.stride >>> 2)));
          back.fill(7);
          codec.decode(a.i32, 0, back);
          codec.decodeLoop(a.i32, 0, backLoop);
          expect(Array.from(back)).toEqual(Array.from(s));
          expect(Array.from(backLoop)).toEqual(Array.from(s));
        }
      }
      expect(widened).toBeGreaterThan(0);
      if (coding) expect(codec.coded.some((x) => x !== null)).toBe(true);
      // widening for all the states at once (as a store's prewarm does) gives the same packing in
      // any order; with plain fields only, the packing widening for each in turn gave
      const alls = [seen, [...seen].reverse()].map((order) => {
        const all = new StateCodec(sys.init, undefined, coding);
        all.widenForAll(order);
        for (const x of seen) expect(all.encode(x, a.i32)).toBe(true);
        return all;
      });
      expect(alls[0].sameLayout(alls[1])).toBe(true);
      expect(Array.from(alls[0].kind)).toEqual(Array.from(alls[1].kind));
      if (!coding) {
        expect(Array.from(alls[0].kind)).toEqual(Array.from(codec.kind));
        expect(alls[0].sameLayout(codec)).toBe(true);
        expect(alls[0].stride).toBe(codec.stride);
      }
    }
  });

  test('a word of few values over a wide range is value-coded: its field holds the value\'s place in its list, and a value not in the list does not fit', () => {
    const cfg = anchorConfig(2, 2);
    const props = propertiesFor(cfg).filter((p) => p.invariant || p.final);
    const ex = new Expander({ cfg, props: props.map((p) => p.name), symmetry: [], por: false }, (n) => propertyByName(n)!);
    const sample = ex.packingSample(20_000);
    const codec = new StateCodec(ex.initial());
    codec.widenForAll(sample);
    const plain = new StateCodec(ex.initial(), undefined, false);
    plain.widenForAll(sample);
    // a call's argument is 0 or 1000 + its number: a plain field needs 10 bits, its place in the list 4
    const arg = ex.sys.L.proc[0].arg;
    expect(plain.kind[arg]).toBe(10);
    expect(codec.coded[arg]).not.toBeNull();
    expect(codec.kind[arg]).toBeLessThanOrEqual(plain.kind[arg] - 2);
    expect(plain.coded.every((x) => x === null)).toBe(true);
    expect(codec.stride).toBeLessThan(plain.stride);
    // room for a whole state: a widened packing may take more words
    const packed = new Int32Array(ex.words);
    const back = new Int32Array(ex.words);
    for (const s of sample) {
      expect(codec.encode(s, packed)).toBe(true);
      codec.decode(packed, 0, back);
      expect(Array.from(back)).toEqual(Array.from(s));
    }
    // a value between two listed ones, and one beyond the list's range: neither fits, both are named
    const list = codec.coded[arg]!;
    let between = list[0] + 1;
    while (list.includes(between)) between++;
    // the lookup table covers the list's range rounded up to a power of two: these two land, masked, on a listed value's entry
    const size = 2 ** Math.ceil(Math.log2(list[list.length - 1] - list[0] + 1));
    for (const v of [between, list[list.length - 1] + 1, list[1] + size, list[1] - size, -7]) {
      const s = sample[sample.length - 1].slice();
      s[arg] = v;
      expect(list.includes(v)).toBe(false);
      expect(codec.encode(s, packed)).toBe(false);
      expect(codec.encodeLoop(s, packed)).toBe(false);
      expect(codec.misfits(s)).toEqual([{ word: arg, value: v, bits: codec.kind[arg] }]);
      // widening for it takes the value into the list (or makes the field plain), and then it fits
      const wider = new StateCodec(ex.initial(), codec);
      wider.widenFor(s);
      expect(wider.encode(s, packed)).toBe(true);
      wider.decode(packed, 0, back);
      expect(Array.from(back)).toEqual(Array.from(s));
      expect(codec.encode(s, packed)).toBe(false);
    }
  });
});
