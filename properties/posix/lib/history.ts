/**
 * The call history of a POSIX run, read from the ghost records in the state: every call's
 * invocation and response times, its resolved arguments and its result, as operations for the
 * linearizability checker against the reference kernel.
 *
 * History times are the model's ticks doubled, so that the two phases of an allocating call (its
 * reservation, then its completion) are ordered: the reservation responds at 2*rt, the completion is
 * invoked at 2*rt+1. The documented differences (model/posix/differences.ts) are applied here: a
 * history is cut at the first `cut` difference, and an open overlapping a setuid of its process
 * carries that setuid's uid as the alternative the reference may judge it under.
 */
import type { Operation } from '../../lib/linearizability.ts';
import { DIFF_CLOSE_DEFERRED, DIFF_DOMAIN_FAILED, DIFF_NETWORK_COMPROMISED, tagOf } from '../../../model/posix/thread.ts';
import { procOfSlot, REC_CLAIMED_LATE, REC_DEFERRED, type RecordLayout } from '../../../model/posix/layout.ts';
import type { RefInput, RefOutput } from '../../../model/posix/reference-kernel.ts';
import { routeName } from '../../../model/posix/routing.ts';
import type { System } from '../../../model/kit/system.ts';

/** A call's ghost record as values (the fields of RecordLayout), with its thread slot and index in the program. */
export type CallRecord = { slot: number; index: number } & { [K in keyof RecordLayout]: number };

/** Every call that has been invoked, in slot then program order. */
export function callRecords(sys: System, s: Int32Array): CallRecord[] {
  const PL = sys.L.posix!;
  const out: CallRecord[] = [];
  for (let t = 0; t < PL.slots; t++)
    PL.rec[t].forEach((r, k) => {
      if (s[r.inv] < 0) return;
      out.push({ slot: t, index: k, inv: s[r.inv], ret: s[r.ret], res: s[r.res], err: s[r.err], data: s[r.data], rsv: s[r.rsv], rt: s[r.rt], gt: s[r.gt], a0: s[r.a0], a1: s[r.a1], flags: s[r.flags], route: s[r.route] });
    });
  return out;
}

export const CUT_NAMES: Record<number, string> = { [DIFF_CLOSE_DEFERRED]: 'close-deferred-while-in-use', [DIFF_DOMAIN_FAILED]: 'service-domain-failed', [DIFF_NETWORK_COMPROMISED]: 'network-domain-compromised' };

/** After a deferred close the table's counters no longer count users: checks of table consistency stop there (whatever cut the history first). */
export function tableCorrupt(sys: System, s: Int32Array): boolean {
  const PL = sys.L.posix!;
  if (s[PL.cut] < 0) return false;
  if (s[PL.cutWhy] === DIFF_CLOSE_DEFERRED) return true;
  for (const row of PL.rec) for (const r of row) if (s[r.flags] & REC_DEFERRED) return true;
  return false;
}

export interface PosixHistory {
  ops: Operation<RefInput, RefOutput>[];
  /** the documented difference the history was cut at, and the tick */
  cut: { name: string; tick: number } | null;
  /** calls a documented difference applied to, by name */
  applied: Record<string, number>;
}

