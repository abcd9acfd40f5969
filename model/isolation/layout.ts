/**
 * Where the isolation layer's words live: page frames, grant tables, mappings, event-channel ports,
 * the rendezvous state, the two passthrough devices and the registers of the layer's actors. They are
 * laid out after every word of the dispatch protocol (layout.ts), only when `isolation` is on, so the
 * dispatch model's layout is unchanged when the layer is off.
 *
 * The tables are static: which frames exist, which grant reference and which mapping slot serves which
 * purpose, and which port has which role are fixed by the configuration, as they are by convention in
 * the VirtuOS code (the wake page is the first page of a process's shared region, the rendezvous hands
 * over fixed grant references and ports). Only the adversary's spare references, mapping slots and
 * ports have no role. What each word means is documented here, where it is declared.
 *
 * Simplifications, each stated where it matters: a group of pages with one purpose (the 8 request
 * pages, the data area) is one frame; every frame has one `content` word that DMA and adversary writes
 * land in, besides the protocol words mapped onto it (memory-map.ts); each domain's frames come from a
 * fixed reservation, so no domain's allocation can change which frame another domain gets.
 */
import type { Config } from '../kit/config.ts';

/** The event-channel pending words of one dispatch instance (layout.ts DispatchDomain), which its ports share. */
export interface InstanceChannels {
  evtToService: number;
  evtToPrimary: number;
}

/** Domain slots: the roles, not the Xen domain ids (a restarted domain gets a new id in the same slot). */
export const PRIMARY = 0;
export const STORAGE = 1;
export const NETWORK = 2;
export const SLOTS = 3;
export const SLOT_NAMES = ['primary', 'storage', 'network'] as const;

/** Service ids of the rendezvous hypercall, as in the VirtuOS code (_syscall.h). */
export const SYSID_NETWORK = 0;
export const SYSID_STORAGE = 1;
export const sysidOf = (slot: number) => (slot === NETWORK ? SYSID_NETWORK : SYSID_STORAGE);
export const slotOfSysid = (sysid: number) => (sysid === SYSID_NETWORK ? NETWORK : STORAGE);

/** Xen domain id of a slot's incarnation: dom0 is the primary; a restart gives a new id in the slot's sequence. */
export const domidOf = (slot: number, gen: number) => (slot === PRIMARY ? 0 : slot + 2 * gen);
/** The slot a domain id belongs to. */
export const slotOfDomid = (domid: number) => (domid === 0 ? PRIMARY : domid % 2 === 1 ? STORAGE : NETWORK);

/** Frame owner of a frame in the hypervisor's free pool. */
export const FREE = -1;
/** Grant and mapping permissions. */
export const PERM_NONE = 0;
export const PERM_RO = 1;
export const PERM_RW = 2;
/** Event-channel port states (Xen's ECS_FREE, ECS_UNBOUND, ECS_INTERDOMAIN). */
export const PORT_FREE = 0;
export const PORT_UNBOUND = 1;
export const PORT_INTERDOMAIN = 2;
/** Devices. */
export const SATA = 0;
export const NIC = 1;
export const DEVICE_NAMES = ['SATA', 'NIC'] as const;
/** A mapping in the kernel's address space rather than a process's. */
export const KERNEL_SPACE = -1;

export type FrameKind = 'private' | 'ready-queue' | 'request' | 'data' | 'wake' | 'ring';

/** One page frame (a group of pages with one purpose). */
export interface Frame {
  name: string;
  kind: FrameKind;
  /** the domain slot whose reservation it comes from */
  home: number;
  /** process, for per-process frames; -1 otherwise */
  proc: number;
  owner: number; // word: owning domain id, or FREE
  content: number; // word: the page's data besides protocol words (DMA and adversary writes land here)
}

