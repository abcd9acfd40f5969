/**
 * The adversary: a compromised network domain, as environment machines switched on by `adversary`.
 *
 * It may do anything the hypervisor and the hardware let the network domain do, and nothing else: it
 * acts with the network domain's identity, through the same hypercalls (grant-table.ts,
 * event-channel.ts, rendezvous.ts), its own page tables (`mmuAllows`), its own device (the NIC, through
 * the IOMMU) and its own notify ring. Four actors, so that the random scheduler can pick among their
 * operations (a pick chooses among at most four steps of one actor):
 * - AG, grant tables: grant any of its frames to the primary or storage domain; end access on any of
 *   its references; map any reference of the primary's or the storage domain's grant table.
 * - AM, memory: write any value of a small set into a word of a page; the write happens only if its
 *   page tables reach the page (its own frames, frames it mapped read-write), else it faults; run the
 *   ready-queue enqueue on a queue page it maps with a handle of its choice.
 * - AE, event channels: allocate or bind a port; send on any port number (its own, or one of another
 *   domain's table, which a correct hypervisor refuses); close any of its ports.
 * - AX, device, notify ring, rendezvous: program the NIC to DMA into any frame; push a notify record
 *   with any thread group and pid and signal the primary; call the rendezvous hypercall with any
 *   operation for either service id.
 *
 * Arguments are chosen by steps too: each actor has an argument register (AM also a value register)
 * that its "picks" step advances, so that the arguments of an attack are part of the schedule and
 * shrink with it. The argument domains are small and stated per operation. All adversary steps
 * together are bounded by `adversarySteps` per run, so that runs end. The adversary acts only while the
 * network domain runs; a restarted network domain is assumed compromised again.
 *
 * VIRTUOS.md: "Memory and isolation" (a bad service domain), "Components".
 */
import { allocUnbound, bindInterdomain, canAllocUnbound, canBind, closePort, freePort, peerOf, send, sendAccepted } from './event-channel.ts';
import { canEndAccess, canGrant, canMap, endAccess, grantAccess, mapGrant, mmuAllows } from './grant-table.ts';
import {
  currentDomid,
  NETWORK,
  NIC,
  PERM_RW,
  PORT_INTERDOMAIN,
  PRIMARY,
  running,
  SLOT_NAMES,
  STORAGE,
  type IsolationLayout,
} from './layout.ts';
import { defineComponent, type Component, type Ctx } from '../kit/kit.ts';
import { dispatchProcName, domainOfProc, NIL, SERVICE_STORAGE, threadName, type Layout } from '../kit/layout.ts';
import { enqueueInOneStep } from '../dispatch/ready-queue.ts';
import { DIFF_NETWORK_COMPROMISED } from '../posix/thread.ts';
import { RV_OPS, rendezvousCheck, rendezvousOp, type RvOp } from './rendezvous.ts';

const iso = (c: Ctx): IsolationLayout => c.L.iso!;
const ARG_RANGE = 16;
/** Values the adversary writes into memory: small indices, nil, and an out-of-range index. */
export const ADVERSARY_VALUES = [0, 1, 2, NIL, 7];
/** Data the adversary's NIC transfers carry ('A'). */
export const ADVERSARY_DMA = 65;

/**
 * Composed system: the network domain's first accepted act makes it compromised for the rest of the
 * run (a ghost the properties read: what it owes about its own service is no longer judged, and the
 * POSIX history is checked up to here).
 */
function markCompromised(c: Ctx): void {
  const I = iso(c);
  if (I.compromised < 0 || c.s[I.compromised]) return;
  c.s[I.compromised] = 1;
  const PL = c.L.posix;
  if (PL && c.s[PL.cut] < 0) {
    c.s[PL.cut] = c.s[PL.tick]++;
    c.s[PL.cutWhy] = DIFF_NETWORK_COMPROMISED;
  }
}

const active = (c: Ctx) => c.L.cfg.adversary && c.s[iso(c).advLeft] > 0 && running(c.s, iso(c), NETWORK);
const netDomid = (c: Ctx) => currentDomid(c.s, iso(c), NETWORK);
const spend = (c: Ctx) => {
  c.s[iso(c).advLeft]--;
};

/** One word the adversary may try to write: where it is and which frame it is in. */
export interface Target {
  word: number;
  frame: number;
  name: string;
}

/**
 * The words the adversary aims at, most damaging first: the ready queues of the processes registered
 * with it (which the primary grants it); the storage wake page and the primary's and storage domain's
 * kernel memory, which must stay out of its reach; its notify ring and its own frames.
 */
