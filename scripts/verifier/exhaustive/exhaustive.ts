/**
 * Exhaustive bounded verification: breadth-first search over every reachable state of one
 * configuration, built on the same `enabled`/`step` semantics as everything else (through their
 * allocation-free forms in model/kit/system.ts).
 *
 * What is checked where:
 * - every invariant of the selected properties on every state reached;
 * - every terminal-state check (`final`) on every reachable state in which nothing is enabled (a
 *   lost wakeup or a deadlock ends in such a state);
 * - livelock: with `liveness: 'cycles'`, the explored graph is searched for a weakly fair cycle
 *   (exhaustive-liveness.ts); with `'terminal'` only terminal states are judged and the summary
 *   says so;
 * - history properties (`linearizable`) are not functions of the state: they are not checked here,
 *   and the summary says they are left to random runs.
 *
 * States are numbered in the order they are found; with each the search keeps its parent and the
 * number of the step that reached it, so the first violation of each property comes with a shortest
 * path (shortest in the reduced graph when a reduction is on), written as a replayable trace like the
 * random verifier's. Reductions (exhaustive-symmetry.ts, exhaustive-por.ts) and the lossy visited sets
 * (exhaustive-store.ts) plug in here; `checkCombination` refuses the combinations they cannot preserve.
 */
import { join } from 'node:path';
import { shownConfig, type Config } from '../../../model/kit/config.ts';
import type { Branch } from '../../../model/kit/kit.ts';
import { fastStepper, makeSystem, type FastStepper, type System } from '../../../model/kit/system.ts';
import type { Broken, Property, RunEnd } from '../../../properties/property.ts';
import { invariantPlan, type Executed, type InvariantPlan } from '../explore.ts';
import { fairCycles, fairLoop, type CycleReport, type Graph } from './liveness.ts';
import { makePor, type Por } from './por.ts';
import { BitstateStore, fmtBytes, FullStore, HashCompactStore, StateQueue, type StoreKind, type StoreStats, type VisitedSet } from './store.ts';
import { makeSymmetry, SYMMETRY_GROUPS, SymmetryError, type Symmetry, type SymmetryGroup } from './symmetry.ts';
import { writeFileAtomic } from '../../traces/itf.ts';
import { buildTrace, traceText } from '../../traces/trace.ts';

export type LivenessMode = 'cycles' | 'terminal';

export interface ExhaustiveOptions {
  cfg: Config;
  variant: string;
  /** properties to check; history-only properties must not be among them (see checkCombination) */
  props: readonly Property[];
  /** stop after this many states (the summary then says what was covered) */
  maxStates: number;
  /**
   * stop when the search's own tables (visited set, queues, parent numbers, the graph for the cycle
   * check) and their next growth would pass this many bytes; judged every MEMORY_CHECK states (at
   * level ends when partitioned), on counts that do not depend on timing, so a limited search stops
   * at the same state every time. Omitted: no limit.
   */
  maxBytes?: number;
  /** explore only states within this many steps of the initial state; null: no bound */
  maxDepth: number | null;
  store: StoreKind;
  /** log2 of the bit array size for the bitstate store */
  bitstateBits?: number;
  /** symmetry groups to reduce by; empty: none */
  symmetry: readonly SymmetryGroup[];
  por: boolean;
  liveness: LivenessMode;
  /** stop at the first violation of any property (the benchmark's time to a counterexample) */
  stopAtFirst?: boolean;
  /** explore only part K (1-based) of N: see shard roots below */
  shard?: { k: number; n: number } | null;
  outDir: string;
  writeTraces?: boolean;
  onProgress?: (p: ExhaustiveProgress) => void;
  /** something a person watching a long search should know as it happens (the shared store's restarts) */
  onNote?: (message: string) => void;
  /**
   * check every invariant on every new state; otherwise (the default) an invariant that declares
   * its reads is checked on a state reached from a parent only where the step changed one of them
   * (it held on the parent, or its violation there is already the lower-numbered one)
   */
  fullChecks?: boolean;
}

export interface ExhaustiveProgress {
  states: number;
  transitions: number;
  depth: number;
  /** states stored and not yet expanded (the rest of this level and the next) */
  queued: number;
  elapsedS: number;
  violated: string[];
  /** bytes of the search's tables (what --max-memory limits) */
  tableBytes: number;
}

export interface ExhaustiveResult {
  property: string;
  status: 'holds' | 'violated';
  /** what was checked: "every state", "terminal states", "terminal states and fair cycles"... */
  checked: string;
  clause: string | null;
  message: string | null;
  trace: string | null;
  /** length of the counterexample (the depth of the violating state, or prefix + loop for a cycle) */
  traceSteps: number | null;
  /** states stored when the violation was found */
  foundAfterStates: number | null;
  foundAfterS: number | null;
}

export interface ExhaustiveSummary {
  ok: boolean;
  /** every reachable state (of this shard) was explored: no limit was hit */
  complete: boolean;
  limit: null | 'max-states' | 'max-memory' | 'max-depth' | 'stopped-at-first';
  /**
   * With limit 'max-memory', when it was not --max-memory that stopped the search but a reservation
   * of a shared search reaching its largest size (the visited table's 2^28 slots, a worker's
   * records): which, in words. Otherwise null.
   */
  limitWhy: string | null;
  variant: string;
  states: number;
  transitions: number;
  /** deepest level reached; all states within `fullDepth` steps were explored */
  depth: number;
  fullDepth: number;
  terminalStates: number;
  /** seconds of search (timeS) and of building the model and the store before it (setupS) */
  timeS: number;
  setupS: number;
  /** states / timeS */
  statesPerS: number;
  peakMemoryMB: number;
  /** bytes of the search's tables at the end (what --max-memory limits; with workers, all of theirs) */
  tableBytes: number;
  store: StoreStats;
  reductions: { symmetry: string[]; por: boolean; porReducedStates: number };
  liveness: { mode: LivenessMode; cyclicComponents: number | null; fairComponents: number | null };
  notChecked: { property: string; why: string }[];
  shard: { k: number; n: number; rootDepth: number; roots: number; allRoots: number } | null;
  results: ExhaustiveResult[];
  /** one paragraph: what exactly was proved, or what was covered */
  statement: string;
}

/** A combination of options the search cannot carry out soundly. */
export class CombinationError extends Error {}