/** One grant-table entry of a domain (grant reference = index). */
export interface GrantEntry {
  /** what the reference is for, e.g. "wake page", "ready queue of process 1" */
  role: string;
  frame: number; // word: granted frame (index into frames), or -1 when the entry is not in use
  grantee: number; // word: domain id allowed to map it
  perm: number; // word: PERM_RO or PERM_RW (PERM_NONE when not in use)
  maps: number; // word: live mappings of this grant (Xen's pin count); end of access is refused while non-zero
}

/** One mapping slot of a domain: a page-table entry that maps another domain's granted frame. */
export interface MappingSlot {
  role: string;
  /** KERNEL_SPACE or the process the mapping is made into */
  space: number;
  frame: number; // word: mapped frame, or -1 when the slot is unused
  granter: number; // word: domain id of the granting domain
  ref: number; // word: grant reference in the granter's table
  perm: number; // word: PERM_RO or PERM_RW
}

/** One event-channel port of a domain. */
export interface Port {
  role: string;
  state: number; // word: PORT_FREE, PORT_UNBOUND or PORT_INTERDOMAIN
  remote: number; // word: the remote domain id (allowed to bind, or bound)
  rport: number; // word: the remote port when bound
  pending: number; // word: the pending bit (two ports share the dispatch model's evtToService / evtToPrimary words)
}

export interface DeviceLayout {
  owner: number; // word: domain id the device is assigned to (PCI passthrough)
  ctx: number; // word: IOMMU context: bit d set = DMA may reach pages of domain id d
  reqFrame: number; // word: DMA target frame posted by the owner's driver (-1: none)
  reqVal: number; // word: value to transfer
  dmaFrame: number; // word: request the device is executing
  dmaVal: number; // word
  irq: number; // word: interrupt pending at the owner
  pc: number; // word: device state
  issuer: number; // ghost word: domain id that owned the device when it took the request in progress (-1: none)
}

export interface IsolationLayout {
  frames: Frame[];
  /** per slot: the frames of its reservation */
  reservation: number[][];
  /** per slot: its generation (restarts so far); the domain id is domidOf(slot, gen) */
  gen: number[];
  /** per slot: grant table */
  grants: GrantEntry[][];
  /** per slot: mapping slots */
  mappings: MappingSlot[][];
  /** per slot: ports */
  ports: Port[][];
  /** per sysid: rendezvous state (the pc of the rendezvous machine's state) and the registered domain id */
  rvState: number[];
  rvDomid: number[];
  devices: DeviceLayout[];
  /** lifecycle actor per service slot (index 0: storage, 1: network) */
  life: { pc: number }[];
  /** service-domain actor per service slot */
  service: { pc: number; io: number }[];
  /** the primary's connect actor per service slot */
  connect: { pc: number; dom: number }[];
  /** the frontend's notify thread for the network domain */
  notify: { pc: number; tgid: number; pid: number };
  /** the network domain's notify ring, in frame RING_N: length and records {tgid, pid} */
  ringN: { len: number; tgid: number; pid: number; capacity: number };
  /** adversary actors and their argument registers, plus the shared step budget */
  adversary: { pc: number; arg: number; val: number }[];
  advLeft: number;
  /** composed system, ghost: the compromised network domain has done something the hypervisor or hardware accepted (-1 offset otherwise) */
  compromised: number;
  /** grant references by role */
  ref: {
    /** primary: ready queue of process p granted to storage / network */
    rqTo: (slot: number, p: number) => number;
    /** service domain: wake page, notify ring, request and data frames of a registered process p */
    wake: number;
    ring: number;
    req: (p: number) => number;
    data: (p: number) => number;
    /** network: spares for the adversary */
    spare: number[];
  };
  /** mapping slots by role */
  map: {
    /** primary slot of a service domain's frames: ring (kernel), request/data/wake (process p), wake (kernel, per process) */
    ring: (slot: number) => number;
    req: (slot: number, p: number) => number;
    data: (slot: number, p: number) => number;
    wakeUser: (slot: number, p: number) => number;
    wakeKernel: (slot: number, p: number) => number;
    /** a service domain's mapping of process p's ready queue */
    rq: (slot: number, p: number) => number;
    /** network: spares for the adversary */
    spare: number[];
  };
  /** ports by role: a service domain's wake and notify ports; the primary's ends of them */
  port: { wake: 0; notify: 1; primaryWake: (slot: number) => number; primaryNotify: (slot: number) => number };
  /** frame indices by role */
  frame: {
    priv: number[];
    /** the primary's ready queue of process p (the only one, granted to both service domains, unless each domain has its own instance) */
    rq: number[];
    /** the ready queue of process p that a service slot maps: with one dispatch instance per domain (the composed system) the network domain's is its own frame */
    rqFor: (slot: number, p: number) => number;
    wake: number[];
    ring: number[];
    req: number[][];
    data: number[][];
  };
  /** processes registered with a service slot */
  registered: (slot: number, p: number) => boolean;
}