export function adversaryTargets(L: Layout): Target[] {
  const I = L.iso!;
  const out: Target[] = [];
  // the ready-queue words of every dispatch process whose queue is in a page granted to the network
  // domain (one instance: the process's only queue; in the composed system the network instance's)
  const queueWords = (q: number, p: number, frame: number) => {
    const pl = L.proc[q];
    const who = L.dd.length > 1 ? `P${p + 1}/${L.dd[domainOfProc(L, q)].service === SERVICE_STORAGE ? 'S' : 'N'}` : `P${p + 1}`;
    const words: [number, string][] = [
      [pl.head, 'head'],
      [pl.tail, 'tail'],
      [pl.waiters, 'waiters'],
      [pl.poolTop, 'pool_top'],
      [pl.rqLen, 'rq_len'],
      [pl.rq, 'rq[0]'],
    ];
    for (let n = 0; n < L.nodes; n++) words.push([pl.nodeValue + n, `node_value[${n}]`], [pl.nodeNext + 2 * n, `node_next[${n}]`]);
    for (const [w, n] of words) out.push({ word: w, frame, name: `ready queue ${who} ${n}` });
  };
  for (let p = 0; p < L.cfg.processes; p++) {
    if (!I.registered(NETWORK, p)) continue;
    const rq = I.frame.rqFor(NETWORK, p);
    // another domain's queue in its reach (the released layout: one page per process) is the most damaging: listed first
    for (let d = 0; d < L.dd.length; d++) {
      const q = d * L.cfg.processes + p;
      if (I.frame.rqFor(L.dd[d].service === SERVICE_STORAGE ? STORAGE : NETWORK, p) === rq) queueWords(q, p, rq);
    }
    out.push({ word: I.frames[rq].content, frame: rq, name: `ready queue P${p + 1} content` });
  }
  out.push({ word: L.wake, frame: I.frame.wake[STORAGE], name: 'storage wake word' });
  out.push({ word: I.frames[I.frame.priv[PRIMARY]].content, frame: I.frame.priv[PRIMARY], name: 'primary kernel content' });
  out.push({ word: I.frames[I.frame.priv[STORAGE]].content, frame: I.frame.priv[STORAGE], name: 'storage kernel content' });
  const ringN = I.frame.ring[NETWORK];
  out.push({ word: I.ringN.len, frame: ringN, name: 'network notify ring length' });
  out.push({ word: I.ringN.tgid, frame: ringN, name: 'network notify record 1 tgid' });
  out.push({ word: I.ringN.pid, frame: ringN, name: 'network notify record 1 pid' });
  for (const f of I.reservation[NETWORK]) out.push({ word: I.frames[f].content, frame: f, name: `${I.frames[f].name} content` });
  // the composed system: the network instance's own request areas and wake word, in its own pages
  if (L.dd.length > 1) {
    const d = L.dd.findIndex((x) => x.service !== SERVICE_STORAGE);
    out.push({ word: L.dd[d].wake, frame: I.frame.wake[NETWORK], name: 'network wake word' });
    for (let p = 0; p < L.cfg.processes; p++) {
      const pl = L.proc[d * L.cfg.processes + p];
      const f = I.frame.req[NETWORK][p];
      out.push({ word: pl.allocTop, frame: f, name: `network request area P${p + 1} alloc_top` });
      out.push({ word: pl.freeTop, frame: f, name: `network request area P${p + 1} free_top` });
      for (let e = 0; e < L.cfg.entries; e++) {
        out.push({ word: pl.id + e, frame: f, name: `network request area P${p + 1} entry ${e} call id` });
        out.push({ word: pl.arg + e, frame: f, name: `network request area P${p + 1} entry ${e} argument` });
        out.push({ word: pl.owner + e, frame: f, name: `network request area P${p + 1} entry ${e} handle` });
      }
    }
  }
  return out;
}

const targetCache = new WeakMap<Layout, Target[]>();
function targets(L: Layout): Target[] {
  let t = targetCache.get(L);
  if (!t) targetCache.set(L, (t = adversaryTargets(L)));
  return t;
}

