/**
 * The reductions of the exhaustive search are sound where they claim to be: on every seeded variant
 * the reduced search finds the same violations, with counterexamples of the same length, as the
 * unreduced one; the symmetry declarations commute with the step relation on every state checked;
 * every access of a two-process configuration stays inside what the partial-order reduction assumes;
 * and the fair-cycle check decides weak fairness correctly on graphs built to test it.
 */
import { describe, expect, test } from 'vitest';
import { anchorConfig, DEFAULT_CONFIG, parseConfig, type Config } from '../model/kit/config.ts';
import { footprint } from '../model/kit/footprint.ts';
import type { Branch } from '../model/kit/kit.ts';
import { COMPONENTS, enabled, fastStepper, makeSystem } from '../model/kit/system.ts';
import { NIL } from '../model/kit/layout.ts';
import { VARIANTS } from '../model/variants.ts';
import { propertiesFor } from '../properties/index.ts';
import { exhaustive, type ExhaustiveOptions, type ExhaustiveSummary } from '../scripts/verifier/exhaustive/exhaustive.ts';
import { fairCycles, fairLoop, type Graph } from '../scripts/verifier/exhaustive/liveness.ts';
import { accessMap, guardReads } from '../scripts/verifier/exhaustive/por.ts';
import { FootprintCache } from '../scripts/verifier/exhaustive/footprints.ts';
import { makeSymmetry, SymmetryError, type SymmetryGroup } from '../scripts/verifier/exhaustive/symmetry.ts';

const STATE_PROPS = propertiesFor(DEFAULT_CONFIG).filter((p) => p.invariant || p.final);
/** The dispatch model's seeded bugs: the layers have their own test files. */
const DISPATCH_VARIANTS = VARIANTS.filter((v) => !v.config?.posix && !v.config?.isolation && !v.config?.recovery);
const ALL: SymmetryGroup[] = ['threads', 'kernels', 'workers', 'entries'];

function opts(cfg: Config, variant: string, extra: Partial<ExhaustiveOptions> = {}): ExhaustiveOptions {
  return { cfg, variant, props: STATE_PROPS, maxStates: 2_000_000, maxDepth: null, store: 'full', symmetry: [], por: false, liveness: 'terminal', outDir: '', writeTraces: false, ...extra };
}
/**
 * A search of these options, run once for the file: several tests hold different searches to the
 * same unreduced (or full-checking) one, and the search is pure, so its result is shared.
 */
const searched = new Map<string, Promise<ExhaustiveSummary>>();
function search(o: ExhaustiveOptions): Promise<ExhaustiveSummary> {
  const key = JSON.stringify({ ...o, props: o.props.map((p) => p.name) });
  if (!searched.has(key)) searched.set(key, exhaustive(o));
  return searched.get(key)!;
}
const verdicts = (s: ExhaustiveSummary) => s.results.map((r) => `${r.property}:${r.status}:${r.clause ?? ''}:${r.traceSteps ?? ''}`);
const bugOf = (v: string) => (v === 'correct' ? null : (v as Config['bug']));

/**
 * States along seeded random walks (most are far from their representative), and after each the
 * states `derived` makes from it with the same generator, which is returned for more draws.
 */
function walkedStates(sys: ReturnType<typeof makeSystem>, seed: number, walks: number, length: number, derived: (d: Int32Array, rnd: (n: number) => number) => Int32Array[] = () => []) {
  const st = fastStepper(sys);
  const acts = new Int32Array(st.maxEnabled);
  const brs: Branch[] = new Array(st.maxEnabled);
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const states: Int32Array[] = [];
  for (let w = 0; w < walks; w++)
    for (let s = sys.init, i = 0; i < length; i++) {
      const n = st.enabledInto(s, acts, brs);
      if (!n) break;
      const k = rnd(n);
      const d = new Int32Array(s.length);
      st.stepInto(s, acts[k], brs[k], d);
      states.push((s = d), ...derived(d, rnd));
    }
  return { states, rnd };
}

