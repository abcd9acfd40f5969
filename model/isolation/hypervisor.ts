/**
 * The hypervisor (Xen with the dom0 toolstack's domain-control operations): the lifecycle of each
 * service domain, page ownership, PCI passthrough and the IOMMU. One lifecycle actor per service
 * domain (XS for storage, XN for network).
 *
 * The toolstack creates a service domain: a new domain id, the frames of its reservation allocated to
 * it (only once every one of them is back in the free pool, so a restarted domain never receives a page
 * another domain still maps), a fresh grant table and port table. It assigns the domain's device (the
 * SATA controller to storage, the Ethernet NIC to network) by PCI passthrough, which installs the
 * device's IOMMU context for the new owner and removes the previous owner's; the `iommu-stale` seeded
 * bug leaves the previous context in place. Then the domain runs. The network domain may crash (an
 * environment event, once it is in service, at most `networkRestarts` times); the toolstack destroys a crashed domain: its own
 * mappings are released, its ports closed (their peers become unbound), its device is reset and goes
 * back to dom0 in a quarantine IOMMU context that reaches no memory, its vCPUs stop (its boot actor is reset), and its frames return to the free pool except those still
 * mapped by another domain, which stay allocated to the dead domain id until the last unmap. Then the
 * toolstack restarts it under a new domain id.
 *
 * Grant tables, event channels and the rendezvous are the hypervisor's other mechanisms; they are
 * hypercalls made inside the callers' steps (grant-table.ts, event-channel.ts, rendezvous.ts). The DMA
 * check of the IOMMU is here.
 *
 * With the failure-and-recovery layer on (recovery.ts), crashes come from its fault injector, which may
 * crash either domain at any step while it runs; the administrator's tool then asks the toolstack to
 * destroy the domain (clean) and to restart it (start), so both lifecycle actors wait for its request
 * instead of destroying and restarting on their own; and a domain stopped in order shuts itself down
 * (SCHEDOP_shutdown: `halted`). Destroying a domain also wipes what the layer keeps in its memory (its
 * backend's state, its notify ring, its shadow processes).
 *
 * Simplifications: without the recovery layer the storage domain does not crash; a crash happens only to a connected domain (not during boot, which would only add refused boot
 * steps, which the adversary already causes); domain creation is one step and boots no firmware; the IOMMU context is a set of domain ids
 * whose frames a device may reach (a real context is a page table of the owner's physical memory).
 *
 * VIRTUOS.md: "Components" (hypervisor), "Memory and isolation", "Failure and recovery".
 */
import { closePort } from './event-channel.ts';
import { clearMapping, frameMapped, releaseToPool, unmapGrant } from './grant-table.ts';
import {
  currentDomid,
  DEVICE_NAMES,
  FREE,
  LIFE,
  NETWORK,
  NIC,
  PERM_NONE,
  PORT_FREE,
  PRIMARY,
  SATA,
  STORAGE,
  DEVICE_IDLE,
  SERVICE_OFF,
  sysidOf,
  SLOT_NAMES,
  type IsolationLayout,
} from './layout.ts';
import { defineComponent, type Component, type Ctx } from '../kit/kit.ts';
import type { Layout } from '../kit/layout.ts';
import { connectedTo } from './rendezvous.ts';
import { wipeRecoveryDomain } from '../recovery/backend.ts';
import { REQ_CLEAN, REQ_NONE, REQ_START } from '../recovery/layout.ts';

/** The recovery layer's words for a slot (indexed by service id there), or null without the layer. */
const recWords = (c: Ctx, slot: number) => c.L.rec?.dom[sysidOf(slot)] ?? null;

const iso = (c: Ctx): IsolationLayout => c.L.iso!;

/** The device passed through to a service slot. */
export const deviceOf = (slot: number) => (slot === STORAGE ? SATA : NIC);

/** PCI passthrough of device `dev` to domain `domid`: the IOMMU context becomes the new owner's. */
export function assignDevice(s: Int32Array, L: Layout, dev: number, domid: number): void {
  const d = L.iso!.devices[dev];
  const previous = L.cfg.bug === 'iommu-stale' ? s[d.ctx] : 0;
  s[d.owner] = domid;
  s[d.ctx] = previous | (1 << domid);
  s[d.reqFrame] = -1;
  s[d.irq] = 0;
}

