/**
 * Interleaving coverage: a cheap signature for every step a run takes, so that the search can tell
 * which runs did something new.
 *
 * A step's signature combines the machine transition it took (actor's component, source state,
 * event, branch: symmetric actors share it) with the pattern of shared words it changed: for each
 * such word, the word, how it changed (incremented, decremented, cleared, set to nil, or the
 * highest bit that flipped) and which transition last changed it in this run. The last part is what
 * makes it interleaving coverage rather than branch coverage: a CAS that overwrites what another
 * actor's step wrote, or a flag set again after the wake-up handler cleared it, is a new pair.
 * Values themselves are left out, since stamps and results grow with every run and every run
 * would otherwise look new. Shared words are those of model/kit/footprint.ts's regions other than an
 * actor's own registers and the properties' ghosts, so the signature needs nothing specific to a
 * layer: only the system's layout, the step and the states around it.
 */
import type { Branch } from '../../../../model/kit/kit.ts';
import { regionMap } from '../../../../model/kit/footprint.ts';
import { perShape, type System } from '../../../../model/kit/system.ts';
import { clockWords } from '../posix-stats.ts';

/** The words of the state that actors share (everything but registers, control words and ghosts). */
export const sharedWords: (sys: System) => Int32Array = perShape((sys) =>
  Int32Array.from(
    regionMap(sys)
      .map((r, i) => (r.kind === 'actor' || r.kind === 'ghost' ? -1 : i))
      .filter((i) => i >= 0),
  ),
);

/** The shared words as one byte per word (1: shared). */
const sharedMask = perShape((sys) => {
  const m = new Uint8Array(sys.init.length);
  for (const w of sharedWords(sys)) m[w] = 1;
  return m;
});

/** The words the distinct-state hash takes (1): all but the POSIX layer's history clock (posix-stats.ts). */
const hashedWords = perShape((sys) => {
  const h = new Uint8Array(sys.init.length).fill(1);
  if (sys.L.posix) for (const w of clockWords(sys.L.posix)) h[w] = 0;
  return h;
});

/** The two 32-bit lanes word `i` holding `v` adds to the distinct-state hash (murmur3's finaliser, two seeds). */
function lane1(i: number, v: number): number {
  let x = Math.imul(i + 1, 0x9e3779b1) ^ v;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}
function lane2(i: number, v: number): number {
  let x = Math.imul(i + 1, 0x632be5ab) ^ Math.imul(v, 0x27d4eb2f);
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
  x = Math.imul(x ^ (x >>> 12), 0x297a2d39);
  return x ^ (x >>> 15);
}