/** Where each variant's bug shows, small enough to search both ways (see exhaustive.test.ts). */
const showing: Record<string, (bug: Config['bug']) => Config> = {
  correct: (b) => anchorConfig(2, 1, 2, 1, 1, b),
  nostamp: (b) => anchorConfig(1, 2, 2, 2, 1, b),
  lostwake: (b) => anchorConfig(2, 1, 2, 1, 1, b),
  'waiters-early': (b) => anchorConfig(2, 1, 2, 1, 1, b),
  'free-early': (b) => anchorConfig(2, 1, 2, 1, 1, b),
  nospawn: (b) => parseConfig({ ...DEFAULT_CONFIG, threads: 2, kernelThreads: 1, calls: 1, entries: 2, workers: 2, bug: b }),
};

/** 3 threads on 2 kernel threads, 1 call, 1 entry, 1 worker: the M:N scheduler's choice between runnable threads is met. */
const MN_CHOICE = () => parseConfig({ ...anchorConfig(3, 1, 1, 1), kernelThreads: 2 });

/** A configuration's system and symmetry (every group), and the successors of a state, each made its representative if `canon`. */
function stepping(cfg: Config) {
  const sys = makeSystem(cfg);
  const st = fastStepper(sys);
  const sym = makeSymmetry(sys, ALL);
  const acts = new Int32Array(st.maxEnabled);
  const brs: Branch[] = new Array(st.maxEnabled);
  const successors = (s: Int32Array, canon: boolean) => {
    const n = st.enabledInto(s, acts, brs);
    return Array.from({ length: n }, (_, k) => {
      const d = new Int32Array(s.length);
      st.stepInto(s, acts[k], brs[k], d);
      if (canon) sym.canon(d);
      return d;
    });
  };
  return { sys, sym, successors };
}

