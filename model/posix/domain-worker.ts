/**
 * The service domains' side of a remote call: a kernel worker thread of the caller's shadow process
 * (syscall-backend) takes the request, runs the ordinary system call in the domain's kernel on the
 * shadow process's descriptor table, and answers. One machine per (service domain, thread slot):
 * S1..Sn in the storage domain, N1..Nn in the network domain, the worker that serves slot i's
 * requests.
 *
 * The transport is abstracted, deliberately: a remote call is an exactly-once, right-thread RPC with
 * its own interleaving points (the caller submits; this worker picks it up at some later step and
 * executes it, or blocks in the kernel; the caller collects the answer later). The dispatch model
 * (sclib.ts, worker-pool.ts, ...) verifies that the lock-free request stacks and ready queue give
 * exactly that (properties exactly-once, right-thread, linearizable, no-lost-wakeup); running every
 * POSIX call through those machines would multiply the state space without adding a POSIX race. A
 * worker per slot stands for the pool keeping an idle worker available (a blocked call never stops
 * another from being served), which is what the backend's spawning guarantees.
 *
 * What the worker does, by request:
 * - an ordinary call: executed at pickup; a recv on an empty socket or a poll with nothing ready
 *   blocks, and completes when data arrives or the eventfd is kicked;
 * - a signal: the caller's mark on the entry makes a blocked call return EINTR, and a call picked up
 *   already marked returns EINTR instead of blocking (the worker starts it with a signal pending; a
 *   call that does not block completes normally, as in Linux);
 * - service poll: watches its descriptors and, when several domains are involved, the thread's
 *   eventfd in this domain; when it returns it consumes that eventfd's kicks and kicks the thread's
 *   eventfd in the primary domain (written through the frontend);
 * - REGISTER (a forked child): the child's shadow process is created by copying the parent shadow's
 *   descriptor table (same numbers, shared open file descriptions), with its eventfd, its grants to
 *   the primary domain and the mapping of its ready queue;
 * - REMOVE (process exit): the shadow process's descriptors are closed, its eventfds, grants and
 *   ready-queue mapping end, and the shadow process is freed.
 *
 * Seeded bugs here: `lost-kick` (the service poll resets its eventfd when it arms instead of
 * consuming kicks when it returns), `fork-shares-table` (REGISTER makes the child's shadow use the
 * parent shadow's very table), `eintr-after-effect` (a marked request is executed and then answered
 * EINTR).
 *
 * VIRTUOS.md: "The dispatch protocol" (step 3), "Descriptors, fork, exec, polling, signals".
 */
import { defineComponent, type Ctx } from '../kit.ts';
import { DOMAINS, EINTR, LOC, NET, STO, kExit, kFork, kReady, wouldBlock } from './kernel.ts';
import { REC_EFFECT, REGISTER, REMOVE, procOfSlot, slotsOfProc, type RpcLayout } from './layout.ts';
import { callCode, callOfCode, errName, PATHS } from './program.ts';
import { executeInKernel, fmtKRes } from './thread.ts';

const POLL = callCode('poll');

