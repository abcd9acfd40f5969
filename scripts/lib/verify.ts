/**
 * The random verifier: fast-check generates schedules, every run checks the selected properties, and
 * a failing schedule is shrunk and written as a trace.
 *
 * The runs are cut into batches (BATCH_RUNS runs each, seeds derived from the user's seed and the
 * batch number). A batch checks all the properties on each run, so a run is paid for once; when a run
 * breaks property P, the batch keeps that run (its seed and fast-check path) and goes on with the
 * others. Batches are merged in batch order: P's counterexample is the first batch's failing run,
 * shrunk by fast-check (which replays it from its seed and path, counting a candidate as failing
 * only if it breaks P) and then minimised. Because batches do not depend on each other, worker
 * threads (parallel.ts) and shards on other machines run them and the merged result is the same.
 * Every random choice comes from the printed seed; with --runs the result is the same on every
 * execution.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import type { Config } from '../../model/config.ts';
import { COMPONENTS, fastStepper, makeSystem, type System } from '../../model/system.ts';
import type { Branch } from '../../model/kit.ts';
import type { Property } from '../../properties/property.ts';
import { drainBound, runSchedule, type Pick } from './explore.ts';
import { writeFileAtomic } from './itf.ts';
import { buildTrace, traceText } from './trace.ts';

export interface VerifyOptions {
  cfg: Config;
  variant: string;
  props: readonly Property[];
  seed: number;
  /** number of runs (schedules); ignored when timeS is set */
  runs: number;
  /** stop after this many seconds instead of a run count (the run count then varies) */
  timeS: number | null;
  /** where traces go: <outDir>/<property>/<variant>-<seed>.itf.json */
  outDir: string;
  /** most picks in a generated schedule */
  maxPicks?: number;
  onProgress?: (p: Progress) => void;
  /** write trace files (false in tests that only want verdicts) */
  writeTraces?: boolean;
  /** run only part K (1-based) of N: the batches b with b mod N = K-1 */
  shard?: { k: number; n: number } | null;
}

export interface Progress {
  runs: number;
  steps: number;
  elapsedS: number;
  violated: string[];
}

export interface PropertyResult {
  property: string;
  status: 'holds' | 'violated';
  runs: number;
  steps: number;
  trace: string | null;
  clause: string | null;
  message: string | null;
  /** length of the shrunk counterexample */
  traceSteps: number | null;
  /** runs whose history check ran out of budget */
  inconclusive: number;
  /** the batch whose run broke it (what `virtuos merge` orders shards by), or null */
  batch: number | null;
}

export interface Coverage {
  machine: string;
  states: [number, number];
  transitions: [number, number];
  unvisitedStates: string[];
}

export interface VerifySummary {
  ok: boolean;
  variant: string;
  seed: number;
  runs: number;
  steps: number;
  distinctStates: number;
  distinctCapped: boolean;
  drainBound: number;
  maxPicks: number;
  timeS: number;
  results: PropertyResult[];
  coverage: Coverage[];
  /** batches run (see BATCH_RUNS) */
  batches: number;
  shard: { k: number; n: number } | null;
}

const DISTINCT_CAP = 2_000_000;

/** Two 32-bit FNV-style hashes of the state words folded into one 53-bit number. */
export function stateHash(s: Int32Array): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    const w = s[i];
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h2 = Math.imul(h2 ^ (w + 0x9e3779b9), 0x85ebca6b);
    h2 ^= h2 >>> 13;
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

export function defaultMaxPicks(cfg: Config): number {
  return 20 * cfg.processes * cfg.threads * cfg.calls;
}

export function scheduleArb(actors: number, maxPicks: number): fc.Arbitrary<Pick[]> {
  return fc.array(fc.tuple(fc.nat(actors * 4 - 1), fc.nat(11)), { maxLength: maxPicks, size: 'max' });
}

/**
 * fast-check shrinks the schedule towards the simplest input, which is not always the shortest run
 * (an empty schedule still runs the whole drain). This second pass works on the executed trace itself:
 * every step becomes a one-step pick of its actor, and it keeps any change that still breaks the same
 * property with fewer executed steps: the best truncation point
 * (the rest left to the drain), removing chunks of picks (halving the chunk size down to one), and
 * moving a pick earlier (right after the previous pick of the same actor) or later (right before
 * the next one), which reorders the interleaving. It stops when a full round changes nothing, after `budget` runs or after `seconds`
 * (so that a long counterexample cannot stall the verifier; the result is then less short).
 */
