/**
 * The random verifier: fast-check generates schedules, every run checks the selected properties, and
 * a failing schedule is shrunk and written as a trace.
 *
 * One campaign checks all the still-unviolated properties on each run, so a run is paid for once. When
 * a run breaks property P, the campaign focuses: from then on (fast-check's shrinking phase) a
 * candidate counts as failing only if it breaks P, so the shrunk counterexample is one of P. The
 * remaining properties then get a fresh campaign with the runs left. Every random choice comes from
 * the printed seed; with --runs the result is the same on every execution.
 *
 * What a run is depends on the search strategy (search/strategy.ts: uniform picks, PCT, POS,
 * swarm, coverage feedback, or their mix); every run's steps are counted into interleaving
 * coverage (search/coverage.ts), which the feedback strategy steers by and the summary reports per
 * strategy.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import type { Config } from '../../../model/kit/config.ts';
import { isAdversary } from '../../../model/isolation/adversary.ts';
import { crashOf } from '../../../model/recovery/fault-injector.ts';
import { COMPONENTS, makeSystem, type Choice, type System } from '../../../model/kit/system.ts';
import { BRANCHES } from '../../../model/kit/stepper.ts';
import { domainOfProc, SERVICE_STORAGE } from '../../../model/kit/layout.ts';
import { sclib } from '../../../model/dispatch/sclib.ts';
import type { Branch } from '../../../model/kit/kit.ts';
import type { Property } from '../../../properties/property.ts';
import { drainBound, runDriven, runSchedule, type Driver, type Pick, type RunResult } from '../explore.ts';
import { writeFileAtomic } from '../../traces/itf.ts';
import { buildTrace, traceText } from '../../traces/trace.ts';
import { programText, type Program } from '../../../model/posix/program.ts';
import { posixRunStats, type PosixSummary } from './posix-stats.ts';
import { programArb } from './posix-programs.ts';
import { StepCoverage } from './search/coverage.ts';
import { HashSet53 } from './hash-set.ts';
import { driverFor, runConfig, scheduleArb, schedulerMeta, searchArb, searchEnv, STRATEGIES, type RunInput, type StrategyChoice, type StrategyName } from './search/strategy.ts';

export { scheduleArb };

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
  /** also return the sets behind the counts (for merging batches: scripts/verifier/random/batches.ts) */
  collect?: boolean;
  /** the search strategy (default uniform, what the library did before there were others; the CLI's default is mix) */
  strategy?: StrategyChoice;
  /** stop at the first counterexample of any property (the benchmark's time to first counterexample) */
  stopAtFirst?: boolean;
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
  /** the strategy whose run found the counterexample */
  strategy: StrategyName | null;
  /** runs whose history check ran out of budget */
  inconclusive: number;
}

export interface Coverage {
  machine: string;
  states: [number, number];
  transitions: [number, number];
  unvisitedStates: string[];
}

/** One strategy's share of a verification. */
export interface StrategyStats {
  strategy: StrategyName;
  runs: number;
  /** counterexamples its runs found (one per campaign; in a batched run summed over the batches) */
  found: number;
  /** the properties whose reported counterexample it found */
  properties: string[];
  /** step signatures (search/coverage.ts) its runs reached */
  coverage: number;
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
  /** the sets behind distinctStates and coverage, when `collect` was asked for */
  collected?: { distinct: number[]; branches: number[]; states: [number, number][]; crashPoints: string[]; signatures: number[][] };
  /** the strategy asked for */
  strategy: StrategyChoice;
  /** per strategy that ran: runs, counterexamples found, coverage */
  strategies: StrategyStats[];
  /** step signatures reached by all strategies together */
  signatures: number;
  /** the POSIX layer's counters (calls, routes, documented differences), when the layer is on */
  posix?: PosixSummary;
  /** with the adversary on: its steps in the campaign's runs, by event, and how many the schedules took (the rest the drains); shrinking runs not counted */
  adversary: { steps: number; scheduled: number; runs: number; byEvent: Record<string, number>; accepted: Record<string, number> } | null;
  /**
   * composed system: what each layer's machines did in the campaign's runs (shrinking runs not counted):
   * POSIX requests the dispatch machines carried back per service domain, those they failed because
   * the domain failed, and each domain's restarts and reconnections
   */
  system?: SystemCounts;
  /** with the recovery layer on: crashes injected in the campaign's runs (shrinking runs not counted); a crash point is the state a crash was taken in, with the domain crashed */
  crashes: { steps: number; points: number; runsWithCrash: number; runs: number; perRun: number; byEvent: Record<string, number> } | null;
}

