/**
 * What the posix properties judge in the composed system, where a service domain may fail and the
 * network domain may be compromised: a domain is judged while it runs its current incarnation and is
 * not the compromised network domain; a descriptor while its domain is judged and it belongs to the
 * domain's current incarnation (a descriptor of a failed incarnation is stale by the recovery
 * semantics, model/recovery/semantics.ts); a thread's wait while every domain it waits on is judged. Outside the
 * composed system everything is judged.
 */
import { networkCompromised, serviceJudged } from '../../../model/system/instance.ts';
import { LOC, NET } from '../../../model/posix/kernel.ts';
import { RPC_IDLE } from '../../../model/posix/service.ts';
import type { System } from '../../../model/kit/system.ts';
import { slotsOfProc } from '../../../model/posix/layout.ts';
import { posixThread } from '../../../model/posix/thread.ts';

const FORK_WAIT = posixThread.stateIndex.get('forkWait')!;

/** Domain d (NET, STO or LOC) is judged in state s. */
export function domainJudged(sys: System, s: Int32Array, d: number): boolean {
  const L = sys.L;
  if (d === LOC || !L.cfg.system) return true;
  return s[L.rec!.dom[d].running] === 1 && serviceJudged(s, L, d);
}

/** Process p's descriptor fd is judged: local, free, or of a judged domain's current incarnation. */
export function descriptorJudged(sys: System, s: Int32Array, p: number, fd: number): boolean {
  const L = sys.L;
  if (!L.cfg.system) return true;
  const lc = L.posix!.libc[p];
  const d = s[lc.dom + fd];
  if (d === LOC || s[lc.dfd + fd] < 0) return true;
  return domainJudged(sys, s, d) && s[lc.ep + fd] === s[L.rec!.dom[d].fe];
}

/**
 * Thread slot t waits for (or holds the answer of) a request to a domain that is not judged: an answer
 * of the compromised network domain may be anything, and a call that merges it (poll) may wait for ever.
 * A fork waits through its child's REGISTER, which the child sends from its own slots (found by the
 * composed search: a compromised network domain never served it).
 */
export function waitsOnUnjudged(sys: System, s: Int32Array, t: number): boolean {
  if (!sys.L.cfg.system) return false;
  const PL = sys.L.posix!;
  const unjudged = (slot: number) => [0, 1].some((d) => s[PL.rpc[slot][d].st] !== RPC_IDLE && !domainJudged(sys, s, d));
  if (unjudged(t)) return true;
  if (s[PL.thread[t].pc] !== FORK_WAIT) return false;
  // the child being forked is the process still registering (pstate 1)
  for (let p = 1; p < PL.procs; p++) if (s[PL.libc[p].pstate] === 1 && slotsOfProc(PL, p).some(unjudged)) return true;
  return false;
}

/**
 * A call with this route says something about the model: it did not go to the compromised network
 * domain, whose answers may be anything (a stale result, a spurious error, an empty poll).
 */
export const routeJudged = (sys: System, s: Int32Array, route: number) => !(route & (1 << NET)) || !networkCompromised(s, sys.L);