describe('symmetry reduction', () => {
  test.each(Object.keys(showing))('finds the same violations as the unreduced search: %s', async (v) => {
    const cfg = showing[v](bugOf(v));
    // Threads are interchangeable only 1:1 (and not the recv/send pair): the default group choice.
    const groups: SymmetryGroup[] = cfg.kernelThreads === cfg.threads ? ALL : ['kernels', 'workers', 'entries'];
    const full = await search(opts(cfg, v));
    const sym = await search(opts(cfg, v, { symmetry: groups }));
    expect(verdicts(sym)).toEqual(verdicts(full));
    expect(full.complete && sym.complete).toBe(true);
    // nospawn's configuration has one kernel thread and one live worker, and its entries are never
    // found swapped: nothing to reduce there.
    if (v === 'nospawn') expect(sym.states).toBe(full.states);
    else expect(sym.states).toBeLessThan(full.states);
  });

  test('each group alone maps every state of an orbit to one representative (members sorted by signature)', () => {
    const cases: [Config, SymmetryGroup[]][] = [
      [anchorConfig(3, 1, 2, 2), ALL],
      [anchorConfig(2, 2, 3, 2, 1, 'free-early'), ALL],
      [parseConfig({ ...DEFAULT_CONFIG, calls: 1, stampModulus: 4 }), ['kernels', 'workers', 'entries']],
    ];
    for (const [cfg, groups] of cases) {
      const sys = makeSystem(cfg);
      const { states } = walkedStates(sys, 7, 40, 60);
      for (const g of groups) {
        const sym = makeSymmetry(sys, [g]);
        const rep = (x: Int32Array) => {
          const c = x.slice();
          sym.canon(c);
          return c.join();
        };
        let moved = 0;
        for (const s of states) {
          const r = rep(s);
          if (r !== s.join()) moved++;
          for (const t of sym.transpositions(s)) expect(rep(t.apply(s)), `${g}: ${t.name}`).toBe(r);
        }
        // the check has teeth: some states are not their own representative
        if (g !== 'workers') expect(moved).toBeGreaterThan(0);
      }
    }
  });

  test('the generated representative is the interpreted one, state by state', () => {
    // Walk states of each kind of configuration, and the same states with words overwritten by
    // small values and request codes, so that dead registers, references to non-members and
    // codes of other processes are all met.
    const cases: [Config, SymmetryGroup[]][] = [
      [anchorConfig(3, 2, 2, 2), ALL],
      [anchorConfig(2, 2, 3, 2, 1, 'free-early'), ALL],
      [parseConfig({ ...DEFAULT_CONFIG, calls: 1, stampModulus: 4 }), ['kernels', 'workers', 'entries']],
      [parseConfig({ ...DEFAULT_CONFIG, threads: 3, kernelThreads: 3, calls: 1, stampModulus: 4 }), ALL],
      [parseConfig({ ...DEFAULT_CONFIG, processes: 2, threads: 2, kernelThreads: 2, calls: 1, entries: 2, workers: 2, blockingPair: false, wakePath: false, notify: 'direct', readyQueue: 'atomic', stampModulus: 4 }), ALL],
      // the largest groups a configuration may have
      [parseConfig({ ...DEFAULT_CONFIG, threads: 6, kernelThreads: 6, calls: 2, entries: 8, workers: 6, initialWorkers: 6, blockingPair: false }), ALL],
    ];
    for (const [cfg, groups] of cases) {
      const sys = makeSystem(cfg);
      const { states, rnd } = walkedStates(sys, 11, 40, 70, (d, rnd) => {
        const x = d.slice();
        for (let j = 0; j < 3; j++) x[rnd(x.length)] = rnd(2) ? rnd(10) - 1 : 1000 * rnd(3) + 1 + rnd(sys.L.requests + 2);
        // two members with the same registers: their order is decided by where they are named
        const tied = [[0, 1], [1, 0]].map(([from, to]) => {
          const y = d.slice();
          for (const regs of [sys.L.thread, sys.L.kernel, sys.L.worker]) {
            const [a, b] = [Object.values(regs[from]) as number[], Object.values(regs[to]) as number[]];
            a.forEach((at, k) => (y[b[k]] = y[at]));
          }
          return y;
        });
        return [x, ...tied];
      });
      // idle members (equal signatures) named in random places: the order is all in the names
      const P = sys.L.proc[0];
      const T = cfg.threads;
      for (let i = 0; i < 300; i++) {
        const z = sys.init.slice();
        if (cfg.readyQueue === 'atomic') {
          z[P.rqLen] = rnd(T + 1);
          for (let j = 0; j < z[P.rqLen]; j++) z[P.rq + j] = rnd(T);
        }
        for (let e = 0; e < cfg.entries; e++) {
          z[P.owner + e] = rnd(3) ? -1 : rnd(T);
          if (rnd(2)) z[P.arg + e] = 1000 * rnd(2) + 1 + rnd(sys.L.requests);
        }
        for (const k of sys.L.kernel) z[k.cur] = rnd(2) ? -1 : rnd(T);
        for (const w of sys.L.worker) z[w.h] = rnd(2) ? -1 : rnd(T);
        if (rnd(2)) for (const t of sys.L.thread) z[t.att] = z[sys.L.thread[0].att];
        for (let n = 0; n < sys.L.nodes; n++) z[P.nodeValue + n] = rnd(2) ? -1 : rnd(T);
        states.push(z);
      }
      const sym = makeSymmetry(sys, groups);
      const run = (f: (s: Int32Array) => void, s: Int32Array) => {
        const c = s.slice();
        try {
          f(c);
          return c;
        } catch (e) {
          return `threw ${(e as Error).message}`;
        }
      };
      const same = (a: Int32Array | string, b: Int32Array | string) => (typeof a === 'string' || typeof b === 'string' ? a === b : a.every((x, i) => x === b[i]));
      let moved = 0;
      for (const s of states) {
        const want = run(sym.canonReference, s);
        const got = run(sym.canon, s);
        if (!same(got, want)) expect(String(got), `${JSON.stringify(cfg)}\nstate ${s.join()}`).toBe(String(want));
        if (typeof want !== 'string' && !same(want, s)) moved++;
      }
      expect(moved).toBeGreaterThan(states.length / 10);
    }
  });

  test('every group transposition commutes with the step relation (the declarations are exact)', () => {
    const cases: [Config, SymmetryGroup[], number][] = [
      ...DISPATCH_VARIANTS.map((v) => [anchorConfig(2, 1, 2, 2, 1, v.name), ALL, 600] as [Config, SymmetryGroup[], number]),
      [anchorConfig(2, 1, 2, 2), ALL, 600],
      // M:N, lock-free ready queue, wake path, notify ring: registers reused for nodes and handles.
      [parseConfig({ ...DEFAULT_CONFIG, calls: 1, stampModulus: 4 }), ['kernels', 'workers', 'entries'], 800],
      [parseConfig({ ...DEFAULT_CONFIG, calls: 1, bug: 'lostwake', stampModulus: 4 }), ['kernels', 'workers', 'entries'], 800],
    ];
    for (const [cfg, groups, limit] of cases) {
      const sys = makeSystem(cfg);
      const st = fastStepper(sys);
      const sym = makeSymmetry(sys, groups);
      const acts = new Int32Array(st.maxEnabled);
      const brs: Branch[] = new Array(st.maxEnabled);
      const succ = (s: Int32Array) => {
        const n = st.enabledInto(s, acts, brs);
        return Array.from({ length: n }, (_, k) => {
          const d = new Int32Array(s.length);
          st.stepInto(s, acts[k], brs[k], d);
          return d;
        });
      };
      const seen = new Set([sys.init.join()]);
      const queue = [sys.init];
      let checked = 0;
      for (let i = 0; i < queue.length && i < limit; i++) {
        const s = queue[i];
        const next = succ(s);
        for (const g of sym.transpositions(s)) {
          // g(successors of s) = successors of g(s), each with its dead registers zeroed (g∘g = identity does that).
          const a = next.map((t) => g.apply(t).join()).sort();
          const b = succ(g.apply(s)).map((u) => g.apply(g.apply(u)).join()).sort();
          expect(b, `${cfg.bug ?? 'correct'}: state ${i}, ${g.name}`).toEqual(a);
          checked++;
        }
        for (const d of next) if (!seen.has(d.join())) (seen.add(d.join()), queue.push(d));
      }
      expect(checked).toBeGreaterThan(limit);
    }
  });

  test('under M:N, thread symmetry is exact where the runnable threads a kernel thread could pick are interchangeable', () => {
    // three threads on two kernel threads, one entry: threads yield for the entry and wait to be
    // picked, and the scheduler's choice of the lowest-numbered one is met again and again; the
    // threads it chooses between have not started their call, so any of them gives the same state
    // up to renaming. Every orbit of a reachable state is explored, and nothing else is.
    const { sys, sym, successors } = stepping(MN_CHOICE());
    const reach = (canon: boolean) => {
      const init = sys.init.slice();
      if (canon) sym.canon(init);
      const seen = new Set([init.join()]);
      const out = [init];
      for (let i = 0; i < out.length; i++) for (const d of successors(out[i], canon)) if (!seen.has(d.join())) (seen.add(d.join()), out.push(d));
      return out;
    };
    // s with its dead registers zeroed (a transposition applied twice), and the states of its orbit
    const zeroed = (s: Int32Array) => {
      const t0 = sym.transpositions(s)[0];
      return t0.apply(t0.apply(s));
    };
    const orbit = (s: Int32Array) => {
      const out = new Map<string, Int32Array>();
      for (const x of [zeroed(s)]) out.set(x.join(), x);
      for (const x of out.values())
        for (const t of sym.transpositions(x)) {
          const y = t.apply(x);
          if (!out.has(y.join())) out.set(y.join(), y);
        }
      return [...out.keys()];
    };
    const full = reach(false);
    const reduced = reach(true);
    const fullSet = new Set(full.map((s) => zeroed(s).join()));
    const covered = new Set(reduced.flatMap(orbit));
    // every reachable state is in the orbit of an explored one, and every explored orbit holds a reachable state
    expect(full.filter((s) => !covered.has(zeroed(s).join())).length).toBe(0);
    expect(reduced.filter((r) => !orbit(r).some((x) => fullSet.has(x))).length).toBe(0);
    expect(reduced.length * 4).toBeLessThan(full.length);
    const L = sys.L;
    const loadFreeTop = COMPONENTS.find((c) => c.spec.id === 'user-thread')!.stateIndex.get('loadFreeTop')!;
    const choices = full.filter((s) => s[L.proc[0].freeTop] !== NIL && L.thread.filter((t) => s[t.att] === NIL && s[t.pc] === loadFreeTop).length >= 2).length;
    expect(choices).toBeGreaterThan(20);
  });

  test('under M:N, every seeded variant gets the same verdicts with thread symmetry as without', async () => {
    let reducedBy = 0;
    for (const v of ['correct', ...DISPATCH_VARIANTS.map((x) => x.name)]) {
      const cfg = parseConfig({ ...MN_CHOICE(), bug: bugOf(v) });
      const full = await search(opts(cfg, v));
      const sym = await search(opts(cfg, v, { symmetry: ALL }));
      expect(verdicts(sym), v).toEqual(verdicts(full));
      reducedBy = Math.max(reducedBy, full.states / sym.states);
    }
    expect(reducedBy).toBeGreaterThan(4);
  });

  test('the words taken as dead are: a stale cur behaves as NIL, and a handle is read only once its entry is filled', () => {
    const { sys, sym, successors } = stepping(MN_CHOICE());
    const succ = (s: Int32Array) => successors(s, true).map((d) => d.join()).sort();
    const L = sys.L;
    let stale = 0;
    for (const s of walkedStates(sys, 3, 40, 60).states)
      for (const k of L.kernel) {
        if (s[k.cur] === NIL || s[L.thread[s[k.cur]].att] === L.kernel.indexOf(k)) continue;
        stale++;
        const nil = s.slice();
        nil[k.cur] = NIL;
        expect(succ(nil)).toEqual(succ(s));
        const c = s.slice();
        sym.canon(c);
        expect(c.some((v, i) => L.kernel.some((kk) => kk.cur === i) && v !== NIL && c[L.thread[v].att] !== L.kernel.findIndex((kk) => kk.cur === i))).toBe(false);
      }
    expect(stale).toBeGreaterThan(50);
    // a worker about to read the handle of an entry no caller filled: the initial 0 would name thread 1
    const w = L.worker[0];
    const bad = sys.init.slice();
    bad[w.pc] = COMPONENTS.find((c) => c.spec.id === 'worker')!.stateIndex.get('readHandle')!;
    bad[w.e] = 0;
    expect(() => sym.canon(bad)).toThrow(/reads the handle of entry 0, which no caller has filled/);
    bad[L.proc[0].seq] = 1;
    expect(() => sym.canon(bad)).not.toThrow();
  });

  test('thread symmetry is refused where the M:N scheduler tells threads apart', async () => {
    // 4x2x2x2: a thread that made its first call yields for an entry beside one that has not started
    const cfg = anchorConfig(4, 2);
    await expect(exhaustive(opts(cfg, 'correct', { symmetry: ['threads'] }))).rejects.toThrow(SymmetryError);
    await expect(exhaustive(opts(cfg, 'correct', { symmetry: ['threads'] }))).rejects.toThrow(/runnable threads of process 1 that are not interchangeable, and the M:N scheduler picks the lowest-numbered one; rerun with --symmetry-groups kernels,workers,entries/);
  });
});