interface Alloc {
  word(): number;
  words(n: number): number;
}

/** Capacity of the network domain's notify ring (the dispatch model's ring stays the storage domain's). */
export const RING_N_CAPACITY = 2;
/** Adversary actors: grant tables, memory, event channels, and device/notify/rendezvous. */
export const ADVERSARY_ACTORS = 4;

export function layoutIsolation(a: Alloc, cfg: Config, dd: readonly InstanceChannels[]): IsolationLayout {
  const { evtToService, evtToPrimary } = dd[0];
  const net = dd[1] ?? null;
  const P = cfg.processes;
  const NP = cfg.networkProcesses;
  const registered = (slot: number, p: number) => slot === STORAGE || (slot === NETWORK && p < NP);
  const frames: Frame[] = [];
  const reservation: number[][] = [[], [], []];
  const frame = (name: string, kind: FrameKind, home: number, proc = -1) => {
    const i = frames.length;
    frames.push({ name, kind, home, proc, owner: a.word(), content: a.word() });
    reservation[home].push(i);
    return i;
  };
  const priv = [frame('primary kernel', 'private', PRIMARY), frame('storage kernel', 'private', STORAGE), frame('network kernel', 'private', NETWORK)];
  const rq: number[] = [];
  for (let p = 0; p < P; p++) rq.push(frame(`ready queue P${p + 1}`, 'ready-queue', PRIMARY, p));
  // with an instance per service domain each domain maps its own ready queue of the process (allocated after every other frame, so one instance lays out as before)
  const rqNet: number[] = [];
  const wake = [-1, frame('storage wake page', 'wake', STORAGE), frame('network wake page', 'wake', NETWORK)];
  const ring = [-1, frame('storage notify ring', 'ring', STORAGE), frame('network notify ring', 'ring', NETWORK)];
  const req: number[][] = [[], [], []];
  const data: number[][] = [[], [], []];
  for (const slot of [STORAGE, NETWORK]) {
    const short = slot === STORAGE ? 'storage' : 'network';
    for (let p = 0; p < P; p++) {
      req[slot].push(registered(slot, p) ? frame(`${short} request area P${p + 1}`, 'request', slot, p) : -1);
      data[slot].push(registered(slot, p) ? frame(`${short} data area P${p + 1}`, 'data', slot, p) : -1);
    }
  }
  if (net) for (let p = 0; p < P; p++) rqNet.push(frame(`ready queue P${p + 1} (network)`, 'ready-queue', PRIMARY, p));

  const entry = (role: string): GrantEntry => ({ role, frame: a.word(), grantee: a.word(), perm: a.word(), maps: a.word() });
  const grants: GrantEntry[][] = [[], [], []];
  for (let p = 0; p < P; p++) grants[PRIMARY].push(entry(`ready queue P${p + 1} to storage`));
  for (let p = 0; p < NP; p++) grants[PRIMARY].push(entry(`ready queue P${p + 1} to network`));
  const spareRefs: number[] = [];
  for (const slot of [STORAGE, NETWORK]) {
    grants[slot].push(entry('wake page'), entry('notify ring'));
    for (let p = 0; p < P; p++) if (registered(slot, p)) grants[slot].push(entry(`request area P${p + 1}`), entry(`data area P${p + 1}`));
  }
  for (let i = 0; i < 2; i++) {
    spareRefs.push(grants[NETWORK].length);
    grants[NETWORK].push(entry('spare'));
  }

  const mapping = (role: string, space: number): MappingSlot => ({ role, space, frame: a.word(), granter: a.word(), ref: a.word(), perm: a.word() });
  const mappings: MappingSlot[][] = [[], [], []];
  const mapIndex: Record<string, number> = {};
  for (const slot of [STORAGE, NETWORK]) {
    const short = slot === STORAGE ? 'storage' : 'network';
    mapIndex[`ring${slot}`] = mappings[PRIMARY].length;
    mappings[PRIMARY].push(mapping(`${short} notify ring`, KERNEL_SPACE));
    for (let p = 0; p < P; p++) {
      if (!registered(slot, p)) continue;
      for (const [k, role, space] of [
        ['req', 'request area', p],
        ['data', 'data area', p],
        ['wakeUser', 'wake page (process)', p],
        ['wakeKernel', 'wake page (kernel)', KERNEL_SPACE],
      ] as const) {
        mapIndex[`${k}${slot}.${p}`] = mappings[PRIMARY].length;
        mappings[PRIMARY].push(mapping(`${short} ${role} P${p + 1}`, space));
      }
    }
  }
  for (const slot of [STORAGE, NETWORK])
    for (let p = 0; p < P; p++) {
      if (!registered(slot, p)) continue;
      mapIndex[`rq${slot}.${p}`] = mappings[slot].length;
      mappings[slot].push(mapping(`ready queue P${p + 1}`, KERNEL_SPACE));
    }
  const spareMaps: number[] = [];
  for (let i = 0; i < 2; i++) {
    spareMaps.push(mappings[NETWORK].length);
    mappings[NETWORK].push(mapping('spare', KERNEL_SPACE));
  }
  const at = (k: string) => {
    const i = mapIndex[k];
    if (i === undefined) throw new Error(`isolation layout: no mapping slot ${k}`);
    return i;
  };

  const port = (role: string, pendingAlias: number | null): Port => ({ role, state: a.word(), remote: a.word(), rport: a.word(), pending: pendingAlias ?? a.word() });
  const ports: Port[][] = [
    [port('storage wake (primary end)', null), port('storage notify (primary end)', evtToPrimary), port('network wake (primary end)', null), port('network notify (primary end)', net ? net.evtToPrimary : null)],
    [port('wake', evtToService), port('notify', null)],
    [port('wake', net ? net.evtToService : null), port('notify', null), port('spare', null), port('spare', null)],
  ];

  const rvState = [a.word(), a.word()];
  const rvDomid = [a.word(), a.word()];
  const device = (): DeviceLayout => ({ owner: a.word(), ctx: a.word(), reqFrame: a.word(), reqVal: a.word(), dmaFrame: a.word(), dmaVal: a.word(), irq: a.word(), pc: a.word(), issuer: a.word() });
  const devices = [device(), device()];
  const gen = [a.word(), a.word(), a.word()];
  const life = [{ pc: a.word() }, { pc: a.word() }];
  const service = [
    { pc: a.word(), io: a.word() },
    { pc: a.word(), io: a.word() },
  ];
  const connect = [
    { pc: a.word(), dom: a.word() },
    { pc: a.word(), dom: a.word() },
  ];
  const notify = { pc: a.word(), tgid: a.word(), pid: a.word() };
  const ringN = { len: a.word(), tgid: a.words(RING_N_CAPACITY), pid: a.words(RING_N_CAPACITY), capacity: RING_N_CAPACITY };
  const adversary = Array.from({ length: ADVERSARY_ACTORS }, () => ({ pc: a.word(), arg: a.word(), val: a.word() }));
  const advLeft = a.word();
  const compromised = net ? a.word() : -1;
  return {
    frames,
    reservation,
    gen,
    grants,
    mappings,
    ports,
    rvState,
    rvDomid,
    devices,
    life,
    service,
    connect,
    notify,
    ringN,
    adversary,
    advLeft,
    compromised,
    ref: {
      rqTo: (slot, p) => (slot === STORAGE ? p : P + p),
      wake: 0,
      ring: 1,
      // the processes registered with a domain are the first ones, so both tables number them alike
      req: (p) => 2 + 2 * p,
      data: (p) => 3 + 2 * p,
      spare: spareRefs,
    },
    map: {
      ring: (slot) => at(`ring${slot}`),
      req: (slot, p) => at(`req${slot}.${p}`),
      data: (slot, p) => at(`data${slot}.${p}`),
      wakeUser: (slot, p) => at(`wakeUser${slot}.${p}`),
      wakeKernel: (slot, p) => at(`wakeKernel${slot}.${p}`),
      rq: (slot, p) => at(`rq${slot}.${p}`),
      spare: spareMaps,
    },
    port: { wake: 0, notify: 1, primaryWake: (slot) => (slot === STORAGE ? 0 : 2), primaryNotify: (slot) => (slot === STORAGE ? 1 : 3) },
    // shared-ready-queue: the network domain is granted the process's one ready-queue page, as in the released code
    frame: { priv, rq, rqFor: (slot, p) => (slot === NETWORK && net && cfg.bug !== 'shared-ready-queue' ? rqNet[p] : rq[p]), wake, ring, req, data },
    registered,
  };
}

