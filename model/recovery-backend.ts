/**
 * A service domain's syscall-backend as the recovery layer sees it: one actor per domain (BN for the
 * network domain, BS for the storage domain) that exists for one incarnation at a time.
 *
 * When the domain runs and is not registered it grants dom0 its shared pages and allocates its
 * event-channel ports (fresh ones: this incarnation's), and REGISTERs with the rendezvous. Serving, it
 * takes a request submitted to this very incarnation by a process whose shadow process this incarnation
 * created, executes it (the file system writes the page cache or syncs it to disk; the network stack
 * sends a chunk to the peer) and writes the result into the request entry; then, in a second step, it
 * completes it: queues the caller's handle on the process's ready queue and pushes a notify record
 * tagged with its incarnation. A crash between the two steps leaves a call executed but never
 * acknowledged, which is what makes EIO mean "may or may not have happened".
 *
 * Its steps are taken only while the hypervisor runs the domain; the admin tool's clean resets it.
 *
 * The `fsync-early` seeded bug acknowledges fsync without writing the page cache to disk (it is written
 * back only when the file is closed).
 *
 * Simplifications: one request at a time per domain (the worker pool is the dispatch model's); the
 * request, its handle and its record are the abstract tokens of the dispatch protocol's entry, ready
 * queue and notify ring.
 *
 * VIRTUOS.md: "Failure and recovery" (the backend registers afresh), "The dispatch protocol" step 3.
 */
import { defineComponent, type Component, type Ctx } from './kit.ts';
import {
  CALL_PENDING,
  clientsOf,
  DOMAIN_NAMES,
  domidAt,
  LIFE_RUNNING,
  NET,
  OP_CLOSE,
  OP_NAMES,
  OP_OPEN,
  OP_SYNC,
  OP_XFER,
  RING,
  RV_REGISTERED,
  RV_UNREGISTERED,
  STO,
  type RecoveryLayout,
} from './recovery-layout.ts';

const R = (c: Ctx): RecoveryLayout => c.L.rec!;

/** The descriptor number a successful open returns (the domain's own lowest free number). */
export const OPEN_FD = 3;