function actor(spec: {
  id: string;
  prefix: string;
  index: number;
  description: string;
  range: (L: Layout) => number;
  events: Record<string, { ok: (c: Ctx) => boolean; act: (c: Ctx) => void; to: string; description: string; label: (c: Ctx, ok: boolean) => string }>;
  extra?: { event: string; register: 'val'; range: number; description: string; label: (c: Ctx) => string };
}): Component {
  const me = (c: Ctx) => iso(c).adversary[spec.index];
  const on: Record<string, { guard: string; target: string; actions: string | string[] }[]> = {
    AdversaryPicksArgument: [{ guard: 'active', target: 'attacking', actions: ['spend', 'nextArgument'] }],
  };
  const guards: Record<string, (c: Ctx) => boolean> = { active };
  const guardDocs: Record<string, string> = { active: 'the adversary is on, the network domain runs, and the adversary has steps left' };
  const actions: Record<string, (c: Ctx) => void> = {
    spend,
    compromise: markCompromised,
    nextArgument: (c) => {
      c.s[me(c).arg] = (c.s[me(c).arg] + 1) % spec.range(c.L);
    },
  };
  const events: Record<string, { from: string; to: string; description: string; label: (c: Ctx, target: string) => string }> = {
    AdversaryPicksArgument: {
      from: 'adversary (network domain)',
      to: 'itself',
      description: 'advance the argument register: the next operation uses the next argument',
      label: (c) => `picks argument ${(c.s[me(c).arg] + 1) % spec.range(c.L)}`,
    },
  };
  if (spec.extra) {
    const x = spec.extra;
    on[x.event] = [{ guard: 'active', target: 'attacking', actions: ['spend', 'nextValue'] }];
    actions.nextValue = (c) => {
      c.s[me(c).val] = (c.s[me(c).val] + 1) % x.range;
    };
    events[x.event] = { from: 'adversary (network domain)', to: 'itself', description: x.description, label: x.label };
  }
  for (const [name, e] of Object.entries(spec.events)) {
    const ok = `${name}Accepted`;
    guards[ok] = (c) => active(c) && e.ok(c);
    guardDocs[ok] = `active, and the hypervisor or hardware accepts: ${e.description}`;
    actions[name] = e.act;
    on[name] = [
      { guard: ok, target: 'attacking', actions: ['spend', name, 'compromise'] },
      { guard: 'active', target: 'attacking', actions: 'spend' },
    ];
    events[name] = { from: 'adversary (network domain)', to: e.to, description: e.description, label: (c) => e.label(c, e.ok(c)) };
  }
  return defineComponent({
    id: spec.id,
    prefix: spec.prefix,
    section: 'Memory and isolation',
    description: spec.description,
    initial: 'attacking',
    count: (L) => (L.iso && L.cfg.adversary ? 1 : 0),
    pc: (L) => L.iso!.adversary[spec.index].pc,
    states: { attacking: { description: 'the network domain is compromised; every step is one attempt', on } },
    guards,
    guardDocs,
    actions,
    events,
  });
}

const arg = (c: Ctx, index: number) => c.s[iso(c).adversary[index].arg];
const verdict = (ok: boolean) => (ok ? 'accepted' : 'refused');

// ---- AG: grant tables ----
function grantArgs(c: Ctx) {
  const I = iso(c);
  const a = arg(c, 0);
  const own = I.reservation[NETWORK];
  return { ref: I.ref.spare[a & 1], granteeSlot: (a >> 1) & 1 ? STORAGE : PRIMARY, frame: own[(a >> 2) % own.length] };
}
function mapArgs(c: Ctx) {
  const I = iso(c);
  const a = arg(c, 0);
  const granterSlot = a & 1 ? STORAGE : PRIMARY;
  const m = I.map.spare.find((x) => c.s[I.mappings[NETWORK][x].frame] < 0) ?? -1;
  return { granterSlot, granter: currentDomid(c.s, I, granterSlot), ref: (a >> 1) % I.grants[granterSlot].length, m };
}
const endRef = (c: Ctx) => arg(c, 0) % iso(c).grants[NETWORK].length;

