/**
 * The service domains' side of a remote call carried by the request slot (`transport: 'rpc'`): a
 * kernel worker thread of the caller's shadow process (syscall-backend) takes the request, runs it
 * (service.ts: the ordinary system call in the domain's kernel on the shadow process's descriptor
 * table, blocking, signals, REGISTER and REMOVE), and answers. One machine per (service domain,
 * thread slot): S1..Sn in the storage domain, N1..Nn in the network domain, the worker that serves
 * slot i's requests.
 *
 * The transport is abstracted, deliberately: a remote call is an exactly-once, right-thread RPC with
 * its own interleaving points (the caller submits; this worker picks it up at some later step and
 * executes it, or blocks in the kernel; the caller collects the answer later). The dispatch model
 * (sclib.ts, worker-pool.ts, ...) verifies that the lock-free request stacks and ready queue give
 * exactly that (properties exactly-once, right-thread, linearizable, no-lost-wakeup), and with
 * `transport: 'dispatch'` (the composed system's default) the POSIX calls run through those machines
 * instead; a test checks on random programs that both transports give the same results. A worker per
 * slot stands for the pool keeping an idle worker available (a blocked call never stops another from
 * being served), which is what the backend's spawning guarantees.
 *
 * With `transport: 'dispatch'` these machines serve only REGISTER and REMOVE, the backend's control
 * path (service.ts).
 *
 * VIRTUOS.md: "The dispatch protocol" (step 3), "Descriptors, fork, exec, polling, signals".
 */
import { transportOf } from '../kit/config.ts';
import { serviceRuns } from '../system/instance.ts';
import { defineComponent, type Ctx } from '../kit/kit.ts';
import { NET, STO } from './kernel.ts';
import { answerEintr, answerTimeout, block, blocksAtPickup, canProceed, execute, finitePoll, isControl, marked, reqOp, requestText, outcomeText, submitted, takeUpLabel, whoServes, type Req } from './service.ts';

function makeWorker(d: number) {
  const req = (c: Ctx): Req => ({ d, slot: c.me });
  /** With the dispatch transport the slot carries only the control path. */
  const mine = (c: Ctx) => submitted(c, req(c)) && (transportOf(c.L.cfg) !== 'dispatch' || isControl(reqOp(c, req(c))));
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
    // composed system: the domain's own thread, stepping only while the hypervisor runs it and the frontend has it RUNNING
    runnable: (c) => serviceRuns(c.s, c.L, d),
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
      submitted: mine,
      markedAndWouldBlock: (c) => mine(c) && marked(c, req(c)) && blocksAtPickup(c, req(c)),
      blocksAtPickup: (c) => mine(c) && blocksAtPickup(c, req(c)),
      canProceed: (c) => canProceed(c, req(c)),
      marked: (c) => marked(c, req(c)),
      finitePoll: (c) => finitePoll(c, req(c)),
    },
    guardDocs: {
      submitted: 'a request is waiting in the slot (with the dispatch transport: a REGISTER or REMOVE)',
      markedAndWouldBlock: 'the request is marked by a signal and would block: EINTR at once',
      blocksAtPickup: 'the request would block',
      canProceed: 'the blocked request can complete (data arrived, a descriptor is ready, or the eventfd was kicked)',
      marked: 'the caller marked the entry (a signal record arrived)',
      finitePoll: 'a service poll with a finite timeout',
    },
    actions: {
      execute: (c) => execute(c, req(c), true),
      block: (c) => block(c, req(c)),
      answerEintr: (c) => answerEintr(c, req(c), true),
      answerTimeout: (c) => answerTimeout(c, req(c), true),
    },
    events: {
      WorkerTakesRequest: {
        from: `${name} worker`,
        to: 'request slot, shadow process',
        description: 'take the request and run it (or block, or answer EINTR for a marked request that would block)',
        label: (c, target) => `${whoServes(req(c))} ${takeUpLabel(c, req(c), target === 'blocked')}`,
      },
      WorkerResumesRequest: {
        from: `${name} kernel`,
        to: `${name} worker`,
        description: 'the blocked request can complete',
        label: (c) => `${whoServes(req(c))} wakes: ${requestText(c, req(c))} completes: ${outcomeText(c, req(c))}`,
      },
      WorkerInterrupted: {
        from: 'signal record (from the caller)',
        to: `${name} worker`,
        description: 'the worker blocked on a marked request is interrupted: EINTR',
        label: (c) => `${whoServes(req(c))} is interrupted by the signal record: ${requestText(c, req(c))} returns EINTR`,
      },
      WorkerTimesOut: {
        from: 'timer',
        to: `${name} worker`,
        description: "the service poll's timeout expires",
        label: (c) => `${whoServes(req(c))} times out: ${requestText(c, req(c))} returns 0`,
      },
    },
  });
}

export const storageWorker = makeWorker(STO);
export const networkWorker = makeWorker(NET);