/**
 * Lifecycle of a service domain: the control-state indices of the hypervisor's lifecycle machine
 * (hypervisor.ts lists its states in this order and checks it). The primary domain (dom0) is always running.
 * `crashed` and `halted` (shut down in order, recovery layer) both mean: vCPUs stopped, memory in place.
 */
export const LIFE = { absent: 0, created: 1, running: 2, crashed: 3, destroyed: 4, halted: 5 } as const;

/** The lifecycle state of a slot. */
export function lifeOf(s: Int32Array, I: IsolationLayout, slot: number): number {
  return slot === PRIMARY ? LIFE.running : s[I.life[slot - 1].pc];
}

/** The domain id of a slot's current incarnation. */
export function currentDomid(s: Int32Array, I: IsolationLayout, slot: number): number {
  return domidOf(slot, s[I.gen[slot]]);
}

/** A domain exists (created and not yet destroyed): its memory, grants, mappings and ports are live. */
export function alive(s: Int32Array, I: IsolationLayout, domid: number): boolean {
  if (domid < 0) return false;
  const slot = slotOfDomid(domid);
  if (slot === PRIMARY) return true;
  const life = lifeOf(s, I, slot);
  return domid === currentDomid(s, I, slot) && life !== LIFE.absent && life !== LIFE.destroyed;
}

