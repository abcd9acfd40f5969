/**
 * A service domain's syscall-backend as the recovery layer sees it: one actor per domain (BN for the
 * network domain, BS for the storage domain) that exists for one incarnation at a time.
 *
 * The incarnation's boot (fresh grants, fresh ports, REGISTER) is the isolation layer's service-domain
 * actor (service-domain.ts); this actor serves requests once that one is serving, i.e. once the
 * frontend has connected and the domain has mapped the ready queues. Serving, it takes a request submitted to this
 * very incarnation by a process whose shadow process this incarnation created, executes it (the file
 * system writes the page cache or syncs it to disk; the network stack sends a chunk to the peer) and
 * writes the result into the request entry; then, in a second step, it completes it: queues the
 * caller's handle on the process's ready queue and pushes a notify record tagged with its incarnation.
 * A crash between the two steps leaves a call executed but never acknowledged, which is what makes EIO
 * mean "may or may not have happened"; so does an orderly stop, after which the backend drops the
 * completion instead of writing into the ready queue and ring the frontend has let go of.
 *
 * An orderly stop (the administrator's `stop`): once the frontend has DISCONNECTed, the backend syncs
 * the page cache (storage), destroys its shadow processes and UNREGISTERs (one step), then asks the
 * hypervisor to shut the domain down (a second step, SCHEDOP_shutdown; the lifecycle machine halts it).
 *
 * Its steps are taken only while the hypervisor runs the domain; destroying the domain wipes it
 * (`wipeRecoveryDomain`, called by the hypervisor's destroy), so a restarted incarnation starts afresh.
 *
 * The `fsync-early` seeded bug acknowledges fsync without writing the page cache to disk (it is written
 * back only when the file is closed).
 *
 * Simplifications: one request at a time per domain (the worker pool is the dispatch model's); the
 * request, its handle and its record are the abstract tokens of the dispatch protocol's entry, ready
 * queue and notify ring.
 *
 * VIRTUOS.md: "Failure and recovery" (the backend unregisters and registers afresh), "The dispatch protocol" step 3.
 */
import { defineComponent, type Component, type Ctx } from '../kit/kit.ts';
import { currentDomid, SERVICE_SERVING, type IsolationLayout } from '../isolation/layout.ts';
import type { Layout } from '../kit/layout.ts';
import { connectedTo, RV, rendezvousOp } from '../isolation/rendezvous.ts';
import {
  CALL_PENDING,
  clientsOf,
  DOMAIN_NAMES,
  domainRunning,
  domidAt,
  epochOf,
  NET,
  OP_CLOSE,
  OP_NAMES,
  OP_OPEN,
  OP_SYNC,
  OP_XFER,
  RING,
  slotOf,
  STO,
  type RecoveryLayout,
} from './layout.ts';

const R = (c: Ctx): RecoveryLayout => c.L.rec!;

/** The descriptor number a successful open returns (the domain's own lowest free number). */
export const OPEN_FD = 3;

const iso = (c: Ctx): IsolationLayout => c.L.iso!;
/** Control state of the backend's `serve` (checked below). */
const BACKEND_SERVE = 0;

/** What the destruction of domain d wipes of this layer: the backend's state, the notify ring, the shadow processes, the administrator's stop. */
export function wipeRecoveryDomain(s: Int32Array, L: Layout, d: number): void {
  const R = L.rec!;
  const w = R.dom[d];
  s[w.b] = BACKEND_SERVE;
  s[w.bCur] = -1;
  for (let i = 0; i < RING; i++) {
    s[w.ringThr + i] = 0;
    s[w.ringEp + i] = 0;
  }
  s[w.ringLen] = 0;
  s[w.stopReq] = 0;
  s[w.shutdown] = 0;
  for (const p of clientsOf(d)) s[R.client[p].shadow] = -1;
}