export const adversaryGrants = actor({
  id: 'adversary-grants',
  prefix: 'AG',
  index: 0,
  description: 'The compromised network domain using grant tables: grant any of its frames, end access on any of its references, map any reference of another domain.',
  range: () => ARG_RANGE,
  events: {
    AdversaryGrantsAccess: {
      to: 'grant table (hypervisor)',
      description: 'grant one of its frames (argument: spare reference, grantee primary or storage, frame) read-write',
      ok: (c) => canGrant(c.s, c.L, NETWORK, grantArgs(c).ref, grantArgs(c).frame),
      act: (c) => {
        const g = grantArgs(c);
        grantAccess(c.s, c.L, NETWORK, g.ref, g.frame, currentDomid(c.s, iso(c), g.granteeSlot), PERM_RW);
      },
      label: (c, ok) => {
        const g = grantArgs(c);
        return `grants ${iso(c).frames[g.frame].name} to the ${SLOT_NAMES[g.granteeSlot]} domain in reference ${g.ref}: ${verdict(ok)}`;
      },
    },
    AdversaryEndsAccess: {
      to: 'grant table (hypervisor)',
      description: 'end access on one of its grant references (argument: the reference)',
      ok: (c) => canEndAccess(c.s, c.L, NETWORK, endRef(c)),
      act: (c) => {
        endAccess(c.s, c.L, NETWORK, endRef(c));
      },
      label: (c, ok) => {
        const e = iso(c).grants[NETWORK][endRef(c)];
        const mapped = c.s[e.maps] > 0 ? `, mapped ${c.s[e.maps]} time(s)` : '';
        return `ends access on its reference ${endRef(c)} (${e.role}${mapped}): ${c.s[e.frame] < 0 ? 'refused (not in use)' : verdict(ok)}`;
      },
    },
    AdversaryMapsGrant: {
      to: 'grant table (hypervisor)',
      description: "map a reference of the primary's or the storage domain's grant table read-write (argument: granter, reference)",
      ok: (c) => {
        const g = mapArgs(c);
        return g.m >= 0 && canMap(c.s, c.L, NETWORK, g.m, g.granter, g.ref, PERM_RW);
      },
      act: (c) => {
        const g = mapArgs(c);
        mapGrant(c.s, c.L, NETWORK, g.m, g.granter, g.ref, PERM_RW);
      },
      label: (c, ok) => {
        const g = mapArgs(c);
        return `maps reference ${g.ref} of the ${SLOT_NAMES[g.granterSlot]} domain (${iso(c).grants[g.granterSlot][g.ref].role}) read-write: ${verdict(ok)}`;
      },
    },
  },
});

// ---- AM: memory writes ----
const target = (c: Ctx) => targets(c.L)[arg(c, 1) % targets(c.L).length];
const value = (c: Ctx) => ADVERSARY_VALUES[c.s[iso(c).adversary[1].val] % ADVERSARY_VALUES.length];

export const adversaryMemory = actor({
  id: 'adversary-memory',
  prefix: 'AM',
  index: 1,
  description: 'The compromised network domain writing memory: any value of a small set into any target word, if its page tables reach the page; or running the ready-queue enqueue on a queue page it maps with a forged handle.',
  range: (L) => targets(L).length,
  extra: {
    event: 'AdversaryPicksValue',
    register: 'val',
    range: ADVERSARY_VALUES.length,
    description: 'advance the value register',
    label: (c) => `picks value ${ADVERSARY_VALUES[(c.s[iso(c).adversary[1].val] + 1) % ADVERSARY_VALUES.length]}`,
  },
  events: {
    AdversaryWritesMemory: {
      to: 'a page, through its page tables',
      description: 'write the chosen value into the chosen word; faults unless the page is its own or mapped read-write',
      ok: (c) => mmuAllows(c.s, c.L, NETWORK, target(c).frame, true),
      act: (c) => {
        c.s[target(c).word] = value(c);
      },
      label: (c, ok) => `writes ${value(c)} into ${target(c).name}: ${ok ? 'done' : 'page fault'}`,
    },
    AdversaryQueuesHandle: {
      to: 'a ready queue in its reach',
      description: "run the ready-queue enqueue on a queue page it maps, with a handle of its choice (argument: the queue and the thread): the network domain's own code path, with a forged handle",
      ok: (c) => {
        const f = forgeArgs(c);
        return f !== null && mmuAllows(c.s, c.L, NETWORK, f.frame, true) && c.s[c.L.proc[f.q].poolTop] !== NIL;
      },
      act: (c) => {
        const f = forgeArgs(c)!;
        enqueueInOneStep(c.s, c.L.proc[f.q], c.L.nodes, f.h, c.L.cfg.stampModulus);
      },
      label: (c, ok) => {
        const f = forgeArgs(c);
        if (!f) return 'queues a forged handle: no ready queue in its reach';
        return `queues ${threadName(c.L, f.h)}'s handle on ${dispatchProcName(c.L, f.q)}'s ready queue: ${ok ? 'queued' : 'refused (not a page it maps, or no free node)'}`;
      },
    },
  },
});