/**
 * Deassignment when the owner is destroyed: the device goes back to dom0's pciback, but into a
 * quarantine IOMMU context that reaches no domain's pages, and is reset, so that a transfer the dead
 * owner left in flight cannot land in dom0's memory (the hazard of Xen Security Advisory 302: returning
 * a device straight to dom0's context let such a DMA through). The `iommu-stale` bug keeps the old
 * context; the `no-quarantine` bug hands the device straight to dom0's context, without a reset.
 */
export function deassignDevice(s: Int32Array, L: Layout, dev: number): void {
  const d = L.iso!.devices[dev];
  if (L.cfg.bug === 'no-quarantine') {
    assignDevice(s, L, dev, 0);
    return;
  }
  s[d.owner] = 0;
  if (L.cfg.bug !== 'iommu-stale') s[d.ctx] = 0;
  s[d.reqFrame] = -1;
  s[d.reqVal] = 0;
  s[d.dmaFrame] = -1;
  s[d.dmaVal] = 0;
  s[d.irq] = 0;
  s[d.issuer] = -1;
  s[d.pc] = DEVICE_IDLE;
}

/** The IOMMU: may device `dev` DMA into `frame`? Only into frames of a domain in its context. */
export function iommuAllows(s: Int32Array, L: Layout, dev: number, frame: number): boolean {
  const I = L.iso!;
  const f = I.frames[frame];
  if (f === undefined) return false;
  const owner = s[f.owner];
  return owner !== FREE && (s[I.devices[dev].ctx] & (1 << owner)) !== 0;
}

/** Every frame of the slot's reservation is in the free pool. */
export function reservationFree(s: Int32Array, I: IsolationLayout, slot: number): boolean {
  return I.reservation[slot].every((f) => s[I.frames[f].owner] === FREE);
}

function createDomain(c: Ctx, slot: number): void {
  const I = iso(c);
  const domid = currentDomid(c.s, I, slot);
  // the pages come scrubbed: nothing a previous incarnation wrote survives into the new one
  for (const f of I.reservation[slot]) {
    c.s[I.frames[f].owner] = domid;
    c.s[I.frames[f].content] = 0;
  }
  if (slot === NETWORK) for (let w = I.ringN.len; w < I.ringN.pid + I.ringN.capacity; w++) c.s[w] = 0;
  for (const e of I.grants[slot]) {
    c.s[e.frame] = -1;
    c.s[e.grantee] = -1;
    c.s[e.perm] = PERM_NONE;
    c.s[e.maps] = 0;
  }
}

/** Domain destruction: everything the hypervisor holds for the domain, except frames others still map. */
function destroyDomain(c: Ctx, slot: number): void {
  const I = iso(c);
  const domid = currentDomid(c.s, I, slot);
  I.mappings[slot].forEach((_, m) => unmapGrant(c.s, c.L, slot, m));
  I.ports[slot].forEach((p, q) => {
    if (c.s[p.state] !== PORT_FREE) closePort(c.s, c.L, slot, q);
  });
  const dev = deviceOf(slot);
  if (c.s[I.devices[dev].owner] === domid) deassignDevice(c.s, c.L, dev);
  const svc = I.service[slot - 1];
  c.s[svc.pc] = SERVICE_OFF;
  c.s[svc.io] = 0;
  // the lifecycle word moves to `destroyed` with this step, so the domain id is dead from here on
  c.s[I.life[slot - 1].pc] = LIFE.destroyed;
  for (const f of I.reservation[slot]) if (c.s[I.frames[f].owner] === domid && !frameMapped(c.s, I, f)) releaseToPool(c.s, I, f);
  if (c.L.rec) wipeRecoveryDomain(c.s, c.L, sysidOf(slot));
}

