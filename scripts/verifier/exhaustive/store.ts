/**
 * The visited set of the exhaustive search, in three forms that trade memory for certainty.
 *
 * - `full`: every state is kept, so membership is exact. A state is stored packed (StateCodec): the
 *   words that never changed are left out and each other word is a bit field as wide as its values
 *   need, or its value's place in the list of its few values (about half the words of a dispatch
 *   state never change, and most others hold indices, control states and small stamps: 3x2x2x2 packs
 *   into 6 words, not 117). The stored states double as the breadth-first queue: state i is the
 *   i-th state found.
 * - `hashcompact`: only a 64-bit fingerprint of each state is kept (8 bytes a state instead of the
 *   packed state). Two different states with the same fingerprint are taken to be one, so a state
 *   can be missed; the probability that any state was missed is at most n(n-1)/2^65 for n states,
 *   and the summary prints it.
 * - `bitstate`: a bit array of 2^k bits, each state setting 3 bits (Holzmann's supertrace). The least
 *   memory, the most omissions; the summary prints the expected number of states missed.
 *
 * Every form numbers the states it takes in, in order, so the search can keep a parent index per
 * state (for the shortest counterexample) whatever the form.
 */
import { Names } from '../../../model/kit/compiled.ts';

const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;

/** Widest field packed beside others; a value that needs more takes a whole word. */
const MAX_FIELD_BITS = 24;
/**
 * Narrowest field: -1..2 always fit, so an index register seen only at "none" and 0 in the sample
 * walk does not widen the packing when it first holds 1 (at the anchor sizes the packed states are
 * as long either way: the fields leave that much room in their words).
 */
const MIN_FIELD_BITS = 2;

/**
 * The bits a field needs for value v: v + 1 is stored (so that -1, the model's "none", is 0); a
 * value below -1 or too wide for MAX_FIELD_BITS takes 32 bits, stored as it is.
 */
const fit = (v: number) => {
  if (v < -1) return 32;
  const need = Math.max(MIN_FIELD_BITS, 32 - Math.clz32(v + 1));
  return need > MAX_FIELD_BITS ? 32 : need;
};

/** A word of a state that does not fit a packing: its value and its field's bits (0: a word constant until then). */
export interface Misfit {
  word: number;
  value: number;
  bits: number;
}

/**
 * The lookup table of a value-coded field with the sorted values `list`: one entry per value of
 * its range (a power of two of them), the value's index + 1, or 0 for a value not in the list.
 */
function codeTable(list: Int32Array): Int8Array {
  const span = list[list.length - 1] - list[0] + 1;
  const t = new Int8Array(2 ** (32 - Math.clz32(span - 1)) || 1);
  list.forEach((v, k) => (t[v - list[0]] = k + 1));
  return t;
}

/** Does the sorted list hold v? */
function sortedHas(list: Int32Array, v: number): boolean {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length && list[lo] === v;
}

/** A new sorted list: list with v added. */
function sortedWith(list: Int32Array, v: number): Int32Array {
  const out = new Int32Array(list.length + 1);
  let k = 0;
  while (k < list.length && list[k] < v) out[k] = list[k++];
  out[k] = v;
  out.set(list.subarray(k), k + 1);
  return out;
}

/** Distinct values a word's field keeps a list of: beyond this it is a plain field. */
const MAX_CODED = 64;
/** Widest range of values a value-coded field looks up in a table (one byte an entry). */
const MAX_CODED_SPAN = 4096;

/**
 * The bits the codes 0 .. m-1 of a value-coded field need: no room is left for more, as a plain
 * field's MIN_FIELD_BITS leaves, since any value not in the list does not fit anyway (a ghost
 * variable holding 0 or a call's result takes one bit).
 */
const codeBits = (m: number) => Math.max(1, 32 - Math.clz32(Math.max(1, m - 1)));

/**
 * How a state is packed: words equal to their value in the first state are left out until they
 * first change; each other word is a bit field as wide as the values seen so far need
 * (or a whole 32-bit word for a value beyond that), and the fields are laid into 32-bit words widest
 * first, a field never crossing a word. A word that has taken few values spread over a wide range
 * (a call's argument or result: 0 or 1000 + its number; a stamp) is value-coded instead: its field
 * holds the value's place in the sorted list of the values seen, when that saves at least 2 bits.
 * Which form a word takes depends only on the set of values seen, not on their order. When a state
 * does not fit (a constant word changed, a value outgrew its field or is not in its list) the owner
 * re-packs everything with a wider layout (`widenFor`); this happens a few dozen times early in a
 * search and rarely after.
 */
