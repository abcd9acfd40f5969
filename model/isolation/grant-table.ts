/**
 * Grant tables and foreign mappings, the hypervisor's mechanism for sharing pages between domains.
 *
 * A domain grants one of its frames to one other domain, read-only or read-write, in an entry of its
 * grant table (gnttab_grant_foreign_access). The grantee maps the grant into a page-table slot of its
 * own (GNTTABOP_map_grant_ref): the hypervisor checks that the entry names the grantee, allows the
 * permission asked for, and that the frame still belongs to the granter, and counts the mapping in the
 * entry (Xen's pin count). Unmapping (GNTTABOP_unmap_grant_ref) drops the count. The granter ends access
 * (gnttab_end_foreign_access_ref), which Xen refuses while the grant is mapped; the `end-access-mapped`
 * seeded bug lets it succeed, so the mapping outlives its grant.
 *
 * A frame goes back to the hypervisor's free pool (a balloon-driver release, or the destruction of its
 * domain) only when no mapping refers to it; until then a dead domain's frame stays allocated to the dead
 * domain id (Xen keeps such a domain as a zombie), and the last unmap releases it.
 *
 * These are hypercalls: each function is one atomic hypercall made inside some actor's step. A function
 * that returns false changed nothing. The access check `mmuAllows` is the mechanism a domain's memory
 * accesses go through (its own frames, or a frame its page tables map with enough permission); the
 * properties state isolation independently, against the grants themselves.
 *
 * Simplifications: no copy or transfer grants, no sub-page grants; the grant table is hypervisor state
 * rather than a page of the granter; a mapping's address is its slot.
 *
 * VIRTUOS.md: "Memory and isolation".
 */
import type { Layout } from '../kit/layout.ts';
import { alive, currentDomid, FREE, PERM_NONE, PERM_RW, slotOfDomid, type GrantEntry, type IsolationLayout, type MappingSlot } from './layout.ts';

const iso = (L: Layout): IsolationLayout => L.iso!;

/** The grant entry a domain id's reference names, or null if there is no such entry. */
export function grantEntry(I: IsolationLayout, domid: number, ref: number): GrantEntry | null {
  if (domid < 0) return null;
  return I.grants[slotOfDomid(domid)][ref] ?? null;
}

/** Can `slot` grant `frame` in entry `ref`? The frame must be its own and the entry not mapped. */
export function canGrant(s: Int32Array, L: Layout, slot: number, ref: number, frame: number): boolean {
  const I = iso(L);
  const e = I.grants[slot][ref];
  const f = I.frames[frame];
  return e !== undefined && f !== undefined && s[e.maps] === 0 && s[f.owner] === currentDomid(s, I, slot);
}

/** gnttab_grant_foreign_access: write entry `ref` of `slot`'s grant table. */
export function grantAccess(s: Int32Array, L: Layout, slot: number, ref: number, frame: number, grantee: number, perm: number): boolean {
  if (!canGrant(s, L, slot, ref, frame)) return false;
  const e = iso(L).grants[slot][ref];
  s[e.frame] = frame;
  s[e.grantee] = grantee;
  s[e.perm] = perm;
  return true;
}

/** Can `slot` end access on `ref`? Only an unmapped grant may end (unless the end-access-mapped bug is on). */
export function canEndAccess(s: Int32Array, L: Layout, slot: number, ref: number): boolean {
  const e = iso(L).grants[slot][ref];
  if (e === undefined || s[e.frame] < 0) return false;
  return s[e.maps] === 0 || L.cfg.bug === 'end-access-mapped';
}

/** gnttab_end_foreign_access_ref: the entry no longer grants anything. */
export function endAccess(s: Int32Array, L: Layout, slot: number, ref: number): boolean {
  if (!canEndAccess(s, L, slot, ref)) return false;
  clearEntry(s, iso(L).grants[slot][ref]);
  return true;
}

function clearEntry(s: Int32Array, e: GrantEntry): void {
  s[e.frame] = -1;
  s[e.grantee] = -1;
  s[e.perm] = PERM_NONE;
}

