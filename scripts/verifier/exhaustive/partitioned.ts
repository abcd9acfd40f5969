/**
 * The exhaustive search on N worker threads with a hash-partitioned visited set: every state has an
 * owner (a hash of its control words modulo N), and only the owner stores, checks and expands it. A worker expands
 * the states of the current breadth-first level that it owns, keeps the successors it owns and sends
 * the others to their owners through lock-free single-producer single-consumer rings in shared memory
 * (`Ring`); a level ends when every worker has expanded its part and drained its rings. The
 * coordinator (`partitionedExhaustive`, the main thread) only starts levels and adds up.
 *
 * No thread numbers all the states, so the result must not depend on which thread got there first:
 * - the set of states of each level does not depend on the order they are found in, so the state,
 *   transition and terminal counts and the depth are those of the one-thread search;
 * - a state's parent is its predecessor of the level before with the smallest (key, step number),
 *   not the first one found; a property's counterexample ends at its violating state of the lowest
 *   depth with the smallest key. A key is a 64-bit fingerprint of the state (store.ts; `keyOf`).
 *   Both are shortest, as in the one-thread search, and the same for any number of workers (not
 *   necessarily the same path the one-thread search picks);
 * - a new state is checked only for the invariants its step may have broken (as in the one-thread
 *   search: the others held on its parent, or the parent's violation, a level less deep, is the one
 *   kept). The worker that expanded the parent works them out and sends them with the state.
 * - the state limit and stop-at-first are judged at the end of a level, so a limited search covers
 *   whole levels: exactly the states within its last depth.
 *
 * It keeps no transition graph, so fair-cycle liveness, partial-order reduction (whose cycle proviso
 * asks whether a successor is already known, which only its owner can say) and shards take the
 * chunked mode of exhaustive.ts instead (`partitionable`). With the full store the command line
 * runs the workers on one shared store instead (shared.ts, which `searchParts` below drives too, and
 * whose traces are this search's); this one serves hash compaction, and the tests' comparisons.
 */
import type { Property } from '../../../properties/property.ts';
import { checkCombination, counterexampleOf, doubling, Expander, finishSummary, GROUP, type ExhaustiveOptions, type ExhaustiveSummary, type ExpanderSpec, type StateViolation, type Witnesses } from './exhaustive.ts';
import { fingerprint, FullStore, HashCompactStore, Scratch, StateCodec, StateQueue, type StoreStats, type VisitedSet } from './store.ts';

/** Can this search run partitioned? (Otherwise `--workers` uses the chunked mode.) */
export function partitionable(o: Pick<ExhaustiveOptions, 'store' | 'por' | 'liveness' | 'props' | 'shard'>): boolean {
  const cycles = o.liveness === 'cycles' && o.props.some((p) => p.kind === 'liveness');
  return o.store !== 'bitstate' && !o.por && !cycles && !o.shard;
}

/** Words before a ring's records: head (words taken), tail (words published), each on its own cache line. */
const RING_HEAD = 0;
const RING_TAIL = 16;
const RING_DATA = 32;
/** Words of records a ring holds (a power of two): 512 KB, so that a ring stays in cache. */
const RING_WORDS = 1 << 17;
/**
 * A record: parent's local number (or END_OF_LEVEL), parent's key (2 words), step number, the form,
 * the state's fingerprint (2 words, with the hash-compact store: it is that store's entry), the
 * invariants the step may have broken (`dirty`, a bit mask of the invariant plan: the sender has the
 * parent, the owner does not), then the state, packed (`Transfer`) or whole; records are as long as
 * their form needs.
 */
const REC_META = 8;
const PACKED = 0;
const WHOLE = 1;
const END_OF_LEVEL = -2;
/** at the end of the ring: the rest is empty, the next record is at its start */
const PAD = -3;

/**
 * A single-producer single-consumer ring of variable-length records in a SharedArrayBuffer: the
 * producer writes a record, then publishes it by storing the tail; the consumer reads up to the tail,
 * then frees by storing the head (Atomics make the plain writes before them visible to the other
 * side). Positions count words and only grow (modulo 2^32); a record never wraps round the end.
 */
export class Ring {
  readonly w: Int32Array;
  private tail = 0;
  head = 0;

  constructor(readonly buf: SharedArrayBuffer) {
    this.w = new Int32Array(buf);
  }

  static bytes(): number {
    return (RING_DATA + RING_WORDS) * 4;
  }

