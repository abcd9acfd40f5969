/**
 * A service domain's kernel (the syscall-backend module and the device driver) from boot to service:
 * one actor per service domain, S for storage and N for network.
 *
 * When the hypervisor runs the domain, its backend grants the primary domain (dom0) read-write access
 * to its wake page, its notify ring, and, for each process registered with it, the request area and
 * the data area; it allocates two ports unbound for dom0 (wake: primary -> service, notify: service ->
 * primary) and registers them with the rendezvous hypercall. Once the primary has connected, it maps
 * each registered process's ready queue from the primary's grant, read-write. Running, its driver
 * starts one transfer on its device (a disk read into its data cache, a packet received into a
 * buffer), which the device DMAs and completes with an interrupt the driver takes.
 *
 * When the domain is destroyed the hypervisor resets this actor (its vCPUs are gone); a restarted
 * domain boots again from `off`. If a boot step is refused (only an adversary in the same domain can
 * make that happen, by taking the ports or grant references first) the backend stops in `failed`.
 *
 * Simplifications: grants for all registered processes are made at boot, in one batched step (VirtuOS
 * grants a process's pages when the process registers, through the main ring); each batch of
 * hypercalls is one atomic step; the network domain's own dispatch (its workers) is not modelled, only
 * its pages, ports and device: the storage domain carries the dispatch protocol.
 *
 * VIRTUOS.md: "Components" (storage domain, network domain, syscall-backend), "Memory and isolation".
 */
import { allocUnbound, canAllocUnbound } from './event-channel.ts';
import { canGrant, canMap, grantAccess, mapGrant } from './grant-table.ts';
import { deviceOf } from './hypervisor.ts';
import {
  currentDomid,
  DEVICE_NAMES,
  NETWORK,
  PERM_RW,
  running,
  SERVICE_OFF,
  SERVICE_SERVING,
  SLOT_NAMES,
  STORAGE,
  sysidOf,
  type IsolationLayout,
} from './layout.ts';
import { setUpServiceSide } from '../system/incarnation.ts';
import { defineComponent, type Component, type Ctx } from '../kit/kit.ts';
import { connectedTo, RV, rendezvousCheck, rendezvousOp } from './rendezvous.ts';

const iso = (c: Ctx): IsolationLayout => c.L.iso!;

/** The grants a service domain makes at boot: [reference, frame]. */
function bootGrants(I: IsolationLayout, slot: number, processes: number): [number, number][] {
  const out: [number, number][] = [
    [I.ref.wake, I.frame.wake[slot]],
    [I.ref.ring, I.frame.ring[slot]],
  ];
  for (let p = 0; p < processes; p++) if (I.registered(slot, p)) out.push([I.ref.req(p), I.frame.req[slot][p]], [I.ref.data(p), I.frame.data[slot][p]]);
  return out;
}

/** The ready queues it maps once connected: [mapping slot, primary's reference]. */
function readyQueueMaps(I: IsolationLayout, slot: number, processes: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < processes; p++) if (I.registered(slot, p)) out.push([I.map.rq(slot, p), I.ref.rqTo(slot, p)]);
  return out;
}

/** Value a device transfer writes, for reading traces: 'S' for the disk, 'N' for the network. */
export const DEVICE_DATA = [83, 78];