describe('incremental invariant checks', () => {
  // Each new state is checked only for the invariants whose declared words its step changed (the
  // rest held on its parent): the verdicts, messages and the states they were found at must be those
  // of checking every invariant on every state.
  const same = (s: ExhaustiveSummary) => ({
    states: s.states,
    transitions: s.transitions,
    results: s.results.map((r) => [r.property, r.status, r.clause, r.message, r.traceSteps, r.foundAfterStates]),
  });
  test.each(Object.keys(showing))('%s: the same results as checking every invariant on every state', async (v) => {
    const cfg = showing[v](bugOf(v));
    const full = await search(opts(cfg, v, { fullChecks: true }));
    const inc = await search(opts(cfg, v));
    expect(same(inc)).toEqual(same(full));
    // the seeded variants break invariants that declare their reads (nospawn only a terminal check), so the comparison is exercised
    const declared = (r: ExhaustiveSummary['results'][number]) => r.status === 'violated' && STATE_PROPS.find((p) => p.name === r.property)?.reads !== undefined;
    if (v !== 'correct' && v !== 'nospawn') expect(full.results.some(declared)).toBe(true);
  });

  test('with symmetry and stopping at the first violation too', async () => {
    for (const v of ['lostwake', 'free-early']) {
      const cfg = showing[v](bugOf(v));
      for (const extra of [{ symmetry: ALL }, { stopAtFirst: true }] as Partial<ExhaustiveOptions>[]) {
        const full = await search(opts(cfg, v, { ...extra, fullChecks: true }));
        expect(same(await search(opts(cfg, v, extra)))).toEqual(same(full));
      }
    }
  });
});