  /** producer: the offset to write a record of at most `len` words at, or -1 while there is no room */
  reserve(len: number): number {
    let pos = this.tail & (RING_WORDS - 1);
    const pad = pos + len > RING_WORDS ? RING_WORDS - pos : 0;
    if (((this.tail - Atomics.load(this.w, RING_HEAD)) | 0) + pad + len > RING_WORDS) return -1;
    if (pad) {
      this.w[RING_DATA + pos] = PAD;
      this.tail = (this.tail + pad) | 0;
      pos = 0;
    }
    return RING_DATA + pos;
  }
  /** producer: publish the record just written, `len` words */
  publish(len: number): void {
    this.tail = (this.tail + len) | 0;
    Atomics.store(this.w, RING_TAIL, this.tail);
  }
  /** consumer: the position up to which records are published */
  published(): number {
    return Atomics.load(this.w, RING_TAIL);
  }
  /** consumer: the offset of the record at position h, or -1 if h is a pad (the next record is at the ring's start) */
  at(h: number): number {
    const pos = h & (RING_WORDS - 1);
    return this.w[RING_DATA + pos] === PAD ? -1 : RING_DATA + pos;
  }
  /** consumer: position h's distance to the ring's end (how far a pad skips) */
  toEnd(h: number): number {
    return RING_WORDS - (h & (RING_WORDS - 1));
  }
  release(h: number): void {
    this.head = h;
    Atomics.store(this.w, RING_HEAD, h);
    Atomics.notify(this.w, RING_HEAD);
  }
  /** producer: wait (briefly) for the consumer to free room */
  waitRoom(): void {
    Atomics.wait(this.w, RING_HEAD, Atomics.load(this.w, RING_HEAD), 1);
  }
}

/**
 * What crosses a ring: a state packed like the full store packs it (StateCodec: words that never
 * changed left out, the others in 1, 2 or 4 bytes), with one packing fixed for the whole search,
 * derived by every worker from the same sample walk. Moving a state from one core's cache to the
 * other's costs by the cache line, and packed it takes about a fifth of the lines. A state the
 * packing does not fit (a value outside what the walk saw) goes whole.
 */
class Transfer {
  private readonly scratch: Scratch;
  /** words a packed state takes in a record */
  readonly packedWords: number;

  /** codec: a packing already settled on the sample walk */
  constructor(readonly codec: StateCodec) {
    this.scratch = new Scratch(codec.words * 4);
    this.packedWords = this.codec.stride >>> 2;
  }

  /** Write s (from off) into w at `at`; returns its form. */
  write(s: Int32Array, off: number, w: Int32Array, at: number): number {
    const sc = this.scratch;
    if (!this.codec.encode(s, sc.i32, off)) {
      for (let i = 0; i < this.codec.words; i++) w[at + i] = s[off + i];
      return WHOLE;
    }
    const p = sc.i32;
    for (let i = 0; i < this.packedWords; i++) w[at + i] = p[i];
    return PACKED;
  }

  /** Read a record's state written in the given form into out. */
  read(w: Int32Array, at: number, form: number, out: Int32Array): void {
    if (form === WHOLE) for (let i = 0; i < out.length; i++) out[i] = w[at + i];
    else this.codec.decode(w, at, out);
  }
}

/** What a worker of a partitioned search starts with. */
export interface PartitionInit {
  spec: ExpanderSpec;
  store: 'full' | 'hashcompact';
  k: number;
  n: number;
  /** rings[from][to] (from !== to) */
  rings: (SharedArrayBuffer | null)[][];
  /** per worker: states, transitions, states of the level expanded, table bytes (4 Float64s each, at k*4), for progress */
  counters: SharedArrayBuffer;
  /**
   * steps of the walk that settles the packing (default 20,000); tests make it short, so that states
   * outgrow it: they then cross whole and the owner's store widens its packing and stops sharing it
   */
  sampleSteps?: number;
}

/** A violation a worker found, with what orders it: depth, then the state's fingerprint. */
export interface PartViolation extends StateViolation {
  depth: number;
  key0: number;
  key1: number;
  owner: number;
  local: number;
}

export interface LevelReport {
  /** states this worker owns after the level */
  states: number;
  /** new states it took in during the level */
  added: number;
  transitions: number;
  terminal: number;
  /** at the depth bound: some state of the level has a step */
  hasSuccessors: boolean;
  /** bytes of this worker's tables (store, queues, parents, keys, outgoing rings): what --max-memory limits */
  bytes: number;
  /** bytes its tables would allocate for a next level of the size this one suggests (see `growthBytes`) */
  growth: number;
  violations: PartViolation[];
}

export type PartitionCommand =
  | { cmd: 'level'; depth: number; atBound: boolean }
  | { cmd: 'parent'; local: number }
  | { cmd: 'finish' }
  | { cmd: 'stats' };

/** One worker's part of the search: the states it owns, their parents, its rings. */
export class PartitionWorker {
  readonly ex: Expander;
  private readonly store: VisitedSet;
  private readonly full: FullStore | null;
  private readonly hc: HashCompactStore | null;
  private queue: StateQueue | null = null;
  private nextQueue: StateQueue | null = null;
  private readonly out: (Ring | null)[];
  private readonly inbox: (Ring | null)[];
  private readonly counters: Float64Array;
  private readonly words: number;
  private parentOwner = new Uint8Array(1 << 12);
  private parentLocal = new Int32Array(1 << 12);
  private choice = new Uint8Array(1 << 12);
  /**
   * Keys are only needed near the frontier: the current level's own keys (its successors' parent
   * key), and for the level being built its keys and its parents' keys (to keep the smallest parent).
   * Level-local arrays, indexed from the level's first local number, so they take no memory per state.
   */
  private curKey = new Uint32Array(2 << 12);
  private nextKey = new Uint32Array(2 << 12);
  private nextParentKey = new Uint32Array(2 << 12);
  /** the first local number of the level being built (the next level, during expansion) */
  private levelLo = 0;
  private transitions = 0;
  private depth = 0;
  private violations: PartViolation[] = [];
  private fp = new Uint32Array(2);
  private cur: Int32Array;
  /**
   * The words a successor's owner is chosen by: every actor's control word. Hashing these few (not
   * the whole state) for every transition is cheap, they take many values, and the owner is still a
   * function of the state alone, which is all the partition needs.
   */
  private readonly route: Int32Array;
  private readonly transfer: Transfer;
  /** a state taken off a ring */
  private readonly got: Int32Array;
  /** where keyOf packs a state */
  private readonly keyScratch: Scratch;

