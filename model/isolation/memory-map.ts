/**
 * The memory map of the isolation layer: which page frame each shared word of the dispatch protocol
 * lives in, which domain each actor acts for, and which words are registers of a domain or of a device.
 * With it, a step's footprint (footprint.ts: the words its guard and actions touch, measured, not
 * declared) becomes a set of accesses by one domain to pages, which the memory-isolation property checks
 * against page ownership and live grants. Nothing of the protocol is written twice.
 *
 * Frames of the dispatch protocol, per VirtuOS: a process's request area is a frame of the storage
 * domain granted to the primary (mapped into the process), its ready queue a frame of the primary
 * granted to the storage domain, the shadow process's counters storage kernel memory, the wake page and
 * the notify ring frames of the storage domain granted to the primary. The two event-channel words are
 * pending bits of ports, not memory: the event-channel property checks writes to them.
 *
 * Who acts for which domain: user threads, kernel threads and the frontend's threads for the primary
 * (a user thread's `Frontend...` steps are the frontend running in its trap, kernel code; its other
 * steps are process code); workers and the backend's wake handler for the storage domain; the boot,
 * connect and adversary actors for their domains. The hypervisor's lifecycle actors act as the
 * hypervisor, which may touch anything; devices act as devices, whose memory accesses are DMA and are
 * checked by the device-isolation property.
 */
import { ADVERSARY_COMPONENTS } from './adversary.ts';
import { ethernetNic, sataController } from './devices.ts';
import { regionMap } from '../kit/footprint.ts';
import { networkLifecycle, storageLifecycle } from './hypervisor.ts';
import { NETWORK, PRIMARY, STORAGE, type IsolationLayout } from './layout.ts';
import type { Component } from '../kit/kit.ts';
import { networkFrontend } from './network-frontend.ts';
import { networkConnect, storageConnect } from './primary-domain.ts';
import { primaryKernel } from '../dispatch/primary-kernel.ts';
import { sclib } from '../dispatch/sclib.ts';
import { networkDomain, storageDomain } from './service-domain.ts';
import { backend } from '../dispatch/backend.ts';
import { frontend } from '../dispatch/frontend.ts';
import { workerPool } from '../dispatch/worker-pool.ts';
import { COMPONENTS, perShape, type Actor, type Choice, type System } from '../kit/system.ts';
import { domainOfProc, SERVICE_STORAGE } from '../kit/layout.ts';
import { networkWorker, storageWorker } from '../posix/domain-worker.ts';
import { posixThread } from '../posix/thread.ts';

/** A word the memory check does not look at: hypervisor state (grant tables, ports, ownership) and ghost variables. */
export const UNCHECKED = -1;
/** A register (private memory) of a domain. */
export const registerOf = (slot: number) => -10 - slot;
/** A register of a device, reachable by its owner (memory-mapped I/O). */
export const mmioOf = (dev: number) => -20 - dev;
export const isRegister = (home: number) => home <= -10 && home > -20;
export const isMmio = (home: number) => home <= -20;
export const slotOfRegister = (home: number) => -10 - home;
export const deviceOfMmio = (home: number) => -20 - home;

export interface MemoryMap {
  /** per word: a frame index (>= 0), registerOf(slot), mmioOf(dev) or UNCHECKED */
  home: Int32Array;
  /** pending words of ports: word -> [slot, port] */
  port: Map<number, [number, number]>;
  /** per actor: the domain slot it acts for, UNCHECKED for the hypervisor, mmioOf(dev) for a device */
  accessor: Int32Array;
}

const DOMAIN_OF = new Map<Component, number>([
  [sclib, PRIMARY],
  [primaryKernel, PRIMARY],
  [frontend, PRIMARY],
  [workerPool, STORAGE],
  [backend, STORAGE],
  [storageLifecycle, UNCHECKED],
  [networkLifecycle, UNCHECKED],
  [storageDomain, STORAGE],
  [networkDomain, NETWORK],
  [storageConnect, PRIMARY],
  [networkConnect, PRIMARY],
  [networkFrontend, PRIMARY],
  [sataController, mmioOf(0)],
  [ethernetNic, mmioOf(1)],
  [posixThread, PRIMARY],
  [storageWorker, STORAGE],
  [networkWorker, NETWORK],
  ...ADVERSARY_COMPONENTS.map((c) => [c, NETWORK] as [Component, number]),
]);

