/**
 * The primary domain's side of the isolation layer: the syscall-frontend's connection to each service
 * domain, one actor per service domain (PS for storage, PN for network). The primary domain is dom0:
 * it is never created or destroyed, and its frames (the ready queues and its kernel memory) are its own
 * from the start.
 *
 * When the service domain has registered, the frontend PREPAREs (reading the domain id and the
 * references), binds its ends of the wake and notify channels, and maps the shared pages from the
 * service domain's grants: the notify ring into the kernel, and for each registered process the request
 * area and data area read-write into the process, the wake page read-only into the process and
 * read-write into the kernel (the frontend CAS-sets WAKE_IN_PROGRESS through that mapping, as in
 * frontend.c, where only the process mapping carries GNTMAP_readonly). It grants each registered
 * process's ready queue to the service domain, read-write, and CONNECTs. If any step is refused (a
 * compromised domain can withdraw its ports or grants) it unmaps what it mapped, closes its ports,
 * CANCELs and gives up on that incarnation of the domain.
 *
 * When the service domain stops running, the frontend DISCONNECTs, unmaps its pages and closes its
 * ports; once the hypervisor has destroyed the domain (which releases the domain's mappings of the
 * ready queues), it ends access on the ready-queue grants and CLEANs UP, so that a restarted domain can
 * register again.
 *
 * The `wake-writable` seeded bug maps the wake page read-write into processes; `ring-left-mapped`
 * (recovery layer) leaves the notify ring mapped at the teardown.
 *
 * With the failure-and-recovery layer on (recovery-frontend.ts), connecting also registers the
 * processes, takes the connection's reference and sets RUNNING; and when the domain stops running (or
 * the administrator asks for a stop) the frontend first clears RUNNING, fails the calls pending in the
 * incarnation and drops its reference, and DISCONNECTs, unmaps and closes only once the reference
 * count is zero (the last call in flight has returned).
 *
 * Simplifications: the connection is made for all registered processes at once (VirtuOS adds a process
 * when it first opens the device); each batch of hypercalls is one atomic step.
 *
 * VIRTUOS.md: "Components" (primary domain, syscall-frontend), "Memory and isolation", "Failure and recovery".
 */
import { bindInterdomain, canBind, closePort, portOf } from './event-channel.ts';
import { canGrant, canMap, endAccess, grantAccess, mapGrant, unmapGrant } from './grant-table.ts';
import {
  alive,
  currentDomid,
  NETWORK,
  PERM_RO,
  PERM_RW,
  PORT_FREE,
  PRIMARY,
  running,
  SERVICE_SERVING,
  SLOT_NAMES,
  STORAGE,
  sysidOf,
  type IsolationLayout,
} from './layout.ts';
import { defineComponent, type Component, type Ctx } from '../kit/kit.ts';
import { instanceQuiet } from '../system/incarnation.ts';
import { primaryKernel } from '../dispatch/primary-kernel.ts';
import { sclib } from '../dispatch/sclib.ts';
import type { Layout } from '../kit/layout.ts';
import { RV, rendezvousCheck, rendezvousOp } from './rendezvous.ts';
import { connectRecovery, dropConnectionRef, dropIncarnation, failPending, failPendingLabel, noReferences, stopRequested, takeDisconnect } from '../recovery/frontend.ts';

const iso = (c: Ctx): IsolationLayout => c.L.iso!;
const idleThreadPc = sclib.stateIndex.get('idle')!;
const exitedThreadPc = sclib.stateIndex.get('exited')!;
const runningKernelPc = primaryKernel.stateIndex.get('running')!;

export interface PlannedMap {
  slot: number;
  ref: number;
  perm: number;
}

const plannedMaps = new WeakMap<IsolationLayout, Map<number, Map<number, PlannedMap>>>();

/**
 * The primary's mappings of a service domain's pages: mapping slot -> the grant it maps and the
 * permission. A function of the layout, built once per layout and argument list (the frontend's
 * guards and the no-leak property ask for it on every step): the map returned is shared, not to be
 * changed.
 */
export function frontendMaps(I: IsolationLayout, slot: number, processes: number, wakeWritable: boolean): Map<number, PlannedMap> {
  let byArgs = plannedMaps.get(I);
  if (!byArgs) plannedMaps.set(I, (byArgs = new Map()));
  // a number, not a string: this runs on every step (slots and processes are small)
  const key = (slot * 1024 + processes) * 2 + (wakeWritable ? 1 : 0);
  let out = byArgs.get(key);
  if (!out) byArgs.set(key, (out = planMaps(I, slot, processes, wakeWritable)));
  return out;
}