export function minimizeTrace(sys: System, prop: Property, sched: Pick[], budget = 4000, seconds = 10): Pick[] {
  let evals = 0;
  const deadline = performance.now() + seconds * 1000;
  const length = (c: Pick[]) => {
    evals++;
    if ((evals & 63) === 0 && performance.now() > deadline) evals = budget;
    const r = runSchedule(sys, c, { props: [prop] });
    return r.violation?.property === prop.name ? r.steps : Infinity;
  };
  const first = runSchedule(sys, sched, { props: [prop], record: true });
  let best: Pick[] = first.trace.map((x) => [x.choice.actor, 0] as const);
  let bestLen = length(best);
  if (bestLen === Infinity) return sched;
  const consider = (cand: Pick[]): boolean => {
    if (evals >= budget) return false;
    const l = length(cand);
    if (l < bestLen) {
      best = cand;
      bestLen = l;
      return true;
    }
    return false;
  };
  for (let round = 0, changed = true; changed && evals < budget; round++) {
    changed = false;
    // Safety and history violations are kept by every longer prefix, so bisect for the shortest
    // violating prefix first; then try every cut of a short trace (a liveness run need not be monotone).
    let lo = 0;
    let hi = best.length;
    while (lo < hi && evals < budget) {
      const mid = (lo + hi) >> 1;
      if (length(best.slice(0, mid)) <= bestLen) hi = mid;
      else lo = mid + 1;
    }
    if (consider(best.slice(0, lo))) changed = true;
    if (best.length <= 400) for (let k = 0; k < best.length && evals < budget; k++) if (consider(best.slice(0, k))) changed = true;
    for (let chunk = Math.max(1, best.length >> 1); chunk >= 1; chunk >>= 1)
      for (let i = best.length - chunk; i >= 0 && evals < budget; i -= chunk) if (consider([...best.slice(0, i), ...best.slice(i + chunk)])) changed = true;
    for (let i = 1; i < best.length && evals < budget; i++) {
      const actor = best[i][0];
      let j = i - 1;
      while (j >= 0 && best[j][0] !== actor) j--;
      if (j + 1 >= i) continue;
      const cand = [...best.slice(0, j + 1), best[i], ...best.slice(j + 1, i), ...best.slice(i + 1)];
      if (consider(cand)) changed = true;
    }
    for (let i = best.length - 2; i >= 0 && evals < budget; i--) {
      const actor = best[i][0];
      let j = i + 1;
      while (j < best.length && best[j][0] !== actor) j++;
      if (j - 1 <= i) continue;
      const cand = [...best.slice(0, i), ...best.slice(i + 1, j), best[i], ...best.slice(j)];
      if (consider(cand)) changed = true;
    }
  }
  return best;
}

/** A fresh 32-bit seed for the k-th campaign of batch b, derived from the user's seed. */
export const batchSeed = (seed: number, b: number, k: number) => (seed + Math.imul(b, 0x9e3779b9) + Math.imul(k, 0x85ebca6b)) | 0;

/**
 * Runs in one batch. The work of a verification is cut into batches of this many runs, numbered
 * from 0, each with its own seed derived from the user's seed and the batch number. A batch does not
 * depend on any other, so batches can run in any order, on worker threads or on other machines
 * (--workers, --shard), and merging their results in batch order gives the same verdicts, counts
 * and counterexamples whoever ran them.
 */
export const BATCH_RUNS = 250;

/** The runs of batch b of a verification of `runs` runs (the last batch may be short). */
export const batchRuns = (runs: number, b: number) => Math.max(0, Math.min(BATCH_RUNS, runs - b * BATCH_RUNS));
export const batchCount = (runs: number) => Math.ceil(runs / BATCH_RUNS);

/** What one batch found: plain data, so that it can come back from a worker thread or another machine. */
export interface BatchResult {
  batch: number;
  runs: number;
  steps: number;
  /** per property: runs and steps in which it was checked, history checks out of budget, and its first failing run */
  props: Record<string, { runs: number; steps: number; inconclusive: number; failure: { seed: number; path: string } | null }>;
  /** state hashes seen (at most DISTINCT_CAP) */
  distinct: number[];
  /** branch numbers taken (FastStepper numbering) */
  branches: number[];
  /** "component:state" control states reached */
  states: string[];
}

export interface BatchSpec {
  cfg: Config;
  props: readonly Property[];
  seed: number;
  maxPicks: number;
  /** stop at this time (performance.now() of this thread), for --time; Infinity otherwise */
  deadline: number;
}

/**
 * Run batch b: fast-check campaigns over all properties; when a run breaks property P, P's first
 * failing run (its campaign seed and fast-check path) is kept and the batch goes on with the others.
 * No shrinking here: that is done once, for the first batch that broke P (see `finish`).
 */