/** Control state of an idle device (devices.ts checks the index). */
export const DEVICE_IDLE = 0;

/** Control state of a service domain's boot actor before its domain runs (service-domain.ts checks the index). */
export const SERVICE_OFF = 0;
/** Control state of a service domain's boot actor once it serves (service-domain.ts checks the index). */
export const SERVICE_SERVING = 5;

/** A domain runs (its vCPUs execute): only then do its actors take steps. */
export const running = (s: Int32Array, I: IsolationLayout, slot: number) => lifeOf(s, I, slot) === LIFE.running;

/** Kinds of the layer's words, for the region map (footprint.ts). */
export type IsolationRegionKind = 'page-frame' | 'grant-table' | 'mapping' | 'event-port' | 'rendezvous' | 'device' | 'domain' | 'actor';

export interface IsolationWord {
  at: number;
  kind: IsolationRegionKind;
  /** the actor whose register it is, for kind 'actor' */
  actor: string;
  field: string;
}

/** Every word of the layer with a name, e.g. "storage wake page.owner", "primary.map[3].frame". */
export function isolationWords(I: IsolationLayout): IsolationWord[] {
  const out: IsolationWord[] = [];
  const put = (at: number, kind: IsolationRegionKind, field: string, actor = '') => out.push({ at, kind, actor, field });
  for (const f of I.frames) {
    put(f.owner, 'page-frame', `${f.name}.owner`);
    put(f.content, 'page-frame', `${f.name}.content`);
  }
  put(I.ringN.len, 'page-frame', 'network notify ring.len');
  for (let i = 0; i < I.ringN.capacity; i++) {
    put(I.ringN.tgid + i, 'page-frame', `network notify ring.tgid[${i}]`);
    put(I.ringN.pid + i, 'page-frame', `network notify ring.pid[${i}]`);
  }
  I.grants.forEach((table, slot) =>
    table.forEach((e, r) => {
      for (const k of ['frame', 'grantee', 'perm', 'maps'] as const) put(e[k], 'grant-table', `${SLOT_NAMES[slot]}.grant[${r}].${k}`);
    }),
  );
  I.mappings.forEach((table, slot) =>
    table.forEach((m, i) => {
      for (const k of ['frame', 'granter', 'ref', 'perm'] as const) put(m[k], 'mapping', `${SLOT_NAMES[slot]}.map[${i}].${k}`);
    }),
  );
  I.ports.forEach((table, slot) =>
    table.forEach((p, q) => {
      for (const k of ['state', 'remote', 'rport'] as const) put(p[k], 'event-port', `${SLOT_NAMES[slot]}.port[${q}].${k}`);
      // two pending bits are the dispatch model's evtToService / evtToPrimary words, named there
      if (!out.some((w) => w.at === p.pending)) put(p.pending, 'event-port', `${SLOT_NAMES[slot]}.port[${q}].pending`);
    }),
  );
  for (let sysid = 0; sysid < 2; sysid++) {
    put(I.rvState[sysid], 'rendezvous', `rendezvous[${sysid}].state`);
    put(I.rvDomid[sysid], 'rendezvous', `rendezvous[${sysid}].domid`);
  }
  I.devices.forEach((d, i) => {
    for (const k of ['owner', 'ctx', 'reqFrame', 'reqVal', 'dmaFrame', 'dmaVal', 'irq', 'pc', 'issuer'] as const) put(d[k], 'device', `${DEVICE_NAMES[i]}.${k}`);
  });
  I.gen.forEach((w, slot) => put(w, 'domain', `${SLOT_NAMES[slot]}.generation`));
  const names = [
    ['XS', 'XN'],
    ['S', 'N'],
    ['PS', 'PN'],
  ];
  I.life.forEach((l, i) => put(l.pc, 'actor', `${names[0][i]}.pc`, names[0][i]));
  I.service.forEach((v, i) => {
    put(v.pc, 'actor', `${names[1][i]}.pc`, names[1][i]);
    put(v.io, 'actor', `${names[1][i]}.io`, names[1][i]);
  });
  I.connect.forEach((v, i) => {
    put(v.pc, 'actor', `${names[2][i]}.pc`, names[2][i]);
    put(v.dom, 'actor', `${names[2][i]}.dom`, names[2][i]);
  });
  for (const k of ['pc', 'tgid', 'pid'] as const) put(I.notify[k], 'actor', `FN.${k}`, 'FN');
  ADVERSARY_NAMES.forEach((n, i) => {
    for (const k of ['pc', 'arg', 'val'] as const) put(I.adversary[i][k], 'actor', `${n}.${k}`, n);
  });
  put(I.advLeft, 'actor', 'adversary.steps_left', 'adversary');
  if (I.compromised >= 0) put(I.compromised, 'domain', 'network.compromised');
  return out;
}

/** Actor names of the adversary's machines, in layout order. */
export const ADVERSARY_NAMES = ['AG', 'AM', 'AE', 'AX'] as const;

/** The primary maps the notify ring of the service domain in `slot` (while connected; the DISCONNECT unmaps it). */
export const primaryMapsRing = (s: Int32Array, I: IsolationLayout, slot: number): boolean => s[I.mappings[PRIMARY][I.map.ring(slot)].frame] === I.frame.ring[slot];