function planMaps(I: IsolationLayout, slot: number, processes: number, wakeWritable: boolean): Map<number, PlannedMap> {
  const out = new Map<number, PlannedMap>();
  out.set(I.map.ring(slot), { slot, ref: I.ref.ring, perm: PERM_RW });
  for (let p = 0; p < processes; p++) {
    if (!I.registered(slot, p)) continue;
    out.set(I.map.req(slot, p), { slot, ref: I.ref.req(p), perm: PERM_RW });
    out.set(I.map.data(slot, p), { slot, ref: I.ref.data(p), perm: PERM_RW });
    out.set(I.map.wakeUser(slot, p), { slot, ref: I.ref.wake, perm: wakeWritable ? PERM_RW : PERM_RO });
    out.set(I.map.wakeKernel(slot, p), { slot, ref: I.ref.wake, perm: PERM_RW });
  }
  return out;
}

const primaryPortLists = new WeakMap<IsolationLayout, (readonly number[])[]>();

/** The primary's ends of a service domain's channels: its wake port, then its notify port (one array per layout and slot, read only). */
export function primaryPorts(I: IsolationLayout, slot: number): readonly number[] {
  let bySlot = primaryPortLists.get(I);
  if (!bySlot) primaryPortLists.set(I, (bySlot = []));
  return (bySlot[slot] ??= Object.freeze([I.port.primaryWake(slot), I.port.primaryNotify(slot)]));
}

/** The ready-queue grants the primary makes to a service domain: [reference, frame]. */
function queueGrants(I: IsolationLayout, slot: number, processes: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < processes; p++) if (I.registered(slot, p)) out.push([I.ref.rqTo(slot, p), I.frame.rqFor(slot, p)]);
  return out;
}