/** A state's 53-bit distinct-state hash from scratch: the XOR over its hashed words of their lanes. */
export function zobristHash(sys: System, s: Int32Array): number {
  const hashed = hashedWords(sys);
  let h1 = 0;
  let h2 = 0;
  for (let i = 0; i < s.length; i++) {
    if (hashed[i] === 0) continue;
    h1 ^= lane1(i, s[i]);
    h2 ^= lane2(i, s[i]);
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

/** How a word changed, in a few classes that do not grow with the values. */
function delta(a: number, b: number): number {
  if (b === a + 1) return 1;
  if (b === a - 1) return 2;
  if (b === 0) return 3;
  if (b === -1) return 4;
  return 5 + Math.clz32(a ^ b);
}

/**
 * The words in which two states of one length differ, in increasing order, into `diff`; returns how
 * many. A step changes a few words of thousands in the composed system, so the states are compared
 * two words at a time through 64-bit views of them (`vb`, `va`: their whole pairs of words, or null
 * when a state does not start on 8 bytes), about twice as fast as one at a time; single words are
 * looked at only in pairs that differ, and in the last word of an odd length.
 */
export function differingWords(before: Int32Array, after: Int32Array, vb: BigInt64Array | null, va: BigInt64Array | null, diff: Int32Array): number {
  const n = after.length;
  let k = 0;
  let w = 0;
  if (vb !== null && va !== null) {
    const m = n >> 1;
    for (let j = 0; j < m; j++) {
      if (vb[j] === va[j]) continue;
      const x = 2 * j;
      if (before[x] !== after[x]) diff[k++] = x;
      if (before[x + 1] !== after[x + 1]) diff[k++] = x + 1;
    }
    w = 2 * m;
  }
  for (; w < n; w++) if (before[w] !== after[w]) diff[k++] = w;
  return k;
}

/**
 * Signatures of runs' steps, against everything seen before in this campaign, per strategy (a
 * strategy is a small number, a bit of each signature's mask). Runs may be of different systems
 * (swarm narrows the configuration, the POSIX layer builds one per program): the transitions are
 * numbered the same in all of them, the words are the run's own.
 */
export class StepCoverage {
  /** per word: 1 if actors share it (the signature looks at it) */
  private shared: Uint8Array = new Uint8Array(0);
  /** per word: 1 if the distinct-state hash takes it */
  private hashed: Uint8Array = new Uint8Array(0);
  /**
   * The distinct-state hash of the run's current state, kept up to date on the same pass over the
   * step as the signature: the XOR over the hashed words of a mix of (word, value) (Zobrist's scheme),
   * so a step changes it only where it changed a word. `zobristHash` computes it from scratch.
   */
  private h1 = 0;
  private h2 = 0;
  /** keep the distinct-state hash up to date (off once the count is capped: nothing reads it then) */
  hashing = true;
  private lastWriter: Int32Array = new Int32Array(0);
  private bit = 1;
  /** every signature seen so far (up to the cap), with the strategies that reached it as a bit mask */
  readonly seen = new SignatureMasks();
  /** signatures reached, per strategy */
  readonly reached: number[];
  /** signatures the current run was the first of any strategy to reach */
  fresh = 0;

  constructor(
    strategies: number,
    private readonly cap: number,
  ) {
    this.reached = new Array(strategies).fill(0);
  }

  /** Start counting a run of `sys` from its first state `s`. */
  startRun(sys: System, strategy: number, s: Int32Array): void {
    this.shared = sharedMask(sys);
    this.hashed = hashedWords(sys);
    // the lanes are bitwise, so the 53-bit hash holds all of them that matter: the first whole, the
    // second's low 21 bits
    const z = zobristHash(sys, s);
    this.h1 = Math.floor(z / 0x200000) | 0;
    this.h2 = z % 0x200000;
    if (this.lastWriter.length !== sys.init.length) this.lastWriter = new Int32Array(sys.init.length);
    else this.lastWriter.fill(0);
    this.bit = 1 << strategy;
    this.fresh = 0;
  }

  /** Count a step, given the states before and after it; returns its signature. */
  step(branch: Branch, before: Int32Array, after: Int32Array): number {
    const id = branch.id + 1;
    let h = Math.imul(id, 0x9e3779b1);
    const shared = this.shared;
    const hashed = this.hashed;
    const hashing = this.hashing;
    const last = this.lastWriter;
    let h1 = this.h1;
    let h2 = this.h2;
    const changed = this.differ(before, after);
    const diff = this.diff;
    for (let k = 0; k < changed; k++) {
      const w = diff[k];
      const a = before[w];
      const b = after[w];
      if (hashing && hashed[w] === 1) {
        h1 ^= lane1(w, a) ^ lane1(w, b);
        h2 ^= lane2(w, a) ^ lane2(w, b);
      }
      if (shared[w] === 0) continue;
      h = Math.imul(h ^ w, 0x01000193);
      h = Math.imul(h ^ delta(a, b), 0x85ebca6b);
      h = Math.imul(h ^ last[w], 0xc2b2ae35);
      last[w] = id;
    }
    this.h1 = h1;
    this.h2 = h2;
    // 30 bits: a signature + 1 fits the table's Int32 key word
    const sig = (h ^ (h >>> 15)) & 0x3fffffff;
    const seen = this.seen;
    const at = seen.find(sig);
    if (seen.maskAt(at) === 0) {
      if (seen.size < this.cap) {
        seen.insert(at, sig, this.bit);
        this.reached[31 - Math.clz32(this.bit)]++;
        this.fresh++;
      }
    } else if ((seen.maskAt(at) & this.bit) === 0) {
      seen.orAt(at, this.bit);
      this.reached[31 - Math.clz32(this.bit)]++;
    }
    return sig;
  }

  /** the words the last `differ` found changed, in increasing order */
  private diff = new Int32Array(64);
  /** 64-bit views of the last two state arrays seen (a run's steps alternate between two buffers) */
  private wideOf: [Int32Array | null, BigInt64Array | null, Int32Array | null, BigInt64Array | null] = [null, null, null, null];

  /** A 64-bit view of a state's whole pairs of words, or null if it does not start on 8 bytes. */
  private wide(a: Int32Array): BigInt64Array | null {
    const c = this.wideOf;
    if (c[0] === a) return c[1];
    if (c[2] === a) return c[3];
    const v = a.byteOffset % 8 === 0 ? new BigInt64Array(a.buffer, a.byteOffset, a.length >> 1) : null;
    c[2] = c[0];
    c[3] = c[1];
    c[0] = a;
    c[1] = v;
    return v;
  }

  /** The words in which two states differ, into `diff`; returns how many. */
  private differ(before: Int32Array, after: Int32Array): number {
    if (this.diff.length < after.length) this.diff = new Int32Array(after.length);
    return differingWords(before, after, this.wide(before), this.wide(after), this.diff);
  }

  /** The distinct-state hash of the state the last step reached (or the run's first state), in [0, 2^53). */
  stateHash(): number {
    return (this.h1 >>> 0) * 0x200000 + ((this.h2 >>> 0) & 0x1fffff);
  }

  /** The signatures each strategy reached (for merging batches). */
  sets(): number[][] {
    const out = this.reached.map(() => [] as number[]);
    for (const [sig, mask] of this.seen.entries()) for (let i = 0; i < out.length; i++) if (mask & (1 << i)) out[i].push(sig);
    return out;
  }
}

/**
 * Signatures (30-bit integers) with a non-zero mask each, in one Int32Array of (signature + 1, mask)
 * pairs, open addressing with linear probing, and the signatures in the order first added. A
 * `Map<number, number>` did the same, and its lookup was a twentieth of a random run's time.
 */
export class SignatureMasks {
  private table = new Int32Array(2 << 12);
  private mask = (1 << 12) - 1;
  private order = new Int32Array(1 << 12);
  size = 0;

  /** The slot of sig: where it is, or the empty slot where it would go. */
  find(sig: number): number {
    const t = this.table;
    const mask = this.mask;
    // the signatures are hashes already: their low bits are spread
    let j = sig & mask;
    for (;;) {
      const k = t[2 * j];
      if (k === 0 || k === sig + 1) return j;
      j = (j + 1) & mask;
    }
  }

  /** The mask at slot j (0: the slot is empty). */
  maskAt(j: number): number {
    return this.table[2 * j + 1];
  }

  orAt(j: number, bits: number): void {
    this.table[2 * j + 1] |= bits;
  }

  /** Put sig with mask bits (not 0) into the empty slot j that find(sig) gave. */
  insert(j: number, sig: number, bits: number): void {
    this.table[2 * j] = sig + 1;
    this.table[2 * j + 1] = bits;
    if (this.size === this.order.length) {
      const more = new Int32Array(this.order.length * 2);
      more.set(this.order);
      this.order = more;
    }
    this.order[this.size++] = sig;
    if (this.size * 2 > this.mask + 1) this.grow();
  }

  get(sig: number): number | undefined {
    const m = this.maskAt(this.find(sig));
    return m === 0 ? undefined : m;
  }

  /** (signature, mask) in the order the signatures were first added. */
  *entries(): IterableIterator<[number, number]> {
    for (let i = 0; i < this.size; i++) yield [this.order[i], this.get(this.order[i])!];
  }

  private grow(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let j = 0; j < old.length; j += 2)
      if (old[j] !== 0) {
        const at = this.find(old[j] - 1);
        this.table[2 * at] = old[j];
        this.table[2 * at + 1] = old[j + 1];
      }
  }
}
