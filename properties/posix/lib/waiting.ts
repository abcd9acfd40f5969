/**
 * Where a thread may legitimately be waiting at the end of a run, and where it may not: shared by
 * the liveness clauses of the posix properties.
 */
import { POLLIN, kReady, wouldBlock } from '../../../model/posix/kernel.ts';
import { procOfSlot } from '../../../model/posix/layout.ts';
import { callOfCode } from '../../../model/posix/program.ts';
import { posixThread } from '../../../model/posix/thread.ts';
import { RPC_DONE, RPC_SERVED } from '../../../model/posix/service.ts';
import { waitsOnUnjudged } from './scope.ts';
import type { System } from '../../../model/kit/system.ts';

export const stateName = (sys: System, s: Int32Array, t: number) => posixThread.states[s[sys.L.posix!.thread[t].pc]].name;

/** A description of the first thread stuck in a call with nothing a program could be waiting for, or null. */
export function stuckCall(sys: System, s: Int32Array): string | null {
  const PL = sys.L.posix!;
  for (let t = 0; t < PL.slots; t++) {
    const name = stateName(sys, s, t);
    const th = PL.thread[t];
    const p = procOfSlot(PL, t);
    if (name === 'unborn' || name === 'finished' || name === 'exited' || name === 'fetch') continue;
    if (waitsOnUnjudged(sys, s, t)) continue; // a compromised network domain may never answer
    const call = PL.code[t][s[th.ip]]?.call ?? '-';
    if (name === 'localBlocked' && wouldBlock(s, PL.kernel[2], p, s[th.dfd])) continue;
    if (name === 'pollLocalWait' || name === 'pollAwait') continue; // judged by poll-correctness
    if (name === 'await') {
      const d = s[th.dom];
      const q = PL.rpc[t][d];
      if (d >= 0 && d < 2 && s[q.st] === 2 && (callOfCode(s[q.op]) === 'recv' || callOfCode(s[q.op]) === 'read')) continue;
    }
    if (name === 'replaceLock') {
      const cnt = s[PL.libc[p].cnt + s[th.fd2]];
      if (cnt !== 0 && cnt !== 3) continue; // dup2-waits-for-target-in-use (documented)
    }
    return `T${t + 1} is stuck in ${call} (state ${name}) although nothing it could wait for is pending`;
  }
  return null;
}

/** Is a watched descriptor of thread t's poll ready in its domain now, or has a part of it answered? */
export function pollHasReason(sys: System, s: Int32Array, t: number): string | null {
  const PL = sys.L.posix!;
  const th = PL.thread[t];
  const p = procOfSlot(PL, t);
  const positions: [number, number][] = [
    [s[th.pd0], s[th.pf0]],
    [s[th.pd1], s[th.pf1]],
  ];
  for (const [k, [d, dfd]] of positions.entries()) if (d >= 0 && kReady(s, PL.kernel[d], p, dfd) & POLLIN) return `its watched position ${k + 1} is ready in the ${['network', 'storage', 'primary'][d]} domain`;
  const doms = [0, 1].filter((d) => s[th.pmask] & (1 << d));
  for (const d of doms) if (s[PL.rpc[t][d].st] === RPC_DONE || s[PL.rpc[t][d].st] === RPC_SERVED) return `the ${['network', 'storage'][d]} part has answered`;
  if (s[th.pdone] && doms.some((d) => s[PL.rpc[t][d].st] !== RPC_DONE)) return 'the local part has returned but a remote part was never woken';
  return null;
}