/** The composed system's counts (VerifySummary.system): per service domain, by name. */
export interface SystemCounts {
  carried: Record<string, number>;
  failed: Record<string, number>;
  restarts: Record<string, number>;
  reconnects: Record<string, number>;
}

/** Counts of several parts (batches or shards) summed. */
export function sumSystemCounts(parts: SystemCounts[]): SystemCounts {
  const out: SystemCounts = { carried: {}, failed: {}, restarts: {}, reconnects: {} };
  for (const x of parts) for (const k of ['carried', 'failed', 'restarts', 'reconnects'] as const) addCounts(out[k], x[k]);
  return out;
}

/** The recovery layer's crash counts of a campaign (VerifySummary.crashes). */
export type CrashCounts = NonNullable<VerifySummary['crashes']>;

/** Add the counts of b into a (by key); returns a. */
export function addCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
  return a;
}

/** Crash counts of several parts (batches or shards) summed; `points` is the size of the union of their crash points. */
export function sumCrashCounts(parts: CrashCounts[], points: number): CrashCounts {
  const c: CrashCounts = { steps: 0, points, runsWithCrash: 0, runs: 0, perRun: 0, byEvent: {} };
  for (const x of parts) {
    c.steps += x.steps;
    c.runs += x.runs;
    c.runsWithCrash += x.runsWithCrash;
    addCounts(c.byEvent, x.byEvent);
  }
  c.perRun = c.runs ? Number((points / c.runs).toFixed(2)) : 0;
  return c;
}

const DISTINCT_CAP = 2_000_000;
/** states hashed before they are added to the distinct-state set together (HashSet53.addAll) */
const DISTINCT_BATCH = 64;

/** Most runs fast-check's shrinking may make on a counterexample of a strategy other than uniform. */
const SHRINK_BUDGET = 1000;

/** Two 32-bit FNV-style hashes of the state words folded into one 53-bit number (crash points are named by it). */
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

/** Coverage of each machine that has actors in `sys`, from the visited states (per component) and branches. */
export function coverageOf(sys: System, visitedStates: Set<number>[], visitedBranches: Set<Branch>): Coverage[] {
  return COMPONENTS.map((comp, ci) => {
    const branches = comp.states.flatMap((st) => st.events.flatMap((e) => e.branches));
    return {
      machine: comp.spec.id,
      states: [visitedStates[ci].size, comp.states.length] as [number, number],
      transitions: [branches.filter((b) => visitedBranches.has(b)).length, branches.length] as [number, number],
      unvisitedStates: comp.states.filter((_, i) => !visitedStates[ci].has(i)).map((st) => st.name),
    };
  }).filter((c, ci) => sys.actors.some((a) => a.comp === ci));
}