describe('partial-order reduction', () => {
  /** Two processes of one caller, one call, one entry, one worker each: 5,929 states unreduced. */
  const two = (bug: Config['bug']) => parseConfig({ ...anchorConfig(1, 1, 1, 1, 1, bug), processes: 2 });

  test.each(['correct', ...DISPATCH_VARIANTS.map((v) => v.name)])('finds the same violations as the unreduced search, on fewer states: %s', async (v) => {
    const full = await search(opts(two(bugOf(v)), v));
    const por = await search(opts(two(bugOf(v)), v, { por: true }));
    expect(verdicts(por)).toEqual(verdicts(full));
    expect(por.states * 4).toBeLessThan(full.states);
    if (v === 'correct') expect([full.states, por.states]).toEqual([5929, 866]);
  });

  test('together with symmetry it finds what it finds alone, on fewer states', async () => {
    for (const v of ['lostwake']) {
      const cfg = parseConfig({ ...anchorConfig(1, 1, 1, 2, 1, bugOf(v)), processes: 2 });
      const por = await search(opts(cfg, v, { por: true }));
      const both = await search(opts(cfg, v, { por: true, symmetry: ALL }));
      expect(verdicts(both)).toEqual(verdicts(por));
      expect(both.states).toBeLessThan(por.states);
    }
  });

  test('with one process there is nothing independent to reduce', async () => {
    const s = await search(opts(anchorConfig(2, 1, 2, 1), 'correct', { por: true }));
    expect([s.states, s.reductions.porReducedStates]).toEqual([21_811, 0]);
  });

  test('the footprints it finds again are the ones footprint() and guardReads() measure, on random walks of every variant', () => {
    const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);
    // measured in the recorder thread (as a search does), and for one variant in this thread too
    for (const [v, thread] of [['correct', false] as const, ...['correct', ...DISPATCH_VARIANTS.map((x) => x.name)].map((x) => [x, true] as const)]) {
      const sys = makeSystem(parseConfig({ ...anchorConfig(1, 2, 2, 2, 1, bugOf(v)), processes: 2 }));
      const cache = new FootprintCache(sys, fastStepper(sys).branches.length, thread);
      let found = 0;
      for (const s of walkedStates(sys, 977 + v.length, 12, 60).states) {
        for (let a = 0; a < sys.actors.length; a++) {
          const before = cache.measured;
          const f = cache.guards(s, a);
          if (cache.measured === before) found++;
          const marked = new Set<number>();
          guardReads(sys, s, a, (w) => marked.add(w));
          expect(cache.words(f), `${v} ${sys.actors[a].name}'s guards`).toEqual({ reads: sorted(marked), writes: [] });
        }
        for (const ch of enabled(sys, s)) {
          const before = cache.measured;
          const f = cache.step(s, ch.actor, ch.branch);
          if (cache.measured === before) found++;
          const fp = footprint(sys, s, ch);
          expect(cache.words(f), `${v} ${sys.actors[ch.actor].name} ${ch.event.name}`).toEqual({ reads: sorted(fp.reads), writes: sorted(fp.writes) });
        }
      }
      // most were found again, not measured: the test covers both ways
      expect(found).toBeGreaterThan(cache.measured);
      expect(cache.threaded).toBe(thread);
    }
  });

  test('a measurement that fails in the recorder thread fails here, with its message', () => {
    const sys = makeSystem(two(null));
    const st = fastStepper(sys);
    const cache = new FootprintCache(sys, st.branches.length);
    // a branch of another component than actor 0's
    const other = st.branches.find((b) => !COMPONENTS[sys.actors[0].comp].states.some((x) => x.events.some((e) => e.branches.includes(b))))!;
    expect(() => cache.step(sys.init, 0, other)).toThrow(/is not a step of .* in its control state/);
    expect(cache.threaded).toBe(true);
    // and the thread still answers
    const ch = enabled(sys, sys.init)[0];
    expect(cache.words(cache.step(sys.init, ch.actor, ch.branch)).writes).toEqual([...footprint(sys, sys.init, ch).writes].sort((a, b) => a - b));
  });

  test('every step of a two-process configuration accesses only the words the reduction allows its actor', () => {
    for (const cfg of [two('lostwake'), parseConfig({ ...DEFAULT_CONFIG, processes: 2, threads: 2, kernelThreads: 1, calls: 1, entries: 2, blockingPair: false, stampModulus: 4 })]) {
      const sys = makeSystem(cfg);
      const map = accessMap(sys);
      const seen = new Set([sys.init.join()]);
      const queue = [sys.init];
      for (let i = 0; i < queue.length && i < 600; i++) {
        const s = queue[i];
        for (let a = 0; a < sys.actors.length; a++)
          guardReads(sys, s, a, (w) => expect(map.allowed[a][w], `${sys.actors[a].name} guard reads word ${w}`).toBe(1));
        for (const ch of enabled(sys, s)) {
          const fp = footprint(sys, s, ch);
          for (const w of [...fp.reads, ...fp.writes]) expect(map.allowed[ch.actor][w], `${sys.actors[ch.actor].name} ${ch.event.name} touches word ${w}`).toBe(1);
          const d = new Int32Array(s.length);
          fastStepper(sys).stepInto(s, ch.actor, ch.branch, d);
          if (!seen.has(d.join())) (seen.add(d.join()), queue.push(d));
        }
      }
    }
  });
});

