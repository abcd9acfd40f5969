/**
 * The syscall-frontend's recovery duties in the primary domain, per service domain: the connection
 * (control actor FCN / FCS) with its RUNNING bit and reference count, and the notify thread (FRN / FRS)
 * that turns the domain's notify records into completed calls.
 *
 * Connection: when a registered incarnation runs, the frontend connects: maps its pages, binds its
 * event channels, registers the processes that use the domain (the backend creates their shadow
 * processes), takes the connection's own reference and sets RUNNING. On the disconnect notification it
 * clears RUNNING and, holding its lock over the domain table only for that, fails every call pending in
 * that incarnation (EIO for storage, ECONNRESET for network: model/recovery.ts), then drops the
 * connection's reference. Every call in flight holds a reference of its own, taken when it is submitted
 * and dropped when the caller returns; when the count reaches zero the frontend tears the connection
 * down (unmaps the pages, closes its channel ends, drops queued handles and ring records of that
 * incarnation) and DISCONNECTs, after which the administrator's clean may destroy the domain.
 *
 * Notify thread: pops the oldest record while the ring is mapped, and completes the call it names only
 * if the record's incarnation is the connected one, RUNNING is set and the call is pending in that same
 * incarnation; anything else (a record of a failed incarnation, popped before the teardown and held
 * across the restart) is dropped.
 *
 * Seeded bugs: `no-fail-pending` skips failing the waiters (they hang); `stale-completion` delivers a
 * record to whatever call of that domain is pending, without comparing incarnations;
 * `storage-waits-network` keeps the frontend's lock from the disconnect until the domain is connected
 * again, so a storage call, which takes the lock to wake its domain, waits for the network domain.
 *
 * Simplifications: connect is one step (the rendezvous PREPARE, bind, map, CONNECT of the isolation
 * layer); the lock is one word that the submit path takes and releases within its one step.
 *
 * VIRTUOS.md: "Failure and recovery" (RUNNING bit, reference count, teardown), "The dispatch protocol".
 */
import { defineComponent, type Component, type Ctx } from './kit.ts';
import { pendingError } from './recovery.ts';
import {
  CALL_DONE,
  CALL_PENDING,
  clientsOf,
  domainOfClient,
  DOMAIN_NAMES,
  domidAt,
  LIFE_RUNNING,
  NET,
  RV_CONNECTED,
  RV_DISCONNECTED,
  RV_REGISTERED,
  STO,
  type RecoveryLayout,
} from './recovery-layout.ts';

const R = (c: Ctx): RecoveryLayout => c.L.rec!;