// ---- AE: event channels ----
/** Port numbers the adversary sends on: other domains' ports first (a correct hypervisor refuses them), then its own. */
const SEND_TARGETS: [number, number][] = [
  [PRIMARY, 0],
  [STORAGE, 0],
  [PRIMARY, 1],
  [STORAGE, 1],
  [NETWORK, 0],
  [NETWORK, 1],
  [NETWORK, 2],
  [NETWORK, 3],
];
function openArgs(c: Ctx) {
  const a = arg(c, 2);
  const q = freePort(c.s, c.L, NETWORK);
  return a & 4 ? { q, bind: true, remoteSlot: PRIMARY, rq: a & 3 } : { q, bind: false, remoteSlot: a & 1 ? STORAGE : PRIMARY, rq: -1 };
}
const sendTarget = (c: Ctx) => SEND_TARGETS[arg(c, 2) % SEND_TARGETS.length];
const closeArg = (c: Ctx) => arg(c, 2) & 3;

export const adversaryEvents = actor({
  id: 'adversary-event-channels',
  prefix: 'AE',
  index: 2,
  description: 'The compromised network domain using event channels: allocate or bind ports, send on any port number, close its ports.',
  range: () => 8,
  events: {
    AdversaryOpensPort: {
      to: 'event channels (hypervisor)',
      description: "allocate its lowest free port unbound for the primary or storage, or bind it to one of the primary's ports (argument)",
      ok: (c) => {
        const o = openArgs(c);
        const remote = currentDomid(c.s, iso(c), o.remoteSlot);
        return o.q >= 0 && (o.bind ? canBind(c.s, c.L, NETWORK, o.q, remote, o.rq) : canAllocUnbound(c.s, c.L, NETWORK, o.q));
      },
      act: (c) => {
        const o = openArgs(c);
        const remote = currentDomid(c.s, iso(c), o.remoteSlot);
        if (o.bind) bindInterdomain(c.s, c.L, NETWORK, o.q, remote, o.rq);
        else allocUnbound(c.s, c.L, NETWORK, o.q, remote);
      },
      label: (c, ok) => {
        const o = openArgs(c);
        const what = o.bind ? `binds a port to port ${o.rq} of the primary` : `allocates a port unbound for the ${SLOT_NAMES[o.remoteSlot]} domain`;
        return `${what}: ${o.q < 0 ? 'refused (no free port)' : verdict(ok)}`;
      },
    },
    AdversarySendsEvent: {
      to: 'event channels (hypervisor)',
      description: "send on a port number: one of its own ports, or a port of the primary's or storage's table (argument)",
      ok: (c) => {
        const [slot, q] = sendTarget(c);
        return sendAccepted(c.L, NETWORK, slot) && peerOf(c.s, c.L, slot, q) !== null;
      },
      act: (c) => {
        const [slot, q] = sendTarget(c);
        send(c.s, c.L, NETWORK, slot, q);
      },
      label: (c, ok) => {
        const [slot, q] = sendTarget(c);
        const whose = slot === NETWORK ? `its port ${q}` : `port ${q} of the ${SLOT_NAMES[slot]} domain (${iso(c).ports[slot][q].role})`;
        return `sends on ${whose}: ${ok ? 'the peer is signalled' : sendAccepted(c.L, NETWORK, slot) ? 'nothing bound' : 'refused (not its port)'}`;
      },
    },
    AdversaryClosesPort: {
      to: 'event channels (hypervisor)',
      description: 'close one of its ports (argument)',
      ok: (c) => c.s[iso(c).ports[NETWORK][closeArg(c)].state] !== 0,
      act: (c) => {
        closePort(c.s, c.L, NETWORK, closeArg(c));
      },
      label: (c, ok) => `closes its port ${closeArg(c)} (${iso(c).ports[NETWORK][closeArg(c)].role}): ${ok ? 'closed' : 'refused (free)'}`,
    },
  },
});

// ---- AX: NIC, notify ring, rendezvous ----
const nicFrame = (c: Ctx) => arg(c, 3) % iso(c).frames.length;
function recordArgs(c: Ctx) {
  const P = c.L.cfg.processes;
  const a = arg(c, 3);
  return { tgid: a % P, pid: Math.floor(a / P) % (P * c.L.cfg.kernelThreads) };
}
function rvArgs(c: Ctx): { op: RvOp; sysid: number } {
  const a = arg(c, 3);
  return { op: RV_OPS[a % RV_OPS.length], sysid: Math.floor(a / RV_OPS.length) % 2 };
}
const nic = (c: Ctx) => iso(c).devices[NIC];