  constructor(
    private readonly init: PartitionInit,
    props: (name: string) => Property,
  ) {
    this.ex = new Expander(init.spec, props);
    this.words = this.ex.words;
    const s0 = this.ex.initial();
    this.full = init.store === 'full' ? new FullStore(s0) : null;
    this.hc = this.full ? null : new HashCompactStore(this.words);
    this.store = this.full ?? this.hc!;
    if (!this.full) {
      this.queue = new StateQueue(s0);
      this.nextQueue = new StateQueue(s0);
    }
    this.out = init.rings[init.k].map((b) => (b ? new Ring(b) : null));
    this.inbox = init.rings.map((row) => (row[init.k] ? new Ring(row[init.k]!) : null));
    this.counters = new Float64Array(init.counters, init.k * 32, 4);
    this.cur = new Int32Array(this.words);
    this.groupParents = Array.from({ length: GROUP }, () => new Int32Array(this.words));
    this.groupOffs = new Int32Array(GROUP * this.ex.slotsPerState);
    this.groupFrom = new Int32Array(GROUP * this.ex.slotsPerState);
    this.groupCh = new Int32Array(GROUP * this.ex.slotsPerState);
    this.route = Int32Array.from(this.ex.sys.actors.map((a) => a.pcAt));
    const sample = this.ex.packingSample(init.sampleSteps ?? 20_000);
    // With the full store, the ring packs as the store does (the same packing: every worker settles
    // it on the same sample), so an owner stores what it receives without unpacking it.
    let codec: StateCodec;
    if (this.full) {
      this.full.prewarm(sample);
      codec = this.full.codec;
    } else {
      codec = new StateCodec(s0);
      codec.widenForAll(sample);
    }
    this.transfer = new Transfer(codec);
    this.keyScratch = new Scratch(this.words * 4);
    this.got = new Int32Array(this.words);
    if (this.ownerOf(s0, 0) === init.k) this.admit(s0, 0, -1, -1, 0, 0, 0, null, -1);
    // level 0 is the initial state, which admit() took in as the next level's
    this.nextLevel();
  }

  /** The level built becomes the current one: its queue (lossy stores) and keys. */
  private nextLevel(): void {
    if (this.queue) {
      this.queue.clear();
      [this.queue, this.nextQueue] = [this.nextQueue!, this.queue];
    }
    [this.curKey, this.nextKey] = [this.nextKey, this.curKey];
  }

  private grow(need: number): void {
    if (need <= this.parentLocal.length) return;
    const cap = Math.max(need, this.parentLocal.length * 2);
    const g8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.parentOwner = g8(this.parentOwner);
    this.choice = g8(this.choice);
    const pl = new Int32Array(cap);
    pl.set(this.parentLocal);
    this.parentLocal = pl;
  }