export function defaultMaxPicks(cfg: Config): number {
  if (cfg.posix) return 12 * (cfg.posix.threads + cfg.posix.forks) * cfg.posix.calls;
  // the isolation layer doubles the number of actors, so a schedule needs twice the picks for the same dispatch work
  return 20 * cfg.processes * cfg.threads * cfg.calls * (cfg.isolation ? 2 : 1);
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
export function minimizeTrace(sys: System, prop: Property, sched: Pick[], budget = 3000): Pick[] {
  let evals = 0;
  const length = (c: Pick[]) => {
    evals++;
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

/**
 * The schedule the minimiser starts from. A uniform run's own picks (what it always started from);
 * any other strategy's run as the one-step picks it executed, with the choice among each actor's
 * steps, which repeat it exactly.
 */
function startingPicks(sys: System, input: RunInput, driver: Driver, prop: Property): Pick[] {
  if (input.strategy === 'uniform') return input.sched as Pick[];
  const picks: Pick[] = [];
  const n = sys.actors.length;
  runDriven(sys, driver, { props: [prop], onTake: (actor, _br, choice) => picks.push([actor + n * choice, 0]) });
  return picks;
}

/** A fresh 32-bit seed for the k-th campaign of one verification, derived from the user's seed. */
const campaignSeed = (seed: number, k: number) => (seed + Math.imul(k, 0x9e3779b9)) | 0;

export function verify(opts: VerifyOptions): VerifySummary {
  const sys: System = makeSystem(opts.cfg);
  // With the POSIX layer and no fixed program, every run draws a program too; its system is built once per program.
  const generate = !!opts.cfg.posix && opts.cfg.posix.program === null;
  const systems = new WeakMap<Program, System>();
  const systemFor = (p: Program): System => {
    let x = systems.get(p);
    if (!x) {
      x = makeSystem({ ...opts.cfg, posix: { ...opts.cfg.posix!, program: p } });
      systems.set(p, x);
    }
    return x;
  };
  // a swarm run's narrowed configuration gets its own system, built once per configuration
  const narrowedSystems = new Map<string, System>();
  const systemOf = (input: RunInput): System => {
    if (input.program) return systemFor(input.program);
    const cfg = runConfig(env, input);
    if (cfg === opts.cfg) return sys;
    const key = JSON.stringify(cfg);
    let x = narrowedSystems.get(key);
    if (!x) {
      x = makeSystem(cfg);
      narrowedSystems.set(key, x);
    }
    return x;
  };
  const strategy = opts.strategy ?? 'uniform';
  const env = searchEnv(sys, opts.maxPicks ?? defaultMaxPicks(opts.cfg), generate ? programArb(opts.cfg.posix!) : null);
  const unpack = (input: RunInput) => {
    const runSys = systemOf(input);
    return { sys: runSys, driver: () => driverFor(env, runSys, input) };
  };
  const stats = new Map<StrategyName, StrategyStats>();
  const statsOf = (s: StrategyName) => {
    let x = stats.get(s);
    if (!x) {
      x = { strategy: s, runs: 0, found: 0, properties: [], coverage: 0 };
      stats.set(s, x);
    }
    return x;
  };
  const cover = new StepCoverage(STRATEGIES.length, DISTINCT_CAP);
  // the executed run as one-step picks (actor + n * choice), for the feedback corpus
  let executed = new Int32Array(1024);
  let executedLen = 0;
  let runActors = 0;
  const posixStats = opts.cfg.posix ? posixRunStats() : null;
  const maxPicks = env.maxPicks;
  const started = performance.now();
  const deadline = opts.timeS === null ? Infinity : started + opts.timeS * 1000;
  const results = new Map<string, PropertyResult>(
    opts.props.map((p) => [p.name, { property: p.name, status: 'holds', runs: 0, steps: 0, trace: null, clause: null, message: null, traceSteps: null, inconclusive: 0, strategy: null }]),
  );
  const distinct = new HashSet53();
  const visitedBranches = new Set<Branch>();
  const visitedStates = COMPONENTS.map(() => new Set<number>());
  // the sets are filled once per branch and state: every step looks at these first (a set's add is the dearer)
  const branchSeen = new Uint8Array(BRANCHES.branches.length);
  const stateSeen = COMPONENTS.map((c) => new Uint8Array(c.states.length));
  const visitState = (comp: number, st: number) => {
    if (stateSeen[comp][st] === 1) return;
    stateSeen[comp][st] = 1;
    visitedStates[comp].add(st);
  };
  for (const a of sys.actors) visitState(a.comp, sys.init[a.pcAt]);
  let totalRuns = 0;
  let totalSteps = 0;
  let lastProgress = 0;
  let remaining = [...opts.props];
  // States of different programs may share words; the program's hash keeps them apart in the count.
  let salt = 0;
  let current: Int32Array = sys.init;
  // In the isolation and recovery layers a step may move another actor's machine (the hypervisor
  // resets a destroyed domain's actors, a crash puts its lifecycle machine in `crashed`): there every
  // actor's state is counted after every step, not only the stepping actor's target.
  const everyActor = sys.L.iso !== null;
  // the system of the run in progress (a swarm run's narrowed one numbers its actors differently)
  let runSys = sys;
  // distinct states are those of the configuration verified: a narrowed one's are not counted
  let countStates = true;
  const onState = (s: Int32Array) => {
    current = s;
    if (everyActor) for (const a of runSys.actors) visitState(a.comp, s[a.pcAt]);
    // the state's hash is kept up to date by the coverage's pass over each step (search/coverage.ts);
    // hashes are added to the set DISTINCT_BATCH at a time (flushDistinct), the same set as one by one
    if (countStates && !distinctFull) {
      pending[pendingN++] = (cover.stateHash() + salt) % 2 ** 53;
      if (pendingN === DISTINCT_BATCH) flushDistinct();
    }
  };
  const pending = new Float64Array(DISTINCT_BATCH);
  let pendingN = 0;
  /** the distinct-state set holds DISTINCT_CAP states: no more are hashed or counted */
  let distinctFull = false;
  const flushDistinct = () => {
    distinct.addAll(pending, pendingN, DISTINCT_CAP);
    pendingN = 0;
    if (distinct.size >= DISTINCT_CAP) {
      distinctFull = true;
      cover.hashing = false;
    }
  };
  const crashes = { steps: 0, points: 0, runsWithCrash: 0, runs: 0, perRun: 0, byEvent: {} as Record<string, number> };
  const crashPoints = new Set<string>();
  let crashedInRun = 0;
  const adversaryComps = COMPONENTS.map((c) => isAdversary(c));
  const systemCounts: SystemCounts | null = sys.cfg.system ? { carried: { storage: 0, network: 0 }, failed: { storage: 0, network: 0 }, restarts: { storage: 0, network: 0 }, reconnects: { storage: 0, network: 0 } } : null;
  const sclibComp = COMPONENTS.indexOf(sclib);
  const serviceOfThread = (me: number) => (runSys.L.dd[domainOfProc(runSys.L, Math.floor(me / runSys.cfg.threads))].service === SERVICE_STORAGE ? 'storage' : 'network');
  const adversary = { steps: 0, scheduled: 0, runs: 0, byEvent: {} as Record<string, number>, accepted: {} as Record<string, number> };
  const onTake = (actor: number, branch: Branch, choice: number, before: Int32Array, after: Int32Array) => {
    cover.step(branch, before, after);
    if (executedLen === executed.length) {
      const more = new Int32Array(executed.length * 2);
      more.set(executed);
      executed = more;
    }
    executed[executedLen++] = actor + runActors * choice;
  };
  const onStep = (ch: Choice, phase: 'schedule' | 'drain') => {
    if (branchSeen[ch.branch.id] === 0) {
      branchSeen[ch.branch.id] = 1;
      visitedBranches.add(ch.branch);
    }
    const crashed = runSys.L.rec ? crashOf(ch.event.name) : -1;
    if (crashed >= 0) {
      crashes.steps++;
      crashedInRun++;
      crashes.byEvent[ch.event.name] = (crashes.byEvent[ch.event.name] ?? 0) + 1;
      if (crashPoints.size < DISTINCT_CAP) crashPoints.add(`${stateHash(current)}:${crashed}`);
    }
    const comp = runSys.actors[ch.actor].comp;
    visitState(comp, ch.branch.target);
    if (systemCounts) {
      const acts = ch.branch.actionNames;
      if (comp === sclibComp && acts.includes('returnToThread')) systemCounts.carried[serviceOfThread(runSys.actors[ch.actor].me)]++;
      else if (comp === sclibComp && acts.includes('failCall')) systemCounts.failed[serviceOfThread(runSys.actors[ch.actor].me)]++;
      else if (ch.event.name === 'ToolstackRestartsDomain') systemCounts.restarts[runSys.actors[ch.actor].name === 'XS' ? 'storage' : 'network']++;
      else if (ch.event.name === 'FrontendConnects' && ch.branch.targetName === 'connected') systemCounts.reconnects[runSys.actors[ch.actor].name === 'PS' ? 'storage' : 'network']++;
    }
    if (adversaryComps[comp]) {
      adversary.steps++;
      if (phase === 'schedule') adversary.scheduled++;
      adversary.byEvent[ch.event.name] = (adversary.byEvent[ch.event.name] ?? 0) + 1;
      // an attempt's first branch is the one the hypervisor or hardware accepts (adversary.ts)
      if (ch.event.branches.length > 1 && ch.branch === ch.event.branches[0]) adversary.accepted[ch.event.name] = (adversary.accepted[ch.event.name] ?? 0) + 1;
    }
  };

  for (let k = 0; remaining.length > 0; k++) {
    const runsLeft = opts.timeS === null ? opts.runs - totalRuns : Number.MAX_SAFE_INTEGER;
    if (runsLeft <= 0 || performance.now() >= deadline) break;
    let focus: Property | null = null;
    let shrinkRuns = 0;
    const checked = remaining;
    const predicate = (input: RunInput): boolean => {
      const run = unpack(input);
      if (focus) {
        // The other strategies' inputs are long (corpus entries) or shrink poorly (priorities): past a
        // budget, take every further candidate as passing, so that fast-check stops where it got and
        // the trace minimiser does the shortening. Uniform shrinks as it always did.
        if (input.strategy !== 'uniform' && ++shrinkRuns > SHRINK_BUDGET) return true;
        return runDriven(run.sys, run.driver(), { props: [focus] }).violation?.property !== focus.name;
      }
      salt = input.program ? programSalt(input.program) : 0;
      crashedInRun = 0;
      runSys = run.sys;
      countStates = run.sys.cfg === opts.cfg || !!input.program;
      cover.startRun(run.sys, STRATEGIES.indexOf(input.strategy), run.sys.init);
      executedLen = 0;
      runActors = run.sys.actors.length;
      const r: RunResult = runDriven(run.sys, run.driver(), { props: checked, onState, onStep, onTake });
      statsOf(input.strategy).runs++;
      // a run that reached something new is worth mutating (unless it ran on a narrowed configuration, where its picks mean other actors)
      if (cover.fresh > 0 && input.strategy !== 'swarm') env.corpus.add(executed, executedLen, input.program);
      posixStats?.add(run.sys, r.final);
      totalRuns++;
      crashes.runs++;
      if (crashedInRun > 0) crashes.runsWithCrash++;
      adversary.runs++;
      totalSteps += r.steps;
      for (const p of checked) {
        const res = results.get(p.name)!;
        res.runs++;
        res.steps += r.steps;
      }
      for (const u of r.unknown) results.get(u)!.inconclusive++;
      const now = performance.now();
      if (opts.onProgress && (now - lastProgress > 500 || totalRuns % 1000 === 0)) {
        lastProgress = now;
        opts.onProgress({ runs: totalRuns, steps: totalSteps, elapsedS: (now - started) / 1000, violated: [...results.values()].filter((x) => x.status === 'violated').map((x) => x.property) });
      }
      if (r.violation) {
        focus = checked.find((p) => p.name === r.violation!.property)!;
        return false;
      }
      return true;
    };
    const arb = searchArb(env, strategy);
    const out = fc.check(fc.property(arb, predicate), {
      seed: campaignSeed(opts.seed, k),
      numRuns: Math.min(runsLeft, 1_000_000_000),
      ...(opts.timeS !== null ? { interruptAfterTimeLimit: Math.max(1, deadline - performance.now()), markInterruptAsFailure: false } : {}),
      endOnFailure: false,
    });
    if (out.failed && !focus) {
      // The predicate threw: the model itself crashed on a schedule, which is a bug of ours, not a verdict.
      const why = out.errorInstance instanceof Error ? (out.errorInstance.stack ?? out.errorInstance.message) : String(out.errorInstance);
      throw new Error(`the model crashed on a generated schedule (campaign seed ${out.seed}, path ${out.counterexamplePath}): ${why}`);
    }
    if (!out.failed || !focus || !out.counterexample) break;
    const prop: Property = focus;
    const input = out.counterexample[0] as RunInput;
    const found = unpack(input);
    const sched = minimizeTrace(found.sys, prop, startingPicks(found.sys, input, found.driver(), prop));
    const r = runSchedule(found.sys, sched, { props: [prop], record: true });
    const v = r.violation!;
    const res = results.get(prop.name)!;
    res.status = 'violated';
    res.clause = v.clause;
    res.message = v.message;
    res.traceSteps = r.steps;
    res.strategy = input.strategy;
    statsOf(input.strategy).found++;
    statsOf(input.strategy).properties.push(prop.name);
    if (opts.writeTraces !== false) {
      const path = join(opts.outDir, prop.name, `${opts.variant}-${opts.seed}.itf.json`);
      const program = found.sys.cfg.posix?.program;
      const trace = buildTrace(
        found.sys,
        r.trace,
        r.final,
        {
          variant: opts.variant,
          seed: opts.seed,
          checked: [prop.name],
          verdict: { status: 'violated', property: prop.name, clause: v.clause, message: v.message, step: v.step },
          end: r.end,
        },
        { ...(program ? { program: programText(program, found.sys.cfg.posix!.threads) } : {}), scheduler: schedulerMeta(env, found.sys, input) },
      );
      writeFileAtomic(path, traceText(trace));
      res.trace = path;
    }
    remaining = remaining.filter((p) => p !== prop);
    if (opts.stopAtFirst) break;
  }
  const strategyStats = [...stats.values()].sort((a, b) => STRATEGIES.indexOf(a.strategy) - STRATEGIES.indexOf(b.strategy));
  for (const x of strategyStats) x.coverage = cover.reached[STRATEGIES.indexOf(x.strategy)];

  flushDistinct();
  const coverage = coverageOf(sys, visitedStates, visitedBranches);
  const collected = opts.collect
    ? {
        distinct: distinct.values(),
        branches: [...visitedBranches].map((b) => b.id),
        states: visitedStates.flatMap((set, ci) => [...set].map((i) => [ci, i] as [number, number])),
        crashPoints: [...crashPoints],
        signatures: ((sets) => strategyStats.map((x) => sets[STRATEGIES.indexOf(x.strategy)]))(cover.sets()),
      }
    : undefined;

  const list = opts.props.map((p) => results.get(p.name)!);
  return {
    ...(collected ? { collected } : {}),
    ok: list.every((r) => r.status === 'holds'),
    variant: opts.variant,
    seed: opts.seed,
    runs: totalRuns,
    steps: totalSteps,
    distinctStates: distinct.size,
    distinctCapped: distinct.size >= DISTINCT_CAP,
    drainBound: drainBound(sys),
    maxPicks,
    timeS: (performance.now() - started) / 1000,
    results: list,
    coverage,
    strategy,
    strategies: strategyStats,
    signatures: cover.seen.size,
    ...(posixStats ? { posix: posixStats.summary() } : {}),
    adversary: opts.cfg.adversary ? adversary : null,
    crashes: opts.cfg.recovery ? { ...crashes, points: crashPoints.size, perRun: crashes.runs ? Number((crashPoints.size / crashes.runs).toFixed(2)) : 0 } : null,
    ...(systemCounts ? { system: systemCounts } : {}),
  };
}

/** A hash of a program's text, to tell states of different programs apart in the distinct count. */
function programSalt(p: Program): number {
  const text = JSON.stringify(p);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0) * 0x200000;
}
