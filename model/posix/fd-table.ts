/**
 * The descriptor translation table of libc-sclib (sclib_file_table_t in the released uclibc.patch),
 * one per process, in the process's own memory: for every descriptor number the owning domain's
 * descriptor (dfd), the owning domain (sysid), the close-on-exec flag, and a reference counter whose
 * values are the entry's state:
 *
 *   0 free | 1 allocating (or locked by dup2) | 2 closing | 3 + n ready, with n calls using it.
 *
 * A free-descriptor bitmap (bit set = free) is searched for the lowest free number, as POSIX
 * requires. The operations, each a few atomic steps taken by the calling thread (thread.ts):
 * - add (open, socket, dup): find the lowest set bit; CAS the counter 0 -> 1 (else search again);
 *   atomically toggle the bit; after the call: add_ok stores dfd, domain and flags then adds 2
 *   (ready), add_fail toggles the bit back and subtracts 1;
 * - get (every call on a descriptor): increment the counter if it is above 2 (else EBADF); put:
 *   decrement, and if that leaves 2 the caller closes the descriptor in its domain, clears dfd,
 *   toggles the bit and subtracts 2;
 * - close: get, then subtract 2 (the table's own reference and the get): the real close runs when
 *   the last user puts its reference, so a close racing a read on the same descriptor returns at
 *   once and the read's put closes it;
 * - replace (dup2's target): CAS 3 -> 1 (close the old dfd) or 0 -> 1 (toggle the bit), waiting
 *   while the target is in use or being allocated; install; add 2.
 *
 * The `lowest-free-race` seeded bug makes the bitmap toggle a plain load and store.
 *
 * VIRTUOS.md: "Descriptors, fork, exec, polling, signals".
 */

export const CNT_FREE = 0;
export const CNT_ALLOCATING = 1;
export const CNT_CLOSING = 2;
export const CNT_READY = 3;

/** Lowest set bit below `n` (a free descriptor), or -1. */
export function lowestFreeBit(bitmap: number, n: number): number {
  for (let i = 0; i < n; i++) if (bitmap & (1 << i)) return i;
  return -1;
}

export const fullBitmap = (n: number) => (1 << n) - 1;

/** The entry state in words: free, allocating, closing, ready, ready+2 (two users). */
export function entryState(cnt: number): string {
  if (cnt < 0) return `corrupt (counter ${cnt})`;
  if (cnt === CNT_FREE) return 'free';
  if (cnt === CNT_ALLOCATING) return 'allocating';
  if (cnt === CNT_CLOSING) return 'closing';
  return cnt === CNT_READY ? 'ready' : `ready+${cnt - CNT_READY}`;
}