  /** The worker that owns the state (the words of s from off). */
  ownerOf(s: Int32Array, off: number): number {
    const route = this.route;
    let h = 0x2545f491;
    for (let j = 0; j < route.length; j++) h = Math.imul(h ^ s[off + route[j]], 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    // the top 16 bits scaled to 0..n-1 (a remainder of an unsigned 32-bit value is a floating-point one)
    return Math.imul((h ^ (h >>> 13)) >>> 16, this.init.n) >>> 16;
  }

  /**
   * Take in a state this worker owns, found from a parent (owner, local, key) by its step `ch`. The
   * invariants to check if it is new: those the step may have broken, `dirty`, or with the parent at
   * hand (`parent`, this worker's own), those whose watched words differ between the two.
   */
  private admit(s: Int32Array, off: number, pOwner: number, pLocal: number, pk0: number, pk1: number, ch: number, parent: Int32Array | null, dirty: number, prepared = -1): void {
    if (this.hc) {
      // the fingerprint is both the lossy store's entry and the state's key: computed once
      fingerprint(s, this.fp, off, this.words);
      const k0 = this.fp[0];
      const k1 = this.fp[1];
      const r = this.hc.addKey(k0, k1);
      if (r >= 0) this.taken(r, s, off, k0, k1, pOwner, pLocal, pk0, pk1, ch, parent ? this.ex.plan.changed(parent, s, off) : dirty);
      else this.known(~r, pOwner, pLocal, pk0, pk1, ch);
      return;
    }
    const full = this.full!;
    const r = prepared >= 0 ? full.addPrepared(prepared, s, off) : full.add(s, off);
    if (r >= 0) {
      // with the ring's packing, add() left the state packed in the store's scratch buffer
      if (full.codec === this.transfer.codec) this.keyOfPacked(full.packed(), 0);
      else this.keyOf(s, off);
      this.taken(r, s, off, this.fp[0], this.fp[1], pOwner, pLocal, pk0, pk1, ch, parent ? this.ex.plan.changed(parent, s, off) : dirty);
    } else this.known(~r, pOwner, pLocal, pk0, pk1, ch);
  }

  /** The key of a state with the full store (into `fp`): `keyOfState` in the ring's packing. */
  private keyOf(s: Int32Array, off: number): void {
    keyOfState(this.transfer.codec, this.keyScratch, s, off, this.fp);
  }

  /** The key of a state given packed as the rings pack it, the words w[at..]. */
  private keyOfPacked(w: Int32Array, at: number): void {
    fingerprint(w, this.fp, at, this.transfer.packedWords);
  }

  /** A new state r (the words of s from off, key k0:k1): its parent, its key, its checks (those in `dirty`), its place in the next level. */
  private taken(r: number, s: Int32Array, off: number, k0: number, k1: number, pOwner: number, pLocal: number, pk0: number, pk1: number, ch: number, dirty: number): void {
    this.grow(r + 1);
    this.parentOwner[r] = pOwner < 0 ? 255 : pOwner;
    this.parentLocal[r] = pLocal;
    this.choice[r] = ch;
    const x = 2 * (r - this.levelLo);
    // each grown on its own: nextKey is swapped with curKey at every level, nextParentKey is not
    // (growing both whenever nextKey is short doubled nextParentKey level after level: 4 GB at 3x2)
    if (x + 2 > this.nextKey.length) this.nextKey = grow32(this.nextKey, x + 2);
    if (x + 2 > this.nextParentKey.length) this.nextParentKey = grow32(this.nextParentKey, x + 2);
    this.nextKey[x] = k0;
    this.nextKey[x + 1] = k1;
    this.nextParentKey[x] = pk0;
    this.nextParentKey[x + 1] = pk1;
    this.nextQueue?.push(s, off);
    const depth = pOwner < 0 ? 0 : this.depth + 1;
    // an invariant the step cannot have broken held on the parent, or the parent's violation, a level
    // less deep, is the one kept: either way this state adds nothing for it
    for (const v of this.ex.check(s, null, off, false, dirty)) this.violations.push({ ...v, depth, key0: k0, key1: k1, owner: this.init.k, local: r });
  }

  /** A state j known already: if found in this level, keep the parent with the smallest (key, step). */
  private known(j: number, pOwner: number, pLocal: number, pk0: number, pk1: number, ch: number): void {
    if (pOwner < 0 || j < this.levelLo) return;
    const x = 2 * (j - this.levelLo);
    const a0 = this.nextParentKey[x];
    const a1 = this.nextParentKey[x + 1];
    if (parentBefore(pk0, pk1, ch, a0, a1, this.choice[j])) {
      this.parentOwner[j] = pOwner;
      this.parentLocal[j] = pLocal;
      this.nextParentKey[x] = pk0;
      this.nextParentKey[x + 1] = pk1;
      this.choice[j] = ch;
    }
  }

  /** Take in what the other workers sent; returns how many rings have ended the level. */
  private drain(ended: Uint8Array): number {
    let done = 0;
    for (let from = 0; from < this.inbox.length; from++) {
      const ring = this.inbox[from];
      if (!ring) continue;
      if (ended[from]) {
        done++;
        continue;
      }
      const t = ring.published();
      const w = ring.w;
      let h = ring.head;
      const recs = this.drainRecs;
      while (h !== t) {
        // a batch of records: their positions first, then (with the full store) their states given to
        // it at once, so that the cache misses of looking them up overlap, then each taken in
        let count = 0;
        let end = false;
        while (h !== t && count < recs.length) {
          const at = ring.at(h);
          if (at < 0) {
            h = (h + ring.toEnd(h)) | 0;
            continue;
          }
          if (w[at] === END_OF_LEVEL) {
            h = (h + REC_META) | 0;
            end = true;
            break;
          }
          recs[count++] = at;
          h = (h + REC_META + (w[at + 4] === PACKED ? this.transfer.packedWords : this.words)) | 0;
        }
        const asStored = this.full !== null && this.full.codec === this.transfer.codec;
        if (asStored) {
          const offs = this.drainOffs;
          let np = 0;
          for (let c = 0; c < count; c++) if (w[recs[c] + 4] === PACKED) offs[np++] = recs[c] + REC_META;
          this.full!.preparePacked(w, offs, np);
        }
        let p = 0;
        for (let c = 0; c < count; c++) {
          const at = recs[c];
          const pLocal = w[at];
          const form = w[at + 4];
          const pk0 = w[at + 1] >>> 0;
          const pk1 = w[at + 2] >>> 0;
          const ch = w[at + 3];
          const dirty = w[at + 7];
          const rec = at + REC_META;
          this.transitions++;
          if (form === PACKED && this.full && this.full.codec === this.transfer.codec) {
            // packed as the store packs: stored as it came; unpacked only when new (to check it)
            const r = asStored ? this.full.addPackedPrepared(p++, w, rec) : this.full.addPacked(w, rec);
            if (r >= 0) {
              this.keyOfPacked(w, rec);
              this.full.get(r, this.got);
              this.taken(r, this.got, 0, this.fp[0], this.fp[1], from, pLocal, pk0, pk1, ch, dirty);
            } else this.known(~r, from, pLocal, pk0, pk1, ch);
          } else if (this.hc) {
            // the sender's fingerprint finds it; unpacked only when new
            const k0 = w[at + 5] >>> 0;
            const k1 = w[at + 6] >>> 0;
            const r = this.hc.addKey(k0, k1);
            if (r >= 0) {
              this.transfer.read(w, rec, form, this.got);
              this.taken(r, this.got, 0, k0, k1, from, pLocal, pk0, pk1, ch, dirty);
            } else this.known(~r, from, pLocal, pk0, pk1, ch);
          } else {
            if (form === PACKED && asStored) p++;
            this.transfer.read(w, rec, form, this.got);
            this.admit(this.got, 0, from, pLocal, pk0, pk1, ch, null, dirty);
          }
        }
        if (end) {
          ended[from] = 1;
          done++;
          break;
        }
      }
      if (h !== ring.head) ring.release(h);
    }
    return done;
  }

  private send(to: number, s: Int32Array, off: number, pLocal: number, pk0: number, pk1: number, ch: number, dirty: number, ended: Uint8Array): void {
    const ring = this.out[to]!;
    const most = REC_META + this.words;
    let at: number;
    // No room: take in what others sent meanwhile (they may be waiting on us), then wait a little.
    while ((at = ring.reserve(most)) < 0) {
      this.drain(ended);
      if (ring.reserve(most) < 0) ring.waitRoom();
    }
    const w = ring.w;
    w[at] = pLocal;
    w[at + 1] = pk0;
    w[at + 2] = pk1;
    w[at + 3] = ch;
    if (pLocal === END_OF_LEVEL) {
      ring.publish(REC_META);
      return;
    }
    const form = this.transfer.write(s, off, w, at + REC_META);
    w[at + 4] = form;
    w[at + 7] = dirty;
    if (this.hc) {
      fingerprint(s, this.fp, off, this.words);
      w[at + 5] = this.fp[0];
      w[at + 6] = this.fp[1];
    }
    ring.publish(REC_META + (form === PACKED ? this.transfer.packedWords : this.words));
  }

  /** Expand the current level's states this worker owns, exchange successors, and report. */
  level(depth: number, atBound: boolean): LevelReport {
    this.depth = depth;
    this.violations = [];
    const lo = this.levelLo;
    const hi = this.store.size;
    this.levelLo = hi;
    const before = this.store.size;
    const n = this.init.n;
    const me = this.init.k;
    const ended = new Uint8Array(n);
    const ex = this.ex;
    const words = this.words;
    let terminal = 0;
    let hasSuccessors = false;
    // GROUP states are expanded, their successors sent to their owners, and the ones this worker owns
    // given to its full store at once (as in the one-thread search: their cache misses overlap)
    const slots = ex.slotsPerState;
    const offs = this.groupOffs;
    const from = this.groupFrom;
    const chs = this.groupCh;
    for (let i0 = lo; i0 < hi; i0 += GROUP) {
      const g = Math.min(GROUP, hi - i0);
      let count = 0;
      for (let j = 0; j < g; j++) {
        const i = i0 + j;
        const s = this.groupParents[j];
        if (this.full) this.full.get(i, s);
        else this.queue!.get(i - lo, s);
        ex.expand(s, !atBound, false, j * slots);
        if (ex.n === 0) {
          terminal++;
          for (const v of ex.finalChecks(s, null)) this.violations.push({ ...v, depth, key0: this.curKey[2 * (i - lo)], key1: this.curKey[2 * (i - lo) + 1], owner: me, local: i });
        } else hasSuccessors = true;
        if (atBound) continue;
        for (let k = 0; k < ex.n; k++) {
          const off = (j * slots + k) * words;
          const owner = n === 1 ? 0 : this.ownerOf(ex.succ, off);
          if (owner === me) {
            offs[count] = off;
            from[count] = j;
            chs[count++] = k;
          } else this.send(owner, ex.succ, off, i, this.curKey[2 * (i - lo)], this.curKey[2 * (i - lo) + 1], k, ex.plan.changed(s, ex.succ, off), ended);
        }
      }
      if (this.full) this.full.prepare(ex.succ, offs, count);
      for (let c = 0; c < count; c++) {
        const i = i0 + from[c];
        this.transitions++;
        this.admit(ex.succ, offs[c], me, i, this.curKey[2 * (i - lo)], this.curKey[2 * (i - lo) + 1], chs[c], this.groupParents[from[c]], -1, this.full ? c : -1);
      }
      if (((i0 - lo) & 255) + g > 255) {
        this.drain(ended);
        this.counters[0] = this.store.size;
        this.counters[1] = this.transitions;
        this.counters[2] = i0 + g - lo;
        if (((i0 - lo) & 4095) + g > 4095) this.counters[3] = this.tableBytes();
      }
    }
    // Tell every other worker this level is over, then take in the rest of what they send.
    const marker = new Int32Array(words);
    for (let to = 0; to < n; to++) if (to !== me) this.send(to, marker, 0, END_OF_LEVEL, 0, 0, 0, -1, ended);
    let spins = 0;
    while (this.drain(ended) < n - 1) if (++spins > 64) Atomics.wait(this.inbox[(me + 1) % n]!.w, RING_TAIL, Atomics.load(this.inbox[(me + 1) % n]!.w, RING_TAIL), 1);
    this.nextLevel();
    this.counters[0] = this.store.size;
    this.counters[1] = this.transitions;
    this.counters[2] = 0;
    this.counters[3] = this.tableBytes();
    const added = this.store.size - before;
    // the next level, guessed from this one's growth (at least as big, at most four times)
    const next = Math.ceil(added * Math.min(4, Math.max(1, added / Math.max(1, this.lastAdded))));
    this.lastAdded = added;
    return { states: this.store.size, added, transitions: this.transitions, terminal, hasSuccessors, bytes: this.tableBytes(), growth: this.growthBytes(next), violations: this.violations };
  }

  private lastAdded = 1;
  /** a batch of records taken off a ring (drain): their positions, their packed states' */
  private readonly drainRecs = new Int32Array(64);
  private readonly drainOffs = new Int32Array(64);
  /** one group of states being expanded (level): the states; per successor kept here, its offset, its parent in the group, its step */
  private readonly groupParents: Int32Array[];
  private readonly groupOffs: Int32Array;
  private readonly groupFrom: Int32Array;
  private readonly groupCh: Int32Array;

  /** Bytes the tables would allocate to take `extra` more states in the next level. */
  private growthBytes(extra: number): number {
    const n = this.store.size;
    let b = this.store.growthBytes(extra) + doubling(this.parentLocal.length, n + extra, 6);
    b += doubling(this.nextKey.length, 2 * extra, 4) + doubling(this.nextParentKey.length, 2 * extra, 4);
    if (this.nextQueue) b += this.nextQueue.growthBytes(extra);
    return b;
  }

  private tableBytes(): number {
    let b = this.store.stats().bytes + this.parentOwner.byteLength + this.parentLocal.byteLength + this.choice.byteLength;
    b += this.curKey.byteLength + this.nextKey.byteLength + this.nextParentKey.byteLength;
    if (this.queue) b += this.queue.bytes() + this.nextQueue!.bytes();
    for (const r of this.out) if (r) b += r.buf.byteLength;
    return b;
  }

  /**
   * When a limit ends the search: the states stored but never expanded have had their invariants
   * checked; those with no step get the terminal-state checks too.
   */
  finish(): PartViolation[] {
    const out: PartViolation[] = [];
    const lo = this.levelLo;
    for (let i = lo; i < this.store.size; i++) {
      const s = this.cur;
      if (this.full) this.full.get(i, s);
      else this.queue!.get(i - lo, s);
      if (this.ex.steps(s) === 0)
        for (const v of this.ex.finalChecks(s, null)) out.push({ ...v, depth: this.depth + 1, key0: this.curKey[2 * (i - lo)], key1: this.curKey[2 * (i - lo) + 1], owner: this.init.k, local: i });
    }
    return out;
  }

  parent(local: number): { owner: number; local: number; choice: number } {
    const o = this.parentOwner[local];
    return { owner: o === 255 ? -1 : o, local: this.parentLocal[local], choice: this.choice[local] };
  }

  stats(): StoreStats {
    return this.store.stats();
  }

  answer(c: PartitionCommand): unknown {
    if (c.cmd === 'level') return this.level(c.depth, c.atBound);
    if (c.cmd === 'parent') return this.parent(c.local);
    if (c.cmd === 'finish') return this.finish();
    return this.stats();
  }
}

/** The worker threads of a partitioned search, as the coordinator sees them (pool.ts builds it). */
export interface PartitionRunner {
  n: number;
  /** per worker: states, transitions, states of the level expanded so far, table bytes (at k*4 .. k*4+3) */
  counters: Float64Array;
  call<T>(k: number, c: object): Promise<T>;
  close(): Promise<void>;
}

/**
 * The key of a state (into fp), with the full store: the 64-bit fingerprint of the state packed in
 * `codec` (the packing the sample walk settles, the same in every worker and, in the partitioned
 * search, the rings'; a fifth of the words), or of its words if that packing does not fit it. So
 * the key is a function of the state alone. It orders parents and violations; two states with one
 * key (about 2^-64 a pair) could only make that order depend on timing, never lose a state: the
 * stores compare the states themselves. (A state given already packed in `codec` has the
 * fingerprint of those words as its key.)
 */
export function keyOfState(codec: StateCodec, sc: Scratch, s: Int32Array, off: number, fp: Uint32Array): void {
  if (codec.encode(s, sc.i32, off)) fingerprint(sc.i32, fp, 0, codec.stride >>> 2);
  else {
    fingerprint(s, fp, off, codec.words);
    // kept apart from the packed keys' space
    fp[0] = ~fp[0] >>> 0;
  }
}

/** Is a parent with key pk0:pk1 by step ch ahead of the one kept, a0:a1 by step c? (Parents are kept smallest first.) */
export function parentBefore(pk0: number, pk1: number, ch: number, a0: number, a1: number, c: number): boolean {
  return pk0 < a0 || (pk0 === a0 && (pk1 < a1 || (pk1 === a1 && ch < c)));
}

/** The shared memory a partitioned search on n workers needs. */
export function partitionMemory(n: number): { rings: (SharedArrayBuffer | null)[][]; counters: SharedArrayBuffer } {
  const rings = Array.from({ length: n }, (_, from) => Array.from({ length: n }, (_, to) => (from === to ? null : new SharedArrayBuffer(Ring.bytes()))));
  return { rings, counters: new SharedArrayBuffer(n * 32) };
}

function grow32(a: Uint32Array<ArrayBuffer>, need: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(Math.max(need, 2 * a.length));
  b.set(a);
  return b;
}

const before = (a: PartViolation, b: PartViolation) => a.depth < b.depth || (a.depth === b.depth && (a.key0 < b.key0 || (a.key0 === b.key0 && a.key1 < b.key1)));

/**
 * Run the exhaustive search partitioned over worker threads (started by `start` once the options are
 * known to be sound, and closed at the end); the summary is shaped as exhaustive()'s.
 */
export async function partitionedExhaustive(opts: ExhaustiveOptions, start: () => Promise<PartitionRunner>): Promise<ExhaustiveSummary> {
  checkCombination(opts);
  if (!partitionable(opts)) throw new Error('internal: this search cannot run partitioned');
  const t0 = performance.now();
  // Built here first: a configuration the reductions refuse outright is refused before any thread
  // starts (a symmetry a worker finds not to hold comes back from it as the same SymmetryError).
  const ex = new Expander({ cfg: opts.cfg, props: opts.props.map((p) => p.name), symmetry: [...opts.symmetry], por: false }, (n) => opts.props.find((p) => p.name === n)!);
  const runner = await start();
  try {
    return await searchParts(opts, ex, runner, t0);
  } finally {
    await runner.close();
  }
}

/**
 * What differs between the searches on worker threads that searchParts drives: the command that
 * starts a level, and what a level's reports can say besides states and violations (a search may
 * stop at its memory limit there, or throw to be started again).
 */
export interface PartsDriver {
  level(depth: number, atBound: boolean): object;
  took(reps: LevelReport[]): 'max-memory' | null;
  /** after took() said 'max-memory': when it was a reservation of the driver's own and not --max-memory, which (ExhaustiveSummary.limitWhy) */
  why?: string | null;
  /** false: the workers keep no parents, so a violation cannot be traced back and ends the search with a ParentsRestart */
  parents?: boolean;
}

/** A violation a search keeping no parents found: where, and when. */
export interface FoundWithoutParents {
  property: string;
  clause: string;
  message: string;
  depth: number;
  atStates: number;
  atS: number;
}

/** A search keeping no parents found a violation: it starts again keeping them (shared.ts). */
export class ParentsRestart extends Error {
  readonly properties: string[];
  readonly depth: number;
  constructor(
    readonly found: FoundWithoutParents[],
    readonly states: number,
    /** the search's seconds until then */
    readonly elapsedS: number,
  ) {
    super(`${found.map((f) => f.property).join(', ')} violated without parents kept: starting again with them`);
    this.properties = found.map((f) => f.property);
    this.depth = Math.min(...found.map((f) => f.depth));
  }
}

const partitionDriver: PartsDriver = { level: (depth, atBound) => ({ cmd: 'level', depth, atBound }), took: () => null };

const restartFor = (found: Map<string, PartViolation & { atStates: number; atS: number }>, states: number, elapsedS: number) =>
  new ParentsRestart(
    [...found.values()].map((v) => ({ property: v.property, clause: v.broken.clause, message: v.broken.message, depth: v.depth, atStates: v.atStates, atS: v.atS })),
    states,
    elapsedS,
  );

/**
 * The level-by-level search over the runner's workers, partitioned or shared (`driver`). `spentS`:
 * search seconds of an earlier attempt this one repeats (a ParentsRestart), counted in its times.
 */
export async function searchParts(opts: ExhaustiveOptions, ex: Expander, runner: PartitionRunner, t0: number, driver: PartsDriver = partitionDriver, spentS = 0): Promise<ExhaustiveSummary> {
  const sys = ex.sys;
  const started = performance.now() - spentS * 1000;
  const elapsedS = () => (performance.now() - started) / 1000;
  const found = new Map<string, PartViolation & { atStates: number; atS: number }>();
  let states = 0;
  let transitions = 0;
  let terminal = 0;
  let depthReached = 0;
  let fullDepth = 0;
  let limit: ExhaustiveSummary['limit'] = null;
  let tableBytes = 0;
  const take = (vs: PartViolation[], atStates: number) => {
    for (const v of vs) {
      const old = found.get(v.property);
      if (!old || before(v, old)) found.set(v.property, { ...v, atStates: old?.atStates ?? atStates, atS: old?.atS ?? elapsedS() });
    }
  };
  let depth = 0;
  /** states of the level being expanded (level 0: the initial state) */
  let levelStates = 1;
  const timer = opts.onProgress
    ? setInterval(() => {
        let st = 0;
        let tr = 0;
        let done = 0;
        let bytes = 0;
        for (let k = 0; k < runner.n; k++) {
          st += runner.counters[4 * k];
          tr += runner.counters[4 * k + 1];
          done += runner.counters[4 * k + 2];
          bytes += runner.counters[4 * k + 3];
        }
        // queued: the level's states not expanded yet, and the next level's found so far
        opts.onProgress!({ states: st, transitions: tr, depth, queued: Math.max(0, levelStates - done) + Math.max(0, st - states), elapsedS: elapsedS(), violated: [...found.keys()], tableBytes: bytes });
      }, 500)
    : null;
  try {
    // Level 0 is the initial state, taken in by its owner when the workers started.
    for (depth = 0; ; depth++) {
      const atBound = opts.maxDepth !== null && depth >= opts.maxDepth;
      const command = driver.level(depth, atBound);
      const reps = await Promise.all(Array.from({ length: runner.n }, (_, k) => runner.call<LevelReport>(k, command)));
      const stop = driver.took(reps);
      const added = reps.reduce((a, r) => a + r.added, 0);
      states = reps.reduce((a, r) => a + r.states, 0);
      transitions = reps.reduce((a, r) => a + r.transitions, 0);
      terminal += reps.reduce((a, r) => a + r.terminal, 0);
      tableBytes = reps.reduce((a, r) => a + r.bytes, 0);
      take(
        reps.flatMap((r) => r.violations),
        states,
      );
      if (driver.parents === false && found.size) throw restartFor(found, states, elapsedS());
      fullDepth = depth;
      if (added > 0) depthReached = depth + 1;
      if (stop) {
        // the level is not whole: it counts as not reached
        fullDepth = Math.max(0, depth - 1);
        limit = stop;
        break;
      }
      if (atBound) {
        if (reps.some((r) => r.hasSuccessors)) limit = 'max-depth';
        break;
      }
      if (added === 0) break;
      levelStates = added;
      const allFound = opts.props.every((p) => found.has(p.name));
      if (opts.stopAtFirst && found.size) {
        limit = 'stopped-at-first';
        break;
      }
      if (allFound) break;
      if (states >= opts.maxStates) {
        limit = 'max-states';
        break;
      }
      // judged with the growth the next level would bring, so that a table doubling in it cannot pass the limit
      if (opts.maxBytes !== undefined && tableBytes + reps.reduce((a, r) => a + r.growth, 0) >= opts.maxBytes) {
        limit = 'max-memory';
        break;
      }
    }
    if (limit === 'max-states' || limit === 'max-memory' || limit === 'stopped-at-first') {
      const fin = await Promise.all(Array.from({ length: runner.n }, (_, k) => runner.call<PartViolation[]>(k, { cmd: 'finish' })));
      take(fin.flat(), states);
      if (driver.parents === false && found.size) throw restartFor(found, states, elapsedS());
    }
  } finally {
    if (timer) clearInterval(timer);
  }
  const timeS = elapsedS();
  // The paths of the counterexamples: step numbers from the initial state, read back from the owners.
  const paths = new Map<string, number[]>();
  for (const [name, v] of found) {
    const steps: number[] = [];
    let at = { owner: v.owner, local: v.local };
    for (;;) {
      const p = await runner.call<{ owner: number; local: number; choice: number }>(at.owner, { cmd: 'parent', local: at.local });
      if (p.owner < 0) break;
      steps.push(p.choice);
      at = { owner: p.owner, local: p.local };
    }
    paths.set(name, steps.reverse());
  }
  const stats = await Promise.all(Array.from({ length: runner.n }, (_, k) => runner.call<StoreStats>(k, { cmd: 'stats' })));
  const witnesses: Witnesses = {
    sys,
    ex,
    canonicalPath: (name) => ex.pathOfSteps(paths.get(String(name))!),
  };
  const store: StoreStats = {
    kind: stats[0].kind,
    states,
    bytes: stats.reduce((a, s) => a + s.bytes, 0),
    bytesPerState: Math.max(...stats.map((s) => s.bytesPerState)),
    widenings: stats.reduce((a, s) => a + s.widenings, 0),
    omission: stats[0].omission.kind === 'probability-any-missed' ? { kind: 'probability-any-missed', value: (states * (states - 1)) / 2 ** 65 } : stats[0].omission,
  };
  const results = opts.props.map((p) => {
    const f = found.get(p.name);
    const base = { property: p.name };
    if (!f) return { ...base, status: 'holds' as const, clause: null, message: null, trace: null, traceSteps: null, foundAfterStates: null, foundAfterS: null };
    const t = counterexampleOf(witnesses, p, p.name, f.kind, f.broken, opts);
    return { ...base, status: 'violated' as const, clause: t.clause, message: t.message, trace: t.path, traceSteps: t.steps, foundAfterStates: f.atStates, foundAfterS: Number(f.atS.toFixed(3)) };
  });
  return finishSummary(opts, {
    results,
    limit,
    limitWhy: limit === 'max-memory' ? (driver.why ?? null) : null,
    states,
    transitions,
    depth: depthReached,
    fullDepth,
    terminalStates: terminal,
    timeS,
    setupS: (started - t0) / 1000,
    tableBytes,
    store,
    symmetry: ex.sym ? ex.sym.describe() : [],
    porReduced: 0,
    cycles: null,
    shard: null,
  });
}
