/**
 * A set of state hashes (integers in [0, 2^53)) in one Float64Array, open addressing with linear
 * probing: the random verifier's distinct-state count (the hashes come from search/coverage.ts). A `Set<number>` of such hashes keeps each one
 * as a heap number, and adding to it was a third of a `virtuos verify` run once it held a million;
 * this table allocates only when it doubles.
 */
const EMPTY = -1;

export class HashSet53 {
  private table: Float64Array;
  private mask: number;
  size = 0;

  constructor(slots = 1 << 16) {
    const n = 1 << Math.max(4, 32 - Math.clz32(slots - 1));
    this.table = new Float64Array(n).fill(EMPTY);
    this.mask = n - 1;
  }

  /** Add `h` (an integer in [0, 2^53)); true if it was not there before. */
  add(h: number): boolean {
    const t = this.table;
    const mask = this.mask;
    // the low 32 bits and the high 21, mixed: the hashes put into it are already well spread
    let i = (Math.imul((h >>> 0) ^ Math.floor(h / 4294967296), 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const x = t[i];
      if (x === h) return false;
      if (x === EMPTY) break;
      i = (i + 1) & mask;
    }
    t[i] = h;
    if (++this.size * 2 > t.length) this.grow();
    return true;
  }

  has(h: number): boolean {
    const t = this.table;
    let i = (Math.imul((h >>> 0) ^ Math.floor(h / 4294967296), 0x9e3779b1) >>> 0) & this.mask;
    for (;;) {
      const x = t[i];
      if (x === h) return true;
      if (x === EMPTY) return false;
      i = (i + 1) & this.mask;
    }
  }

  /** The members, in table order. */
  values(): number[] {
    const out: number[] = [];
    for (const x of this.table) if (x !== EMPTY) out.push(x);
    return out;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2).fill(EMPTY);
    this.mask = this.table.length - 1;
    this.size = 0;
    for (const x of old) if (x !== EMPTY) this.add(x);
  }
}


/** murmur3's 32-bit finaliser */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A 53-bit hash of the state words (crash points are named by it). Four FNV-style lanes take every
 * fourth word each, so the multiplications do not wait on each other, and are mixed into two outputs
 * that each depend on every lane.
 */
export function stateHash(s: Int32Array): number {
  const n = s.length;
  let a = 0x811c9dc5 ^ n;
  let b = 0x01000193;
  let c = 0x9e3779b9;
  let d = 0x7f4a7c15;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    a = Math.imul(a ^ s[i], 0x01000193);
    b = Math.imul(b ^ s[i + 1], 0x01000193);
    c = Math.imul(c ^ s[i + 2], 0x01000193);
    d = Math.imul(d ^ s[i + 3], 0x01000193);
  }
  for (; i < n; i++) a = Math.imul(a ^ s[i], 0x85ebca6b);
  const t = fmix(a ^ ((c << 16) | (c >>> 16)));
  const u = fmix(b ^ ((d << 16) | (d >>> 16)));
  const h1 = fmix(t ^ Math.imul(u, 0x9e3779b1));
  const h2 = fmix(u ^ Math.imul(t, 0x85ebca6b) ^ 0x5bd1e995);
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}