function backend(d: number): Component {
  const name = DOMAIN_NAMES[d];
  const slot = slotOf(d);
  const sysid = d; // the layer numbers domains by service id
  const w = (c: Ctx) => R(c).dom[d];
  const epoch = (c: Ctx) => epochOf(c.s, iso(c), d);
  const connected = (c: Ctx) => connectedTo(c.s, iso(c), sysid, currentDomid(c.s, iso(c), slot));
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
      `The ${name} domain's syscall-backend for one incarnation, once its boot (grants, ports, REGISTER: service-domain.ts) is done: serve requests of its own incarnation ` +
      '(execute, then complete: queue the handle and push a notify record tagged with the incarnation); on an orderly stop, sync, destroy the shadow processes and UNREGISTER, then shut the domain down. It stops with its domain.',
    initial: 'serve',
    count: (L) => (L.rec ? 1 : 0),
    pc: (L) => L.rec!.dom[d].b,
    runnable: (c) => domainRunning(c.s, iso(c), d),
    states: {
      serve: {
        description: 'its incarnation is connected; serves requests of its incarnation',
        on: {
          BackendExecutesCall: { guard: 'requestWaiting', target: 'complete', actions: 'execute' },
          BackendUnregisters: { guard: 'stoppedAndDisconnected', target: 'stopping', actions: 'unregister' },
        },
      },
      complete: {
        description: 'a call executed, its result in the request entry; about to queue the handle and push the notify record',
        on: {
          BackendCompletesCall: [
            { guard: 'disconnected', target: 'serve', actions: 'dropCompletion' },
            { guard: 'ringHasRoom', target: 'serve', actions: 'complete' },
          ],
        },
      },
      stopping: { description: 'unregistered after an orderly stop; about to ask the hypervisor to shut the domain down', on: { BackendShutsDomainDown: { target: 'off', actions: 'requestShutdown' } } },
      off: { description: 'stopped; waits to be destroyed with its domain' },
    },
    guards: {
      requestWaiting: (c) => c.s[iso(c).service[slot - 1].pc] === SERVICE_SERVING && nextRequest(c) >= 0,
      ringHasRoom: (c) => c.s[w(c).ringLen] < RING,
      disconnected: (c) => !connected(c),
      stoppedAndDisconnected: (c) => c.s[w(c).stopReq] !== 0 && c.s[iso(c).rvState[sysid]] === RV.DISCONNECTED && c.s[iso(c).rvDomid[sysid]] === currentDomid(c.s, iso(c), slot),
    },
    guardDocs: {
      requestWaiting: 'the domain serves (its boot actor has mapped the ready queues) and a process whose shadow process this incarnation made has a request submitted to this incarnation that is not executed yet',
      ringHasRoom: 'the notify ring has room for a record',
      disconnected: 'the rendezvous no longer says CONNECTED to this incarnation (the frontend has disconnected: an orderly stop)',
      stoppedAndDisconnected: 'the administrator asked for a stop and the frontend has DISCONNECTed this incarnation',
    },
    actions: {
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
      dropCompletion: (c) => {
        c.s[w(c).bCur] = -1;
      },
      unregister: (c) => {
        const r = R(c);
        if (d === STO) for (let i = 0; i < c.L.cfg.chunks; i++) c.s[r.disk + i] = c.s[r.cache + i];
        for (const p of clientsOf(d)) c.s[r.client[p].shadow] = -1;
        rendezvousOp(c.s, iso(c), currentDomid(c.s, iso(c), slot), 'UNREGISTER', sysid);
      },
      requestShutdown: (c) => {
        c.s[w(c).shutdown] = 1;
      },
    },
    events: {
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
        description: "queue the caller's handle and push a notify record tagged with the incarnation; once the frontend has disconnected, drop the completion (the caller has been failed, its shadow process is going)",
        label: (c, target) =>
          connected(c) ? `queues C${c.s[w(c).bCur] + 1}'s handle and pushes a notify record of dom${domidAt(d, epoch(c))}` : `drops C${c.s[w(c).bCur] + 1}'s completion: the frontend has disconnected dom${domidAt(d, epoch(c))}`,
      },
      BackendUnregisters: {
        from: `syscall-backend (${name} domain)`,
        to: `${d === STO ? 'disk, ' : ''}shadow processes, rendezvous (hypervisor)`,
        description: `${d === STO ? 'write the page cache back to disk, ' : ''}destroy the shadow processes and UNREGISTER`,
        label: (c) => `dom${domidAt(d, epoch(c))} ${d === STO ? 'syncs its page cache, ' : ''}destroys its shadow processes and UNREGISTERs`,
      },
      BackendShutsDomainDown: {
        from: `${name} domain (SCHEDOP_shutdown)`,
        to: 'hypervisor',
        description: 'ask the hypervisor to shut the domain down',
        label: (c) => `dom${domidAt(d, epoch(c))} asks to be shut down`,
      },
    },
  });
}

/** The backends, indexed by domain (network = 0, storage = 1). */
export const recoveryBackend: readonly Component[] = [backend(NET), backend(STO)];
for (const b of recoveryBackend) if (b.stateIndex.get('serve') !== BACKEND_SERVE) throw new Error('recovery-backend: serve must be the first state');