function backend(d: number): Component {
  const name = DOMAIN_NAMES[d];
  const w = (c: Ctx) => R(c).dom[d];
  const epoch = (c: Ctx) => c.s[w(c).epoch];
  /** The first client with a request for this incarnation that it has not executed yet, or -1. */
  const nextRequest = (c: Ctx) => {
    for (const p of clientsOf(d)) {
      const cl = R(c).client[p];
      if (c.s[cl.status] === CALL_PENDING && c.s[cl.entry] === epoch(c) && c.s[cl.reqEp] === epoch(c) && c.s[cl.served] === 0 && c.s[cl.shadow] === epoch(c)) return p;
    }
    return -1;
  };
  const execute = (c: Ctx) => {
    const r = R(c);
    const p = nextRequest(c);
    const cl = r.client[p];
    const op = c.s[cl.op];
    let res = 0;
    if (op === OP_OPEN) {
      res = OPEN_FD;
      // a new connection: the peer starts counting the stream again
      if (d === NET) c.s[cl.peer] = 0;
    }
    else if (op === OP_XFER) {
      const k = c.s[cl.k];
      if (d === STO) c.s[r.cache + k] = k + 1;
      else if (c.s[cl.peer] === k) c.s[cl.peer]++;
      res = 1;
    } else if (op === OP_SYNC) {
      if (c.L.cfg.bug !== 'fsync-early') for (let i = 0; i < c.L.cfg.chunks; i++) c.s[r.disk + i] = c.s[r.cache + i];
    } else if (op === OP_CLOSE) {
      if (d === STO && c.L.cfg.bug === 'fsync-early') for (let i = 0; i < c.L.cfg.chunks; i++) c.s[r.disk + i] = c.s[r.cache + i];
    }
    c.s[cl.eres] = res;
    c.s[cl.served] = 1;
    c.s[w(c).bCur] = p;
  };
  return defineComponent({
    id: `recovery-${name}-backend`,
    prefix: d === NET ? 'BN' : 'BS',
    section: 'Failure and recovery',
    description:
      `The ${name} domain's syscall-backend for one incarnation: grant its pages, allocate fresh ports and REGISTER; serve requests of its own incarnation ` +
      '(execute, then complete: queue the handle and push a notify record tagged with the incarnation). It stops with its domain.',
    // the first incarnation has booted and registered before the run starts (initRecovery)
    initial: 'serve',
    count: (L) => (L.rec ? 1 : 0),
    pc: (L) => L.rec!.dom[d].b,
    runnable: (c) => c.s[w(c).life] === LIFE_RUNNING,
    states: {
      off: {
        description: 'a restarted incarnation has booted; not registered yet',
        on: { BackendRegisters: { guard: 'unregistered', target: 'serve', actions: 'register' } },
      },
      serve: {
        description: 'registered; serves requests of its incarnation',
        on: { BackendExecutesCall: { guard: 'requestWaiting', target: 'complete', actions: 'execute' } },
      },
      complete: {
        description: 'a call executed, its result in the request entry; about to queue the handle and push the notify record',
        on: { BackendCompletesCall: { guard: 'ringHasRoom', target: 'serve', actions: 'complete' } },
      },
    },
    guards: {
      unregistered: (c) => c.s[w(c).rv] === RV_UNREGISTERED,
      requestWaiting: (c) => nextRequest(c) >= 0,
      ringHasRoom: (c) => c.s[w(c).ringLen] < RING,
    },
    guardDocs: {
      unregistered: 'the rendezvous for this service id is UNREGISTERED (the previous incarnation was cleaned up)',
      requestWaiting: 'a process whose shadow process this incarnation made has a request submitted to this incarnation that is not executed yet',
      ringHasRoom: 'the notify ring has room for a record',
    },
    actions: {
      register: (c) => {
        c.s[w(c).grant] = epoch(c);
        c.s[w(c).port] = epoch(c);
        c.s[w(c).rv] = RV_REGISTERED;
      },
      execute,
      complete: (c) => {
        const p = c.s[w(c).bCur];
        const n = c.s[w(c).ringLen];
        c.s[R(c).client[p].rq] = epoch(c);
        c.s[w(c).ringThr + n] = p;
        c.s[w(c).ringEp + n] = epoch(c);
        c.s[w(c).ringLen] = n + 1;
        c.s[w(c).bCur] = -1;
      },
    },
    events: {
      BackendRegisters: {
        from: `syscall-backend (${name} domain)`,
        to: 'grant table, event channels, rendezvous (hypervisor)',
        description: 'grant dom0 the shared pages, allocate fresh ports, REGISTER',
        label: (c) => `dom${domidAt(d, epoch(c))} grants its pages, allocates fresh ports and registers`,
      },
      BackendExecutesCall: {
        from: `shadow-process worker (${name} domain)`,
        to: `request entry, ${d === STO ? 'page cache / disk' : 'network peer'}`,
        description: 'execute the request and write its result into the request entry',
        label: (c) => {
          const p = nextRequest(c);
          const cl = R(c).client[p];
          const op = c.s[cl.op];
          return `executes C${p + 1}'s ${OP_NAMES[op]}${op === OP_XFER ? ` of chunk ${c.s[cl.k]}` : ''} in dom${domidAt(d, epoch(c))}`;
        },
      },
      BackendCompletesCall: {
        from: `shadow-process worker (${name} domain)`,
        to: 'ready queue, notify ring',
        description: "queue the caller's handle and push a notify record tagged with the incarnation",
        label: (c) => `queues C${c.s[w(c).bCur] + 1}'s handle and pushes a notify record of dom${domidAt(d, epoch(c))}`,
      },
    },
  });
}

/** The backends, indexed by domain (network = 0, storage = 1). */
export const recoveryBackend: readonly Component[] = [backend(NET), backend(STO)];