export class StateCodec {
  readonly words: number;
  readonly base: Int32Array;
  /** per word: 0 constant (equal to base), else its field width in bits (32: the word as it is; a value-coded word: its codes' bits) */
  readonly kind: Uint8Array;
  /** per word: the width a plain field needs for every value seen (0: constant) */
  private readonly wide: Uint8Array;
  /** per word: the values seen, sorted (null: more than MAX_CODED) */
  private readonly seen: (Int32Array | null)[];
  /** per word: its value list if it is value-coded (the field holds the value's index), else null */
  readonly coded: (Int32Array | null)[];
  /** the words still equal to base in every state seen */
  private cz = new Int32Array(0);
  /** field j: state word fWord[j], in packed word fAt[j] from bit fShift[j], fBits[j] bits wide */
  private fWord = new Int32Array(0);
  private fAt = new Int32Array(0);
  private fShift = new Int32Array(0);
  private fBits = new Int32Array(0);
  /** bytes a packed state takes (whole words) */
  stride = 4;

  /** value-coded fields are allowed (a packing that is widened state by state, as a queue's, does without) */
  private readonly coding: boolean;

  /**
   * A packing for states like base; `like`: start from that codec's layout (a copy, widened
   * independently). `coding` false: plain fields only (a codec widened state by state, with no sample
   * to settle on, would re-pack for every new value of a value-coded word).
   */
  constructor(base: Int32Array, like?: StateCodec, coding = like?.coding ?? true) {
    this.coding = coding;
    this.words = base.length;
    this.base = base.slice();
    this.kind = like ? like.kind.slice() : new Uint8Array(base.length);
    this.wide = like ? like.wide.slice() : new Uint8Array(base.length);
    this.seen = like ? like.seen.slice() : Array.from({ length: base.length }, (_, i) => Int32Array.of(base[i]));
    this.coded = like ? like.coded.slice() : new Array<Int32Array | null>(base.length).fill(null);
    this.relayout();
  }

  /** Is o's layout this one's (the same fields, widths and value lists)? */
  sameLayout(o: StateCodec): boolean {
    const same = (a: Int32Array | null, b: Int32Array | null) => a === b || (a !== null && b !== null && a.length === b.length && a.every((x, i) => x === b[i]));
    return this.kind.every((k, i) => k === o.kind[i] && same(this.coded[i], o.coded[i]));
  }

  private relayout(): void {
    const all = Array.from({ length: this.words }, (_, i) => i);
    this.cz = Int32Array.from(all.filter((i) => this.kind[i] === 0));
    // widest first, then by word; each field into the first packed word with room for it
    const fields = all.filter((i) => this.kind[i] > 0).sort((a, b) => this.kind[b] - this.kind[a] || a - b);
    const used: number[] = [];
    const n = fields.length;
    this.fWord = Int32Array.from(fields);
    this.fAt = new Int32Array(n);
    this.fShift = new Int32Array(n);
    this.fBits = new Int32Array(n);
    fields.forEach((i, j) => {
      const bits = this.kind[i];
      let q = used.findIndex((u) => u + bits <= 32);
      if (q < 0) q = used.push(0) - 1;
      this.fAt[j] = q;
      this.fShift[j] = used[q];
      this.fBits[j] = bits;
      used[q] += bits;
    });
    this.stride = Math.max(1, used.length) * 4;
    this.generate();
  }

  /** Encode s into i32 (stride/4 words). False: s does not fit, call widenFor(s). */
  encode(s: Int32Array, i32: Int32Array, off = 0): boolean {
    return this.encodeFn(s, i32, off) >= 0;
  }

  /** As encode() into i32 (stride/4 words), returning the packed words' hash (`hashWords`), or -1 if s does not fit. */
  encodeHash(s: Int32Array, i32: Int32Array, off = 0): number {
    return this.encodeFn(s, i32, off);
  }

  /** Are the packed states a[at..] and b[bt..] (stride/4 words each) equal? */
  equal(a: Int32Array, at: number, b: Int32Array, bt: number): boolean {
    return this.equalFn(a, at, b, bt);
  }

  /**
   * The packing as straight-line code, generated for this layout (word indices, constant values and
   * field positions folded in): no index arrays are read per state. Generated again on every relayout;
   * `encodeLoop`/`decodeLoop` are the same packing written as loops, and a test checks both agree.
   */
  private encodeFn: (s: Int32Array, i32: Int32Array, off: number) => number = () => -1;
  private equalFn: (a: Int32Array, at: number, b: Int32Array, bt: number) => boolean = () => false;
  private decodeFn: (w: Int32Array, at: number, out: Int32Array) => void = () => {};