/** Can `slot` map grant `ref` of domain `granter` with `perm` into mapping slot `m`? */
export function canMap(s: Int32Array, L: Layout, slot: number, m: number, granter: number, ref: number, perm: number): boolean {
  const I = iso(L);
  const ms = I.mappings[slot][m];
  const e = grantEntry(I, granter, ref);
  if (ms === undefined || s[ms.frame] >= 0 || e === null || !alive(s, I, granter)) return false;
  const frame = s[e.frame];
  return frame >= 0 && s[e.grantee] === currentDomid(s, I, slot) && perm <= s[e.perm] && s[I.frames[frame].owner] === granter;
}

/** GNTTABOP_map_grant_ref. */
export function mapGrant(s: Int32Array, L: Layout, slot: number, m: number, granter: number, ref: number, perm: number): boolean {
  if (!canMap(s, L, slot, m, granter, ref, perm)) return false;
  const I = iso(L);
  const ms = I.mappings[slot][m];
  const e = grantEntry(I, granter, ref)!;
  s[ms.frame] = s[e.frame];
  s[ms.granter] = granter;
  s[ms.ref] = ref;
  s[ms.perm] = perm;
  s[e.maps]++;
  return true;
}

/** Is some mapping slot (of any domain) mapping `frame`? */
export function frameMapped(s: Int32Array, I: IsolationLayout, frame: number): boolean {
  for (const table of I.mappings) for (const m of table) if (s[m.frame] === frame) return true;
  return false;
}

/** GNTTABOP_unmap_grant_ref of mapping slot `m` of `slot`; a dead granter's frame is released with its last mapping. */
export function unmapGrant(s: Int32Array, L: Layout, slot: number, m: number): boolean {
  const I = iso(L);
  const ms = I.mappings[slot][m];
  if (ms === undefined || s[ms.frame] < 0) return false;
  const frame = s[ms.frame];
  const granter = s[ms.granter];
  const e = grantEntry(I, granter, s[ms.ref]);
  if (e !== null && s[e.maps] > 0) s[e.maps]--;
  clearMapping(s, ms);
  if (!alive(s, I, granter) && s[I.frames[frame].owner] === granter && !frameMapped(s, I, frame)) releaseToPool(s, I, frame);
  return true;
}

export function clearMapping(s: Int32Array, ms: MappingSlot): void {
  s[ms.frame] = -1;
  s[ms.granter] = -1;
  s[ms.ref] = -1;
  s[ms.perm] = PERM_NONE;
}

/** Give a frame back to the free pool, and drop the grant entries of its owner that name it. */
export function releaseToPool(s: Int32Array, I: IsolationLayout, frame: number): void {
  const owner = s[I.frames[frame].owner];
  s[I.frames[frame].owner] = FREE;
  if (owner >= 0) for (const e of I.grants[slotOfDomid(owner)]) if (s[e.frame] === frame) clearEntry(s, e);
}

/** Can `slot` give `frame` back to the hypervisor (XENMEM_decrease_reservation)? Only its own, unmapped frame. */
export function canRelease(s: Int32Array, L: Layout, slot: number, frame: number): boolean {
  const I = iso(L);
  const f = I.frames[frame];
  return f !== undefined && s[f.owner] === currentDomid(s, I, slot) && !frameMapped(s, I, frame);
}

export function releaseFrame(s: Int32Array, L: Layout, slot: number, frame: number): boolean {
  if (!canRelease(s, L, slot, frame)) return false;
  releaseToPool(s, iso(L), frame);
  return true;
}

/**
 * The mechanism of a memory access: a domain reaches its own frames, and frames its page tables map
 * (read-only mappings only for reads). It does not look at the grant again: a page-table entry, once
 * made, stays usable until it is unmapped.
 */
export function mmuAllows(s: Int32Array, L: Layout, slot: number, frame: number, write: boolean): boolean {
  const I = iso(L);
  if (s[I.frames[frame].owner] === currentDomid(s, I, slot)) return true;
  for (const m of I.mappings[slot]) if (s[m.frame] === frame && (!write || s[m.perm] === PERM_RW)) return true;
  return false;
}