export function runBatch(spec: BatchSpec, b: number, runsInBatch: number): BatchResult {
  const sys = makeSystem(spec.cfg);
  const st = fastStepper(sys);
  const res: BatchResult = { batch: b, runs: 0, steps: 0, props: {}, distinct: [], branches: [], states: [] };
  for (const p of spec.props) res.props[p.name] = { runs: 0, steps: 0, inconclusive: 0, failure: null };
  const distinct = new Set<number>();
  const branches = new Set<Branch>();
  const states = new Set<string>();
  for (const a of sys.actors) states.add(`${a.comp}:${sys.init[a.pcAt]}`);
  const onState = (s: Int32Array) => {
    if (distinct.size < DISTINCT_CAP) distinct.add(stateHash(s));
  };
  const onStep = (ch: { actor: number; branch: Branch }) => {
    if (!branches.has(ch.branch)) {
      branches.add(ch.branch);
      states.add(`${sys.actors[ch.actor].comp}:${ch.branch.target}`);
    }
  };
  let checked = [...spec.props];
  for (let k = 0; checked.length > 0 && res.runs < runsInBatch && performance.now() < spec.deadline; k++) {
    let failed: string | null = null;
    const now = checked;
    const predicate = (sched: Pick[]): boolean => {
      const r = runSchedule(sys, sched, { props: now, onState, onStep });
      res.runs++;
      res.steps += r.steps;
      for (const p of now) {
        res.props[p.name].runs++;
        res.props[p.name].steps += r.steps;
      }
      for (const u of r.unknown) res.props[u].inconclusive++;
      if (r.violation) {
        failed = r.violation.property;
        return false;
      }
      return true;
    };
    const seed = batchSeed(spec.seed, b, k);
    const out = fc.check(fc.property(scheduleArb(sys.actors.length, spec.maxPicks), predicate), {
      seed,
      numRuns: runsInBatch - res.runs,
      endOnFailure: true,
      ...(spec.deadline !== Infinity ? { interruptAfterTimeLimit: Math.max(1, spec.deadline - performance.now()), markInterruptAsFailure: false } : {}),
    });
    if (!out.failed || failed === null || out.counterexamplePath === null) break;
    const name: string = failed;
    res.props[name].failure = { seed, path: out.counterexamplePath };
    checked = checked.filter((p) => p.name !== name);
  }
  res.distinct = [...distinct];
  res.branches = [...branches].map((br) => st.branchId.get(br)!);
  res.states = [...states];
  return res;
}

/** Everything a verification needs besides its batches. */
export interface Plan {
  sys: System;
  maxPicks: number;
  /** the batches to run: all, or those of this shard (b = K-1 mod N) */
  batches: (index: number) => boolean;
  /** number of batches; Infinity under --time */
  count: number;
}

export function planOf(opts: VerifyOptions): Plan {
  const sys = makeSystem(opts.cfg);
  const maxPicks = opts.maxPicks ?? defaultMaxPicks(opts.cfg);
  const sh = opts.shard ?? null;
  return { sys, maxPicks, batches: (b) => !sh || b % sh.n === sh.k - 1, count: opts.timeS === null ? batchCount(opts.runs) : Infinity };
}

/**
 * Merge batch results in batch order into the summary: a property's counterexample comes from the
 * first batch that broke it, shrunk (fast-check, replaying that run's seed and path) and minimised,
 * and its run and step counts are those of the runs up to that failure.
 */