  private generate(): void {
    // Each packed word is put together from its fields in a register and stored whole, then hashed.
    // Whether s fits is gathered without branches: `bad` collects the bits by which a constant word
    // differs from its value and the bits a field's value has beyond its width.
    // four accumulators, taken in turn, so that the ORs are not one chain of dependent instructions
    const e: string[] = ['let bad0 = 0, bad1 = 0, bad2 = 0, bad3 = 0;'];
    let acc = 0;
    const bad = () => `bad${acc++ & 3}`;
    for (const i of this.cz) e.push(this.base[i] === 0 ? `${bad()} |= s[off + ${i}];` : `${bad()} |= s[off + ${i}] ^ ${this.base[i]};`);
    const words = this.stride >>> 2;
    const parts: string[][] = Array.from({ length: words }, () => []);
    const fields: string[][] = Array.from({ length: words }, () => []);
    // the value-coded words' lookup tables (T0, T1...) and value lists (D0, D1...), bound as parameters
    const tables = new Names<Int8Array>('T');
    const lists = new Names<Int32Array>('D');
    this.fWord.forEach((i, j) => {
      const q = this.fAt[j];
      const sh = this.fShift[j];
      const bits = this.fBits[j];
      if (bits === 32) {
        parts[q].push(`s[off + ${i}]`);
        fields[q].push(`out[${i}] = x;`);
        return;
      }
      const field = sh ? `((x >>> ${sh}) & ${2 ** bits - 1})` : `(x & ${2 ** bits - 1})`;
      const list = this.coded[i];
      if (list) {
        // the value's index from a table over its range (entry: index + 1, 0 for a value not in
        // the list); a value outside the range sets bits of `bad`, and is looked up masked
        const t = codeTable(list);
        const rb = 31 - Math.clz32(t.length);
        const b = bad();
        e.push(`const d${i} = s[off + ${i}] - ${list[0]}; ${b} |= d${i} >>> ${rb}; const v${i} = ${tables.of(t)}[d${i} & ${t.length - 1}] - 1; ${b} |= v${i} >>> ${bits};`);
        fields[q].push(`out[${i}] = ${lists.of(list)}[${field}];`);
      } else {
        e.push(`const v${i} = s[off + ${i}] + 1; ${bad()} |= v${i} >>> ${bits};`);
        fields[q].push(`out[${i}] = ${field} - 1;`);
      }
      parts[q].push(sh ? `(v${i} << ${sh})` : `v${i}`);
    });
    e.push('if ((bad0 | bad1 | bad2 | bad3) !== 0) return -1;');
    e.push(`let a = ${HASH_A ^ words}, b = ${HASH_B}, x = 0;`);
    parts.forEach((p, q) => {
      e.push(`x = ${p.length ? p.join(' | ') : '0'}; i32[${q}] = x;`);
      e.push(q % 2 === 0 ? 'a = Math.imul(a ^ x, 0x01000193); a ^= a >>> 15;' : 'b = Math.imul(b ^ x, 0x01000193); b ^= b >>> 15;');
    });
    e.push('return mixHash(a, b);');
    // named, so that a profile tells them apart
    this.encodeFn = new Function('mixHash', ...tables.names, `return function packedEncodeHash(s, i32, off) {\n${e.join('\n')}\n};`)(mixHash, ...tables.values) as typeof this.encodeFn;
    const eq = parts.map((_, q) => `a[at + ${q}] === b[bt + ${q}]`);
    this.equalFn = new Function(`return function packedEqual(a, at, b, bt) {\nreturn ${eq.join(' && ')};\n};`)() as typeof this.equalFn;
    // unpacking: one load a packed word, its fields taken out by shifts
    const dw: string[] = ['out.set(base);', 'let x = 0;'];
    fields.forEach((f, q) => {
      if (f.length) dw.push(`x = w[at + ${q}];`, ...f);
    });
    this.decodeFn = new Function('base', ...lists.names, `return function packedDecode(w, at, out) {\n${dw.join('\n')}\n};`)(this.base, ...lists.values) as typeof this.decodeFn;
  }

  /** The packing as loops over the field lists (the reference for the generated code): i32 gets stride/4 words. */
  encodeLoop(s: Int32Array, i32: Int32Array, off = 0): boolean {
    const base = this.base;
    const cz = this.cz;
    for (let j = 0; j < cz.length; j++) {
      const i = cz[j];
      if (s[off + i] !== base[i]) return false;
    }
    i32.fill(0, 0, this.stride >>> 2);
    for (let j = 0; j < this.fWord.length; j++) {
      const v = s[off + this.fWord[j]];
      const bits = this.fBits[j];
      if (bits === 32) {
        i32[this.fAt[j]] = v;
        continue;
      }
      const list = this.coded[this.fWord[j]];
      const x = list ? list.indexOf(v) : v + 1;
      if (x < 0 || x >= 2 ** bits || (!list && v < -1)) return false;
      i32[this.fAt[j]] |= x << this.fShift[j];
    }
    return true;
  }

  /** The words of s[off..] that do not fit this packing: each with its value and its field's bits (0: a constant word). */
  misfits(s: Int32Array, off = 0): Misfit[] {
    const out: Misfit[] = [];
    for (let i = 0; i < this.words; i++) {
      const v = s[off + i];
      const k = this.kind[i];
      const list = this.coded[i];
      if (k === 0 ? v !== this.base[i] : list ? !list.includes(v) : fit(v) > k) out.push({ word: i, value: v, bits: k });
    }
    return out;
  }

  /** Widen the layout so that s fits (the caller then re-packs what it holds). */
  widenFor(s: Int32Array, off = 0): void {
    if (this.widenKinds([s], off)) this.relayout();
  }

