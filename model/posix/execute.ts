/**
 * A call's operation run in one kernel (the primary's for a local call, a service domain's for a
 * remote one), and how its result reads in a trace. Shared by the library's local path (thread.ts)
 * and the service domains (service.ts).
 */
import type { Ctx } from '../kit/kit.ts';
import { kClose, kConnect, kDup, kLink, kMmap, kOpen, kRead, kRename, kSetuid, kSocket, kWrite, type KRes } from './kernel.ts';
import { callCode, errName, type CallName } from './program.ts';

/** Execute a call's kernel operation in kernel `d` for process `p`. `args` are the request slot's. */
export function executeInKernel(s: Int32Array, L: Ctx['L'], d: number, p: number, op: number, a0: number, a1: number, a2: number): KRes {
  const Kd = L.posix!.kernel[d];
  switch (op) {
    case callCode('open'):
      return kOpen(s, Kd, p, a0, (a1 & 1) !== 0, (a1 & 2) !== 0, d);
    case callCode('socket'):
      return kSocket(s, Kd, p, d);
    case callCode('read'):
      return kRead(s, Kd, p, a0, a1);
    case callCode('recv'):
      return kRead(s, Kd, p, a0, a1);
    case callCode('write'):
    case callCode('send'):
      return kWrite(s, Kd, p, a0, a1, a2);
    case callCode('close'):
      return kClose(s, Kd, p, a0);
    case callCode('dup'):
    case callCode('dup2'):
      return kDup(s, Kd, p, a0);
    case callCode('connect'):
      return kConnect(s, Kd, p, a0);
    case callCode('mmap'):
      return kMmap(s, Kd, p, a0);
    case callCode('rename'):
      return kRename(s, Kd, a0, a1);
    case callCode('link'):
      return kLink(s, Kd, a0, a1);
    case callCode('setuid'):
      return kSetuid(s, Kd, p, a0);
  }
  throw new Error(`executeInKernel: no kernel operation for call ${op}`);
}

export function fmtKRes(call: CallName, r: KRes): string {
  if (r.block) return 'blocks';
  if (r.err) return `-1 ${errName(r.err)}`;
  if (call === 'open' || call === 'socket' || call === 'dup' || call === 'dup2') return `dfd ${r.ret}`;
  if ((call === 'read' || call === 'recv') && r.ret > 0) return `${r.ret} bytes [${unpack(r.data, r.ret).join(', ')}]`;
  return String(r.ret);
}

const unpack = (data: number, n: number) => {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    out.push(data % 64);
    data = Math.floor(data / 64);
  }
  return out;
};
