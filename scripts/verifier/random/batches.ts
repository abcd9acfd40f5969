/**
 * Random mode over several threads or machines: the run budget is cut into batches of BATCH_RUNS
 * runs, numbered from 0, each an independent verification with its own seed derived from the user's
 * seed and the batch number. Batches can run in any order, on worker threads (--workers) or on other
 * machines (--shard K/N runs the batches b with b mod N = K-1), and merging them in batch order gives
 * the same verdicts, counts and counterexamples whoever ran them. A property's counterexample is the
 * one of the first batch that broke it; that batch is run once more in this thread to write it.
 *
 * A batched verification samples differently from one campaign with the same seed (the batches'
 * seeds are not the campaign's): both are valid samples; the summary says which it was.
 */
import { COMPONENTS, makeSystem, type System } from '../../../model/kit/system.ts';
import type { Branch } from '../../../model/kit/kit.ts';
import { propertyByName } from '../../../properties/index.ts';
import { Pool } from '../workers/pool.ts';
import { BRANCHES } from '../../../model/kit/stepper.ts';
import { addCounts, coverageOf, sumCrashCounts, sumSystemCounts, verify, type PropertyResult, type StrategyStats, type VerifyOptions, type VerifySummary } from './verify.ts';
import { STRATEGIES } from './search/strategy.ts';
import { sumPosixSummaries } from './posix-stats.ts';
import { HashSet53 } from './hash-set.ts';

export const BATCH_RUNS = 500;

export const batchSeed = (seed: number, b: number) => (seed + Math.imul(b + 1, 0x9e3779b9)) | 0;
export const batchCount = (runs: number) => Math.ceil(runs / BATCH_RUNS);
export const batchRuns = (runs: number, b: number) => Math.max(0, Math.min(BATCH_RUNS, runs - b * BATCH_RUNS));

/** What a worker thread needs to run batches: plain data. */
export interface BatchSpec {
  opts: Omit<VerifyOptions, 'props' | 'onProgress'> & { props: string[] };
}

export function runBatch(spec: BatchSpec, b: number): VerifySummary {
  const o = spec.opts;
  return verify({ ...o, props: o.props.map((n) => propertyByName(n)!), seed: batchSeed(o.seed, b), runs: batchRuns(o.runs, b), timeS: null, writeTraces: false, collect: true });
}

export interface BatchedSummary extends VerifySummary {
  batches: number[];
  shard: { k: number; n: number } | null;
  /** per violated property, the batch whose counterexample is reported */
  firstBatch: Record<string, number>;
  /** with the recovery layer on: the crash points themselves, so that `virtuos merge` can unite the shards' */
  crashPointSet: string[] | null;
  /** per strategy, the step signatures its runs reached, so that `virtuos merge` can unite the shards' */
  signatureSets: Record<string, number[]>;
}

/**
 * Strategy shares of several parts (batches or shards) summed, their signature sets united; the
 * properties are those whose reported counterexample the strategy found.
 */
export function sumStrategies(parts: StrategyStats[][], sets: Record<string, number[]>[], results: PropertyResult[]): { strategies: StrategyStats[]; signatures: number; sets: Record<string, number[]> } {
  const byName = new Map<string, StrategyStats>();
  const union = new Map<string, Set<number>>();
  const all = new Set<number>();
  parts.forEach((list, i) =>
    list.forEach((x) => {
      const m = byName.get(x.strategy) ?? { strategy: x.strategy, runs: 0, found: 0, properties: [], coverage: 0 };
      m.runs += x.runs;
      m.found += x.found;
      byName.set(x.strategy, m);
      const u = union.get(x.strategy) ?? new Set<number>();
      for (const sig of sets[i][x.strategy] ?? []) {
        u.add(sig);
        all.add(sig);
      }
      union.set(x.strategy, u);
    }),
  );
  for (const r of results) if (r.strategy) byName.get(r.strategy)?.properties.push(r.property);
  const strategies = [...byName.values()].sort((a, b) => STRATEGIES.indexOf(a.strategy) - STRATEGIES.indexOf(b.strategy));
  for (const x of strategies) x.coverage = union.get(x.strategy)!.size;
  return { strategies, signatures: all.size, sets: Object.fromEntries([...union].map(([k, v]) => [k, [...v]])) };
}