function primaryConnect(slot: number): Component {
  const name = SLOT_NAMES[slot];
  /** the recovery layer's index of this domain: its service id */
  const d = sysidOf(slot);
  const sysid = sysidOf(slot);
  const me = (c: Ctx) => iso(c).connect[slot - 1];
  const dom = (c: Ctx) => c.s[me(c).dom];
  const maps = (c: Ctx) => frontendMaps(iso(c), slot, c.L.cfg.processes, c.L.cfg.bug === 'wake-writable');
  const ports = (c: Ctx): [number, number][] => primaryPorts(iso(c), slot).map((q, i) => [q, i === 0 ? iso(c).port.wake : iso(c).port.notify]);
  const domainGone = (c: Ctx) => !running(c.s, iso(c), slot) || currentDomid(c.s, iso(c), slot) !== dom(c);
  const teardown = (c: Ctx) => {
    // the ring-left-mapped seeded bug forgets the notify ring
    for (const m of maps(c).keys()) if (c.L.cfg.bug !== 'ring-left-mapped' || m !== iso(c).map.ring(slot)) unmapGrant(c.s, c.L, PRIMARY, m);
    for (const [q] of ports(c)) if (c.s[portOf(c.L, PRIMARY, q)!.state] !== PORT_FREE) closePort(c.s, c.L, PRIMARY, q);
  };
  const endQueueGrants = (c: Ctx) => {
    for (const [ref] of queueGrants(iso(c), slot, c.L.cfg.processes)) if (c.s[iso(c).grants[PRIMARY][ref].frame] >= 0) endAccess(c.s, c.L, PRIMARY, ref);
  };
  return defineComponent({
    id: `frontend-connect-${name}`,
    prefix: slot === STORAGE ? 'PS' : 'PN',
    section: 'Memory and isolation',
    description:
      `The syscall-frontend's connection to the ${name} domain (primary domain, dom0): prepare, bind the wake and notify channels, map the shared pages ` +
      '(wake page read-only into processes), grant the ready queues, connect; on a refusal cancel and give up; when the domain stops, disconnect, unmap, and clean up after its destruction.',
    initial: 'idle',
    count: (L) => (L.iso ? 1 : 0),
    pc: (L) => L.iso!.connect[slot - 1].pc,
    states: {
      idle: { description: `waits for the ${name} domain to register`, on: { FrontendPrepares: { guard: 'registered', target: 'bind', actions: 'prepare' } } },
      bind: {
        description: 'about to bind its ends of the wake and notify channels',
        on: {
          FrontendBindsPorts: [
            { guard: 'canBindPorts', target: 'map', actions: 'bindPorts' },
            { target: 'cancel' },
          ],
        },
      },
      map: {
        description: 'about to map the shared pages from the service domain\'s grants',
        on: {
          FrontendMapsSharedPages: [
            { guard: 'canMapAll', target: 'grantQueues', actions: 'mapAll' },
            { target: 'cancel' },
          ],
        },
      },
      grantQueues: {
        description: 'about to grant the ready queues to the service domain',
        on: {
          FrontendGrantsReadyQueues: [
            { guard: 'canGrantQueues', target: 'connect', actions: 'grantQueues' },
            { target: 'cancel' },
          ],
        },
      },
      connect: {
        description: 'about to CONNECT',
        on: {
          FrontendConnects: [
            { guard: 'mayConnect', target: 'connected', actions: 'connect' },
            { target: 'cancel' },
          ],
        },
      },
      connected: {
        description: 'connected: calls may flow',
        on: {
          FrontendDisconnects: { guard: 'domainGoneNoRecovery', target: 'cleanup', actions: 'disconnect' },
          FrontendTakesDisconnect: { guard: 'goneOrStopping', target: 'failing', actions: 'takeDisconnect' },
        },
      },
      failing: { description: 'recovery layer: RUNNING cleared, lock held; about to fail the calls pending in the incarnation', on: { FrontendFailsPendingCalls: { target: 'dropping', actions: 'failPending' } } },
      dropping: { description: "recovery layer: about to drop the connection's own reference", on: { FrontendDropsConnectionRef: { target: 'draining', actions: 'dropRef' } } },
      draining: {
        description: 'recovery layer: waits for the reference count to reach zero, then disconnects',
        on: { FrontendDisconnects: { guard: 'noReferences', target: 'cleanup', actions: 'disconnectDrained' } },
      },
      cancel: { description: 'a step was refused; about to undo and CANCEL', on: { FrontendCancels: { target: 'gaveUp', actions: 'cancel' } } },
      gaveUp: { description: 'gave up on this incarnation of the domain until it is gone', on: { FrontendForgetsDomain: { guard: 'domainDead', target: 'cleanup' } } },
      cleanup: { description: 'disconnected; waits until the hypervisor has destroyed the domain, then cleans up', on: { FrontendCleansUp: { guard: 'domainDead', target: 'idle', actions: 'cleanUp' } } },
    },
    guards: {
      registered: (c) => c.s[iso(c).rvState[sysid]] === RV.REGISTERED && instanceQuiet(c.s, c.L, sysid, idleThreadPc, exitedThreadPc, runningKernelPc),
      canBindPorts: (c) => ports(c).every(([q, rq]) => canBind(c.s, c.L, PRIMARY, q, dom(c), rq)),
      canMapAll: (c) => [...maps(c)].every(([m, g]) => canMap(c.s, c.L, PRIMARY, m, dom(c), g.ref, g.perm)),
      canGrantQueues: (c) => queueGrants(iso(c), slot, c.L.cfg.processes).every(([ref, f]) => canGrant(c.s, c.L, PRIMARY, ref, f)),
      mayConnect: (c) => rendezvousCheck(c.s, iso(c), 0, 'CONNECT', sysid) === 'ok' && alive(c.s, iso(c), dom(c)),
      domainGoneNoRecovery: (c) => !c.L.rec && domainGone(c),
      goneOrStopping: (c) => !!c.L.rec && (domainGone(c) || stopRequested(c.s, c.L, d)),
      noReferences: (c) => noReferences(c.s, c.L, d),
      domainDead: (c) => !alive(c.s, iso(c), dom(c)),
    },
    guardDocs: {
      registered: `the rendezvous for the ${name} service id is REGISTERED (composed system: and no thread still works in the old dispatch instance)`,
      canBindPorts: "the domain's wake and notify ports are unbound for dom0 and the primary's ends are free",
      canMapAll: "every grant to map names dom0, allows the permission, and the frame is still the service domain's",
      canGrantQueues: "the ready-queue grant entries are not mapped",
      mayConnect: 'the rendezvous accepts CONNECT (still CONNECTING) and the domain it prepared still exists',
      domainGoneNoRecovery: 'without the recovery layer: the service domain has stopped running (crashed, destroyed or replaced)',
      goneOrStopping: 'with the recovery layer: the service domain has stopped running (the hypervisor told dom0), or the administrator asked for a stop',
      noReferences: 'the reference count is zero (no call in flight)',
      domainDead: 'the domain id it connected to no longer exists (destroyed): its own mappings are released',
    },
    actions: {
      prepare: (c) => {
        rendezvousOp(c.s, iso(c), 0, 'PREPARE', sysid);
        c.s[me(c).dom] = c.s[iso(c).rvDomid[sysid]];
      },
      bindPorts: (c) => {
        for (const [q, rq] of ports(c)) bindInterdomain(c.s, c.L, PRIMARY, q, dom(c), rq);
      },
      mapAll: (c) => {
        for (const [m, g] of maps(c)) mapGrant(c.s, c.L, PRIMARY, m, dom(c), g.ref, g.perm);
      },
      grantQueues: (c) => {
        for (const [ref, f] of queueGrants(iso(c), slot, c.L.cfg.processes)) grantAccess(c.s, c.L, PRIMARY, ref, f, dom(c), PERM_RW);
      },
      connect: (c) => {
        rendezvousOp(c.s, iso(c), 0, 'CONNECT', sysid);
        if (c.L.rec) connectRecovery(c, d, dom(c));
      },
      disconnect: (c) => {
        rendezvousOp(c.s, iso(c), 0, 'DISCONNECT', sysid);
        teardown(c);
      },
      takeDisconnect: (c) => takeDisconnect(c, d),
      failPending: (c) => failPending(c, d),
      dropRef: (c) => dropConnectionRef(c, d),
      disconnectDrained: (c) => {
        rendezvousOp(c.s, iso(c), 0, 'DISCONNECT', sysid);
        teardown(c);
        dropIncarnation(c, d);
      },
      cancel: (c) => {
        teardown(c);
        endQueueGrants(c);
        if (rendezvousCheck(c.s, iso(c), 0, 'CANCEL', sysid) === 'ok') rendezvousOp(c.s, iso(c), 0, 'CANCEL', sysid);
      },
      cleanUp: (c) => {
        endQueueGrants(c);
        // only a registration that still names the domain it connected to: a restarted domain may
        // already have registered (after an orderly stop its predecessor UNREGISTERed), and the
        // hypervisor would accept CLEANUP of that fresh registration too
        if (c.s[iso(c).rvDomid[sysid]] === dom(c) && rendezvousCheck(c.s, iso(c), 0, 'CLEANUP', sysid) === 'ok') rendezvousOp(c.s, iso(c), 0, 'CLEANUP', sysid);
        c.s[me(c).dom] = -1;
      },
    },
    events: {
      FrontendPrepares: {
        from: 'syscall-frontend (primary domain)',
        to: 'rendezvous (hypervisor)',
        description: 'PREPARE: read the registered domain id, ports and references',
        label: (c) => `PREPAREs the ${name} service: registered by dom${c.s[iso(c).rvDomid[sysid]]}`,
      },
      FrontendBindsPorts: {
        from: 'syscall-frontend (primary domain)',
        to: 'event channels (hypervisor)',
        description: "bind the primary's ends of the wake and notify channels",
        label: (c, target) => (target === 'map' ? `binds the ${name} wake and notify channels to dom${dom(c)}` : `cannot bind to dom${dom(c)}'s ports: cancels`),
      },
      FrontendMapsSharedPages: {
        from: 'syscall-frontend (primary domain)',
        to: 'grant table (hypervisor)',
        description: 'map the notify ring (kernel), request and data areas (process, read-write), wake page (process read-only, kernel read-write)',
        label: (c, target) => (target === 'grantQueues' ? `maps ${maps(c).size} page(s) granted by dom${dom(c)}` : `cannot map dom${dom(c)}'s grants: cancels`),
      },
      FrontendGrantsReadyQueues: {
        from: 'syscall-frontend (primary domain)',
        to: 'grant table (hypervisor)',
        description: "grant each registered process's ready queue to the service domain, read-write",
        label: (c, target) => (target === 'connect' ? `grants ${queueGrants(iso(c), slot, c.L.cfg.processes).length} ready queue(s) to dom${dom(c)}` : 'cannot grant the ready queues: cancels'),
      },
      FrontendConnects: {
        from: 'syscall-frontend (primary domain)',
        to: 'rendezvous (hypervisor)',
        description: 'CONNECT',
        label: (c, target) =>
          target === 'connected' ? `CONNECTs the ${name} service to dom${dom(c)}${c.L.rec ? ' (processes registered, RUNNING set, one reference)' : ''}` : `CONNECT refused (${rendezvousCheck(c.s, iso(c), 0, 'CONNECT', sysid)}): cancels`,
      },
      FrontendDisconnects: {
        from: 'syscall-frontend (primary domain)',
        to: 'rendezvous, grant table, event channels (hypervisor)',
        description:
          'the service domain stopped: DISCONNECT, unmap its pages, close the channels (with the recovery layer: once no reference is left, also dropping the request entries and ready-queue handles of the incarnation)',
        label: (c) => `DISCONNECTs the ${name} service (dom${dom(c)} ${c.L.rec && running(c.s, iso(c), slot) && currentDomid(c.s, iso(c), slot) === dom(c) ? 'stopping' : 'stopped'}), unmaps its pages and closes its channels`,
      },
      FrontendTakesDisconnect: {
        from: 'hypervisor (dom0 told the domain stopped) or administrator (stop)',
        to: `frontend (${name})`,
        description: 'take the disconnect: clear RUNNING under the frontend lock',
        label: (c) => `takes the ${stopRequested(c.s, c.L, d) && !domainGone(c) ? 'stop' : 'disconnect'} of dom${dom(c)}: RUNNING cleared`,
      },
      FrontendFailsPendingCalls: {
        from: `frontend (${name})`,
        to: 'waiting callers',
        description: `complete every call pending in the failed incarnation with ${slot === STORAGE ? 'EIO' : 'ECONNRESET'}, release the lock`,
        label: (c) => failPendingLabel(c, d),
      },
      FrontendDropsConnectionRef: {
        from: `frontend (${name})`,
        to: 'reference count',
        description: "drop the connection's own reference",
        label: (c) => `drops its connection reference (count ${c.s[c.L.rec!.dom[d].refs]} -> ${c.s[c.L.rec!.dom[d].refs] - 1})`,
      },
      FrontendCancels: {
        from: 'syscall-frontend (primary domain)',
        to: 'rendezvous, grant table, event channels (hypervisor)',
        description: 'undo the partial connection and CANCEL',
        label: (c) => `undoes the connection to dom${dom(c)} and CANCELs`,
      },
      FrontendForgetsDomain: { from: 'syscall-frontend (primary domain)', to: 'itself', description: 'the domain it gave up on is gone', label: (c) => `forgets dom${dom(c)} (destroyed)` },
      FrontendCleansUp: {
        from: 'syscall-frontend (primary domain)',
        to: 'rendezvous, grant table (hypervisor)',
        description: 'end access on the ready-queue grants and CLEANUP the registration if it is still the dead domain\'s, so the service id can register again',
        label: (c) =>
          c.s[iso(c).rvDomid[sysid]] === dom(c)
            ? `ends the ready-queue grants to dom${dom(c)} and CLEANs UP the ${name} service`
            : `ends the ready-queue grants to dom${dom(c)} (the ${name} service is already registered by dom${c.s[iso(c).rvDomid[sysid]]}: no CLEANUP)`,
      },
    },
  });
}

export const storageConnect = primaryConnect(STORAGE);
export const networkConnect = primaryConnect(NETWORK);

const connectedPc = storageConnect.stateIndex.get('connected')!;
const letGo = new Set(['idle', 'gaveUp', 'cleanup'].map((n) => storageConnect.stateIndex.get(n)!));
/** Has the frontend let go of the domain in `slot` (no connection, nothing mapped or bound for it)? The administrator's clean waits for it. */
export const frontendLetGo = (s: Int32Array, L: Layout, slot: number) => letGo.has(s[L.iso!.connect[slot - 1].pc]);
/** The frontend's connection to the domain in `slot` is up and serving. */
export const frontendConnected = (s: Int32Array, L: Layout, slot: number) => s[L.iso!.connect[slot - 1].pc] === connectedPc;


/**
 * The dispatch protocol may run once the storage domain is connected: the primary has mapped the
 * shared pages and the storage domain has mapped the ready queues. Until then its actors are held.
 */
export function dispatchConnected(L: Layout): (s: Int32Array) => boolean {
  const I = L.iso!;
  return (s) => s[I.connect[STORAGE - 1].pc] === connectedPc && s[I.service[STORAGE - 1].pc] === SERVICE_SERVING;
}