  /**
   * Widen the layout so that every state of `samples` fits, with one relayout at the end instead of
   * one per state that widened something (each generates the packing code again). The layout
   * depends on the set of values the states bring, not on their order: a word is value-coded or not
   * on all of them at once. (Widening for the states one at a time can give another layout: a word
   * made plain stays plain, since the values it then took are not kept.)
   */
  widenForAll(samples: Iterable<Int32Array>): void {
    if (this.widenKinds(samples, 0)) this.relayout();
  }

  /** Take in the values of the states: raise the field widths, extend the value lists; true if the layout changed. */
  private widenKinds(states: Iterable<Int32Array>, off: number): boolean {
    const base = this.base;
    const seen = this.seen;
    const wide = this.wide;
    /** a width or a value list grew */
    let grew = false;
    for (const s of states)
      for (let i = 0; i < this.words; i++) {
        const v = s[off + i];
        if (v === base[i]) continue;
        const need = Math.max(fit(v), fit(base[i]));
        if (need > wide[i]) {
          wide[i] = need;
          grew = true;
        }
        const list = seen[i];
        if (list === null || sortedHas(list, v)) continue;
        seen[i] = list.length >= MAX_CODED ? null : sortedWith(list, v);
        grew = true;
      }
    if (!grew) return false;
    let changed = false;
    for (let i = 0; i < this.words; i++) if (this.represent(i)) changed = true;
    return changed;
  }

  /**
   * Settle word i's field from its values seen: value-coded if that saves 2 bits or more, else a
   * plain field (for good: its values are not kept from then on); true if it changed.
   */
  private represent(i: number): boolean {
    const list = this.seen[i];
    const wide = this.wide[i];
    if (wide === 0) return false;
    const coded = this.coding && list !== null && codeBits(list.length) + 2 <= wide && list[list.length - 1] - list[0] < MAX_CODED_SPAN;
    if (!coded) this.seen[i] = null;
    const kind = coded ? codeBits(list.length) : wide;
    const was = this.coded[i];
    this.coded[i] = coded ? list : null;
    if (kind === this.kind[i] && was === this.coded[i]) return false;
    this.kind[i] = kind;
    return true;
  }

  /** Decode the packed state w[at .. at + stride/4) into out. */
  decode(w: Int32Array, at: number, out: Int32Array): void {
    this.decodeFn(w, at, out);
  }

  decodeLoop(w: Int32Array, at: number, out: Int32Array): void {
    out.set(this.base);
    for (let j = 0; j < this.fWord.length; j++) {
      const x = w[at + this.fAt[j]];
      const bits = this.fBits[j];
      const list = this.coded[this.fWord[j]];
      const f = (x >>> this.fShift[j]) & (2 ** bits - 1);
      out[this.fWord[j]] = bits === 32 ? x : list ? list[f] : f - 1;
    }
  }

  /** words packed (not constant) */
  varying(): number {
    return this.fWord.length;
  }
}

/** A scratch buffer `encode` writes a packed state into (`size` bytes: a whole state's fit). */
export class Scratch {
  i32: Int32Array;
  constructor(size: number) {
    this.i32 = new Int32Array((size + 7) >>> 2);
  }
}

const HASH_A = 0x811c9dc5 | 0;
const HASH_B = 0x3c6ef372 | 0;

