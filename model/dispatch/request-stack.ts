/**
 * Request stacks: the two lock-free LIFO (Treiber) stacks of a process's request area, `free_top`
 * (free entries) and `alloc_top` (submitted requests), linked through one `next[]` array; the ready
 * queue's node pool is a third stack of the same kind. A top is an {index, stamp} pair changed by one
 * double-width CAS; the stamp grows by one on every successful CAS, which is what stops ABA.
 *
 * The stack has no actor of its own: push and pop are sequences of steps taken by the threads that
 * use it (load top, load next or write next, CAS), written in those threads' machines with the
 * helpers below. The `nostamp` seeded bug makes the CAS compare the index only.
 *
 * VIRTUOS.md: "The dispatch protocol" (request area, LIFO stacks).
 */
import { NIL } from '../kit/layout.ts';
import type { Ctx } from '../kit/kit.ts';

/** Does a double-width CAS on the top at `at` expecting {ti, ts} succeed in the current state? */
export function topUnchanged(c: Ctx, at: number, ti: number, ts: number): boolean {
  return c.s[at] === ti && (c.L.cfg.bug === 'nostamp' || c.s[at + 1] === ts);
}

/** The CAS's write: the new index with the loaded stamp plus one (modulo the stamp width). */
export function writeTop(c: Ctx, at: number, ts: number, ni: number): void {
  c.s[at] = ni;
  c.s[at + 1] = (ts + 1) % c.L.cfg.stampModulus;
}

/**
 * Walk a stack from its top through `next`, for the properties. Returns the entries in order, or
 * the point where the walk went wrong (a cycle or an index out of range), which only a broken
 * stack shows.
 */
export function walkStack(s: Int32Array, top: number, next: number, size: number): { items: number[]; broken: string | null } {
  const items: number[] = [];
  let i = s[top];
  while (i !== NIL) {
    if (i < 0 || i >= size) return { items, broken: `link to ${i} is out of range` };
    // the entries walked so far are the items (at most `size`, a handful: no Set)
    if (items.includes(i)) return { items, broken: `entry ${i} is reached twice (a cycle)` };
    items.push(i);
    i = s[next + i];
  }
  return { items, broken: null };
}

/**
 * walkStack's entries as a bit set, for a check that runs often (entry-safety's, properties/dispatch):
 * no list is built. -1 where walkStack finds the stack broken, and where an entry does not fit 31 bits.
 */
export function stackSet(s: Int32Array, top: number, next: number, size: number): number {
  if (size > 31) return -1;
  let set = 0;
  for (let i = s[top]; i !== NIL; i = s[next + i]) {
    if (i < 0 || i >= size || ((set >>> i) & 1) !== 0) return -1;
    set |= 1 << i;
  }
  return set;
}

export const fmtTop = (s: Int32Array, at: number) => `{${s[at] === NIL ? 'nil' : s[at]}, ${s[at + 1]}}`;
