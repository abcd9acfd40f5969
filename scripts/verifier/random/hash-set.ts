/**
 * A set of state hashes (integers in [0, 2^53)) in one Float64Array, open addressing with linear
 * probing: the random verifier's distinct-state count (the hashes come from search/coverage.ts). A
 * `Set<number>` of such hashes keeps each one as a heap number, and adding to it was a third of a
 * `virtuos verify` run once it held a million; this table allocates only when it doubles.
 */
const EMPTY = -1;

/** The first slot of h: its low 32 bits and its high 21, mixed (the hashes put in are already well spread). */
const slotOf = (h: number, mask: number) => (Math.imul((h >>> 0) ^ Math.floor(h / 4294967296), 0x9e3779b1) >>> 0) & mask;

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
    let i = slotOf(h, mask);
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

  /** brings lines into the cache (addAll); kept so that the compiler keeps the loads */
  private sink = 0;

  /**
   * Add hs[0..n) in order, as add() one by one would, stopping before the set would pass `cap`
   * members. Their slots are read first in a pass whose loads do not depend on each other, so that
   * the processor waits for their cache misses together (the table outgrows the cache).
   */
  addAll(hs: Float64Array, n: number, cap: number): void {
    const t = this.table;
    const mask = this.mask;
    let x = 0;
    for (let k = 0; k < n; k++) {
      const h = hs[k];
      x += t[slotOf(h, mask)];
    }
    this.sink = x;
    for (let k = 0; k < n && this.size < cap; k++) this.add(hs[k]);
  }

  has(h: number): boolean {
    const t = this.table;
    let i = slotOf(h, this.mask);
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