export function posixHistory(sys: System, s: Int32Array): PosixHistory {
  const PL = sys.L.posix!;
  const recs = callRecords(sys, s);
  const cutTick = s[PL.cut];
  const cut = cutTick >= 0 ? { name: CUT_NAMES[s[PL.cutWhy]] ?? `difference ${s[PL.cutWhy]}`, tick: cutTick } : null;
  const applied: Record<string, number> = {};
  const count = (name: string) => (applied[name] = (applied[name] ?? 0) + 1);
  const ops: Operation<RefInput, RefOutput>[] = [];
  const childOfFork = (slot: number, index: number) => 1 + PL.code[slot].slice(0, index).filter((i) => i.call === 'fork').length;
  // in the order they returned (oldUid below takes the last one before an open)
  const setuids = recs.filter((r) => PL.code[r.slot][r.index].call === 'setuid').sort((a, b) => a.ret - b.ret);
  for (const r of recs) {
    if (cut && r.inv >= cut.tick) continue;
    const instr = PL.code[r.slot][r.index];
    const proc = procOfSlot(PL, r.slot);
    const done = r.ret >= 0 && !(cut && r.ret > cut.tick);
    const out: RefOutput | undefined = done ? { res: r.res, err: r.err, data: r.data } : undefined;
    let altUid = -1;
    let oldUid = -1;
    if (instr.call === 'open') {
      const hi = r.ret >= 0 ? r.ret : Infinity;
      for (const u of setuids) {
        if (procOfSlot(PL, u.slot) !== proc || u.slot === r.slot) continue;
        const uhi = u.ret >= 0 ? u.ret : Infinity;
        if (u.inv < hi && r.inv < uhi) {
          altUid = PL.code[u.slot][u.index].uid!;
          count('setuid-reaches-domains-one-by-one');
        }
      }
      // The uid before the overlapping setuids, which a domain they have not reached yet still holds:
      // P1 starts as root, and every setuid of P1 that succeeded before the open began has reached
      // every domain (its caller waits for all of them). Children start with their parent's uid at
      // the fork, which is not followed here.
      if (altUid >= 0 && proc === 0) {
        oldUid = 0;
        for (const u of setuids)
          if (procOfSlot(PL, u.slot) === 0 && u.ret >= 0 && u.ret < r.inv && u.err === 0) oldUid = PL.code[u.slot][u.index].uid!;
      }
    }
    const routeN = routeName(instr.call, r.route);
    if (done && routeN === 'refused-cross-domain') count('cross-domain-rename-link');
    if (done && routeN === 'refused-mmap-remote') count('mmap-remote-descriptor');
    if (instr.call === 'poll' || instr.call === 'select') count('poll-readiness-sampled-per-domain');
    if (instr.call === 'dup2' && r.a0 === r.a1) count('dup2-same-descriptor');
    const late = (r.flags & REC_CLAIMED_LATE) !== 0 && r.rt >= 0 && !(cut && r.rt > cut.tick);
    if (late) count('allocation-claims-number-found-earlier');
    const base = {
      client: r.slot,
      proc,
      instr,
      fd: r.a0,
      fd2: r.a1,
      rsv: r.rsv,
      tag: tagOf(PL.cfg.calls, r.slot, r.index),
      child: instr.call === 'fork' ? childOfFork(r.slot, r.index) : -1,
      altUid,
      oldUid,
      late,
    };
    // A call is one operation, or a few phases each linearized within its own slice of the call:
    // [phase, the tick that ends it, its output]. The last phase carries the call's result.
    const phases: [RefInput['phase'], number, RefOutput | undefined][] = [];
    const zero = { res: 0, err: 0, data: 0 };
    const c = instr.call;
    if ((c === 'dup' || c === 'dup2') && r.gt >= 0) {
      phases.push(['capture', r.gt, zero]);
      if (c === 'dup' && r.rsv >= 0) phases.push(['reserve', r.rt, { res: r.rsv, err: 0, data: 0 }], ['complete', r.ret, out]);
      else if (c === 'dup') phases.push(['full', r.ret, out]);
      else if (r.rt >= 0) {
        count('dup2-in-three-steps');
        phases.push(['lock', r.rt, zero], ['install', r.ret, out]);
      } else phases.push(['drop', r.ret, out]);
    } else if (c === 'open' && r.rsv >= 0) {
      const opened = out === undefined ? undefined : { res: out.err ? -1 : 0, err: out.err, data: 0 };
      phases.push(['reserve', r.rt, { res: r.rsv, err: 0, data: 0 }], ['openfile', r.gt, opened], ['complete', r.ret, out]);
    } else if (c === 'socket' && r.rsv >= 0) phases.push(['reserve', r.rt, { res: r.rsv, err: 0, data: 0 }], ['complete', r.ret, out]);
    else if (c === 'close' && r.rt >= 0) {
      count('close-frees-number-after-remote-close');
      phases.push(['invalidate', r.rt, zero], ['free', r.ret, out]);
    } else phases.push(['whole', r.ret, out]);
    let start = 2 * r.inv;
    for (const [phase, t, output] of phases) {
      const over = t >= 0 && !(cut && t > cut.tick);
      ops.push({ id: ops.length, client: r.slot, input: { ...base, phase }, output: over ? output : undefined, call: start, ret: over ? 2 * t : null });
      if (!over) break;
      start = 2 * t + 1;
    }
  }
  return { ops, cut, applied };
}
