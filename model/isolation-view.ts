/**
 * The isolation layer's state with names, for traces and replay (the `isolation` variable of an ITF
 * trace): domains with their ids and lifecycle, the rendezvous per service, frames with owner and
 * content, each domain's grants, mappings and ports (only those in use), the devices, the network
 * notify ring, and the adversary's registers.
 */
import { ADVERSARY_VALUES } from './adversary.ts';
import {
  ADVERSARY_NAMES,
  currentDomid,
  DEVICE_NAMES,
  KERNEL_SPACE,
  lifeOf,
  LIFE,
  PERM_RO,
  PERM_RW,
  PORT_FREE,
  PORT_INTERDOMAIN,
  SLOT_NAMES,
  type IsolationLayout,
} from './isolation-layout.ts';
import { RV_STATES } from './rendezvous.ts';
import { COMPONENTS, ISOLATION_COMPONENTS, pcName, type System } from './system.ts';

type Plain = number | boolean | string | Plain[] | { [k: string]: Plain };

const LIFE_NAMES = Object.keys(LIFE);
const perm = (p: number) => (p === PERM_RW ? 'rw' : p === PERM_RO ? 'ro' : '-');
const dom = (d: number) => (d < 0 ? '-' : `dom${d}`);

export function decodeIsolation(sys: System, s: Int32Array): Record<string, Plain> {
  const I: IsolationLayout = sys.L.iso!;
  const frameName = (f: number) => (f < 0 ? '-' : (I.frames[f]?.name ?? `frame ${f}`));
  const domains = SLOT_NAMES.map((name, slot) => ({ name, domid: currentDomid(s, I, slot), life: LIFE_NAMES[lifeOf(s, I, slot)] ?? String(lifeOf(s, I, slot)) }));
  const rendezvous = [0, 1].map((sysid) => ({ service: sysid === 0 ? 'network' : 'storage', state: RV_STATES[s[I.rvState[sysid]]] ?? String(s[I.rvState[sysid]]), domid: dom(s[I.rvDomid[sysid]]) }));
  const frames = I.frames.map((f) => ({ name: f.name, owner: s[f.owner] < 0 ? 'free' : `dom${s[f.owner]}`, content: s[f.content] }));
  const grants: Record<string, Plain> = {};
  const mappings: Record<string, Plain> = {};
  const ports: Record<string, Plain> = {};
  SLOT_NAMES.forEach((name, slot) => {
    grants[name] = I.grants[slot]
      .map((e, ref) => ({ ref, role: e.role, frame: frameName(s[e.frame]), to: dom(s[e.grantee]), perm: perm(s[e.perm]), maps: s[e.maps] }))
      .filter((g) => g.frame !== '-' || g.maps !== 0);
    mappings[name] = I.mappings[slot]
      .map((m, i) => ({ slot: i, role: m.role, space: m.space === KERNEL_SPACE ? 'kernel' : `process ${m.space + 1}`, frame: frameName(s[m.frame]), from: dom(s[m.granter]), ref: s[m.ref], perm: perm(s[m.perm]) }))
      .filter((m) => m.frame !== '-');
    ports[name] = I.ports[slot]
      .map((p, q) => ({
        port: q,
        role: p.role,
        state: s[p.state] === PORT_FREE ? 'free' : s[p.state] === PORT_INTERDOMAIN ? 'bound' : 'unbound',
        remote: dom(s[p.remote]),
        rport: s[p.rport],
        pending: s[p.pending] !== 0,
      }))
      .filter((p) => p.state !== 'free' || p.pending);
  });
  const devices = I.devices.map((d, i) => {
    const ctx: string[] = [];
    for (let b = 0; b < 16; b++) if (s[d.ctx] & (1 << b)) ctx.push(`dom${b}`);
    return { name: DEVICE_NAMES[i], owner: dom(s[d.owner]), iommu: ctx, request: frameName(s[d.reqFrame]), dma: frameName(s[d.dmaFrame]), irq: s[d.irq] !== 0 };
  });
  const ring = Array.from({ length: s[I.ringN.len] }, (_, i) => ({ tgid: s[I.ringN.tgid + i], pid: s[I.ringN.pid + i] }));
  const actors: Record<string, string> = {};
  sys.actors.forEach((a, i) => {
    if (ISOLATION_COMPONENTS.includes(COMPONENTS[a.comp])) actors[a.name] = pcName(sys, s, i);
  });
  const out: Record<string, Plain> = {
    actors,
    domains,
    rendezvous,
    frames,
    grants,
    mappings,
    ports,
    devices,
    network_notify_ring: ring,
    network_notify_thread: { record: { tgid: s[I.notify.tgid], pid: s[I.notify.pid] } },
    connect: I.connect.map((c, i) => ({ service: i === 0 ? 'storage' : 'network', dom: dom(s[c.dom]) })),
  };
  if (sys.cfg.adversary)
    out.adversary = {
      steps_left: s[I.advLeft],
      registers: ADVERSARY_NAMES.map((n, i) => ({ actor: n, arg: s[I.adversary[i].arg], ...(n === 'AM' ? { value: ADVERSARY_VALUES[s[I.adversary[i].val]] } : {}) })),
    };
  return out;
}