function lifecycle(slot: number): Component {
  const name = SLOT_NAMES[slot];
  const dev = DEVICE_NAMES[deviceOf(slot)];
  const crashable = slot === NETWORK;
  return defineComponent({
    id: `hypervisor-${name}`,
    prefix: slot === STORAGE ? 'XS' : 'XN',
    section: 'Components',
    description:
      `The hypervisor and the dom0 toolstack for the ${name} domain: create it (a new domain id, its frames, fresh grant and port tables), ` +
      `pass the ${dev} through to it (IOMMU context switched to the new owner), run it` +
      (crashable ? '; it may crash, is then destroyed (mappings released, ports closed, device reset and quarantined, unmapped frames freed) and restarted under a new domain id' : '') +
      '; with the recovery layer, destroy and restart wait for the administrator, and a domain may shut itself down (halted).',
    initial: 'absent',
    count: (L) => (L.iso ? 1 : 0),
    pc: (L) => L.iso!.life[slot - 1].pc,
    states: {
      absent: {
        description: 'the domain does not exist (not created yet, or destroyed and about to restart)',
        on: { ToolstackCreatesDomain: { guard: 'reservationFree', target: 'created', actions: 'create' } },
      },
      created: { description: 'created and paused; no device yet', on: { ToolstackAssignsDevice: { target: 'running', actions: 'assign' } } },
      running: {
        description: 'its vCPUs run',
        on: {
          ...(crashable ? { DomainCrashes: { guard: 'inServiceWithRestartsLeft', target: 'crashed' } } : {}),
          DomainShutsDown: { guard: 'shutdownRequested', target: 'halted', actions: 'shutDown' },
        },
      },
      crashed: { description: "crashed: its vCPUs stopped, everything it holds still in place (entered by DomainCrashes, or with the recovery layer by the fault injector's step)", on: { ToolstackDestroysDomain: { guard: 'destroyWanted', target: 'destroyed', actions: 'destroy' } } },
      destroyed: {
        description: 'destroyed; frames still mapped by others stay allocated to the dead domain id',
        on: { ToolstackRestartsDomain: { guard: 'restartWanted', target: 'absent', actions: 'nextGeneration' } },
      },
      halted: {
        description: 'shut down in order (recovery layer: the administrator stopped it); vCPUs stopped, memory in place',
        on: { ToolstackDestroysDomain: { guard: 'destroyWanted', target: 'destroyed', actions: 'destroy' } },
      },
    },
    guards: {
      reservationFree: (c) => reservationFree(c.s, iso(c), slot),
      shutdownRequested: (c) => (recWords(c, slot) ? c.s[recWords(c, slot)!.shutdown] !== 0 : false),
      destroyWanted: (c) => (recWords(c, slot) ? c.s[recWords(c, slot)!.adminReq] === REQ_CLEAN : true),
      restartWanted: (c) => (recWords(c, slot) ? c.s[recWords(c, slot)!.adminReq] === REQ_START : crashable),
      inServiceWithRestartsLeft: (c) =>
        !c.L.rec &&
        c.s[iso(c).gen[slot]] < c.L.cfg.networkRestarts && connectedTo(c.s, iso(c), sysidOf(slot), currentDomid(c.s, iso(c), slot)),
    },
    guardDocs: {
      reservationFree: "every frame of the domain's reservation is back in the free pool (no mapping of the previous incarnation's pages is left)",
      inServiceWithRestartsLeft: 'the domain is connected (in service) and has been restarted fewer than networkRestarts times (without the recovery layer, whose fault injector crashes domains instead)',
      shutdownRequested: 'the domain has asked to be shut down (recovery layer: its backend, after an orderly stop)',
      destroyWanted: "without the recovery layer: always (the toolstack destroys a crashed domain); with it: the administrator's clean asked for it",
      restartWanted: "without the recovery layer: for the network domain, always; with it: the administrator's start asked for it",
    },
    actions: {
      create: (c) => createDomain(c, slot),
      assign: (c) => assignDevice(c.s, c.L, deviceOf(slot), currentDomid(c.s, iso(c), slot)),
      destroy: (c) => {
        destroyDomain(c, slot);
        if (recWords(c, slot)) c.s[recWords(c, slot)!.adminReq] = REQ_NONE;
      },
      shutDown: (c) => {
        c.s[recWords(c, slot)!.shutdown] = 0;
      },
      nextGeneration: (c) => {
        c.s[iso(c).gen[slot]]++;
        if (recWords(c, slot)) c.s[recWords(c, slot)!.adminReq] = REQ_NONE;
      },
    },
    events: {
      ToolstackCreatesDomain: {
        from: 'dom0 toolstack (XEN_DOMCTL_createdomain)',
        to: 'hypervisor',
        description: `create the ${name} domain under a new domain id and allocate its frames`,
        label: (c) => `creates the ${name} domain as dom${currentDomid(c.s, iso(c), slot)}`,
      },
      ToolstackAssignsDevice: {
        from: 'dom0 toolstack (XEN_DOMCTL_assign_device)',
        to: `${dev}, IOMMU`,
        description: `pass the ${dev} through: the IOMMU context becomes the ${name} domain's, and the domain starts`,
        label: (c) => `assigns the ${dev} to dom${currentDomid(c.s, iso(c), slot)} (IOMMU context switched) and starts it`,
      },
      ToolstackDestroysDomain: {
        from: 'dom0 toolstack (XEN_DOMCTL_destroydomain)',
        to: 'hypervisor',
        description: 'destroy the crashed or halted domain: release its mappings, close its ports, reset and quarantine its device, free its unmapped frames',
        label: (c) => `destroys dom${currentDomid(c.s, iso(c), slot)}`,
      },
      ToolstackRestartsDomain: {
        from: 'dom0 toolstack',
        to: 'hypervisor',
        description: 'restart the service: the next creation uses a new domain id',
        label: (c) => `restarts the ${name} service (next domain id dom${currentDomid(c.s, iso(c), slot) + 2})`,
      },
      DomainShutsDown: {
        from: `${name} domain (SCHEDOP_shutdown)`,
        to: 'hypervisor',
        description: 'the domain asked to be shut down: the hypervisor stops its vCPUs, its memory stays until it is destroyed',
        label: (c) => `shuts dom${currentDomid(c.s, iso(c), slot)} down (halted)`,
      },
      // only a domain that can crash on its own (without the recovery layer's fault injector) has this one
      ...(crashable
        ? {
          DomainCrashes: {
            from: 'environment (a fault in the domain)',
            to: `${name} domain`,
            description: 'the domain crashes; the hypervisor stops its vCPUs and tells dom0',
            label: (c) => `crashes the ${name} domain dom${currentDomid(c.s, iso(c), slot)}`,
          },
        }
        : {}),
    },
  });
}