export async function verifyBatched(opts: VerifyOptions, workers: number, shard: { k: number; n: number } | null, onBatch?: (done: number, of: number) => void): Promise<BatchedSummary> {
  const started = performance.now();
  const all = Array.from({ length: batchCount(opts.runs) }, (_, b) => b);
  const mine = shard ? all.filter((b) => b % shard.n === shard.k - 1) : all;
  const { onProgress: _progress, props, ...rest } = opts;
  const spec: BatchSpec = { opts: { ...rest, props: props.map((p) => p.name) } };
  let outs: VerifySummary[];
  let done = 0;
  if (workers > 1) {
    const pool = new Pool(workers, { kind: 'random', spec });
    await pool.ready;
    try {
      outs = await Promise.all(
        mine.map((b) =>
          pool.run<VerifySummary>({ batch: b }).then((r) => {
            onBatch?.(++done, mine.length);
            return r;
          }),
        ),
      );
    } finally {
      await pool.close();
    }
  } else {
    outs = mine.map((b) => {
      const r = runBatch(spec, b);
      onBatch?.(++done, mine.length);
      return r;
    });
  }
  const sys: System = makeSystem(opts.cfg);
  // merge in batch order
  const results: PropertyResult[] = opts.props.map((p) => ({ property: p.name, status: 'holds', runs: 0, steps: 0, trace: null, clause: null, message: null, traceSteps: null, inconclusive: 0, strategy: null }));
  const firstBatch: Record<string, number> = {};
  outs.forEach((o, i) => {
    for (const r of results) {
      const x = o.results.find((y) => y.property === r.property)!;
      r.runs += x.runs;
      r.steps += x.steps;
      r.inconclusive += x.inconclusive;
      if (x.status === 'violated' && r.status === 'holds') {
        r.status = 'violated';
        r.clause = x.clause;
        r.message = x.message;
        r.traceSteps = x.traceSteps;
        r.strategy = x.strategy;
        firstBatch[r.property] = mine[i];
      }
    }
  });
  // write each reported counterexample by running its batch once more, here
  if (opts.writeTraces !== false) {
    for (const r of results) {
      if (r.status !== 'violated') continue;
      const b = firstBatch[r.property];
      const again = verify({ ...opts, props: opts.props.filter((p) => p.name === r.property), seed: batchSeed(opts.seed, b), runs: batchRuns(opts.runs, b), timeS: null, onProgress: undefined });
      r.trace = again.results[0].trace;
    }
  }
  const distinct = new HashSet53();
  const branchById = BRANCHES.branches;
  const visitedBranches = new Set<Branch>();
  const visitedStates = COMPONENTS.map(() => new Set<number>());
  for (const o of outs) {
    for (const h of o.collected!.distinct) distinct.add(h);
    for (const id of o.collected!.branches) visitedBranches.add(branchById[id]);
    for (const [ci, st] of o.collected!.states) visitedStates[ci].add(st);
  }
  const sum = (f: (o: VerifySummary) => number) => outs.reduce((a, o) => a + f(o), 0);
  // crash points are sets (a point is the state a crash was taken in, and the domain): their union
  const crashPoints = new Set<string>();
  for (const o of outs) for (const c of o.collected!.crashPoints) crashPoints.add(c);
  const crashes = opts.cfg.recovery ? sumCrashCounts(outs.map((o) => o.crashes!), crashPoints.size) : null;
  const posix = opts.cfg.posix ? sumPosixSummaries(outs.map((o) => o.posix!)) : undefined;
  const adversary = opts.cfg.adversary
    ? outs.reduce(
        (a, o) => ({ steps: a.steps + o.adversary!.steps, scheduled: a.scheduled + o.adversary!.scheduled, runs: a.runs + o.adversary!.runs, byEvent: addCounts(a.byEvent, o.adversary!.byEvent), accepted: addCounts(a.accepted, o.adversary!.accepted) }),
        { steps: 0, scheduled: 0, runs: 0, byEvent: {} as Record<string, number>, accepted: {} as Record<string, number> },
      )
    : null;
  const shares = sumStrategies(
    outs.map((o) => o.strategies),
    outs.map((o) => Object.fromEntries(o.strategies.map((x, i) => [x.strategy, o.collected!.signatures[i]]))),
    results,
  );
  return {
    ok: results.every((r) => r.status === 'holds'),
    variant: opts.variant,
    seed: opts.seed,
    runs: sum((o) => o.runs),
    steps: sum((o) => o.steps),
    distinctStates: distinct.size,
    distinctCapped: outs.some((o) => o.distinctCapped),
    drainBound: outs[0]?.drainBound ?? 0,
    maxPicks: outs[0]?.maxPicks ?? 0,
    timeS: (performance.now() - started) / 1000,
    results,
    coverage: coverageOf(sys, visitedStates, visitedBranches),
    strategy: opts.strategy ?? 'uniform',
    strategies: shares.strategies,
    signatures: shares.signatures,
    signatureSets: shares.sets,
    adversary,
    crashes,
    crashPointSet: crashes ? [...crashPoints] : null,
    ...(opts.cfg.system ? { system: sumSystemCounts(outs.map((o) => o.system!)) } : {}),
    ...(posix ? { posix } : {}),
    batches: mine,
    shard,
    firstBatch,
  };
}