function control(d: number): Component {
  const name = DOMAIN_NAMES[d];
  const w = (c: Ctx) => R(c).dom[d];
  const fe = (c: Ctx) => c.s[w(c).fe];
  const pendingHere = (c: Ctx) => clientsOf(d).filter((p) => c.s[R(c).client[p].status] === CALL_PENDING && c.s[R(c).client[p].reqEp] === fe(c));
  return defineComponent({
    id: `recovery-frontend-${name}-connection`,
    prefix: d === NET ? 'FCN' : 'FCS',
    section: 'Failure and recovery',
    description:
      `The frontend's connection to the ${name} domain: connect to a registered incarnation (map, bind, register processes, RUNNING set, one reference); ` +
      'on the disconnect notification clear RUNNING, fail the pending calls, drop its reference, and tear down when the count reaches zero.',
    // connected to the first incarnation before the run starts (initRecovery)
    initial: 'connected',
    count: (L) => (L.rec ? 1 : 0),
    pc: (L) => L.rec!.dom[d].fc,
    states: {
      disconnected: { description: 'no connection; waits for a registered incarnation', on: { FrontendConnects: { guard: 'registeredAndRunning', target: 'connected', actions: 'connect' } } },
      connected: { description: 'connected, RUNNING set', on: { FrontendTakesDisconnect: { guard: 'disconnectPending', target: 'failing', actions: 'takeDisconnect' } } },
      failing: { description: 'RUNNING cleared, lock held; about to fail the calls pending in the incarnation', on: { FrontendFailsPendingCalls: { target: 'dropping', actions: 'failPending' } } },
      dropping: { description: "about to drop the connection's own reference", on: { FrontendDropsConnectionRef: { target: 'draining', actions: 'dropRef' } } },
      draining: { description: 'waits for the reference count to reach zero', on: { FrontendTearsDown: { guard: 'noReferences', target: 'disconnected', actions: 'tearDown' } } },
    },
    guards: {
      registeredAndRunning: (c) => c.s[w(c).rv] === RV_REGISTERED && c.s[w(c).life] === LIFE_RUNNING,
      disconnectPending: (c) => c.s[w(c).disc] !== 0,
      noReferences: (c) => c.s[w(c).refs] === 0,
    },
    guardDocs: {
      registeredAndRunning: 'an incarnation of the domain runs and has registered',
      disconnectPending: 'the hypervisor raised the disconnect notification',
      noReferences: 'the reference count is zero (no call in flight)',
    },
    actions: {
      connect: (c) => {
        const ep = c.s[w(c).epoch];
        c.s[w(c).fe] = ep;
        c.s[w(c).map] = ep;
        c.s[w(c).chan] = ep;
        c.s[w(c).rv] = RV_CONNECTED;
        for (const p of clientsOf(d)) c.s[R(c).client[p].shadow] = ep;
        c.s[w(c).refs] = 1;
        c.s[w(c).running] = 1;
        if (c.L.cfg.bug === 'storage-waits-network' && c.s[R(c).feLock] === d) c.s[R(c).feLock] = -1;
      },
      takeDisconnect: (c) => {
        c.s[w(c).disc] = 0;
        c.s[w(c).running] = 0;
        c.s[R(c).feLock] = d;
      },
      failPending: (c) => {
        if (c.L.cfg.bug !== 'no-fail-pending')
          for (const p of pendingHere(c)) {
            const cl = R(c).client[p];
            c.s[cl.status] = CALL_DONE;
            c.s[cl.res] = pendingError(d);
            c.s[cl.resEp] = -1;
          }
        if (c.L.cfg.bug !== 'storage-waits-network') c.s[R(c).feLock] = -1;
      },
      dropRef: (c) => {
        c.s[w(c).refs]--;
      },
      tearDown: (c) => {
        const ep = fe(c);
        c.s[w(c).map] = -1;
        c.s[w(c).chan] = -1;
        for (const p of clientsOf(d)) {
          const cl = R(c).client[p];
          if (c.s[cl.rq] === ep) c.s[cl.rq] = -1;
          if (c.s[cl.entry] === ep) c.s[cl.entry] = -1;
        }
        for (let i = 0; i < c.s[w(c).ringLen]; i++) {
          c.s[w(c).ringThr + i] = 0;
          c.s[w(c).ringEp + i] = 0;
        }
        c.s[w(c).ringLen] = 0;
        c.s[w(c).fe] = -1;
        c.s[w(c).rv] = RV_DISCONNECTED;
      },
    },
    events: {
      FrontendConnects: {
        from: 'syscall-frontend (primary domain)',
        to: `${name} domain's pages and ports, rendezvous`,
        description: 'map the pages, bind the channels, register the processes, CONNECT, set RUNNING with one reference',
        label: (c) => `connects to dom${domidAt(d, c.s[w(c).epoch])} (maps its pages, binds fresh channels, RUNNING set)`,
      },
      FrontendTakesDisconnect: {
        from: 'hypervisor (disconnect notification)',
        to: `frontend (${name})`,
        description: 'take the disconnect notification: clear RUNNING under the frontend lock',
        label: (c) => `takes the disconnect of dom${domidAt(d, fe(c))}: RUNNING cleared`,
      },
      FrontendFailsPendingCalls: {
        from: `frontend (${name})`,
        to: 'waiting callers',
        description: `complete every call pending in the failed incarnation with ${d === STO ? 'EIO' : 'ECONNRESET'}, release the lock`,
        label: (c) => {
          const ps = pendingHere(c);
          const what = c.L.cfg.bug === 'no-fail-pending' ? 'leaves the pending calls waiting (no-fail-pending)' : ps.length ? `fails ${ps.map((p) => `C${p + 1}`).join(', ')} with ${d === STO ? 'EIO' : 'ECONNRESET'}` : 'finds no pending call';
          return c.L.cfg.bug === 'storage-waits-network' ? `${what}, keeps the frontend lock` : what;
        },
      },
      FrontendDropsConnectionRef: { from: `frontend (${name})`, to: 'reference count', description: "drop the connection's own reference", label: (c) => `drops its connection reference (count ${c.s[w(c).refs]} -> ${c.s[w(c).refs] - 1})` },
      FrontendTearsDown: {
        from: `frontend (${name})`,
        to: 'mappings, event channels, ready queues, notify ring, rendezvous',
        description: 'with no reference left: unmap, close the channel ends, drop handles and records of the incarnation, DISCONNECT',
        label: (c) => `tears down the connection to dom${domidAt(d, fe(c))} (unmaps, closes channels, DISCONNECT)`,
      },
    },
  });
}