/** Refuse what a reduction cannot preserve, with the reason, before anything runs. */
export function checkCombination(o: { props: readonly Property[]; symmetry: readonly SymmetryGroup[]; por: boolean; liveness: LivenessMode; store: StoreKind }): void {
  const history = o.props.filter((p) => !p.invariant && !p.final);
  if (history.length)
    throw new CombinationError(
      `${history.map((p) => p.name).join(', ')} is a property of the operation history, which is not part of the state; exhaustive mode cannot check it (check it with random runs: drop --exhaustive)`,
    );
  const live = o.props.some((p) => p.kind === 'liveness');
  if (o.liveness === 'cycles' && live) {
    if (o.symmetry.length)
      throw new CombinationError(
        'fair-cycle liveness cannot be combined with symmetry reduction: weak fairness is about individual actors, and the reduced graph merges states in which actors have swapped roles (use --liveness terminal, or drop --symmetry)',
      );
    if (o.por)
      throw new CombinationError(
        'fair-cycle liveness cannot be combined with partial-order reduction: the reduced graph leaves out steps, so it cannot tell which actors are enabled in a cycle (use --liveness terminal, or drop --por)',
      );
    if (o.store === 'bitstate')
      throw new CombinationError('fair-cycle liveness needs the number of every visited state to build the graph, which the bitstate store does not keep (use --store hashcompact, or --liveness terminal)');
  }
}

