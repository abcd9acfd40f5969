/**
 * fast-check arbitraries of POSIX programs (model/posix/program.ts) within the bounds of a posix
 * configuration. Every modelled call can be generated; the weights favour what makes the races of
 * the issue likely in a few thousand runs: descriptors 0..2 (inherited, in three different
 * domains) as literal arguments shared by threads, a descriptor returned by an earlier call of the
 * same thread, polls over the two sockets (network and primary), sends that make a recv or poll
 * ready, close-on-exec opens in the storage domain before an exec. Shrinking works on the program as
 * fast-check shrinks arrays and records: fewer threads, fewer calls, simpler arguments.
 */
import fc from 'fast-check';
import type { PosixConfig } from '../../../model/posix/config.ts';
import { checkProgram, type CallName, type FdArg, type Instr, type Program } from '../../../model/posix/program.ts';

/** A descriptor argument before it is placed: a literal, or "the result of an earlier call" (fixed up by position). */
type RawFd = number | { back: number };

interface RawInstr extends Omit<Instr, 'fd' | 'fds' | 'child'> {
  fd?: RawFd;
  fds?: RawFd[];
  child?: RawInstr[];
}

function arbs(pc: PosixConfig) {
  const D = pc.descriptors;
  const literal = fc.oneof({ arbitrary: fc.constantFrom(0, 1, 2), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: D - 1 }), weight: 1 });
  const fd: fc.Arbitrary<RawFd> = fc.oneof({ arbitrary: literal, weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 3 }).map((back) => ({ back })), weight: 2 });
  const n = fc.integer({ min: 1, max: pc.fileBytes });
  const path = fc.integer({ min: 0, max: 3 });
  const pollFds = fc.oneof(
    { arbitrary: fc.constant<RawFd[]>([0, 2]), weight: 3 },
    { arbitrary: fc.array(fd, { minLength: 1, maxLength: 2 }), weight: 2 },
  );
  const common: { arbitrary: fc.Arbitrary<RawInstr>; weight: number }[] = [
    { arbitrary: fc.record({ call: fc.constant<CallName>('open'), path, creat: fc.boolean(), cloexec: fc.boolean() }), weight: 5 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('read'), fd, n }), weight: 4 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('write'), fd, n }), weight: 3 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('close'), fd }), weight: 4 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('dup'), fd }), weight: 2 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('dup2'), fd, fd2: fc.integer({ min: 0, max: D - 1 }) }), weight: 2 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('socket'), family: fc.constantFrom<'inet' | 'unix'>('inet', 'unix') }), weight: 2 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('connect'), fd }), weight: 1 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('send'), fd: fc.oneof(fc.constantFrom<RawFd>(0, 2), fd), n }), weight: 4 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('recv'), fd: fc.oneof(fc.constantFrom<RawFd>(0, 2), fd), n }), weight: 3 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('rename'), path, to: path }), weight: 1 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('link'), path, to: path }), weight: 1 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('mmap'), fd }), weight: 1 },
    { arbitrary: fc.record({ call: fc.constantFrom<CallName>('poll', 'select'), fds: pollFds, timeout: fc.boolean() }), weight: 4 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('setuid'), uid: fc.integer({ min: 0, max: 1 }) }), weight: 1 },
  ];
  const kill: { arbitrary: fc.Arbitrary<RawInstr>; weight: number } = { arbitrary: fc.record({ call: fc.constant<CallName>('kill'), thread: fc.nat(2) }), weight: 4 };
  // Two receives in a row: the second finds the peer's first byte gone and blocks (a signal can interrupt it).
  const recvTwice = fc.record({ call: fc.constant<CallName>('recv'), fd: fc.constantFrom<RawFd>(0, 2), n: fc.constant(pc.fileBytes) });
  const childOnly: { arbitrary: fc.Arbitrary<RawInstr>; weight: number }[] = [
    { arbitrary: fc.record({ call: fc.constant<CallName>('exec') }), weight: 8 },
    { arbitrary: fc.record({ call: fc.constant<CallName>('exit') }), weight: 1 },
  ];
  const childInstr = fc.oneof(...common, ...childOnly);
  const childProgram = fc.array(childInstr, { minLength: 1, maxLength: pc.calls });
  const fork: { arbitrary: fc.Arbitrary<RawInstr>; weight: number } = { arbitrary: childProgram.map((child) => ({ call: 'fork' as CallName, child })), weight: 5 };
  return { multi: fc.oneof(...common, kill, { arbitrary: recvTwice, weight: 3 }), single: fc.oneof(...common, fork) };
}

/** Place raw instructions in a list: fix back references (to an earlier call, else a literal), bounds and shape rules. */
function place(list: RawInstr[], ctx: { self: number; nThreads: number; forksLeft: { n: number } }): Instr[] {
  const out: Instr[] = [];
  list.forEach((raw) => {
    // The position in the placed list (dropped forks shift it), which back references count from.
    const index = out.length;
    const fix = (f: RawFd): FdArg => (typeof f === 'number' ? f : index - f.back >= 0 ? { ret: index - f.back } : index % 3);
    const ins: Instr = { ...(raw as Instr) };
    if (raw.fd !== undefined) ins.fd = fix(raw.fd);
    if (raw.fds !== undefined) ins.fds = raw.fds.map(fix);
    if (raw.call === 'dup2' && ins.fd === ins.fd2) ins.fd2 = ((ins.fd2 ?? 0) + 1) % 3;
    if (raw.call === 'kill') {
      const others = Array.from({ length: ctx.nThreads }, (_, t) => t).filter((t) => t !== ctx.self);
      ins.thread = others[(raw.thread ?? 0) % others.length];
    }
    if (raw.call === 'fork') {
      if (ctx.forksLeft.n === 0) return;
      ctx.forksLeft.n--;
      ins.child = place(raw.child ?? [], { self: 0, nThreads: 1, forksLeft: { n: 0 } });
    }
    out.push(ins);
  });
  return out;
}

/** Programs within the bounds: a multi-threaded P1 (no fork), or a single-threaded P1 that forks. */
export function programArb(pc: PosixConfig): fc.Arbitrary<Program> {
  const { multi, single } = arbs(pc);
  const thread = (a: fc.Arbitrary<RawInstr>) => fc.array(a, { minLength: 1, maxLength: pc.calls });
  const shapes: fc.Arbitrary<{ restart: boolean; raw: RawInstr[][]; multi: boolean }>[] = [];
  // Without SA_RESTART twice as often: that is where a signal changes a call's result.
  const restart = fc.oneof({ arbitrary: fc.constant(false), weight: 2 }, { arbitrary: fc.constant(true), weight: 1 });
  if (pc.threads >= 2) shapes.push(fc.record({ restart, raw: fc.array(thread(multi), { minLength: 2, maxLength: pc.threads }), multi: fc.constant(true) }));
  shapes.push(fc.record({ restart, raw: fc.array(thread(pc.forks > 0 ? single : multi.filter((i) => i.call !== 'kill')), { minLength: 1, maxLength: 1 }), multi: fc.constant(false) }));
  return fc.oneof(...shapes).map(({ restart, raw, multi: isMulti }) => {
    const forksLeft = { n: pc.forks };
    const threads = raw.map((list, t) => place(isMulti ? list : list.filter((i) => i.call !== 'kill'), { self: t, nThreads: raw.length, forksLeft }));
    // Validation cannot fail by construction; it keeps the generator honest.
    return checkProgram({ restart, threads }, pc);
  });
}