function serviceDomain(slot: number): Component {
  const name = SLOT_NAMES[slot];
  const sysid = sysidOf(slot);
  const me = (c: Ctx) => iso(c).service[slot - 1];
  const domid = (c: Ctx) => currentDomid(c.s, iso(c), slot);
  const dev = (c: Ctx) => iso(c).devices[deviceOf(slot)];
  const devName = DEVICE_NAMES[deviceOf(slot)];
  const connected = (c: Ctx) => connectedTo(c.s, iso(c), sysid, domid(c));
  const canMapQueues = (c: Ctx) => readyQueueMaps(iso(c), slot, c.L.cfg.processes).every(([m, ref]) => canMap(c.s, c.L, slot, m, 0, ref, PERM_RW));
  const comp = defineComponent({
    id: `${name}-domain`,
    prefix: slot === STORAGE ? 'S' : 'N',
    section: 'Components',
    description:
      `The ${name} domain's backend and driver: grant the primary its wake page, notify ring and the registered processes' request and data areas, ` +
      `allocate the wake and notify ports, register with the rendezvous hypercall, map the ready queues once connected, and run a transfer on the ${devName}.`,
    initial: 'off',
    count: (L) => (L.iso ? 1 : 0),
    pc: (L) => L.iso!.service[slot - 1].pc,
    // its steps are the domain's own: none once the hypervisor has stopped its vCPUs (crashed or halted)
    runnable: (c) => running(c.s, iso(c), slot),
    states: {
      off: { description: 'the domain is not running (not created yet, or destroyed)', on: { DomainBoots: { guard: 'domainRunning', target: 'grant' } } },
      grant: {
        description: 'booted; about to grant its shared pages to dom0',
        on: {
          BackendGrantsSharedPages: [
            { guard: 'canGrantAll', target: 'ports', actions: 'grantAll' },
            { target: 'failed' },
          ],
        },
      },
      ports: {
        description: 'about to allocate the wake and notify ports, unbound for dom0',
        on: {
          BackendAllocatesPorts: [
            { guard: 'portsFree', target: 'register', actions: 'allocPorts' },
            { target: 'failed' },
          ],
        },
      },
      register: {
        description: 'about to register with the rendezvous hypercall (waits while a previous registration is not cleaned up)',
        on: {
          BackendRegisters: [
            { guard: 'mayRegister', target: 'waitConnect', actions: 'register' },
            { guard: 'alreadyRegisteredBySelf', target: 'waitConnect' },
            { guard: 'registerForbidden', target: 'failed' },
          ],
        },
      },
      waitConnect: {
        description: 'registered; waits until the primary has connected, then maps the ready queues',
        on: {
          BackendMapsReadyQueues: [
            { guard: 'connectedAndMappable', target: 'running', actions: 'mapQueues' },
            { guard: 'connected', target: 'failed' },
          ],
        },
      },
      running: {
        description: 'serving: the dispatch protocol runs (storage); the driver may start a transfer and takes its interrupt',
        on: {
          DriverStartsTransfer: { guard: 'deviceIdleAndNoTransferYet', target: 'running', actions: 'startTransfer' },
          DriverTakesInterrupt: { guard: 'interruptPending', target: 'running', actions: 'ackInterrupt' },
        },
      },
      failed: { description: 'a boot step was refused (ports or references taken); the backend stops' },
    },
    guards: {
      domainRunning: (c) => running(c.s, iso(c), slot),
      canGrantAll: (c) => bootGrants(iso(c), slot, c.L.cfg.processes).every(([ref, f]) => canGrant(c.s, c.L, slot, ref, f)),
      portsFree: (c) => canAllocUnbound(c.s, c.L, slot, iso(c).port.wake) && canAllocUnbound(c.s, c.L, slot, iso(c).port.notify),
      mayRegister: (c) => rendezvousCheck(c.s, iso(c), domid(c), 'REGISTER', sysid) === 'ok',
      alreadyRegisteredBySelf: (c) => c.s[iso(c).rvState[sysid]] !== RV.UNREGISTERED && c.s[iso(c).rvDomid[sysid]] === domid(c),
      registerForbidden: (c) => rendezvousCheck(c.s, iso(c), domid(c), 'REGISTER', sysid) === 'EPERM',
      connectedAndMappable: (c) => connected(c) && canMapQueues(c),
      connected,
      deviceIdleAndNoTransferYet: (c) => c.s[me(c).io] === 0 && c.s[dev(c).owner] === domid(c) && c.s[dev(c).reqFrame] < 0,
      interruptPending: (c) => c.s[dev(c).owner] === domid(c) && c.s[dev(c).irq] !== 0,
    },
    guardDocs: {
      domainRunning: 'the hypervisor runs the domain',
      canGrantAll: 'every frame to grant is its own and no entry it uses is mapped',
      portsFree: 'its wake and notify ports are free',
      mayRegister: 'the rendezvous accepts REGISTER from this domain for its service id',
      alreadyRegisteredBySelf: 'the service id is already registered by this very domain (code in the domain did it first)',
      registerForbidden: 'the hypervisor refuses REGISTER from this domain (EPERM); EINVAL (registered, not cleaned up) only makes it wait',
      connectedAndMappable: 'the rendezvous says CONNECTED to this domain and every ready-queue grant can be mapped',
      connected: 'the rendezvous says CONNECTED to this domain',
      deviceIdleAndNoTransferYet: 'no transfer started yet, the device is its own and has no request posted',
      interruptPending: 'its device (still its own) raised an interrupt',
    },
    actions: {
      grantAll: (c) => {
        // composed system: the new incarnation's backend first sets up its request areas, wake page, ring and worker pools
        setUpServiceSide(c, slot);
        for (const [ref, f] of bootGrants(iso(c), slot, c.L.cfg.processes)) grantAccess(c.s, c.L, slot, ref, f, 0, PERM_RW);
      },
      allocPorts: (c) => {
        allocUnbound(c.s, c.L, slot, iso(c).port.wake, 0);
        allocUnbound(c.s, c.L, slot, iso(c).port.notify, 0);
      },
      register: (c) => {
        rendezvousOp(c.s, iso(c), domid(c), 'REGISTER', sysid);
      },
      mapQueues: (c) => {
        for (const [m, ref] of readyQueueMaps(iso(c), slot, c.L.cfg.processes)) mapGrant(c.s, c.L, slot, m, 0, ref, PERM_RW);
      },
      startTransfer: (c) => {
        c.s[dev(c).reqFrame] = iso(c).frame.priv[slot];
        c.s[dev(c).reqVal] = DEVICE_DATA[deviceOf(slot)];
        c.s[me(c).io] = 1;
      },
      ackInterrupt: (c) => {
        c.s[dev(c).irq] = 0;
      },
    },
    events: {
      DomainBoots: { from: `${name} domain`, to: 'itself', description: 'the domain starts running its kernel', label: () => `${name} domain boots` },
      BackendGrantsSharedPages: {
        from: `syscall-backend (${name} domain)`,
        to: 'grant table (hypervisor)',
        description: 'grant dom0 read-write access to the wake page, the notify ring and each registered process\'s request and data areas (one batch)',
        label: (c, target) => (target === 'ports' ? `grants dom0 its wake page, notify ring and ${bootGrants(iso(c), slot, c.L.cfg.processes).length - 2} process page(s)` : 'cannot make its grants (a reference is in use): boot fails'),
      },
      BackendAllocatesPorts: {
        from: `syscall-backend (${name} domain)`,
        to: 'event channels (hypervisor)',
        description: 'allocate the wake and notify ports, unbound for dom0',
        label: (_c, target) => (target === 'register' ? 'allocates its wake and notify ports for dom0' : 'cannot allocate its ports: boot fails'),
      },
      BackendRegisters: {
        from: `syscall-backend (${name} domain)`,
        to: 'rendezvous (hypervisor)',
        description: 'REGISTER its ports and grant references for its service id',
        label: (c, target) =>
          target === 'failed'
            ? `REGISTER refused (${rendezvousCheck(c.s, iso(c), domid(c), 'REGISTER', sysid)}): boot fails`
            : rendezvousCheck(c.s, iso(c), domid(c), 'REGISTER', sysid) === 'ok'
              ? `registers dom${domid(c)} for the ${name} service`
              : `finds the ${name} service already registered by dom${domid(c)}`,
      },
      BackendMapsReadyQueues: {
        from: `syscall-backend (${name} domain)`,
        to: 'grant table (hypervisor)',
        description: "map each registered process's ready queue from dom0's grant, read-write",
        label: (c, target) => (target === 'running' ? `maps ${readyQueueMaps(iso(c), slot, c.L.cfg.processes).length} ready queue(s) from dom0 and starts serving` : 'cannot map the ready queues: fails'),
      },
      DriverStartsTransfer: {
        from: `${devName} driver (${name} domain)`,
        to: `${devName} registers`,
        description: `post a DMA request to the ${devName} into the domain's own buffer`,
        label: (c) => `starts a ${devName} transfer into ${iso(c).frames[iso(c).frame.priv[slot]].name}`,
      },
      DriverTakesInterrupt: { from: `${devName} driver (${name} domain)`, to: `${devName} registers`, description: 'take and acknowledge the device interrupt', label: () => `takes the ${devName} interrupt` },
    },
  });
  if (comp.stateIndex.get('off') !== SERVICE_OFF) throw new Error('service-domain: off must be the first state');
  if (comp.stateIndex.get('running') !== SERVICE_SERVING) throw new Error('service-domain: SERVICE_SERVING is not the index of running');
  return comp;
}

export const storageDomain = serviceDomain(STORAGE);
export const networkDomain = serviceDomain(NETWORK);