function notify(d: number): Component {
  const name = DOMAIN_NAMES[d];
  const w = (c: Ctx) => R(c).dom[d];
  const deliverable = (c: Ctx) => {
    const p = c.s[w(c).frThr];
    if (p < 0 || domainOfClient(p) !== d) return false;
    const cl = R(c).client[p];
    if (c.s[cl.status] !== CALL_PENDING) return false;
    if (c.L.cfg.bug === 'stale-completion') return true;
    const ep = c.s[w(c).frEp];
    return ep === c.s[w(c).fe] && c.s[w(c).running] === 1 && c.s[cl.reqEp] === ep;
  };
  return defineComponent({
    id: `recovery-frontend-${name}-notify`,
    prefix: d === NET ? 'FRN' : 'FRS',
    section: 'Failure and recovery',
    description: `The frontend's notify thread for the ${name} domain: pop a record while the ring is mapped; complete the named call only if it is pending in the record's incarnation, the connected one.`,
    initial: 'idle',
    count: (L) => (L.rec ? 1 : 0),
    pc: (L) => L.rec!.dom[d].fr,
    states: {
      idle: { description: 'waits for a record in the mapped ring', on: { FrontendPopsRecord: { guard: 'ringMappedNonEmpty', target: 'deliver', actions: 'pop' } } },
      deliver: {
        description: 'holds a record; about to complete the call it names or drop it',
        on: {
          FrontendDeliversCompletion: [
            { guard: 'deliverable', target: 'idle', actions: 'deliver' },
            { target: 'idle', actions: 'drop' },
          ],
        },
      },
    },
    guards: {
      ringMappedNonEmpty: (c) => c.s[w(c).fe] >= 0 && c.s[w(c).map] === c.s[w(c).fe] && c.s[w(c).ringLen] > 0,
      deliverable,
    },
    guardDocs: {
      ringMappedNonEmpty: "the connected incarnation's ring is mapped and holds a record",
      deliverable: "the record's incarnation is the connected one, RUNNING is set, and the call it names is pending in that incarnation (stale-completion: any pending call of the domain)",
    },
    actions: {
      pop: (c) => {
        const n = c.s[w(c).ringLen];
        c.s[w(c).frThr] = c.s[w(c).ringThr];
        c.s[w(c).frEp] = c.s[w(c).ringEp];
        for (let i = 0; i + 1 < n; i++) {
          c.s[w(c).ringThr + i] = c.s[w(c).ringThr + i + 1];
          c.s[w(c).ringEp + i] = c.s[w(c).ringEp + i + 1];
        }
        c.s[w(c).ringThr + n - 1] = 0;
        c.s[w(c).ringEp + n - 1] = 0;
        c.s[w(c).ringLen] = n - 1;
      },
      deliver: (c) => {
        const cl = R(c).client[c.s[w(c).frThr]];
        c.s[cl.status] = CALL_DONE;
        c.s[cl.res] = c.s[cl.eres];
        c.s[cl.resEp] = c.s[w(c).frEp];
        c.s[w(c).frThr] = -1;
        c.s[w(c).frEp] = -1;
      },
      drop: (c) => {
        c.s[w(c).frThr] = -1;
        c.s[w(c).frEp] = -1;
      },
    },
    events: {
      FrontendPopsRecord: {
        from: `frontend notify thread (${name})`,
        to: 'notify ring',
        description: 'pop the oldest record',
        label: (c) => `pops the record {C${c.s[w(c).ringThr] + 1}, dom${domidAt(d, c.s[w(c).ringEp])}}`,
      },
      FrontendDeliversCompletion: {
        from: `frontend notify thread (${name})`,
        to: 'waiting caller',
        description: 'complete the named call with the result in its request entry, or drop a stale record',
        label: (c) =>
          deliverable(c) ? `completes C${c.s[w(c).frThr] + 1}'s call with the result of dom${domidAt(d, c.s[w(c).frEp])}` : `drops the stale record {C${c.s[w(c).frThr] + 1}, dom${domidAt(d, c.s[w(c).frEp])}}`,
      },
    },
  });
}

/** Frontend connection and notify actors, indexed by domain (network = 0, storage = 1). */
export const frontendConnection: readonly Component[] = [control(NET), control(STO)];
export const frontendNotify: readonly Component[] = [notify(NET), notify(STO)];
