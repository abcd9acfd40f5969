/**
 * The exhaustive search on N worker threads with one visited set in shared memory. Every worker
 * expands any state of the current breadth-first level (claiming groups of them from one counter)
 * and puts each successor straight into the one table, so no state crosses from one thread to
 * another: a worker stores the states it finds first in its own records, and reads the others'
 * records to compare. A level ends when every state of it is expanded.
 *
 * The result does not depend on which thread got where first, as in the partitioned search
 * (partitioned.ts), whose rules it follows to the letter:
 * - the set of states of each level does not depend on the order they are found in, so the counts
 *   and the depth are those of the one-thread search;
 * - a state's parent is its predecessor of the level before with the smallest (key, step number); a
 *   property's counterexample ends at its violating state of the lowest depth with the smallest key.
 *   Keys are computed as the partitioned search computes them, so both searches pick the same
 *   counterexamples, for any number of workers;
 * - a new state is checked for the invariants its step may have broken, by the worker that stored it;
 * - limits are judged at the end of a level.
 *
 * Shared memory (SharedArrayBuffers, reserved once as large as the memory limit allows and only
 * touched as used, so that nothing is sent between threads during a level):
 * - the table: open addressing, linear probing, slots of (state id + 1, hash); a slot is taken by a
 *   compare-and-swap of its id word after the state's record is written, then its hash is stored (a
 *   reader that finds the id but no hash yet compares the states). The table grows in place
 *   (`growInPlace`: one worker moves the slots while the others wait; fourfold while it is small,
 *   `grownCap`), so that no second table is ever touched, as soon as more than `tableLoad` of its
 *   slots are taken, wherever the level is
 *   (every worker stops for it at its next group of states, or while it waits for the level's end:
 *   `midGrow`);
 * - per worker, its records: the state packed (one packing for the whole search, StateCodec), its
 *   parent's id and its step number; a state's id is its record number shifted left by the bits a
 *   worker's number needs, or'ed with its worker (a mask and a shift take it apart, not a division);
 * - per worker, for the current and the next level, per state: its key, its parent's key and a lock
 *   word; a worker that finds a state of the level being built from another parent takes the lock
 *   to keep the smaller parent.
 * Parents, keys and locks serve the counterexample alone, so a search first runs without them (a
 * record is then the packed state alone, and a state found again is only compared) and starts again
 * keeping them only if it finds a violation (`sharedExhaustive`).
 * The packing is settled on a sample walk; a state it does not fit stops the search, which starts
 * again with the packing widened for it (`WidenRestart`): a rare event (none at the anchor sizes).
 */
import type { Property } from '../../../properties/property.ts';
import { checkCombination, Expander, GROUP, withResults, type ExhaustiveOptions, type ExhaustiveResult, type ExhaustiveSummary, type ExpanderSpec } from './exhaustive.ts';
import { keyOfState, parentBefore, ParentsRestart, type FoundWithoutParents, partitionable, searchParts, type LevelReport, type PartitionRunner, type PartsDriver, type PartViolation } from './partitioned.ts';
import { fingerprint, Scratch, StateCodec, type Misfit, type StoreStats } from './store.ts';
import { regionMap } from '../../../model/kit/footprint.ts';