/**
 * The ready queues in the network domain's reach (the pages the primary grants it) and the threads
 * whose handles could be forged on them: another domain's queue first, the most damaging.
 */
function forgeable(L: Layout): { q: number; h: number; frame: number }[] {
  const I = L.iso!;
  const out: { q: number; h: number; frame: number }[] = [];
  for (let d = 0; d < L.dd.length; d++)
    for (let p = 0; p < L.cfg.processes; p++) {
      if (!I.registered(NETWORK, p)) continue;
      const frame = I.frame.rqFor(NETWORK, p);
      if (I.frame.rqFor(L.dd[d].service === SERVICE_STORAGE ? STORAGE : NETWORK, p) !== frame) continue;
      const q = d * L.cfg.processes + p;
      for (let t = 0; t < L.cfg.threads; t++) out.push({ q, h: q * L.cfg.threads + t, frame });
    }
  return out;
}
const forgeCache = new WeakMap<Layout, ReturnType<typeof forgeable>>();
function forgeArgs(c: Ctx): { q: number; h: number; frame: number } | null {
  let list = forgeCache.get(c.L);
  if (!list) forgeCache.set(c.L, (list = forgeable(c.L)));
  return list.length ? list[arg(c, 1) % list.length] : null;
}

export const adversaryDevice = actor({
  id: 'adversary-device',
  prefix: 'AX',
  index: 3,
  description:
    'The compromised network domain driving its NIC to DMA anywhere, pushing notify records with any thread group and pid, and calling the rendezvous hypercall with any operation.',
  range: () => ARG_RANGE,
  events: {
    AdversaryProgramsNic: {
      to: 'NIC registers',
      description: 'post a NIC transfer into any frame (argument: the frame, standing for any bus address); needs the NIC assigned to it and idle',
      ok: (c) => c.s[nic(c).owner] === netDomid(c) && c.s[nic(c).reqFrame] < 0,
      act: (c) => {
        c.s[nic(c).reqFrame] = nicFrame(c);
        c.s[nic(c).reqVal] = ADVERSARY_DMA;
      },
      label: (c, ok) => `programs the NIC to DMA into ${iso(c).frames[nicFrame(c)].name}: ${ok ? 'posted' : 'refused (not its device, or busy)'}`,
    },
    AdversaryPushesNotifyRecord: {
      to: 'its notify ring, event channel to the primary',
      description: 'push a notify record {tgid, pid} (argument) on its notify ring and send on its notify port',
      ok: (c) => mmuAllows(c.s, c.L, NETWORK, iso(c).frame.ring[NETWORK], true) && c.s[iso(c).ringN.len] < iso(c).ringN.capacity,
      act: (c) => {
        const I = iso(c);
        const r = recordArgs(c);
        const n = c.s[I.ringN.len];
        c.s[I.ringN.tgid + n] = r.tgid;
        c.s[I.ringN.pid + n] = r.pid;
        c.s[I.ringN.len] = n + 1;
        if (c.s[I.ports[NETWORK][I.port.notify].state] === PORT_INTERDOMAIN) send(c.s, c.L, NETWORK, NETWORK, I.port.notify);
      },
      label: (c, ok) => {
        const r = recordArgs(c);
        return `pushes notify record {tgid P${r.tgid + 1}, pid K${r.pid + 1}} and signals the primary: ${ok ? 'pushed' : 'refused (ring full or not its page)'}`;
      },
    },
    AdversaryCallsRendezvous: {
      to: 'rendezvous (hypervisor)',
      description: 'call the rendezvous hypercall with any operation for either service id (argument)',
      ok: (c) => {
        const r = rvArgs(c);
        return rendezvousCheck(c.s, iso(c), netDomid(c), r.op, r.sysid) === 'ok';
      },
      act: (c) => {
        const r = rvArgs(c);
        rendezvousOp(c.s, iso(c), netDomid(c), r.op, r.sysid);
      },
      label: (c) => {
        const r = rvArgs(c);
        return `calls rendezvous ${r.op} for the ${r.sysid === 0 ? 'network' : 'storage'} service: ${rendezvousCheck(c.s, iso(c), netDomid(c), r.op, r.sysid)}`;
      },
    },
  },
});

export const ADVERSARY_COMPONENTS: readonly Component[] = [adversaryGrants, adversaryMemory, adversaryEvents, adversaryDevice];

/** Is this component one of the adversary's? (for counting adversary steps) */
export const isAdversary = (comp: Component) => ADVERSARY_COMPONENTS.includes(comp);