export const storageLifecycle = lifecycle(STORAGE);
export const networkLifecycle = lifecycle(NETWORK);

for (const [name, i] of Object.entries(LIFE)) {
  if (networkLifecycle.stateIndex.get(name) !== i || storageLifecycle.stateIndex.get(name) !== i) throw new Error(`hypervisor: lifecycle state ${name} is not at index ${i}`);
}

/** Initial words of the layer: dom0 owns its frames and both devices; nothing is granted, mapped or bound. */
export function initIsolation(L: Layout, s: Int32Array): void {
  const I = L.iso!;
  for (const f of I.frames) s[f.owner] = f.home === PRIMARY ? 0 : FREE;
  for (const table of I.grants)
    for (const e of table) {
      s[e.frame] = -1;
      s[e.grantee] = -1;
    }
  for (const table of I.mappings) for (const m of table) clearMapping(s, m);
  for (const table of I.ports)
    for (const p of table) {
      s[p.remote] = -1;
      s[p.rport] = -1;
    }
  for (let sysid = 0; sysid < 2; sysid++) s[I.rvDomid[sysid]] = -1;
  for (const d of I.devices) {
    s[d.owner] = 0;
    s[d.ctx] = 1;
    s[d.reqFrame] = -1;
    s[d.dmaFrame] = -1;
    s[d.issuer] = -1;
  }
  s[I.advLeft] = L.cfg.adversarySteps;
  for (const c of I.connect) s[c.dom] = -1;
}