export function finish(opts: VerifyOptions, plan: Plan, results: BatchResult[], started: number): VerifySummary {
  const { sys, maxPicks } = plan;
  results.sort((a, b) => a.batch - b.batch);
  const st = fastStepper(sys);
  const out = new Map<string, PropertyResult>(
    opts.props.map((p) => [p.name, { property: p.name, status: 'holds', runs: 0, steps: 0, trace: null, clause: null, message: null, traceSteps: null, inconclusive: 0, batch: null }]),
  );
  const distinct = new Set<number>();
  const branches = new Set<number>();
  const states = new Set<string>();
  let runs = 0;
  let steps = 0;
  for (const r of results) {
    runs += r.runs;
    steps += r.steps;
    for (const h of r.distinct) if (distinct.size < DISTINCT_CAP) distinct.add(h);
    for (const x of r.branches) branches.add(x);
    for (const x of r.states) states.add(x);
    for (const p of opts.props) {
      const res = out.get(p.name)!;
      if (res.batch !== null) continue;
      const mine = r.props[p.name];
      res.runs += mine.runs;
      res.steps += mine.steps;
      res.inconclusive += mine.inconclusive;
      if (mine.failure) {
        res.batch = r.batch;
        (res as PropertyResult & { failure?: unknown }).failure = mine.failure;
      }
    }
  }
  for (const p of opts.props) {
    const res = out.get(p.name)! as PropertyResult & { failure?: { seed: number; path: string } };
    const f = res.failure;
    delete res.failure;
    if (!f) continue;
    // Shrink the first failing run of the first batch that broke p: fast-check replays it from its seed and path.
    const shrunk = fc.check(fc.property(scheduleArb(sys.actors.length, maxPicks), (sched: Pick[]) => runSchedule(sys, sched, { props: [p] }).violation?.property !== p.name), {
      seed: f.seed,
      path: f.path,
      endOnFailure: false,
    });
    if (!shrunk.failed || !shrunk.counterexample) throw new Error(`internal: the failing run of ${p.name} (batch ${res.batch}, seed ${f.seed}, path ${f.path}) does not fail on replay`);
    const sched = minimizeTrace(sys, p, shrunk.counterexample[0] as Pick[]);
    const r = runSchedule(sys, sched, { props: [p], record: true });
    const v = r.violation!;
    res.status = 'violated';
    res.clause = v.clause;
    res.message = v.message;
    res.traceSteps = r.steps;
    if (opts.writeTraces !== false) {
      const sh = opts.shard ? `-shard${opts.shard.k}of${opts.shard.n}` : '';
      const path = join(opts.outDir, p.name, `${opts.variant}-${opts.seed}${sh}.itf.json`);
      const trace = buildTrace(sys, r.trace, r.final, {
        variant: opts.variant,
        seed: opts.seed,
        checked: [p.name],
        verdict: { status: 'violated', property: p.name, clause: v.clause, message: v.message, step: v.step },
        end: r.end,
      }, { batch: res.batch });
      writeFileAtomic(path, traceText(trace));
      res.trace = path;
    }
  }
  const coverage: Coverage[] = COMPONENTS.map((comp, ci) => {
    const all = comp.states.flatMap((stt) => stt.events.flatMap((e) => e.branches));
    const visited = comp.states.map((_, i) => states.has(`${ci}:${i}`));
    return {
      machine: comp.spec.id,
      states: [visited.filter(Boolean).length, comp.states.length] as [number, number],
      transitions: [all.filter((b) => branches.has(st.branchId.get(b)!)).length, all.length] as [number, number],
      unvisitedStates: comp.states.filter((_, i) => !visited[i]).map((x) => x.name),
    };
  }).filter((_, ci) => COMPONENTS[ci].spec.count(sys.L) > 0);
  const list = opts.props.map((p) => out.get(p.name)!);
  return {
    ok: list.every((r) => r.status === 'holds'),
    variant: opts.variant,
    seed: opts.seed,
    runs,
    steps,
    distinctStates: distinct.size,
    distinctCapped: distinct.size >= DISTINCT_CAP,
    drainBound: drainBound(sys),
    maxPicks,
    timeS: (performance.now() - started) / 1000,
    results: list,
    coverage,
    batches: results.length,
    shard: opts.shard ?? null,
  };
}

/** The verification in this thread: the batches one after another. */
export function verify(opts: VerifyOptions): VerifySummary {
  const started = performance.now();
  const plan = planOf(opts);
  const deadline = opts.timeS === null ? Infinity : started + opts.timeS * 1000;
  const spec: BatchSpec = { cfg: opts.cfg, props: opts.props, seed: opts.seed, maxPicks: plan.maxPicks, deadline };
  const results: BatchResult[] = [];
  let runs = 0;
  let steps = 0;
  let lastProgress = 0;
  for (let b = 0; b < plan.count && performance.now() < deadline; b++) {
    if (!plan.batches(b)) continue;
    const r = runBatch(spec, b, opts.timeS === null ? batchRuns(opts.runs, b) : BATCH_RUNS);
    results.push(r);
    runs += r.runs;
    steps += r.steps;
    const now = performance.now();
    if (opts.onProgress && now - lastProgress > 500) {
      lastProgress = now;
      opts.onProgress({ runs, steps, elapsedS: (now - started) / 1000, violated: violatedSoFar(results) });
    }
  }
  return finish(opts, plan, results, started);
}

export function violatedSoFar(results: BatchResult[]): string[] {
  const names = new Set<string>();
  for (const r of results) for (const [n, p] of Object.entries(r.props)) if (p.failure) names.add(n);
  return [...names];
}