const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GB`;

/** Slots the table's reservation holds at most (2^28: 2 GB of address space, touched only as it grows). */
const TABLE_MAX_SLOTS = 1 << 28;
/** States one level of one worker can hold at most (level arrays reserved for them). */
const LEVEL_MAX = 1 << 25;
/** Words per state of a level array: key (2), parent's key (2), lock. */
const LW = 5;
/** The table's smallest capacity. */
export const TABLE_MIN_SLOTS = 1 << 16;

/** Control words (Int32 indices), each on its own cache line. */
const CLAIM = 0;
const ABORT = 16;
const BAR_COUNT = 32;
const BAR_GEN = 48;
/** states in the table (every worker adds its own after each group) */
const FILL = 64;
/** set when the table is to grow in the middle of a level (`midGrow`) */
const GROW = 80;
/** workers done with the level's states (they still take part in a growth until all are) */
const DONE = 96;
/** the table's capacity after the last growth in the middle of a level */
const CAP = 112;
export const CONTROL_BYTES = 128 * 4;
/** Slots from which a table runs fuller before it doubles (2^26: 512 MB). */
const BIG_TABLE = 1 << 26;
/**
 * The share of a table's slots taken beyond which it doubles: 50%, or 80% from BIG_TABLE slots on.
 * Linear probing slows as the table fills (2x2x2x2 on two workers: 6-9% slower at 80% than at 50%,
 * 2% at 60%; 40% gains nothing more),
 * so small tables stay roomy; a big one is a large part of the search's memory, and the last
 * doubling of one can be the difference between fitting and not (stop 28's 50.7M states of 3x2x2x2 fit 2^26
 * slots, 512 MB, only at 76%).
 */
export const tableLoad = (slots: number) => (slots >= BIG_TABLE ? 0.8 : 0.5);
/**
 * Below this many slots (2^23: 64 MB) the table grows fourfold. A growth stops every worker while one
 * moves the slots, and a fourfold one spares the doubling in between: at 2x2x2x2 (2^16 slots to 2^24)
 * the slots moved in all fall from 8.4M to 2.8M. Beyond it, doubling keeps a big table no bigger
 * than it must be.
 */
const QUADRUPLE_BELOW = 1 << 23;
/** The capacity a table of `cap` slots grows to in a reservation of `reserved` bytes: `cap` itself if there is no room to grow. */
export function grownCap(cap: number, reserved: number): number {
  if (cap < QUADRUPLE_BELOW && 4 * cap * 8 <= reserved) return 4 * cap;
  return 2 * cap * 8 <= reserved ? 2 * cap : cap;
}

/** The shared memory of a search on n workers, reserved once. */
export interface SharedMemory {
  control: SharedArrayBuffer;
  table: SharedArrayBuffer;
  records: SharedArrayBuffer[];
  /** levels[k][parity] */
  levels: SharedArrayBuffer[][];
  /** per worker: states, transitions, states of the level expanded, table bytes (as the partitioned search) */
  counters: SharedArrayBuffer;
}

/**
 * The shared memory of a search on n workers whose tables may take `budget` bytes (the memory
 * limit), reserved once. Each reservation is sized by the budget too (and by the most a view
 * reaches), so that none asks the system for more address space than the search may use: a table
 * half the budget, a worker's records the budget, a level array a quarter of it.
 */
export function sharedMemory(n: number, budget: number): SharedMemory {
  let slots = TABLE_MAX_SLOTS;
  while (slots > TABLE_MIN_SLOTS && slots * 8 > budget / 2) slots >>= 1;
  const records = Math.max(1 << 20, Math.min(budget, 2 ** 32 - 4096));
  const level = Math.max(1 << 12, Math.min(LEVEL_MAX, Math.floor(budget / 4 / (LW * 4))));
  return {
    control: new SharedArrayBuffer(CONTROL_BYTES),
    table: new SharedArrayBuffer(slots * 8),
    records: Array.from({ length: n }, () => new SharedArrayBuffer(records)),
    levels: Array.from({ length: n }, () => [new SharedArrayBuffer(level * LW * 4), new SharedArrayBuffer(level * LW * 4)]),
    counters: new SharedArrayBuffer(n * 32),
  };
}

/** What a worker of a shared search starts with. */
export interface SharedInit {
  spec: ExpanderSpec;
  k: number;
  n: number;
  mem: SharedMemory;
  /** steps of the walk that settles the packing (as the partitioned search's `sampleSteps`) */
  sampleSteps?: number;
  /** states the packing is widened for besides the walk (those that stopped earlier attempts) */
  widen: Int32Array[];
  /**
   * Keep each state's parent, step number and key (the counterexample's path back and its choice
   * among equals). Without them a record is the packed state alone and a state found again costs
   * nothing more; a search that finds a violation that way starts again with them (`ParentsRestart`).
   */
  parents: boolean;
}

/** A level of the shared search: which states it expands (the workers grow the table themselves: `midGrow`). */
export interface SharedLevel {
  cmd: 'level';
  depth: number;
  atBound: boolean;
  /** per worker: its records of this level, lo and hi (2 numbers each) */
  ranges: number[];
}

export type SharedCommand = SharedLevel | { cmd: 'parent'; local: number } | { cmd: 'finish' } | { cmd: 'stats' };

/** A level report, and (if the packing did not fit a state) the state that stopped it. */
export interface SharedReport extends LevelReport {
  widen: Int32Array | null;
  /** the words of that state that did not fit, with their values and fields' bits */
  misfits: Misfit[];
  /** its records (or one level's entries, or the table) filled their reservation: the search stops as at its memory limit */
  full: boolean;
  /** which reservation, in words */
  fullWhy: string | null;
  /** the table's capacity at the level's end (it may have grown during the level) */
  cap: number;
}

/** One worker's part of a shared search. */
export class SharedWorker {
  readonly ex: Expander;
  private readonly k: number;
  private readonly n: number;
  private readonly ctl: Int32Array;
  private readonly tab: Int32Array;
  private mask: number;
  private cap: number;
  /** a state's id is its record number shifted left by this, or'ed with its worker: the bits the worker number needs */
  private readonly idShift: number;
  private readonly idMask: number;
  /** the mark in the hash words of the table's slots (growInPlace) */
  private mark = 0;
  /** every worker's records */
  private readonly recW: Int32Array[];
  private readonly maxRecords: number;
  /** states one level of this worker can hold */
  private readonly levelMax: number;
  /** levels[w][parity] */
  private readonly lv: Int32Array[][];
  private readonly counters: Float64Array;
  readonly codec: StateCodec;
  /** the packing keys are computed in: the sample walk's alone, the same in every attempt and as in the partitioned search */
  private readonly keyCodec: StateCodec;
  /** this search's packing is the keys' (no state has widened it) */
  private readonly keyIsPacked: boolean;
  private readonly pw: number;
  /** words of a record: the packed state, then (with parents) the parent's id (-1: none) and the step number */
  private readonly rw: number;
  /** parents, steps and keys are kept (SharedInit.parents) */
  private readonly parents: boolean;
  private readonly words: number;
  size = 0;
  private levelLo = 0;
  private depth = 0;
  private transitions = 0;
  private violations: PartViolation[] = [];
  private widenState: Int32Array | null = null;
  private misfits: Misfit[] = [];
  /** the record, level or table reservation is full */
  private full = false;
  /** which, in words (SharedReport.fullWhy) */
  private fullWhy: string | null = null;
  private fullBecause(why: string): void {
    this.full = true;
    this.fullWhy ??= why;
  }
  private readonly fp = new Uint32Array(2);
  private readonly keyScratch: Scratch;
  private readonly batch: Scratch[];
  private readonly hashes: Int32Array;
  private readonly groupParents: Int32Array[];
  private readonly offs: Int32Array;
  private readonly from: Int32Array;
  private readonly chs: Int32Array;
  private readonly pIds: Int32Array;
  private readonly pKeys: Uint32Array;
  private sink = 0;
  private lastAdded = 1;

  constructor(init: SharedInit, props: (name: string) => Property) {
    this.ex = new Expander(init.spec, props);
    this.k = init.k;
    this.n = init.n;
    this.idShift = this.n > 1 ? 32 - Math.clz32(this.n - 1) : 0;
    this.idMask = (1 << this.idShift) - 1;
    this.words = this.ex.words;
    const m = init.mem;
    this.ctl = new Int32Array(m.control);
    this.tab = new Int32Array(m.table);
    this.cap = TABLE_MIN_SLOTS;
    this.mask = this.cap - 1;
    this.recW = m.records.map((b) => new Int32Array(b));
    this.lv = m.levels.map((p) => p.map((b) => new Int32Array(b)));
    this.levelMax = m.levels[0][0].byteLength / (LW * 4);
    this.counters = new Float64Array(m.counters, this.k * 32, 4);
    const s0 = this.ex.initial();
    const sample = this.ex.packingSample(init.sampleSteps ?? 20_000);
    this.keyCodec = new StateCodec(s0);
    this.keyCodec.widenForAll(sample);
    this.codec = new StateCodec(s0, this.keyCodec);
    if (init.widen.length) this.codec.widenForAll(init.widen);
    this.keyIsPacked = this.codec.sameLayout(this.keyCodec);
    this.pw = this.codec.stride >>> 2;
    this.parents = init.parents;
    this.rw = this.pw + (this.parents ? 2 : 0);
    this.maxRecords = Math.min(Math.floor(m.records[0].byteLength / 4 / this.rw), 0x7fffffff >>> this.idShift);
    this.keyScratch = new Scratch(this.words * 4);
    const most = GROUP * this.ex.slotsPerState;
    this.batch = Array.from({ length: most }, () => new Scratch(this.words * 4));
    this.hashes = new Int32Array(most);
    this.groupParents = Array.from({ length: GROUP }, () => new Int32Array(this.words));
    this.offs = new Int32Array(most);
    this.from = new Int32Array(most);
    this.chs = new Int32Array(most);
    this.pIds = new Int32Array(GROUP);
    this.pKeys = new Uint32Array(2 * GROUP);
    // the initial state: worker 0's record 0, level 0 (parity 0)
    if (this.k === 0) {
      const sc = this.batch[0];
      const h = this.codec.encodeHash(s0, sc.i32, 0);
      if (h < 0) throw new Error('internal: the packing does not fit the initial state');
      this.keyOf(s0, 0, sc.i32);
      this.store(sc.i32, -1, 0, 0, 0, 0);
      this.tab[2 * ((h || 1) & this.mask)] = 1;
      this.tab[2 * ((h || 1) & this.mask) + 1] = h || 1;
      const L = this.lv[0][0];
      L[0] = this.fp[0];
      L[1] = this.fp[1];
      this.size = 1;
      Atomics.store(this.ctl, FILL, 1);
      for (const v of this.ex.check(s0, null, 0, false)) this.violations.push({ ...v, depth: 0, key0: this.fp[0], key1: this.fp[1], owner: 0, local: 0 });
    }
  }

  /**
   * The key of a state (into fp): the 64-bit fingerprint of it packed in the sample walk's packing, or
   * of its words if that packing does not fit it (as the partitioned search's keyOf). `packed`: the
   * state in this search's packing, which is the key's own when no state has widened it.
   */
  private keyOf(s: Int32Array, off: number, packed: Int32Array): void {
    if (this.keyIsPacked) fingerprint(packed, this.fp, 0, this.pw);
    else keyOfState(this.keyCodec, this.keyScratch, s, off, this.fp);
  }

  /** Write record `size` (not yet published): the packed state, and with parents its parent and step, and its level entry's parent key. */
  private store(p: Int32Array, parent: number, ch: number, pk0: number, pk1: number, levelIndex: number): void {
    const w = this.recW[this.k];
    const at = this.size * this.rw;
    const pw = this.pw;
    for (let q = 0; q < pw; q++) w[at + q] = p[q];
    if (!this.parents) return;
    w[at + pw] = parent;
    w[at + pw + 1] = ch;
    const L = this.lv[this.k][(this.depth + 1) & 1];
    const e = levelIndex * LW;
    L[e + 2] = pk0;
    L[e + 3] = pk1;
  }

  private barrier(): void {
    const gen = Atomics.load(this.ctl, BAR_GEN);
    if (Atomics.add(this.ctl, BAR_COUNT, 1) === this.n - 1) {
      Atomics.store(this.ctl, BAR_COUNT, 0);
      Atomics.add(this.ctl, BAR_GEN, 1);
      Atomics.notify(this.ctl, BAR_GEN);
    } else while (Atomics.load(this.ctl, BAR_GEN) === gen) Atomics.wait(this.ctl, BAR_GEN, gen, 20);
  }

  /** the fill (FILL) beyond which the table is to grow */
  private levelLoad = 0;

  /**
   * Double the table in the middle of a level: every worker comes here (from its next group of
   * states, or from waiting for the others to finish the level), worker 0 moves the slots, and all
   * go on with the larger table. If the table's reservation has no room for it, the search stops as
   * at its memory limit.
   */
  private midGrow(): void {
    this.barrier();
    if (this.k === 0) {
      const cap = grownCap(this.cap, this.tab.byteLength);
      if (cap > this.cap) {
        growInPlace(this.tab, this.cap, cap, this.mark);
        Atomics.store(this.ctl, CAP, cap);
      } else {
        this.fullBecause(`the visited table is at the most slots it may have (${this.cap.toLocaleString('en-US')}, ${gb(this.tab.byteLength)}) and 90% full`);
        Atomics.store(this.ctl, ABORT, 1);
        Atomics.store(this.ctl, CAP, this.cap);
      }
      Atomics.store(this.ctl, GROW, 0);
    }
    this.barrier();
    const cap = Atomics.load(this.ctl, CAP);
    // every worker flips its copy of the mark with the growth (growInPlace)
    if (cap !== this.cap) this.mark ^= MARK;
    this.cap = cap;
    this.mask = this.cap - 1;
    this.levelLoad = this.loadLimit();
  }

  /** The fill at which the table is to grow: `tableLoad` of it, or 90% when its reservation has no room to grow it (growing then stops the search). */
  private loadLimit(): number {
    return Math.floor((grownCap(this.cap, this.tab.byteLength) > this.cap ? tableLoad(this.cap) : 0.9) * this.cap);
  }

  /** Expand the states of the level (any worker's), store their successors, and report. */
  level(c: SharedLevel): SharedReport {
    // a growth the last level asked for was made before it ended, so the table has room here
    this.levelLoad = this.loadLimit();
    this.levelStarts = Array.from({ length: this.n }, (_, w) => c.ranges[2 * w + 1]);
    const depth = c.depth;
    this.depth = depth;
    this.violations = [];
    this.levelLo = this.size;
    const before = this.size;
    const n = this.n;
    const ranges = c.ranges;
    let total = 0;
    for (let w = 0; w < n; w++) total += ranges[2 * w + 1] - ranges[2 * w];
    const ex = this.ex;
    const words = this.words;
    const slots = ex.slotsPerState;
    const cur = depth & 1;
    let terminal = 0;
    let hasSuccessors = false;
    let done = 0;
    let stopped = false;
    for (;;) {
      if (Atomics.load(this.ctl, GROW) !== 0) this.midGrow();
      if (Atomics.load(this.ctl, ABORT) !== 0) break;
      const c0 = Atomics.add(this.ctl, CLAIM, GROUP);
      if (c0 >= total) break;
      const g = Math.min(GROUP, total - c0);
      let count = 0;
      for (let j = 0; j < g; j++) {
        // the (c0 + j)-th state of the level: worker w's record i
        let x = c0 + j;
        let w = 0;
        while (x >= ranges[2 * w + 1] - ranges[2 * w]) x -= ranges[2 * w + 1] - ranges[2 * w++];
        const i = ranges[2 * w] + x;
        const s = this.groupParents[j];
        this.codec.decode(this.recW[w], i * this.rw, s);
        const L = this.lv[w][cur];
        const pk0 = this.parents ? L[LW * x] >>> 0 : 0;
        const pk1 = this.parents ? L[LW * x + 1] >>> 0 : 0;
        this.pIds[j] = (i << this.idShift) | w;
        this.pKeys[2 * j] = pk0;
        this.pKeys[2 * j + 1] = pk1;
        ex.expand(s, !c.atBound, false, j * slots);
        if (ex.n === 0) {
          terminal++;
          for (const v of ex.finalChecks(s, null)) this.violations.push({ ...v, depth, key0: pk0, key1: pk1, owner: w, local: i });
        } else hasSuccessors = true;
        if (c.atBound) continue;
        for (let k = 0; k < ex.n; k++) {
          this.offs[count] = (j * slots + k) * words;
          this.from[count] = j;
          this.chs[count++] = k;
        }
      }
      done += g;
      if (count && !this.insertAll(count)) {
        stopped = true;
        break;
      }
      this.counters[0] = this.size;
      this.counters[1] = this.transitions;
      this.counters[2] = done;
    }
    if (stopped) Atomics.store(this.ctl, ABORT, 1);
    // a worker done with the level still takes part in the table's growth until every worker is done
    if (Atomics.add(this.ctl, DONE, 1) === n - 1) Atomics.notify(this.ctl, DONE);
    for (;;) {
      const d = Atomics.load(this.ctl, DONE);
      if (d === n) break;
      if (Atomics.load(this.ctl, GROW) !== 0) this.midGrow();
      else Atomics.wait(this.ctl, DONE, d, 1);
    }
    this.counters[0] = this.size;
    this.counters[1] = this.transitions;
    this.counters[2] = 0;
    this.counters[3] = this.tableBytes();
    const added = this.size - before;
    this.lastAdded = added;
    // growth: this level's records; the coordinator turns the workers' sum into its guess at the next
    // level's (a guess per worker would depend on how the level fell between them, that is on timing)
    return { states: this.size, added, transitions: this.transitions, terminal, hasSuccessors, bytes: this.tableBytes(), growth: added * this.rw * 4, violations: this.violations, widen: this.widenState, misfits: this.misfits, full: this.full, fullWhy: this.fullWhy, cap: this.cap };
  }

  /**
   * Pack the group's `count` successors, bring their slots into the cache, then put each into the
   * table. False if the packing did not fit one (the search starts again, widened for it) or the
   * records are full.
   */
  private insertAll(count: number): boolean {
    const ex = this.ex;
    const succ = ex.succ;
    const codec = this.codec;
    const hs = this.hashes;
    for (let c = 0; c < count; c++) {
      const h = codec.encodeHash(succ, this.batch[c].i32, this.offs[c]);
      if (h < 0) {
        this.widenState = succ.slice(this.offs[c], this.offs[c] + this.words);
        this.misfits = codec.misfits(this.widenState);
        return false;
      }
      hs[c] = (h || 1) | this.mark;
    }
    const tab = this.tab;
    const mask = this.mask;
    // never reached while the table grows as it should (at tableLoad, or 0.9 when it cannot):
    // a table this full would make the probing below long, and a full one endless
    if (Atomics.load(this.ctl, FILL) + count > 0.95 * this.cap) {
      this.fullBecause('the visited table is 95% full');
      return false;
    }
    let t = 0;
    const sh = this.idShift;
    const idMask = this.idMask;
    for (let c = 0; c < count; c++) t ^= tab[2 * (hs[c] & mask) + 1];
    for (let c = 0; c < count; c++) {
      const slot = hs[c] & mask;
      const v = tab[2 * slot];
      if (v !== 0 && tab[2 * slot + 1] === hs[c]) {
        const R = this.recW[(v - 1) & idMask];
        const at = ((v - 1) >>> sh) * this.rw;
        t ^= R[at] ^ R[at + this.pw - 1];
      }
    }
    this.sink ^= t;
    const me = this.k;
    const next = (this.depth + 1) & 1;
    const pw = this.pw;
    const sizeBefore = this.size;
    for (let c = 0; c < count; c++) {
      const p = this.batch[c].i32;
      const h = hs[c];
      const j0 = this.from[c];
      const ch = this.chs[c];
      const pk0 = this.pKeys[2 * j0];
      const pk1 = this.pKeys[2 * j0 + 1];
      this.transitions++;
      let slot = h & mask;
      for (;;) {
        let v = Atomics.load(tab, 2 * slot);
        if (v === 0) {
          if (this.size >= this.maxRecords || (this.parents && this.size - this.levelLo >= this.levelMax)) {
            this.fullBecause(this.size >= this.maxRecords ? `a worker's records are at the most states they may hold (${this.maxRecords.toLocaleString('en-US')}, ${gb(this.recW[this.k].byteLength)})` : `a worker's level array is at the most states it may hold (${this.levelMax.toLocaleString('en-US')})`);
            return false;
          }
          const li = this.size - this.levelLo;
          this.store(p, this.pIds[j0], ch, pk0, pk1, li);
          const id = (this.size << sh) | me;
          v = Atomics.compareExchange(tab, 2 * slot, 0, id + 1);
          if (v === 0) {
            Atomics.store(tab, 2 * slot + 1, h);
            this.size++;
            const off = this.offs[c];
            if (this.parents) {
              this.keyOf(succ, off, p);
              const L = this.lv[me][next];
              L[LW * li] = this.fp[0];
              L[LW * li + 1] = this.fp[1];
            }
            const dirty = ex.plan.changed(this.groupParents[j0], succ, off);
            for (const x of ex.check(succ, null, off, false, dirty)) this.violations.push({ ...x, depth: this.depth + 1, key0: this.fp[0], key1: this.fp[1], owner: me, local: this.size - 1 });
            break;
          }
          // another worker took the slot meanwhile: it may hold this very state
        }
        const hv = Atomics.load(tab, 2 * slot + 1);
        if (hv === h || hv === 0) {
          const g = v - 1;
          const w = g & idMask;
          const i = g >>> sh;
          if (codec.equal(this.recW[w], i * this.rw, p, 0)) {
            if (this.parents) this.known(w, i, this.pIds[j0], ch, pk0, pk1, next, pw);
            break;
          }
        }
        slot = (slot + 1) & mask;
      }
    }
    if (this.size > sizeBefore && Atomics.add(this.ctl, FILL, this.size - sizeBefore) + this.size - sizeBefore > this.levelLoad) Atomics.store(this.ctl, GROW, 1);
    return true;
  }

  /** State i of worker w found again: if it is of the level being built, keep the parent with the smallest (key, step). */
  private known(w: number, i: number, parent: number, ch: number, pk0: number, pk1: number, next: number, pw: number): void {
    // the level being built starts, in every worker's records, where that worker's size was at the level's start
    const lo = this.levelStarts[w];
    if (i < lo) return;
    const L = this.lv[w][next];
    const e = LW * (i - lo);
    // a parent's key only decreases, so one whose first word is already larger can never be kept
    // (read without the lock: a single word cannot be half written)
    if (pk0 > L[e + 2] >>> 0) return;
    while (Atomics.compareExchange(L, e + 4, 0, 1) !== 0);
    const a0 = L[e + 2] >>> 0;
    const a1 = L[e + 3] >>> 0;
    const R = this.recW[w];
    const at = i * this.rw + pw;
    if (parentBefore(pk0, pk1, ch, a0, a1, R[at + 1])) {
      R[at] = parent;
      R[at + 1] = ch;
      L[e + 2] = pk0;
      L[e + 3] = pk1;
    }
    Atomics.store(L, e + 4, 0);
  }

  /** per worker: its size when the level began, the hi of its range (its records from there on are the level being built) */
  private levelStarts: number[] = [];

  /** Terminal checks on the states of the last level built that were never expanded (a limit ended the search). */
  finish(): PartViolation[] {
    const out: PartViolation[] = [];
    const s = new Int32Array(this.words);
    const L = this.lv[this.k][(this.depth + 1) & 1];
    for (let i = this.levelLo; i < this.size; i++) {
      this.codec.decode(this.recW[this.k], i * this.rw, s);
      const x = i - this.levelLo;
      if (this.ex.steps(s) === 0)
        for (const v of this.ex.finalChecks(s, null))
          out.push({ ...v, depth: this.depth + 1, key0: this.parents ? L[LW * x] >>> 0 : 0, key1: this.parents ? L[LW * x + 1] >>> 0 : 0, owner: this.k, local: i });
    }
    return out;
  }

  parent(local: number): { owner: number; local: number; choice: number } {
    if (!this.parents) throw new Error('internal: a search without parents was asked for one');
    const at = local * this.rw + this.pw;
    const g = this.recW[this.k][at];
    if (g < 0) return { owner: -1, local: -1, choice: 0 };
    return { owner: g & this.idMask, local: g >>> this.idShift, choice: this.recW[this.k][at + 1] };
  }

  /** Bytes this worker's part of the search holds: its records, its level arrays' used part, and its share of the tables. */
  tableBytes(): number {
    return this.size * this.rw * 4 + (this.parents ? 2 * Math.max(1, this.lastAdded) * LW * 4 : 0) + Math.ceil((this.cap * 8) / this.n);
  }

  stats(): StoreStats {
    return { kind: 'full', states: this.size, bytes: this.tableBytes(), bytesPerState: this.rw * 4, widenings: 0, omission: { kind: 'none' } };
  }

  answer(c: SharedCommand): unknown {
    if (c.cmd === 'level') return this.level(c);
    if (c.cmd === 'parent') return this.parent(c.local);
    if (c.cmd === 'finish') return this.finish();
    return this.stats();
  }
}

/** A slot's hash word: the hash (31 bits) and, in the top bit, the mark (`growInPlace`). */
const MARK = 1 << 31;

/**
 * Grow a table of (id + 1, hash) slots from oldCap to cap slots where it is, t[0 .. 2 cap) (the part
 * past the old slots is zero: never used). Every slot's hash word carries the table's present mark
 * in its top bit (0 or MARK: `mark`); the growth flips it, and it returns the new mark, which the
 * table's users then put into the hash words they write and compare. The old slots are taken in
 * order; each is put where the larger table wants it, and where that place holds a slot not moved
 * yet (its mark not flipped) the two change places and the displaced one is put in turn. So a slot is
 * never moved twice, and a moved one never passes over a slot not moved yet (it takes that place
 * instead), and emptying a not-yet-moved slot never cuts a moved one off from its home. Flipping the
 * mark, rather than setting a "moved" bit, spares a pass over the whole table to clear the bits after
 * the move (a third of a growth's time at 2^23 slots).
 */
export function growInPlace(t: Int32Array, oldCap: number, cap: number, mark = 0): number {
  const mask = cap - 1;
  const moved = mark ^ MARK;
  for (let i = 0; i < oldCap; i++) {
    let v = t[2 * i];
    if (v === 0) continue;
    let h = t[2 * i + 1];
    if ((h & MARK) === moved) continue;
    t[2 * i] = 0;
    t[2 * i + 1] = 0;
    h ^= MARK;
    let j = h & mask;
    for (;;) {
      const u = t[2 * j];
      if (u === 0) {
        t[2 * j] = v;
        t[2 * j + 1] = h;
        break;
      }
      const uh = t[2 * j + 1];
      if ((uh & MARK) !== moved) {
        t[2 * j] = v;
        t[2 * j + 1] = h;
        v = u;
        h = uh ^ MARK;
        j = h & mask;
        continue;
      }
      j = (j + 1) & mask;
    }
  }
  return moved;
}

/** The packing did not fit these states: the search starts again with it widened for them. */
export class WidenRestart extends Error {
  constructor(
    readonly states: Int32Array[],
    readonly misfits: Misfit[],
  ) {
    super('the packing does not fit a state: starting again with it widened');
  }
}

/**
 * The coordinator's side of a shared search (searchParts drives it): each level's ranges (every
 * worker's states of the level; the workers grow the table themselves) and the reports' stops.
 */
export function sharedDriver(mem: SharedMemory, n: number, parents: boolean): PartsDriver {
  const ctl = new Int32Array(mem.control);
  let lows = new Array<number>(n).fill(0);
  let sizes: number[] = Array.from({ length: n }, (_, w) => (w === 0 ? 1 : 0));
  let cap = TABLE_MIN_SLOTS;
  let lastAdded = 1;
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  /** the table `total` states would need (for the memory limit's guess at the next level: the workers grow it themselves) */
  const capFor = (total: number) => {
    let c = cap;
    while (total > tableLoad(c) * c && grownCap(c, mem.table.byteLength) > c) c = grownCap(c, mem.table.byteLength);
    return c;
  };
  const driver: PartsDriver = {
    parents,
    why: null,
    level(depth, atBound) {
      const ranges: number[] = [];
      for (let w = 0; w < n; w++) ranges.push(lows[w], sizes[w]);
      Atomics.store(ctl, CLAIM, 0);
      Atomics.store(ctl, DONE, 0);
      const command: SharedLevel = { cmd: 'level', depth, atBound, ranges };
      return command;
    },
    took(reps) {
      const widen = (reps as SharedReport[]).flatMap((r) => (r.widen ? [r.widen] : []));
      if (widen.length) throw new WidenRestart(widen, (reps as SharedReport[]).flatMap((r) => r.misfits));
      lows = sizes;
      sizes = reps.map((r) => r.states);
      cap = Math.max(cap, ...(reps as SharedReport[]).map((r) => r.cap));
      const full = (reps as SharedReport[]).find((r) => r.full);
      if (full) {
        driver.why = full.fullWhy;
        return 'max-memory';
      }
      const added = sum(sizes) - sum(lows);
      if (added === 0) return null;
      // the next level, guessed from this one's growth (at least as big, at most four times): its
      // records, and the table it would need; the memory limit judges both, told as worker 0's growth
      const ratio = Math.min(4, Math.max(1, added / lastAdded));
      const records = Math.ceil(reps.reduce((a, r) => a + r.growth, 0) * ratio);
      const next = capFor(sum(sizes) + Math.ceil(added * ratio));
      lastAdded = added;
      reps.forEach((r, k) => (r.growth = k === 0 ? records + Math.max(0, next - cap) * 8 : 0));
      return null;
    },
  };
  return driver;
}

/** One attempt of a shared search: the states to widen the packing for, and whether parents are kept (SharedInit). */
export interface SharedAttempt {
  widen: Int32Array[];
  parents: boolean;
}

/** The worker threads of a shared search and the memory they share (pool.ts builds them). */
export type SharedStart = (attempt: SharedAttempt) => Promise<{ runner: PartitionRunner; mem: SharedMemory }>;

/**
 * Run the exhaustive search on worker threads sharing one visited set (started by `start`, again if
 * the packing must widen, and closed at the end); the summary is shaped as exhaustive()'s.
 *
 * A proof needs no parents: the first attempt keeps none, so each record is the packed state alone
 * (3x2x2x2: 24 bytes, not 32) and a state found again is only compared. Only a counterexample needs
 * the path back, so when that attempt finds a violation the search starts again keeping parents, and
 * that attempt (the search as it was before this split, with the same rules) gives the result. Its
 * time counts from the first attempt's start, so the time to a bug includes the attempt that found it.
 */
export async function sharedExhaustive(opts: ExhaustiveOptions, start: SharedStart): Promise<ExhaustiveSummary> {
  checkCombination(opts);
  if (!sharable(opts)) throw new Error('internal: this search cannot run with a shared store');
  const t0 = performance.now();
  const ex = new Expander({ cfg: opts.cfg, props: opts.props.map((p) => p.name), symmetry: [...opts.symmetry], por: false }, (n) => opts.props.find((p) => p.name === n)!);
  let widen: Int32Array[] = [];
  let parents = false;
  /** search seconds of attempts that found a violation without parents */
  let spentS = 0;
  /** the violations that attempt found */
  let withoutParents: FoundWithoutParents[] = [];
  for (let restarts = 0; ; ) {
    const { runner, mem } = await start({ widen, parents });
    try {
      const s = await searchParts(opts, ex, runner, t0, sharedDriver(mem, runner.n, parents), spentS);
      const lost = lostViolations(s, withoutParents);
      if (lost.length)
        opts.onNote?.(
          `the search keeping parents stopped at its limit within ${s.fullDepth} steps, before ${lost.map((r) => r.property).join(', ')} (found violated at depth ${Math.min(...withoutParents.map((f) => f.depth))} without them): no counterexample written; raise --max-memory or --max-states for it`,
        );
      return withResults({ ...s, store: { ...s.store, widenings: restarts } }, opts, s.results.map((r) => lost.find((x) => x.property === r.property) ?? r));
    } catch (e) {
      if (e instanceof ParentsRestart) {
        spentS = e.elapsedS;
        withoutParents = e.found;
        parents = true;
        opts.onNote?.(
          `${e.properties.join(', ')} violated at depth ${e.depth} (${e.states.toLocaleString('en-US')} states): starting the search again keeping each state's parent, for the shortest counterexample`,
        );
        continue;
      }
      if (!(e instanceof WidenRestart)) throw e;
      if (opts.onNote) {
        const fields = regionMap(ex.sys);
        const what = [...new Map(e.misfits.map((m) => [m.word, m])).values()]
          .map((m) => `${fields[m.word]?.field ?? `word ${m.word}`} = ${m.value} (${m.bits ? `a ${m.bits}-bit field` : 'a word constant until then'})`)
          .join(', ');
        opts.onNote(`${e.states.length} new state${e.states.length === 1 ? '' : 's'} did not fit the packing the sample walk settled (${what}): starting the search again with it widened (restart ${restarts + 1})`);
      }
      widen = [...widen, ...e.states];
      restarts++;
    } finally {
      await runner.close();
    }
  }
}