function growI32(a: Int32Array, need: number): Int32Array {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function growU8(a: Uint8Array, need: number): Uint8Array {
  if (need <= a.length) return a;
  const b = new Uint8Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Bytes the arrays grown by growI32/growU8 from `len` allocate to hold `need` elements of `bytes` bytes (all of them together). */
export function doubling(len: number, need: number, bytes: number): number {
  if (need <= len) return 0;
  let n = len;
  while (n < need) n = Math.max(need, n * 2);
  return n * bytes;
}

interface Found {
  state: number;
  kind: 'invariant' | 'final' | 'cycle';
  broken: Broken;
  atStates: number;
  atS: number;
  loopEdges?: number[];
}

/** A violation found on a state. */
export interface StateViolation {
  property: string;
  kind: 'invariant' | 'final';
  broken: Broken;
}

const FINAL_END: RunEnd = { quiescent: true, hitBound: false, bound: 0 };
/** what check() returns for a state that breaks nothing (shared, never written) */
const NONE: StateViolation[] = [];

/** Shard roots: the first level with at least this many states per shard is split among shards. */
const ROOTS_PER_SHARD = 16;
/**
 * States a one-thread search expands before it adds their successors to the full store together:
 * enough successors (about 3.6 a state at 2x2x2x2) for their cache misses to overlap.
 */
export const GROUP = 32;

/** What the expander needs to know; plain data, so that a worker thread can build its own. */
export interface ExpanderSpec {
  cfg: Config;
  props: string[];
  symmetry: SymmetryGroup[];
  por: boolean;
}

/**
 * Expanding one state: the checks on the state itself (every invariant; every terminal-state check
 * if nothing is enabled) and its successors (all enabled steps, ample ones first, each turned into
 * its representative when symmetry is on). Pure: the same state gives the same result anywhere, which
 * is what lets worker threads expand while one thread numbers the states.
 */
export class Expander {
  readonly sys: System;
  readonly st: FastStepper;
  readonly sym: Symmetry | null;
  readonly por: Por | null;
  readonly words: number;
  readonly props: Property[];
  /** successor slots of one state: expand(..., base) writes its successors from slot base on */
  readonly slotsPerState: number;
  /** after expand(): enabled steps, ample steps (admitted first), successors (n x words), their actors */
  n = 0;
  m = 0;
  readonly succ: Int32Array;
  readonly actors: Int32Array;
  readonly broken: StateViolation[] = [];
  /** views of succ, one per successor, made once */
  private slots: Int32Array[];
  private actA: Int32Array;
  private brA: Branch[];

  constructor(spec: ExpanderSpec, propsByName: (n: string) => Property) {
    this.sys = makeSystem(spec.cfg);
    this.st = fastStepper(this.sys);
    this.sym = spec.symmetry.length ? makeSymmetry(this.sys, spec.symmetry) : null;
    this.por = spec.por ? makePor(this.sys, spec.props) : null;
    this.props = spec.props.map(propsByName);
    this.words = this.sys.L.size;
    this.slotsPerState = this.st.maxEnabled;
    this.succ = new Int32Array(GROUP * this.st.maxEnabled * this.words);
    this.slots = Array.from({ length: GROUP * this.st.maxEnabled }, (_, k) => this.succ.subarray(k * this.words, (k + 1) * this.words));
    this.actors = new Int32Array(GROUP * this.st.maxEnabled);
    this.actA = new Int32Array(this.st.maxEnabled);
    this.brA = new Array(this.st.maxEnabled);
    this.chkB = new Array(this.st.maxEnabled);
    this.hasFinals = this.props.some((p) => p.final);
    this.plan = invariantPlan(this.sys, this.props);
  }
  /** which invariants a step can have changed (explore.ts: the random runs' incremental checks) */
  readonly plan: InvariantPlan;

  initial(): Int32Array {
    const s = this.sys.init.slice();
    if (this.sym) this.sym.canon(s);
    return s;
  }

  /**
   * The enabled steps of s in exploration order (ample first), into actA/brA: returns how many (n),
   * and leaves how many of them are ample in `m` (no pair is made: expand() runs this once a state).
   */
  steps(s: Int32Array): number {
    const n = this.st.enabledInto(s, this.actA, this.brA);
    this.m = this.por && n > 1 ? this.por.ample(s, n, this.actA, this.brA) : n;
    return n;
  }

  /**
   * The states the packing is settled on: a walk of `steps` steps, and for every word the symmetry
   * declarations say holds a thread's, kernel thread's, worker's or entry's number (whatever
   * reductions are on) and that the walk changed, the initial state with that word at its largest
   * number. A walk can miss a number a deep state holds (4x1x2x2: a thread attached to the fourth
   * kernel thread, after 29M states), and a field too narrow for it makes workers sharing a store
   * start again.
   */
  packingSample(steps: number): Int32Array[] {
    const out = this.walk(steps);
    const init = this.initial();
    let bounds: { at: number; max: number }[] = [];
    try {
      bounds = makeSymmetry(this.sys, SYMMETRY_GROUPS).bounds();
    } catch (e) {
      // a configuration with components the declarations do not cover: the walk alone
      if (!(e instanceof SymmetryError)) throw e;
    }
    const varied = new Uint8Array(this.words);
    for (const s of out) for (let i = 0; i < this.words; i++) if (s[i] !== init[i]) varied[i] = 1;
    for (const b of bounds)
      if (varied[b.at]) {
        const s = init.slice();
        s[b.at] = b.max;
        out.push(s);
      }
    return out;
  }

  /**
   * States along a fixed pseudo-random walk from the initial state (restarting there when it ends),
   * to settle a store's packing before a search; it has no effect on what the search finds.
   */
  walk(steps: number): Int32Array[] {
    const init = this.initial();
    const out: Int32Array[] = [];
    let s = init;
    let x = 0x2545f491;
    for (let i = 0; i < steps; i++) {
      const n = this.steps(s);
      if (n === 0) {
        s = init;
        continue;
      }
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      const next = new Int32Array(s.length);
      this.successor(s, (x >>> 16) % n, next);
      out.push(next);
      s = next;
    }
    return out;
  }

  /** The states from the initial one along the given step numbers (each in exploration order), as the search stores them. */
  pathOfSteps(steps: readonly number[]): Int32Array[] {
    const out: Int32Array[] = [this.initial()];
    for (const k of steps) {
      const next = new Int32Array(this.words);
      this.successor(out[out.length - 1], k, next);
      out.push(next);
    }
    return out;
  }

  /** The successor of s by its k-th step (in exploration order), as the search stores it. */
  successor(s: Int32Array, k: number, out: Int32Array): void {
    this.steps(s);
    this.st.stepInto(s, this.actA[k], this.brA[k], out);
    if (this.sym) this.sym.canon(out);
  }

  /**
   * The checks on one state: every invariant, and (with finals) the terminal-state checks if nothing
   * is enabled in it. `open` filters the properties still to check.
   */
  check(s: Int32Array, open: ((name: string) => boolean) | null = null, off = 0, finals = true, dirty = -1): StateViolation[] {
    // a successor in this expander's own buffer has a view made once (a new view per state is an allocation)
    const x = off === 0 && s.length === this.words ? s : s === this.succ && off % this.words === 0 ? this.slots[off / this.words] : s.subarray(off, off + this.words);
    // nearly every state breaks nothing: no array is made for it (NONE is never written)
    let out: StateViolation[] = NONE;
    const bits = this.plan.bits;
    for (let i = 0; i < this.props.length; i++) {
      const p = this.props[i];
      // the cheap tests first: most new states leave most invariants' words as they were
      if (!p.invariant || (bits[i] >= 0 && (dirty & (1 << bits[i])) === 0)) continue;
      if (open && !open(p.name)) continue;
      const b = p.invariant(this.sys, x);
      if (b) (out === NONE ? (out = []) : out).push({ property: p.name, kind: 'invariant', broken: b });
    }
    // terminal: no step enabled (the first enabled step, found actor by actor, is enough to say)
    if (finals && this.hasFinals && this.st.firstEnabled(x, 0, this.chkB) < 0)
      for (const p of this.props) {
        if (!p.final || (open && !open(p.name))) continue;
        const b = p.final(this.sys, x, FINAL_END);
        if (b) (out === NONE ? (out = []) : out).push({ property: p.name, kind: 'final', broken: b });
      }
    return out;
  }
  private readonly chkB: Branch[];
  private readonly hasFinals: boolean;

  /** The terminal-state checks of a state known to have no enabled step. */
  finalChecks(s: Int32Array, open: ((name: string) => boolean) | null): StateViolation[] {
    const out: StateViolation[] = [];
    for (const p of this.props) {
      if (!p.final || (open && !open(p.name))) continue;
      const b = p.final(this.sys, s, FINAL_END);
      if (b) out.push({ property: p.name, kind: 'final', broken: b });
    }
    return out;
  }

  /**
   * The steps of s and (if withSuccessors) its successors, from successor slot `base` on (a state's
   * successors start at slot 0 unless a group of states is expanded together). With checkSelf, s
   * itself is checked too (worker threads do this: each state is expanded exactly once, so each is
   * checked once).
   */
  expand(s: Int32Array, withSuccessors: boolean, checkSelf = false, base = 0): void {
    if (this.broken.length) this.broken.length = 0;
    if (checkSelf) for (const v of this.check(s)) this.broken.push(v);
    const n = this.steps(s);
    this.n = n;
    if (!withSuccessors) return;
    for (let k = 0; k < n; k++) {
      const out = this.slots[base + k];
      this.st.stepInto(s, this.actA[k], this.brA[k], out);
      if (this.sym) this.sym.canon(out);
      this.actors[base + k] = this.actA[k];
    }
  }
}

/** One chunk of a level expanded by a worker thread (see parallel-worker.ts). */
export interface ChunkResult {
  /** per state: enabled steps, ample steps */
  n: Uint8Array;
  m: Uint8Array;
  /** successors of all the chunk's expanded states, in order, words each */
  succ: Int32Array;
  actors: Uint8Array;
  /** violations, by the state's position in the chunk */
  broken: { at: number; v: StateViolation }[];
}

/** Expand a chunk of states (count x words), as a worker does. */
export function expandChunk(ex: Expander, states: Int32Array, expandIt: Uint8Array, checkSelf: boolean): ChunkResult {
  const w = ex.words;
  const count = expandIt.length;
  const n = new Uint8Array(count);
  const m = new Uint8Array(count);
  let total = 0;
  const parts: Int32Array[] = [];
  const acts: number[] = [];
  const broken: ChunkResult['broken'] = [];
  for (let i = 0; i < count; i++) {
    const s = states.subarray(i * w, i * w + w);
    ex.expand(s, expandIt[i] === 1, checkSelf);
    n[i] = ex.n;
    m[i] = ex.m;
    for (const v of ex.broken) broken.push({ at: i, v: { ...v } });
    if (expandIt[i] === 1) {
      parts.push(ex.succ.slice(0, ex.n * w));
      for (let k = 0; k < ex.n; k++) acts.push(ex.actors[k]);
      total += ex.n;
    }
  }
  const succ = new Int32Array(total * w);
  let at = 0;
  for (const p of parts) {
    succ.set(p, at);
    at += p.length;
  }
  return { n, m, succ, actors: Uint8Array.from(acts), broken };
}

/** Something that expands chunks of states elsewhere: the worker pool (parallel.ts). */
export interface ChunkRunner {
  workers: number;
  expand(states: Int32Array, expandIt: Uint8Array, checkSelf: boolean): Promise<ChunkResult>;
  close(): Promise<void>;
}

/** Chunks of a level handed to workers at once; results are consumed in order. */
const CHUNK = 1024;
/** The memory limit is judged whenever the state count is a multiple of this. */
export const MEMORY_CHECK = 4096;

export class Search {
  readonly ex: Expander;
  readonly sys: System;
  readonly store: VisitedSet;
  private full: FullStore | null;
  private queue: StateQueue | null = null;
  private nextQueue: StateQueue | null = null;
  parent: Int32Array = new Int32Array(1 << 12);
  choice: Uint8Array = new Uint8Array(1 << 12);
  levelStart: number[] = [0];
  transitions = 0;
  terminal = 0;
  porReduced = 0;
  maxDepthReached = 0;
  edgeStart: Int32Array | null = null;
  edgeTo: Int32Array = new Int32Array(0);
  edgeActor: Uint8Array = new Uint8Array(0);
  edges = 0;
  expandedCount = 0;
  readonly found = new Map<string, Found>();
  /** when the search proper began (after building the model and settling the store's packing) */
  private started: number;
  readonly setupS: number;
  private cur: Int32Array;
  /** the state being checked: a property is checked on it unless already violated at a lower number */
  private checking = 0;
  private readonly open = (name: string) => {
    const f = this.found.get(name);
    return !f || f.state > this.checking;
  };

  constructor(readonly opts: ExhaustiveOptions) {
    const t0 = performance.now();
    this.ex = new Expander(
      { cfg: opts.cfg, props: opts.props.map((p) => p.name), symmetry: [...opts.symmetry], por: opts.por },
      (n) => opts.props.find((p) => p.name === n)!,
    );
    this.sys = this.ex.sys;
    const init = this.ex.initial();
    this.full = opts.store === 'full' ? new FullStore(init) : null;
    this.store = this.full ?? (opts.store === 'hashcompact' ? new HashCompactStore(init.length) : new BitstateStore(init.length, opts.bitstateBits ?? 30));
    this.full?.prewarm(this.ex.packingSample(20_000));
    if (!this.full) {
      this.queue = new StateQueue(init);
      this.nextQueue = new StateQueue(init);
    }
    if (opts.liveness === 'cycles') this.edgeStart = new Int32Array(1 << 12);
    this.cur = new Int32Array(this.ex.words);
    this.groupParents = Array.from({ length: GROUP }, () => new Int32Array(this.ex.words));
    this.groupOffs = new Int32Array(GROUP * this.ex.slotsPerState);
    this.started = performance.now();
    this.setupS = (this.started - t0) / 1000;
  }

  elapsedS(): number {
    return (performance.now() - this.started) / 1000;
  }

  /**
   * Keep, per property, the violating state with the lowest number: states are checked at different
   * moments (when stored, when expanded, by a worker), but the lowest-numbered one does not depend
   * on when, so the result is the same in every mode.
   */
  private record(name: string, f: Omit<Found, 'atStates' | 'atS'>): void {
    const old = this.found.get(name);
    if (old && old.state <= f.state) return;
    this.found.set(name, { ...f, atStates: old?.atStates ?? this.store.size, atS: old?.atS ?? this.elapsedS() });
  }

  /** every property has a violation at a state numbered below `n` (nothing left to check there) */
  private allFoundBelow(n: number): boolean {
    return this.opts.props.every((p) => (this.found.get(p.name)?.state ?? Infinity) < n);
  }

  /**
   * Take in the expansion of state i: its violations, then its successors (the ample ones, and the
   * rest if the cycle proviso asks for them). Returns false when a limit stops the search. With
   * `prepared` >= 0 the ample successors are the full store's prepared states from that number on.
   */
  private consume(i: number, n: number, m: number, succ: Int32Array, at: number, actors: ArrayLike<number>, actorAt: number, broken: readonly StateViolation[] | null, expandIt: boolean, parent: Int32Array | null = null, prepared = -1): boolean {
    if (broken) for (const v of broken) this.record(v.property, { state: i, kind: v.kind, broken: v.broken });
    if (this.opts.stopAtFirst && this.found.size) return false;
    if (this.edgeStart) {
      this.edgeStart = growI32(this.edgeStart, i + 2);
      this.edgeStart[i] = this.edges;
    }
    this.startedExpanding = i;
    if (n === 0) this.terminal++;
    if (!expandIt) return true;
    const w = this.ex.words;
    let upTo = m;
    let old = false;
    const before = this.store.size;
    const store = this.store;
    for (let k = 0; k < upTo; k++) {
      const off = at + k * w;
      const r = prepared >= 0 && k < (this.prepareAll ? n : m) ? (store as FullStore).addPrepared(prepared + k, succ, off) : store.add(succ, off);
      this.transitions++;
      if (this.edgeStart) {
        const e = this.edges++;
        this.edgeTo = growI32(this.edgeTo, this.edges);
        this.edgeActor = growU8(this.edgeActor, this.edges);
        this.edgeTo[e] = r >= 0 ? r : ~r;
        this.edgeActor[e] = actors[actorAt + k];
      }
      if (r >= 0) {
        this.parent = growI32(this.parent, r + 1);
        this.choice = growU8(this.choice, r + 1);
        this.parent[r] = i;
        this.choice[r] = k;
        if (this.nextQueue) this.nextQueue.push(succ, off);
        // Every state is checked once: here when it is first reached, or (with worker threads) by
        // the worker that expands it; both find the lowest-numbered violating state of a property.
        if (this.checkAtAdmission) {
          this.checking = r;
          // an invariant whose words the step left as they were holds here if it held on the parent (a
          // violation there is the lower-numbered one): with the parent at hand, only the others are checked
          const dirty = parent === null ? -1 : this.ex.plan.changed(parent, succ, off);
          // with nothing found yet every property is open: no lookup per property and state
          for (const v of this.ex.check(succ, this.found.size ? this.open : null, off, this.finalsAtAdmission, dirty)) this.record(v.property, { state: r, kind: v.kind, broken: v.broken });
        }
        if (this.opts.stopAtFirst && this.found.size) return false;
        if (this.store.size >= this.opts.maxStates) return false;
        if ((this.store.size & (MEMORY_CHECK - 1)) === 0 && this.opts.maxBytes !== undefined && this.tableBytes() + this.growthBytes(MEMORY_CHECK) >= this.opts.maxBytes) {
          this.memoryHit = true;
          return false;
        }
      } else if (~r < this.levelEnd) old = true;
      // The cycle proviso, breadth-first: every cycle has an edge to a state no deeper than its
      // source, so expanding fully whenever an ample step leads to such a state (one numbered before
      // the next level) leaves a fully expanded state on every cycle.
      if (k === m - 1 && m < n && old) upTo = n;
    }
    if (upTo < n) this.porReduced++;
    if (this.store.size > before) this.maxDepthReached = this.depth + 1;
    return true;
  }
  private startedExpanding = -1;
  /**
   * With partial-order reduction, every successor is prepared, not only the ample ones: the cycle
   * proviso often takes the rest too, and an unprepared add waits for its cache misses alone.
   */
  private prepareAll = false;
  /** one group of states being expanded (run): the states, their enabled and ample step counts, whether expanded, their successors' offsets */
  private groupParents: Int32Array[];
  private groupN = new Int32Array(GROUP);
  private groupM = new Int32Array(GROUP);
  private groupGo = new Uint8Array(GROUP);
  private groupOffs: Int32Array;
  /** the memory limit stopped the search */
  private memoryHit = false;

  /**
   * Bytes the tables would allocate to take `extra` more states (the edges of the cycle check
   * counted at 8 a state): the limit is judged on the tables and their next growth, so a table that
   * doubles cannot take the search past it.
   */
  growthBytes(extra: number): number {
    const n = this.store.size;
    let b = this.store.growthBytes(extra) + doubling(this.parent.length, n + extra, 5);
    if (this.nextQueue) b += this.nextQueue.growthBytes(extra);
    if (this.edgeStart) b += doubling(this.edgeStart.length, n + extra + 1, 4) + doubling(this.edgeTo.length, this.edges + 8 * extra, 5);
    return b;
  }

  /** Bytes the search's own tables take: what --max-memory limits (the heap and the model are not counted). */
  tableBytes(): number {
    let b = this.store.stats().bytes + this.parent.byteLength + this.choice.byteLength;
    if (this.queue) b += this.queue.bytes() + this.nextQueue!.bytes();
    if (this.edgeStart) b += this.edgeStart.byteLength + this.edgeTo.byteLength + this.edgeActor.byteLength;
    return b;
  }
  private depth = 0;
  /** the first number of the next level (the store's size when the current level began) */
  private levelEnd = 1;
  /** states are checked when stored (one thread), or when expanded (worker threads) */
  private checkAtAdmission = true;
  /**
   * Terminal states are recognised when stored only when stopping at the first violation (it costs
   * one more enabled-steps computation per state); otherwise when expanded, where it is free.
   */
  private finalsAtAdmission = false;

  /** The words of state i of the current level (which starts at lo). */
  private stateOf(i: number, lo: number, out: Int32Array = this.cur): Int32Array {
    if (this.full) this.full.get(i, out);
    else this.queue!.get(i - lo, out);
    return out;
  }

  /** The graph for the cycle check: the states 0..upTo-1, all fully expanded. */
  private closeGraph(upTo: number): void {
    this.expandedCount = upTo;
    if (!this.edgeStart) return;
    this.edgeStart = growI32(this.edgeStart, upTo + 1);
    // State upTo set its own start if its expansion began; otherwise the graph ends here.
    if (this.startedExpanding < upTo) this.edgeStart[upTo] = this.edges;
  }

  /**
   * The search, level by level; a level's states are numbers levelStart[d] .. levelStart[d+1]-1, all
   * expanded in number order, here or (with a runner) by worker threads whose results are taken in
   * the same order. With a shard, the first level with at least ROOTS_PER_SHARD x N states is
   * filtered to the states whose fingerprint falls in this shard: those are its roots.
   */
  async run(runner: ChunkRunner | null): Promise<{ limit: ExhaustiveSummary['limit']; fullDepth: number; shardInfo: ExhaustiveSummary['shard'] }> {
    const { maxDepth, shard } = this.opts;
    this.checkAtAdmission = !runner || this.opts.stopAtFirst === true;
    this.prepareAll = this.opts.por;
    this.finalsAtAdmission = this.opts.stopAtFirst === true;
    const init = this.ex.initial();
    const r0 = this.store.add(init);
    this.parent[r0] = -1;
    this.queue?.push(init);
    if (this.checkAtAdmission) for (const v of this.ex.check(init, null, 0, this.finalsAtAdmission)) this.record(v.property, { state: r0, kind: v.kind, broken: v.broken });
    let limit: ExhaustiveSummary['limit'] = null;
    let fullDepth = 0;
    let lastProgress = 0;
    let shardInfo: ExhaustiveSummary['shard'] = null;
    let sharded = !shard;
    const w = this.ex.words;
    for (this.depth = 0; ; ) {
      const depth = this.depth;
      const lo = this.levelStart[depth];
      const hi = this.store.size;
      if (lo === hi) break;
      this.levelEnd = hi;
      if (!sharded && shard && hi - lo >= ROOTS_PER_SHARD * shard.n) {
        sharded = true;
        shardInfo = { k: shard.k, n: shard.n, rootDepth: depth, roots: 0, allRoots: hi - lo };
      }
      const atBound = maxDepth !== null && depth >= maxDepth;
      const expandIt = (s: Int32Array) => {
        if (atBound) return false;
        if (shardInfo && depth === shardInfo.rootDepth) {
          const mine = shardOf(s, shard!.n) === shard!.k - 1;
          if (mine) shardInfo.roots++;
          return mine;
        }
        return true;
      };
      let stoppedAt = -1;
      const progress = (i: number) => {
        if (!this.opts.onProgress || (i & 1023) !== 0) return;
        const now = performance.now();
        if (now - lastProgress < 500) return;
        lastProgress = now;
        this.opts.onProgress({ states: this.store.size, transitions: this.transitions, depth, queued: Math.max(0, this.store.size - i - 1), elapsedS: this.elapsedS(), violated: [...this.found.keys()], tableBytes: this.tableBytes() });
      };
      if (!runner) {
        // States are expanded GROUP at a time and their successors given to the full store at once
        // (prepare), then taken in one by one in number order, as if expanded one at a time.
        const ex = this.ex;
        const full = this.full;
        const group = full ? GROUP : 1;
        const ns = this.groupN;
        const ms = this.groupM;
        const gos = this.groupGo;
        const offs = this.groupOffs;
        const slots = ex.slotsPerState;
        for (let i0 = lo; i0 < hi && stoppedAt < 0; i0 += group) {
          const g = Math.min(group, hi - i0);
          let count = 0;
          for (let j = 0; j < g; j++) {
            const s = this.stateOf(i0 + j, lo, this.groupParents[j]);
            const go = expandIt(s);
            ex.expand(s, go, false, j * slots);
            ns[j] = ex.n;
            ms[j] = ex.m;
            gos[j] = go ? 1 : 0;
            if (go) for (let k = 0, e = this.prepareAll ? ex.n : ex.m; k < e; k++) offs[count++] = (j * slots + k) * w;
          }
          if (full) full.prepare(ex.succ, offs, count);
          let p = 0;
          for (let j = 0; j < g; j++) {
            const i = i0 + j;
            const s = this.groupParents[j];
            if (ns[j] === 0 && !this.finalsAtAdmission) {
              this.checking = i;
              for (const v of ex.finalChecks(s, this.open)) this.record(v.property, { state: i, kind: v.kind, broken: v.broken });
            }
            if (!this.consume(i, ns[j], ms[j], ex.succ, j * slots * w, ex.actors, j * slots, null, gos[j] === 1, this.opts.fullChecks ? null : s, full ? p : -1)) {
              stoppedAt = i;
              break;
            }
            if (gos[j]) p += this.prepareAll ? ns[j] : ms[j];
            progress(i);
          }
        }
      } else {
        // Hand out chunks, at most two per worker in flight; take the results in chunk order.
        const pending: Promise<ChunkResult>[] = [];
        const flags: Uint8Array[] = [];
        let next = lo;
        const launch = () => {
          const count = Math.min(CHUNK, hi - next);
          const states = new Int32Array(count * w);
          const go = new Uint8Array(count);
          for (let j = 0; j < count; j++) {
            const s = states.subarray(j * w, j * w + w);
            this.stateOf(next + j, lo, s);
            go[j] = expandIt(s) ? 1 : 0;
          }
          flags.push(go.slice()); // go itself is transferred to the worker
          pending.push(runner.expand(states, go, !this.checkAtAdmission));
          next += count;
        };
        let base = lo;
        while (base < hi && stoppedAt < 0) {
          while (next < hi && pending.length < 2 * runner.workers) launch();
          const r = await pending.shift()!;
          const go = flags.shift()!;
          let at = 0;
          let b = 0;
          for (let j = 0; j < go.length; j++) {
            const i = base + j;
            let mine: StateViolation[] | null = null;
            while (b < r.broken.length && r.broken[b].at === j) (mine ??= []).push(r.broken[b++].v);
            const ok = this.consume(i, r.n[j], r.m[j], r.succ, at * w, r.actors, at, mine, go[j] === 1);
            if (go[j] === 1) at += r.n[j];
            if (!ok) {
              stoppedAt = i;
              break;
            }
            progress(i);
          }
          base += go.length;
        }
        // Results still in flight are not needed; let them finish unobserved.
        for (const p of pending) p.catch(() => {});
      }
      if (stoppedAt >= 0) {
        limit = this.opts.stopAtFirst && this.found.size ? 'stopped-at-first' : this.memoryHit ? 'max-memory' : 'max-states';
        // State stoppedAt may be only partly expanded: the graph ends before it.
        this.closeGraph(stoppedAt);
        break;
      }
      if (atBound) {
        fullDepth = depth;
        this.closeGraph(lo);
        if (this.levelHasSuccessors(lo, hi)) limit = 'max-depth';
        break;
      }
      fullDepth = depth;
      this.closeGraph(hi);
      this.levelStart.push(hi);
      this.depth++;
      if (this.queue) {
        this.queue.clear();
        [this.queue, this.nextQueue] = [this.nextQueue!, this.queue];
      }
      // Every property broken within the levels finished: nothing deeper can give a shorter counterexample.
      if (this.allFoundBelow(hi) && this.opts.liveness !== 'cycles') break;
    }
    const last = this.levelStart[this.levelStart.length - 1];
    if (last < this.store.size) this.levelStart.push(this.store.size);
    // States stored but never expanded (a limit stopped the search) have not had every check.
    if (limit === 'max-states' || limit === 'max-memory') {
      const lo = this.levelStart[this.depth];
      const hi = this.levelEnd;
      const x = new Int32Array(this.ex.words);
      for (let i = this.expandedCount; i < this.store.size; i++) {
        if (this.full) this.full.get(i, x);
        else if (i < hi) this.queue!.get(i - lo, x);
        else this.nextQueue!.get(i - hi, x);
        this.checking = i;
        for (const v of this.ex.check(x, this.open)) this.record(v.property, { state: i, kind: v.kind, broken: v.broken });
      }
    }
    return { limit, fullDepth, shardInfo };
  }

  /** At the depth bound, were any steps left unexplored? (Then the bound, not the model, ended the search.) */
  private levelHasSuccessors(lo: number, hi: number): boolean {
    for (let i = lo; i < hi; i++) if (this.ex.steps(this.stateOf(i, lo)) > 0) return true;
    return false;
  }

  graph(): Graph {
    return { expanded: this.expandedCount, edgeStart: this.edgeStart!, edgeTo: this.edgeTo, edgeActor: this.edgeActor, actors: this.sys.actors.length };
  }

  /** The states from the initial one to state i, each as reached in the (reduced) search: representatives. */
  canonicalPath(i: number): Int32Array[] {
    const steps: number[] = [];
    for (let x = i; this.parent[x] >= 0; x = this.parent[x]) steps.push(this.choice[x]);
    return this.ex.pathOfSteps(steps.reverse());
  }
}

/**
 * Concrete steps from the real initial state along a path of representatives: at each state a step
 * whose successor is in the orbit of the next representative (symmetry maps every concrete step to
 * one of the reduced graph, so one always exists).
 */
export function concretise(ex: Expander, path: Int32Array[]): { executed: Executed[]; final: Int32Array } {
  const executed: Executed[] = [];
  const { st, sym } = ex;
  let s = ex.sys.init;
  const probe = new Int32Array(s.length);
  const acts = new Int32Array(st.maxEnabled);
  const brs: Branch[] = new Array(st.maxEnabled);
  for (let j = 1; j < path.length; j++) {
    const n = st.enabledInto(s, acts, brs);
    let hit = -1;
    for (let k = 0; k < n && hit < 0; k++) {
      st.stepInto(s, acts[k], brs[k], probe);
      if (sym ? sym.matches(probe, path[j]) : equalWords(probe, path[j])) hit = k;
    }
    if (hit < 0) throw new Error(`internal: no step from the concrete state ${j - 1} reaches the representative of state ${j}`);
    const next = new Int32Array(s.length);
    st.stepInto(s, acts[hit], brs[hit], next);
    executed.push({ choice: st.choice(s, acts[hit], brs[hit]), before: s, phase: 'schedule' });
    s = next;
  }
  return { executed, final: s };
}

function equalWords(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Which shard (0-based) a root belongs to: by a hash of its words, so every shard computes the same split. */
function shardOf(s: Int32Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s[i], 0x01000193) >>> 0;
  return (h >>> 0) % n;
}

function checkedAs(p: Property, liveness: LivenessMode): string {
  const parts: string[] = [];
  if (p.invariant) parts.push('every reachable state');
  if (p.final) parts.push('every terminal state');
  if (p.kind === 'liveness') parts.push(liveness === 'cycles' ? 'weakly fair cycles' : 'cycles not checked (--liveness terminal)');
  return parts.join('; ');
}

/**
 * Run the exhaustive search and write a trace for each property violated. With a runner (worker
 * threads) the states are expanded there; everything else, and so the result, is the same.
 */
export async function exhaustive(opts: ExhaustiveOptions, runner: ChunkRunner | null = null): Promise<ExhaustiveSummary> {
  checkCombination(opts);
  const search = new Search(opts);
  const { limit, fullDepth, shardInfo } = await search.run(runner);
  let cycles: CycleReport | null = null;
  const livenessProp = opts.props.find((p) => p.kind === 'liveness' && p.final);
  if (opts.liveness === 'cycles' && livenessProp && !search.found.has(livenessProp.name)) {
    cycles = fairCycles(search.graph());
    if (cycles.first) {
      const first = cycles.first;
      const loop = fairLoop(search.graph(), first);
      search.found.set(livenessProp.name, {
        state: first.members[0],
        kind: 'cycle',
        broken: { clause: 'progress-within-bound', message: '' },
        atStates: search.store.size,
        atS: search.elapsedS(),
        loopEdges: loop,
      });
    }
  }
  const timeS = search.elapsedS();
  const results: SearchOutcome['results'] = opts.props.map((p) => {
    const f = search.found.get(p.name);
    const base = { property: p.name };
    if (!f) return { ...base, status: 'holds', clause: null, message: null, trace: null, traceSteps: null, foundAfterStates: null, foundAfterS: null };
    const t = counterexampleOf(search, p, f.state, f.kind, f.broken, opts, f.loopEdges);
    return { ...base, status: 'violated', clause: t.clause, message: t.message, trace: t.path, traceSteps: t.steps, foundAfterStates: f.atStates, foundAfterS: Number(f.atS.toFixed(3)) };
  });
  return finishSummary(opts, {
    results,
    limit,
    states: search.store.size,
    transitions: search.transitions,
    depth: search.maxDepthReached,
    fullDepth,
    terminalStates: search.terminal,
    timeS,
    setupS: search.setupS,
    tableBytes: search.tableBytes(),
    store: search.store.stats(),
    symmetry: search.ex.sym ? search.ex.sym.describe() : [],
    porReduced: search.porReduced,
    cycles,
    shard: shardInfo,
  });
}

/** What a search found, for the summary (finishSummary): the summary's own figures, and what the rest is made from. */
export type SearchOutcome = Pick<ExhaustiveSummary, 'limit' | 'states' | 'transitions' | 'depth' | 'fullDepth' | 'terminalStates' | 'timeS' | 'setupS' | 'store' | 'shard' | 'tableBytes'> & {
  /** per property, in the order of opts.props; finishSummary adds what each checked */
  results: Omit<ExhaustiveResult, 'checked'>[];
  symmetry: string[];
  porReduced: number;
  cycles: CycleReport | null;
  /** ExhaustiveSummary.limitWhy (none given: null) */
  limitWhy?: string | null;
};

/** The summary of a search, one-thread or partitioned: its figures, what each result checked, and the statement. */
export function finishSummary(opts: ExhaustiveOptions, o: SearchOutcome): ExhaustiveSummary {
  const results = o.results.map((r, i) => ({ ...r, checked: checkedAs(opts.props[i], opts.liveness) }));
  const summary: ExhaustiveSummary = {
    ok: results.every((r) => r.status === 'holds'),
    complete: o.limit === null,
    limit: o.limit,
    limitWhy: o.limitWhy ?? null,
    variant: opts.variant,
    states: o.states,
    transitions: o.transitions,
    depth: o.depth,
    fullDepth: o.fullDepth,
    terminalStates: o.terminalStates,
    timeS: Number(o.timeS.toFixed(3)),
    setupS: Number(o.setupS.toFixed(3)),
    statesPerS: Math.round(o.states / Math.max(o.timeS, 1e-3)),
    peakMemoryMB: Math.round(process.resourceUsage().maxRSS / 1024),
    tableBytes: o.tableBytes,
    store: o.store,
    reductions: { symmetry: o.symmetry, por: opts.por, porReducedStates: o.porReduced },
    liveness: { mode: opts.liveness, cyclicComponents: o.cycles?.cyclic ?? null, fairComponents: o.cycles?.fair ?? null },
    notChecked: [],
    shard: o.shard,
    results,
    statement: '',
  };
  summary.statement = statement(summary, opts);
  return summary;
}

/**
 * What writing a counterexample needs of a search: the representatives along the path to a violating
 * state (`at`: the state's number, or whatever the search keys its violations by), and for a fair
 * cycle the explored graph.
 */
export interface Witnesses {
  sys: System;
  ex: Expander;
  canonicalPath(at: number | string): Int32Array[];
  graph?(): Graph;
  store?: Pick<VisitedSet, 'find'>;
}

/** Build, write and return the trace of a violation. */
export function counterexampleOf(
  search: Witnesses,
  p: Property,
  at: number | string,
  kind: Found['kind'],
  broken: Broken,
  opts: ExhaustiveOptions,
  loopEdges?: number[],
): { clause: string; message: string; path: string | null; steps: number } {
  const { sys } = search;
  const canon = search.canonicalPath(at);
  let executed: Executed[];
  let final: Int32Array;
  let end: RunEnd;
  let clause = broken.clause;
  let message = broken.message;
  let extra: Record<string, unknown> = {};
  if (kind === 'cycle') {
    // The prefix to the component's lowest state, then one round of the fair loop.
    const g = search.graph!();
    const prefix = concretise(search.ex, canon);
    executed = prefix.executed;
    let s = prefix.final;
    const probe = new Int32Array(s.length);
    const acts = new Int32Array(search.ex.st.maxEnabled);
    const brs: Branch[] = new Array(search.ex.st.maxEnabled);
    for (const e of loopEdges!) {
      const actor = g.edgeActor[e];
      const target = g.edgeTo[e];
      const n = search.ex.st.enabledInto(s, acts, brs);
      let hit = -1;
      for (let k = 0; k < n && hit < 0; k++) {
        if (acts[k] !== actor) continue;
        search.ex.st.stepInto(s, acts[k], brs[k], probe);
        if (search.store!.find(probe) === target) hit = k;
      }
      if (hit < 0) throw new Error('internal: a loop edge is not a step of the model');
      const next = new Int32Array(s.length);
      search.ex.st.stepInto(s, acts[hit], brs[hit], next);
      executed.push({ choice: search.ex.st.choice(s, acts[hit], brs[hit]), before: s, phase: 'schedule' });
      s = next;
    }
    final = s;
    end = { quiescent: false, hitBound: true, bound: executed.length };
    const res = p.final!(sys, final, end);
    clause = res?.clause ?? clause;
    message = `a weakly fair cycle of ${loopEdges!.length} steps (from step ${prefix.executed.length}) repeats for ever without finishing: ${res?.message ?? ''}`.trim();
    extra = { lasso: { loopStart: prefix.executed.length, loopSteps: loopEdges!.length } };
  } else {
    const c = concretise(search.ex, canon);
    executed = c.executed;
    final = c.final;
    const quiescent = kind === 'final';
    end = { quiescent, hitBound: false, bound: 0 };
    const res = kind === 'final' ? p.final!(sys, final, end) : p.invariant!(sys, final);
    if (!res) throw new Error(`internal: ${p.name} holds on the concrete end of its counterexample`);
    clause = res.clause;
    message = res.message;
  }
  let path: string | null = null;
  if (opts.writeTraces !== false) {
    path = join(opts.outDir, p.name, `${opts.variant}-exhaustive${opts.shard ? `-shard${opts.shard.k}of${opts.shard.n}` : ''}.itf.json`);
    const trace = buildTrace(
      sys,
      executed,
      final,
      { variant: opts.variant, seed: null, checked: [p.name], verdict: { status: 'violated', property: p.name, clause, message, step: executed.length }, end },
      { search: 'exhaustive breadth-first (a shortest counterexample' + (opts.por ? ' in the partial-order-reduced graph' : '') + ')', ...extra },
    );
    writeFileAtomic(path, traceText(trace));
  }
  return { clause, message, path, steps: executed.length };
}

/** The summary with these results in place of its own: its verdict and statement told again. */
export function withResults(s: ExhaustiveSummary, opts: ExhaustiveOptions, results: ExhaustiveResult[]): ExhaustiveSummary {
  const out = { ...s, results, ok: results.every((r) => r.status === 'holds') };
  out.statement = statement(out, opts);
  return out;
}

function statement(s: ExhaustiveSummary, opts: ExhaustiveOptions): string {
  const cfg = Object.entries(shownConfig(opts.cfg))
    .filter(([k]) => k !== 'posix')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const held = s.results.filter((r) => r.status === 'holds').map((r) => r.property);
  const bad = s.results.filter((r) => r.status === 'violated' && r.trace !== null).map((r) => r.property);
  const untraced = s.results.filter((r) => r.status === 'violated' && r.trace === null).map((r) => r.property);
  const store =
    s.store.omission.kind === 'none'
      ? ''
      : s.store.omission.kind === 'probability-any-missed'
        ? ` With hash compaction the probability that some state was missed is at most ${s.store.omission.value.toExponential(2)}.`
        : ` With bitstate hashing about ${s.store.omission.value.toFixed(1)} states are expected to have been missed directly (and with them whatever only they lead to), so this is a partial search.`;
  const red = [s.reductions.symmetry.length ? `symmetry (${s.reductions.symmetry.join(', ')})` : '', s.reductions.por ? 'partial-order reduction' : ''].filter(Boolean);
  const scope = opts.shard ? ` of this shard's part (shard ${opts.shard.k}/${opts.shard.n}: every state up to its root level and every state reachable from its roots)` : '';
  const live = opts.props.some((p) => p.kind === 'liveness')
    ? opts.liveness === 'cycles'
      ? ' Liveness was checked on terminal states and, under weak fairness, on every cycle of the explored graph.'
      : ' Liveness was checked on terminal states only (deadlocks and lost wakeups), not on cycles (livelocks).'
    : '';
  let what: string;
  const visited = s.store.kind === 'bitstate' ? `the ${s.states.toLocaleString('en-US')} states the bitstate search visited (${s.transitions.toLocaleString('en-US')} transitions, depth ${s.depth})` : null;
  if (s.limit === null) what = visited ?? `every reachable state${scope} (${s.states.toLocaleString('en-US')} states, ${s.transitions.toLocaleString('en-US')} transitions, depth ${s.depth})`;
  else if (s.limit === 'max-depth') what = `every state within ${opts.maxDepth} steps of the initial state (${s.states.toLocaleString('en-US')} states); deeper states were not explored`;
  else if (s.limit === 'max-states' || s.limit === 'max-memory')
    what = `the first ${s.states.toLocaleString('en-US')} states found (${s.limit === 'max-states' ? 'the state limit was hit' : s.limitWhy ? `${s.limitWhy}, so the search stopped as at a memory limit` : `the memory limit (${fmtBytes(opts.maxBytes ?? 0)} of tables, --max-memory; the tables, ${fmtBytes(s.tableBytes)}, and their next growth would pass it) was hit`}: every state within ${s.fullDepth} steps, and part of the next levels); NOT a proof`;
  else what = `${s.states.toLocaleString('en-US')} states, until the first violation`;
  const parts = [];
  const proved = s.limit === null && s.store.kind !== 'bitstate';
  if (held.length) parts.push(`${proved ? 'PROVED' : 'Hold'}: ${held.join(', ')} on ${what}${red.length ? `, reduced by ${red.join(' and ')}` : ''}.`);
  if (bad.length) parts.push(`VIOLATED: ${bad.join(', ')} (shortest counterexamples written).`);
  if (untraced.length) parts.push(`VIOLATED: ${untraced.join(', ')} (no counterexample written: see ${untraced.length === 1 ? 'its result' : 'their results'}).`);
  parts.push(`Configuration: ${cfg}; variant ${opts.variant}.${live}${store}`);
  const hist = s.notChecked.map((n) => n.property);
  if (hist.length) parts.push(`Not checked here: ${hist.join(', ')} (a property of the operation history; checked by random runs only).`);
  return parts.join(' ');
}