describe('fair cycles', () => {
  /** A graph from adjacency lists of [target, actor]. */
  function graph(adj: [number, number][][], actors: number): Graph {
    const edgeStart = new Int32Array(adj.length + 1);
    const to: number[] = [];
    const by: number[] = [];
    adj.forEach((es, i) => {
      edgeStart[i] = to.length;
      for (const [t, a] of es) (to.push(t), by.push(a));
    });
    edgeStart[adj.length] = to.length;
    return { expanded: adj.length, edgeStart, edgeTo: Int32Array.from(to), edgeActor: Uint8Array.from(by), actors };
  }

  test('a cycle on which a continuously enabled actor never moves is not fair; one where every actor moves or waits is', () => {
    // 0 -a0-> 1 -a0-> 2 -a0-> 1; actor 1 is enabled in 1 and 2 (edges out of the cycle) but never moves inside it.
    const unfair = graph([[[1, 0]], [[2, 0], [3, 1]], [[1, 0], [3, 1]], []], 2);
    expect(fairCycles(unfair)).toMatchObject({ cyclic: 1, fair: 0, first: null });
    // Same, but actor 1 is disabled in state 2: the cycle 1-2-1 is weakly fair.
    const fair = graph([[[1, 0]], [[2, 0], [3, 1]], [[1, 0]], []], 2);
    const r = fairCycles(fair);
    expect([r.cyclic, r.fair, r.first?.members]).toEqual([1, 1, [1, 2]]);
    expect(r.first!.disabledAt[1]).toBe(2);
    // The loop starts and ends at the component's lowest state and meets every obligation.
    const loop = fairLoop(fair, r.first!);
    const states = [1, ...loop.map((e) => fair.edgeTo[e])];
    expect(states[states.length - 1]).toBe(1);
    expect(states).toContain(2);
    // A self-loop counts as a cycle; acyclic graphs have none.
    expect(fairCycles(graph([[[0, 0]]], 1))).toMatchObject({ cyclic: 1, fair: 1 });
    expect(fairCycles(graph([[[1, 0]], [[2, 0]], []], 1))).toMatchObject({ cyclic: 0, fair: 0 });
  });
});