const LIMIT_NAMES: Record<string, string> = { 'max-memory': 'memory limit', 'max-states': 'state limit', 'max-depth': 'depth bound' };

/**
 * The violations found without parents that the search keeping them did not reach (it stopped at a
 * limit first: it needs more memory a state), as results: violated, with no counterexample. A known
 * violation is never reported as holding.
 */
export function lostViolations(s: Pick<ExhaustiveSummary, 'results' | 'fullDepth' | 'limit'>, found: readonly FoundWithoutParents[]): ExhaustiveResult[] {
  return found
    .filter((f) => s.results.some((r) => r.property === f.property && r.status === 'holds'))
    .map((f) => ({
      property: f.property,
      status: 'violated' as const,
      checked: s.results.find((r) => r.property === f.property)!.checked,
      clause: f.clause,
      message: `${f.message} (at depth ${f.depth}, found by the search's first attempt, which keeps no parents; the attempt keeping them stopped at its ${LIMIT_NAMES[s.limit ?? ''] ?? 'limit'} within ${s.fullDepth} steps, so no counterexample was written: raise --max-memory or --max-states for it)`,
      trace: null,
      traceSteps: null,
      foundAfterStates: f.atStates,
      foundAfterS: Number(f.atS.toFixed(3)),
    }));
}

/** Can this search run with a shared store? (As a partitioned one, with the full store.) */
export function sharable(o: Pick<ExhaustiveOptions, 'store' | 'por' | 'liveness' | 'props' | 'shard'>): boolean {
  return partitionable(o) && o.store === 'full';
}