/** The end of `hashWords`: both lanes mixed (murmur3's finaliser), 31 bits (-1 is left for "does not fit"). */
function mixHash(a: number, b: number): number {
  let h = a ^ Math.imul(b, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

/**
 * A 31-bit hash of the first `words` 32-bit words of an encoded state: even and odd words in two
 * lanes, so that the processor computes them side by side. `StateCodec.encodeHash` computes the same
 * while packing.
 */
export function hashWords(w: Int32Array, at: number, words: number): number {
  let a = HASH_A ^ words;
  let b = HASH_B;
  let i = 0;
  for (; i + 1 < words; i += 2) {
    a = Math.imul(a ^ w[at + i], 0x01000193);
    a ^= a >>> 15;
    b = Math.imul(b ^ w[at + i + 1], 0x01000193);
    b ^= b >>> 15;
  }
  if (i < words) {
    a = Math.imul(a ^ w[at + i], 0x01000193);
    a ^= a >>> 15;
  }
  return mixHash(a, b);
}

/**
 * A 64-bit fingerprint of a raw state (independent of any encoding, so that separate runs agree),
 * as two 32-bit halves from two differently seeded multiply-xorshift passes.
 */
export function fingerprint(s: Int32Array, out: Uint32Array, off = 0, words = s.length - off): void {
  let a = 0x9e3779b9 | 0;
  let b = 0x85ebca6b | 0;
  for (let i = 0; i < words; i++) {
    const w = s[off + i];
    a = Math.imul(a ^ w, 0x01000193);
    a ^= a >>> 15;
    b = Math.imul(b + w + i, 0xc2b2ae35);
    b ^= b >>> 13;
  }
  out[0] = Math.imul(a ^ (a >>> 16), 0x7feb352d) >>> 0;
  out[1] = Math.imul(b ^ (b >>> 16), 0x846ca68b) >>> 0;
}

export type StoreKind = 'full' | 'hashcompact' | 'bitstate';

/**
 * The most states each store can number: a typed array holds at most 4 GB, which bounds the full
 * store's table (two words a slot, at most half full), the hash-compact table (one word a slot per
 * half) and the search's parent numbers (one word a state).
 */
export const STORE_CAPACITY: Record<StoreKind, number> = { full: 2 ** 28, hashcompact: 2 ** 29, bitstate: 2 ** 30 };

/** A byte count for people: 1.5 GB, 300 MB, 12 KB. */
export function fmtBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(1)} GB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(0)} MB`;
  return `${Math.ceil(b / 2 ** 10)} KB`;
}

export interface StoreStats {
  kind: StoreKind;
  states: number;
  /** bytes held by the visited set itself (table, arena or bit array) */
  bytes: number;
  /** bytes a stored state takes (the packed state, or its fingerprint, or 3 bits) */
  bytesPerState: number;
  /**
   * times the packing was widened after states were stored: a state outgrew what the sample walk
   * settled (the full store re-packed what it held; workers sharing a store started the search again)
   */
  widenings: number;
  /** an upper bound (hashcompact) or estimate (bitstate) of the probability / number of missed states; 0 for full */
  omission: { kind: 'none' } | { kind: 'probability-any-missed'; value: number } | { kind: 'expected-missed'; value: number };
}

/**
 * The interface the search uses. `add` returns the new state's number, or ~number (negative) of the
 * state already visited (for the bitstate form, which keeps no numbers, -1). `get` decodes a stored state; only the full
 * store can do it (the lossy forms keep their queue elsewhere, see `Frontier` in exhaustive.ts).
 */
export interface VisitedSet {
  readonly kind: StoreKind;
  readonly size: number;
  /** the state is the `words` words of s from `off` */
  add(s: Int32Array, off?: number): number;
  /** the number of a visited state, or -1; exact only for the full store */
  find(s: Int32Array): number;
  stats(): StoreStats;
  /**
   * Bytes the store would allocate to take `extra` more states (a table that doubles is counted
   * whole: while it is rebuilt the old one is still held), so that a memory limit stops a search
   * before a growth passes it, not after.
   */
  growthBytes(extra: number): number;
}

/** Bytes of the pages a list of fixed-size records allocates by PAGE to go from n to n + extra records. */
const pageGrowth = (n: number, extra: number, recordBytes: number) => Math.max(0, Math.ceil((n + extra) / PAGE) - Math.ceil(n / PAGE)) * PAGE * recordBytes;

/**
 * Exact: the states themselves, packed, in pages; an open-addressing table (linear probing) whose
 * slots hold a state's number + 1 and its hash side by side, so that a probe touches one cache line.
 */
export class FullStore implements VisitedSet {
  readonly kind = 'full';
  size = 0;
  codec: StateCodec;
  private pageWords: Int32Array[] = [];
  /** slot j: table[2j] = number + 1 (0: empty), table[2j+1] = hash */
  private table: Int32Array;
  private mask: number;
  private scratch: Scratch;
  /** times the packing was widened (each re-packs every stored state) */
  repacks = 0;

  constructor(init: Int32Array, capacityHint = 1 << 16) {
    this.codec = new StateCodec(init);
    let cap = 1 << 10;
    while (cap < capacityHint * 2) cap <<= 1;
    this.table = new Int32Array(2 * cap);
    this.mask = cap - 1;
    this.scratch = new Scratch(this.codec.words * 4);
    this.last = this.scratch.i32;
  }

  /** Settle the packing on sample states before any is stored, so that fewer re-packs follow. */
  prewarm(samples: Iterable<Int32Array>): void {
    if (this.size) return;
    this.codec.widenForAll(samples);
  }

  /** Widen the packing for s and re-pack every stored state. */
  private widen(s: Int32Array, off: number): void {
    this.repacks++;
    const old = this.codec;
    const oldWords = old.stride >>> 2;
    const oldPages = this.pageWords;
    const codec = new StateCodec(old.base, old);
    codec.widenFor(s, off);
    this.codec = codec;
    const tmp = new Int32Array(codec.words);
    this.pageWords = [];
    const sc = this.scratch;
    for (let i = 0; i < this.size; i++) {
      old.decode(oldPages[i >>> PAGE_BITS], (i & (PAGE - 1)) * oldWords, tmp);
      if (!codec.encode(tmp, sc.i32)) throw new Error('internal: a widened packing does not fit a stored state');
      this.place(i, sc.i32, 0);
    }
    this.table.fill(0);
    const words = codec.stride >>> 2;
    for (let i = 0; i < this.size; i++) {
      const h = hashWords(this.pageWords[i >>> PAGE_BITS], (i & (PAGE - 1)) * words, words);
      let j = h & this.mask;
      while (this.table[2 * j] !== 0) j = (j + 1) & this.mask;
      this.table[2 * j] = i + 1;
      this.table[2 * j + 1] = h;
    }
  }

  /** Copy the packed state src[from..] into place i (allocating its page when i starts one). */
  private place(i: number, src: Int32Array, from: number): void {
    const words = this.codec.stride >>> 2;
    const p = i >>> PAGE_BITS;
    if (p === this.pageWords.length) {
      const page = new Int32Array(PAGE * words);
      this.pageWords.push(page);
    }
    const pw = this.pageWords[p];
    const at = (i & (PAGE - 1)) * words;
    for (let k = 0; k < words; k++) pw[at + k] = src[from + k];
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const table = new Int32Array(2 * cap);
    const mask = cap - 1;
    const old = this.table;
    for (let j = 0; j < old.length; j += 2) {
      const v = old[j];
      if (v === 0) continue;
      const h = old[j + 1];
      let k = h & mask;
      while (table[2 * k] !== 0) k = (k + 1) & mask;
      table[2 * k] = v;
      table[2 * k + 1] = h;
    }
    this.table = table;
    this.mask = mask;
  }

  /** Pack s into the scratch buffer (widening first if needed); returns its hash. */
  private pack(s: Int32Array, off: number): number {
    const sc = this.scratch;
    let h: number;
    while ((h = this.codec.encodeHash(s, sc.i32, off)) < 0) this.widen(s, off);
    return h;
  }

  /** The table slot of the packed state src[from..] with hash h: it holds the state's number + 1, or 0 if absent. */
  private probe(h: number, src: Int32Array, from: number): number {
    const words = this.codec.stride >>> 2;
    const table = this.table;
    const mask = this.mask;
    let j = h & mask;
    for (;;) {
      const v = table[2 * j];
      if (v === 0) return j;
      if (table[2 * j + 1] === h) {
        const i = v - 1;
        if (this.codec.equal(this.pageWords[i >>> PAGE_BITS], (i & (PAGE - 1)) * words, src, from)) return j;
      }
      j = (j + 1) & mask;
    }
  }

  add(s: Int32Array, off = 0): number {
    const h = this.pack(s, off);
    this.last = this.scratch.i32;
    return this.addPackedAt(h, this.last, 0);
  }

  private batch: Scratch[] = [];
  private batchHash = new Int32Array(64);
  /** the packing the batch was packed in (a widening replaces `codec`) */
  private batchCodec: StateCodec | null = null;
  /** loads that only bring lines into the cache end here, so that the compiler keeps them */
  private sink = 0;

  /**
   * Pack the `count` states s[offs[k] ..] and bring their table slots, and the stored states those
   * slots point to, into the cache; `addPrepared(k, ...)` then adds them one by one, in order, as
   * add() would. The loads of one pass do not depend on each other, so the processor waits for
   * their cache misses together instead of one after another: most of an add is such a wait, since
   * the table and the pages are far larger than the cache.
   */
  prepare(s: Int32Array, offs: Int32Array, count: number): void {
    while (this.batch.length < count) this.batch.push(new Scratch(this.codec.words * 4));
    if (this.batchHash.length < count) this.batchHash = new Int32Array(count * 2);
    const batch = this.batch;
    const hs = this.batchHash;
    let codec = this.codec;
    for (let k = 0; k < count; k++) {
      const h = codec.encodeHash(s, batch[k].i32, offs[k]);
      if (h < 0) {
        // widen, then pack them all again in the new packing
        this.widen(s, offs[k]);
        codec = this.codec;
        k = -1;
        continue;
      }
      hs[k] = h;
    }
    this.batchCodec = codec;
    this.touch(count, codec.stride >>> 2);
  }

  /**
   * As prepare(), for `count` states already packed in the present packing (`codec`), the words
   * w[offs[k] ..]; `addPackedPrepared(k, ...)` adds them.
   */
  preparePacked(w: Int32Array, offs: Int32Array, count: number): void {
    if (this.batchHash.length < count) this.batchHash = new Int32Array(count * 2);
    const hs = this.batchHash;
    const pw = this.codec.stride >>> 2;
    for (let k = 0; k < count; k++) hs[k] = hashWords(w, offs[k], pw);
    this.batchCodec = this.codec;
    this.touch(count, pw);
  }

  /** Add the k-th state of the last preparePacked(), the words w[at ..], as addPacked() would. */
  addPackedPrepared(k: number, w: Int32Array, at: number): number {
    if (this.codec !== this.batchCodec) return this.addPacked(w, at);
    return this.addPackedAt(this.batchHash[k], w, at);
  }

  /** Bring the table slots of the batch's hashes, and the stored states they point to, into the cache. */
  private touch(count: number, pw: number): void {
    const hs = this.batchHash;
    const table = this.table;
    const mask = this.mask;
    let t = 0;
    for (let k = 0; k < count; k++) t ^= table[2 * (hs[k] & mask) + 1];
    for (let k = 0; k < count; k++) {
      const j = hs[k] & mask;
      const v = table[2 * j];
      if (v !== 0 && table[2 * j + 1] === hs[k]) {
        const i = v - 1;
        const at = (i & (PAGE - 1)) * pw;
        const page = this.pageWords[i >>> PAGE_BITS];
        t ^= page[at] ^ page[at + pw - 1];
      }
    }
    this.sink ^= t;
  }

  /** Add the k-th state of the last prepare(), which is s[off ..], as add() would. */
  addPrepared(k: number, s: Int32Array, off: number): number {
    if (this.codec !== this.batchCodec) return this.add(s, off);
    this.last = this.batch[k].i32;
    return this.addPackedAt(this.batchHash[k], this.last, 0);
  }

  /** where the last add, addPrepared or find packed its state */
  private last: Int32Array;

  /** The state the last add(), addPrepared() or find() packed, in the present packing (`codec`): its first stride/4 words. */
  packed(): Int32Array {
    return this.last;
  }

  /**
   * Add a state given already packed in this store's present packing (`codec`, the same object:
   * a widening replaces it), as the words w[at..]: as add(), without unpacking and packing again.
   */
  addPacked(w: Int32Array, at: number): number {
    return this.addPackedAt(hashWords(w, at, this.codec.stride >>> 2) | 0, w, at);
  }

  private addPackedAt(h: number, src: Int32Array, from: number): number {
    const j = this.probe(h, src, from);
    const v = this.table[2 * j];
    if (v !== 0) return ~(v - 1);
    const i = this.size++;
    this.place(i, src, from);
    this.table[2 * j] = i + 1;
    this.table[2 * j + 1] = h;
    if (this.size * 2 > this.mask + 1) this.grow();
    return i;
  }

  find(s: Int32Array): number {
    const j = this.probe(this.pack(s, 0), this.scratch.i32, 0);
    this.last = this.scratch.i32;
    return this.table[2 * j] - 1;
  }

  /** Decode state i into out. */
  get(i: number, out: Int32Array): void {
    this.codec.decode(this.pageWords[i >>> PAGE_BITS], (i & (PAGE - 1)) * (this.codec.stride >>> 2), out);
  }

  growthBytes(extra: number): number {
    let cap = this.mask + 1;
    while ((this.size + extra) * 2 > cap) cap *= 2;
    return (cap > this.mask + 1 ? cap * 8 : 0) + pageGrowth(this.size, extra, this.codec.stride);
  }

  stats(): StoreStats {
    const bytes = this.pageWords.length * PAGE * this.codec.stride + this.table.length * 4;
    return { kind: 'full', states: this.size, bytes, bytesPerState: this.codec.stride, widenings: this.repacks, omission: { kind: 'none' } };
  }
}

/** 64-bit fingerprints in an open-addressing table; states are numbered in the order they are added. */
export class HashCompactStore implements VisitedSet {
  readonly kind = 'hashcompact';
  size = 0;
  private lo: Uint32Array;
  private hi: Uint32Array;
  private used: Uint8Array;
  private index: Int32Array;
  private mask: number;
  private fp = new Uint32Array(2);

  constructor(private readonly words: number, capacityHint = 1 << 16) {
    let cap = 1 << 10;
    while (cap < capacityHint * 2) cap <<= 1;
    this.lo = new Uint32Array(cap);
    this.hi = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    this.index = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private grow(): void {
    const cap = this.lo.length * 2;
    const lo = new Uint32Array(cap);
    const hi = new Uint32Array(cap);
    const used = new Uint8Array(cap);
    const index = new Int32Array(cap);
    const mask = cap - 1;
    for (let j = 0; j < this.lo.length; j++) {
      if (!this.used[j]) continue;
      let k = this.lo[j] & mask;
      while (used[k]) k = (k + 1) & mask;
      lo[k] = this.lo[j];
      hi[k] = this.hi[j];
      used[k] = 1;
      index[k] = this.index[j];
    }
    Object.assign(this, { lo, hi, used, index, mask });
  }

  private probe(a: number, b: number): number {
    let j = a & this.mask;
    while (this.used[j] && !(this.lo[j] === a && this.hi[j] === b)) j = (j + 1) & this.mask;
    return j;
  }

  add(s: Int32Array, off = 0): number {
    fingerprint(s, this.fp, off, this.words);
    return this.addKey(this.fp[0], this.fp[1]);
  }

  /** Add the state whose fingerprint (`fingerprint`) is (a, b): as add(). */
  addKey(a: number, b: number): number {
    const j = this.probe(a, b);
    if (this.used[j]) return ~this.index[j];
    this.used[j] = 1;
    this.lo[j] = a;
    this.hi[j] = b;
    const i = this.size++;
    this.index[j] = i;
    if (this.size * 2 > this.lo.length) this.grow();
    return i;
  }

  find(s: Int32Array): number {
    fingerprint(s, this.fp, 0, this.words);
    const j = this.probe(this.fp[0], this.fp[1]);
    return this.used[j] ? this.index[j] : -1;
  }

  growthBytes(extra: number): number {
    let cap = this.lo.length;
    while ((this.size + extra) * 2 > cap) cap *= 2;
    return cap > this.lo.length ? cap * 13 : 0;
  }

  stats(): StoreStats {
    const n = this.size;
    return { kind: 'hashcompact', states: n, bytes: this.lo.length * 13, bytesPerState: 8, widenings: 0, omission: { kind: 'probability-any-missed', value: Math.min(1, (n * (n - 1)) / 2 ** 65) } };
  }
}

/** Holzmann's bitstate hashing: 3 bits per state in a 2^bits array; states are numbered as added. */
export class BitstateStore implements VisitedSet {
  readonly kind = 'bitstate';
  size = 0;
  readonly bits: number;
  private arr: Uint8Array;
  private fp = new Uint32Array(2);

  constructor(private readonly words: number, log2Bits: number) {
    this.bits = log2Bits;
    this.arr = new Uint8Array(2 ** (log2Bits - 3));
  }

  private positions(s: Int32Array, off: number): [number, number, number] {
    fingerprint(s, this.fp, off, this.words);
    const m = 2 ** this.bits;
    const a = this.fp[0];
    const b = (this.fp[1] | 1) >>> 0;
    // Double hashing (Kirsch-Mitzenmacher): a, a+b, a+2b modulo the array size.
    return [a % m, (a + b) % m, (a + 2 * b) % m];
  }

  add(s: Int32Array, off = 0): number {
    const ps = this.positions(s, off);
    let fresh = false;
    for (const p of ps) {
      const byte = p >>> 3;
      const bit = 1 << (p & 7);
      if ((this.arr[byte] & bit) === 0) {
        fresh = true;
        this.arr[byte] |= bit;
      }
    }
    return fresh ? this.size++ : -1;
  }

  find(): number {
    return -1;
  }

  growthBytes(): number {
    return 0;
  }

  stats(): StoreStats {
    // Expected false positives: each lookup of a new state finds all 3 bits set with probability
    // about (1 - e^(-3i/m))^3 after i states; summed over the states added.
    const m = 2 ** this.bits;
    let missed = 0;
    const n = this.size;
    const stepN = Math.max(1, Math.floor(n / 1000));
    for (let i = 0; i < n; i += stepN) missed += stepN * (1 - Math.exp((-3 * i) / m)) ** 3;
    return { kind: 'bitstate', states: n, bytes: this.arr.length, bytesPerState: 3 / 8, widenings: 0, omission: { kind: 'expected-missed', value: missed } };
  }
}

/**
 * A first-in first-out list of states, packed like the full store (with its own packing): the
 * breadth-first frontier of the lossy stores, which keep no states of their own. Only one level and
 * the next are held at a time.
 */
export class StateQueue {
  private codec: StateCodec;
  private pages: Int32Array[] = [];
  length = 0;
  private scratch: Scratch;

  constructor(private readonly init: Int32Array) {
    this.codec = new StateCodec(init, undefined, false);
    this.scratch = new Scratch(init.length * 4);
  }

  push(s: Int32Array, off = 0): void {
    const sc = this.scratch;
    while (!this.codec.encode(s, sc.i32, off)) this.widen(s.slice(off, off + this.init.length));
    const words = this.codec.stride >>> 2;
    const i = this.length++;
    const p = i >>> PAGE_BITS;
    if (p === this.pages.length) this.pages.push(new Int32Array(PAGE * words));
    this.pages[p].set(sc.i32.subarray(0, words), (i & (PAGE - 1)) * words);
  }

  get(i: number, out: Int32Array): void {
    this.codec.decode(this.pages[i >>> PAGE_BITS], (i & (PAGE - 1)) * (this.codec.stride >>> 2), out);
  }

  private widen(s: Int32Array): void {
    const states: Int32Array[] = [];
    for (let i = 0; i < this.length; i++) {
      const tmp = new Int32Array(this.init.length);
      this.get(i, tmp);
      states.push(tmp);
    }
    const codec = new StateCodec(this.init, this.codec);
    codec.widenFor(s);
    for (const x of states) codec.widenFor(x);
    this.codec = codec;
    this.pages = [];
    this.length = 0;
    for (const x of states) this.push(x);
  }

  /** Empty the queue for reuse (keeping its packing, which fits the states seen so far). */
  clear(): void {
    this.pages = [];
    this.length = 0;
  }

  bytes(): number {
    return this.pages.length * PAGE * this.codec.stride;
  }

  /** Bytes the queue would allocate to take `extra` more states. */
  growthBytes(extra: number): number {
    return pageGrowth(this.length, extra, this.codec.stride);
  }
}