function makeWorker(d: number) {
  const PL = (c: Ctx) => c.L.posix!;
  const Q = (c: Ctx): RpcLayout => PL(c).rpc[c.me][d];
  const K = (c: Ctx) => PL(c).kernel[d];
  const proc = (c: Ctx) => procOfSlot(PL(c), c.me);
  const op = (c: Ctx) => c.s[Q(c).op];
  const arg = (c: Ctx, k: 0 | 1 | 2) => c.s[Q(c)[k === 0 ? 'a0' : k === 1 ? 'a1' : 'a2']];
  const bug = (c: Ctx, b: string) => c.L.cfg.bug === b;
  const efd = (c: Ctx) => K(c).efdCount(c.me);
  const useEfd = (c: Ctx) => (arg(c, 2) & 1) !== 0;

  /** Readiness bits of the service poll's descriptors (bit 0: a0, bit 1: a1). */
  const pollBits = (c: Ctx) => {
    // POLLNVAL (a descriptor no longer open in the domain) counts as ready, as POLLIN does.
    let bits = 0;
    if (arg(c, 0) >= 0 && kReady(c.s, K(c), proc(c), arg(c, 0)) !== 0) bits |= 1;
    if (arg(c, 1) >= 0 && kReady(c.s, K(c), proc(c), arg(c, 1)) !== 0) bits |= 2;
    return bits;
  };
  const kicked = (c: Ctx) => useEfd(c) && c.s[efd(c)] > 0;
  /** Would the request block if started now? (lost-kick: the kick is reset when the poll arms.) */
  const blocksAtPickup = (c: Ctx) => {
    if (op(c) === POLL) return pollBits(c) === 0 && (bug(c, 'lost-kick') || !kicked(c));
    if (op(c) === callCode('read') || op(c) === callCode('recv')) return wouldBlock(c.s, K(c), proc(c), arg(c, 0));
    return false;
  };
  const canProceed = (c: Ctx) => (op(c) === POLL ? pollBits(c) !== 0 || kicked(c) : !wouldBlock(c.s, K(c), proc(c), arg(c, 0)));

  function answer(c: Ctx, res: number, err: number, data: number): void {
    const q = Q(c);
    c.s[q.st] = 3;
    c.s[q.res] = res;
    c.s[q.err] = err;
    c.s[q.data] = data;
  }
  /** A service poll that returns consumes this domain's kicks and kicks the thread's primary-domain eventfd. */
  function pollReturns(c: Ctx): void {
    if (!useEfd(c)) return;
    c.s[efd(c)] = 0;
    c.s[PL(c).kernel[LOC].efdCount(c.me)]++;
  }
  /** The call record of the slot's thread whose main operation this request is. */
  function markEffect(c: Ctx): void {
    const P = PL(c);
    const th = P.thread[c.me];
    if (!c.s[th.inCall]) return;
    const ins = P.code[c.me][c.s[th.ip]];
    if (!ins || callCode(ins.call) !== op(c)) return;
    const r = P.rec[c.me][c.s[th.ip]];
    c.s[r.flags] |= REC_EFFECT;
    // The file is opened (permission checked, created) here, before the library installs the number.
    if (ins.call === 'open') c.s[r.gt] = c.s[P.tick]++;
  }

  function execute(c: Ctx): void {
    const P = PL(c);
    const p = proc(c);
    if (op(c) === REGISTER) {
      kFork(c.s, K(c), arg(c, 0), p, bug(c, 'fork-shares-table'));
      c.s[K(c).efdOpen(c.me)] = 1;
      c.s[efd(c)] = 0;
      c.s[K(c).grants(p)] = 3;
      c.s[K(c).rqMapped(p)] = 1;
      return answer(c, 0, 0, 0);
    }
    if (op(c) === REMOVE) {
      kExit(c.s, K(c), p);
      for (const t of slotsOfProc(P, p)) {
        c.s[K(c).efdOpen(t)] = 0;
        c.s[K(c).efdCount(t)] = 0;
      }
      c.s[K(c).grants(p)] = 0;
      c.s[K(c).rqMapped(p)] = 0;
      return answer(c, 0, 0, 0);
    }
    if (op(c) === POLL) {
      const bits = pollBits(c);
      pollReturns(c);
      return answer(c, (bits & 1) + ((bits >> 1) & 1), 0, bits);
    }
    const r = executeInKernel(c.s, c.L, d, p, op(c), arg(c, 0), arg(c, 1), arg(c, 2));
    markEffect(c);
    if (bug(c, 'eintr-after-effect') && c.s[Q(c).sig]) return answer(c, -1, EINTR, 0);
    answer(c, r.ret, r.err, r.data);
  }

  const who = (c: Ctx) => `(${DOMAINS[d]} worker for T${c.me + 1})`;
  const what = (c: Ctx) => {
    const k = op(c);
    if (k === REGISTER) return `REGISTER of P${proc(c) + 1} (copying P${arg(c, 0) + 1}'s shadow descriptor table)`;
    if (k === REMOVE) return `REMOVE of P${proc(c) + 1}`;
    const name = callOfCode(k);
    if (name === 'open') return `open("${PATHS[arg(c, 0)].replace(/^\/storage/, '')}")`;
    if (name === 'rename' || name === 'link') return `${name}("${PATHS[arg(c, 0)].replace(/^\/storage/, '')}", "${PATHS[arg(c, 1)].replace(/^\/storage/, '')}")`;
    if (name === 'setuid') return `setuid(${arg(c, 0)})`;
    if (name === 'socket') return 'socket()';
    if (name === 'poll') return `service poll(dfd ${[arg(c, 0), arg(c, 1)].filter((x) => x >= 0).join(', ')}${useEfd(c) ? ', eventfd' : ''})`;
    const n = name === 'read' || name === 'write' || name === 'send' || name === 'recv' ? `, ${arg(c, 1)}` : '';
    return `${name}(dfd ${arg(c, 0)}${n})`;
  };
  const outcome = (c: Ctx) => {
    const copy = c.s.slice();
    const ctx: Ctx = { ...c, s: copy };
    execute(ctx);
    const q = Q(c);
    if (op(c) === REGISTER || op(c) === REMOVE) return 'done';
    if (op(c) === POLL) return copy[q.data] ? `ready (bits ${copy[q.data]})` : 'kicked, nothing ready';
    if (copy[q.err]) return `-1 ${errName(copy[q.err])}`;
    return fmtKRes(callOfCode(op(c)) as never, { ret: copy[q.res], err: 0, data: copy[q.data] });
  };

  const name = d === STO ? 'storage' : 'network';
  return defineComponent({
    id: `${name}-worker`,
    prefix: d === STO ? 'S' : 'N',
    section: 'The dispatch protocol',
    description:
      `A kernel worker thread of a shadow process in the ${name} domain, serving one thread's requests: it runs each call in the domain's kernel ` +
      '(blocking in recv or poll when needed), honours the signal mark of the entry, and handles REGISTER (fork) and REMOVE (exit).',
    initial: 'idle',
    count: (L) => (L.posix ? L.posix.slots : 0),
    pc: (L, i) => L.posix!.rpc[i][d].wpc,
    states: {
      idle: {
        description: 'waiting for a request in the slot',
        on: {
          WorkerTakesRequest: [
            { guard: 'markedAndWouldBlock', target: 'idle', actions: 'answerEintr' },
            { guard: 'blocksAtPickup', target: 'blocked', actions: 'block' },
            { guard: 'submitted', target: 'idle', actions: 'execute' },
          ],
        },
      },
      blocked: {
        description: 'the request blocks in the kernel (recv on an empty socket, or a service poll with nothing ready)',
        on: {
          WorkerResumesRequest: { guard: 'canProceed', target: 'idle', actions: 'execute' },
          WorkerInterrupted: { guard: 'marked', target: 'idle', actions: 'answerEintr' },
          WorkerTimesOut: { guard: 'finitePoll', target: 'idle', actions: 'answerTimeout' },
        },
      },
    },
    guards: {
      submitted: (c) => c.s[Q(c).st] === 1,
      markedAndWouldBlock: (c) => c.s[Q(c).st] === 1 && c.s[Q(c).sig] !== 0 && blocksAtPickup(c),
      blocksAtPickup: (c) => c.s[Q(c).st] === 1 && blocksAtPickup(c),
      canProceed,
      marked: (c) => c.s[Q(c).sig] !== 0,
      finitePoll: (c) => op(c) === POLL && (arg(c, 2) & 2) !== 0,
    },
    guardDocs: {
      submitted: 'a request is waiting in the slot',
      markedAndWouldBlock: 'the request is marked by a signal and would block: EINTR at once',
      blocksAtPickup: 'the request would block',
      canProceed: 'the blocked request can complete (data arrived, a descriptor is ready, or the eventfd was kicked)',
      marked: 'the caller marked the entry (a signal record arrived)',
      finitePoll: 'a service poll with a finite timeout',
    },
    actions: {
      execute,
      block: (c) => {
        c.s[Q(c).st] = 2;
        if (op(c) === POLL && bug(c, 'lost-kick')) c.s[efd(c)] = 0;
      },
      answerEintr: (c) => {
        if (op(c) === POLL) pollReturns(c);
        answer(c, -1, EINTR, 0);
      },
      answerTimeout: (c) => {
        pollReturns(c);
        c.s[Q(c).timed] = 1;
        answer(c, 0, 0, 0);
      },
    },
    events: {
      WorkerTakesRequest: {
        from: `${name} worker`,
        to: 'request slot, shadow process',
        description: 'take the request and run it (or block, or answer EINTR for a marked request that would block)',
        label: (c, target) => {
          if (target === 'blocked') return `${who(c)} takes ${what(c)}: it blocks${op(c) === POLL && bug(c, 'lost-kick') ? ` (arming resets the eventfd${c.s[efd(c)] ? ', losing a kick' : ''}: the bug)` : ''}`;
          if (c.s[Q(c).sig] && blocksAtPickup(c)) return `${who(c)} takes ${what(c)}, marked by a signal: returns EINTR without blocking`;
          return `${who(c)} executes ${what(c)} in P${proc(c) + 1}'s shadow process: ${outcome(c)}`;
        },
      },
      WorkerResumesRequest: {
        from: `${name} kernel`,
        to: `${name} worker`,
        description: 'the blocked request can complete',
        label: (c) => `${who(c)} wakes: ${what(c)} completes: ${outcome(c)}`,
      },
      WorkerInterrupted: {
        from: 'signal record (from the caller)',
        to: `${name} worker`,
        description: 'the worker blocked on a marked request is interrupted: EINTR',
        label: (c) => `${who(c)} is interrupted by the signal record: ${what(c)} returns EINTR`,
      },
      WorkerTimesOut: {
        from: 'timer',
        to: `${name} worker`,
        description: "the service poll's timeout expires",
        label: (c) => `${who(c)} times out: ${what(c)} returns 0`,
      },
    },
  });
}

export const storageWorker = makeWorker(STO);
export const networkWorker = makeWorker(NET);