/** The domain an actor acts for: its component's, except a worker or wake handler of the network domain's dispatch instance. */
function domainOfActor(sys: System, a: Actor): number {
  const comp = COMPONENTS[a.comp];
  if (comp === workerPool || comp === backend) {
    const d = comp === backend ? a.me : domainOfProc(sys.L, Math.floor(a.me / sys.cfg.workers));
    return sys.L.dd[d].service === SERVICE_STORAGE ? STORAGE : NETWORK;
  }
  return DOMAIN_OF.get(comp) ?? UNCHECKED;
}

/** Is this step process code (a user thread outside the frontend's trap)? */
export const isProcessCode = (sys: System, ch: Choice) => COMPONENTS[sys.actors[ch.actor].comp] === sclib && !ch.event.name.startsWith('Frontend');

/** By shape: every program of a shape has the same layout and actors. */
export const memoryMap: (sys: System) => MemoryMap = perShape(buildMemoryMap);

function buildMemoryMap(sys: System): MemoryMap {
  const L = sys.L;
  const I: IsolationLayout = L.iso!;
  const regions = regionMap(sys);
  const home = new Int32Array(L.size).fill(UNCHECKED);
  const accessor = Int32Array.from(sys.actors, (a) => domainOfActor(sys, a));
  const actorSlot = new Map(sys.actors.map((a, i) => [a.name, accessor[i]]));
  const posixActors = new Set(sys.actors.filter((a) => COMPONENTS[a.comp] === posixThread).map((a) => a.name));
  // a dispatch word's instance: its dispatch process's (q), or the one a per-domain word names (-1 - d)
  const slotOfInstance = (d: number) => (L.dd[d].service === SERVICE_STORAGE ? STORAGE : NETWORK);
  const procSlot = (q: number) => slotOfInstance(domainOfProc(L, q));
  const wordSlot = (proc: number) => slotOfInstance(-1 - proc);
  regions.forEach((r, w) => {
    switch (r.kind) {
      case 'request-area':
        home[w] = I.frame.req[procSlot(r.proc)][r.proc % L.cfg.processes];
        break;
      case 'ready-queue':
        home[w] = I.frame.rqFor(procSlot(r.proc), r.proc % L.cfg.processes);
        break;
      case 'shadow-process':
        home[w] = I.frame.priv[r.proc >= 0 ? procSlot(r.proc) : wordSlot(r.proc)];
        break;
      case 'wake-page':
        home[w] = I.frame.wake[wordSlot(r.proc)];
        break;
      case 'notify-ring':
        home[w] = I.frame.ring[wordSlot(r.proc)];
        break;
      case 'actor': {
        const slot = actorSlot.get(r.actor);
        // the POSIX library's registers are read by the call history's ghost bookkeeping from the service side (posix/service.ts markEffect): not checked
        if (posixActors.has(r.actor)) break;
        if (r.actor === 'adversary') home[w] = registerOf(NETWORK);
        else if (slot !== undefined && slot >= 0) home[w] = registerOf(slot);
        break;
      }
      default:
        break;
    }
  });
  I.frames.forEach((f, i) => {
    home[f.content] = i;
  });
  const ringN = I.frame.ring[NETWORK];
  home[I.ringN.len] = ringN;
  for (let i = 0; i < I.ringN.capacity; i++) {
    home[I.ringN.tgid + i] = ringN;
    home[I.ringN.pid + i] = ringN;
  }
  I.devices.forEach((d, dev) => {
    for (const w of [d.reqFrame, d.reqVal, d.irq, d.dmaFrame, d.dmaVal, d.pc]) home[w] = mmioOf(dev);
  });
  const port = new Map<number, [number, number]>();
  I.ports.forEach((table, slot) =>
    table.forEach((p, q) => {
      port.set(p.pending, [slot, q]);
      home[p.pending] = UNCHECKED;
    }),
  );
  return { home, port, accessor };
}
