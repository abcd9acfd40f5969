/**
 * The isolation layer's state with names, for traces and replay (the `isolation` variable of an ITF
 * trace): domains with their ids and lifecycle, the rendezvous per service, frames with owner and
 * content, each domain's grants, mappings and ports (only those in use, keyed by number and role, each
 * one line), the devices, the network notify ring, and the adversary's registers. Like `decode`, it is
 * total: it never fails on a corrupted state.
 */
import { ADVERSARY_VALUES } from './adversary.ts';
import { ADVERSARY_NAMES, currentDomid, DEVICE_NAMES, KERNEL_SPACE, lifeOf, LIFE, PERM_RO, PERM_RW, PORT_FREE, PORT_INTERDOMAIN, SLOT_NAMES, type IsolationLayout } from './layout.ts';
import { RV_STATES } from './rendezvous.ts';
import { COMPONENTS, ISOLATION_COMPONENTS, pcName, type System } from '../kit/system.ts';

type Plain = number | boolean | string | Plain[] | { [k: string]: Plain };

const LIFE_NAMES = Object.keys(LIFE);
const perm = (p: number) => (p === PERM_RW ? 'rw' : p === PERM_RO ? 'ro' : '-');
const dom = (d: number) => (d < 0 ? '-' : `dom${d}`);

export function decodeIsolation(sys: System, s: Int32Array): Record<string, Plain> {
  const I: IsolationLayout = sys.L.iso!;
  const frameName = (f: number) => (f < 0 ? '-' : (I.frames[f]?.name ?? `frame ${f}`));
  const actors: Record<string, string> = {};
  sys.actors.forEach((a, i) => {
    if (ISOLATION_COMPONENTS.includes(COMPONENTS[a.comp])) actors[a.name] = pcName(sys, s, i);
  });
  const domains: Record<string, string> = {};
  SLOT_NAMES.forEach((name, slot) => {
    domains[name] = `dom${currentDomid(s, I, slot)} ${LIFE_NAMES[lifeOf(s, I, slot)] ?? lifeOf(s, I, slot)}`;
  });
  const rendezvous: Record<string, string> = {};
  for (const sysid of [1, 0]) {
    const st = RV_STATES[s[I.rvState[sysid]]] ?? String(s[I.rvState[sysid]]);
    rendezvous[sysid === 0 ? 'network' : 'storage'] = s[I.rvDomid[sysid]] < 0 ? st : `${st} (dom${s[I.rvDomid[sysid]]})`;
  }
  const frames: Record<string, string> = {};
  for (const f of I.frames) frames[f.name] = `${s[f.owner] < 0 ? 'free' : `dom${s[f.owner]}`}, content ${s[f.content]}`;
  const grants: Record<string, Plain> = {};
  const mappings: Record<string, Plain> = {};
  const ports: Record<string, Plain> = {};
  SLOT_NAMES.forEach((name, slot) => {
    const g: Record<string, string> = {};
    I.grants[slot].forEach((e, ref) => {
      if (s[e.frame] >= 0 || s[e.maps] !== 0) g[`${ref} ${e.role}`] = `${frameName(s[e.frame])} to ${dom(s[e.grantee])} ${perm(s[e.perm])}, mapped ${s[e.maps]}`;
    });
    grants[name] = g;
    const m: Record<string, string> = {};
    I.mappings[slot].forEach((ms, i) => {
      if (s[ms.frame] >= 0)
        m[`${i} ${ms.role}`] = `${frameName(s[ms.frame])} from ${dom(s[ms.granter])} ref ${s[ms.ref]} ${perm(s[ms.perm])} into ${ms.space === KERNEL_SPACE ? 'the kernel' : `process ${ms.space + 1}`}`;
    });
    mappings[name] = m;
    const pt: Record<string, string> = {};
    I.ports[slot].forEach((p, q) => {
      const st = s[p.state];
      const pend = s[p.pending] !== 0 ? ', pending' : '';
      if (st === PORT_FREE && !pend) return;
      pt[`${q} ${p.role}`] = (st === PORT_FREE ? 'free' : st === PORT_INTERDOMAIN ? `bound to ${dom(s[p.remote])} port ${s[p.rport]}` : `unbound for ${dom(s[p.remote])}`) + pend;
    });
    ports[name] = pt;
  });
  const devices: Record<string, string> = {};
  I.devices.forEach((d, i) => {
    const ctx: string[] = [];
    for (let b = 0; b < 16; b++) if (s[d.ctx] & (1 << b)) ctx.push(`dom${b}`);
    const req = s[d.reqFrame] >= 0 ? `, request into ${frameName(s[d.reqFrame])}` : '';
    const dma = s[d.dmaFrame] >= 0 ? `, DMA into ${frameName(s[d.dmaFrame])} for ${dom(s[d.issuer])}` : '';
    devices[DEVICE_NAMES[i]] = `owner ${dom(s[d.owner])}, IOMMU [${ctx.join(' ')}]${req}${dma}${s[d.irq] ? ', interrupt pending' : ''}`;
  });
  const ring = Array.from({ length: Math.max(0, Math.min(s[I.ringN.len], I.ringN.capacity)) }, (_, i) => `tgid ${s[I.ringN.tgid + i]}, pid ${s[I.ringN.pid + i]}`);
  const out: Record<string, Plain> = {
    actors,
    domains,
    rendezvous,
    frames,
    grants,
    mappings,
    ports,
    devices,
    network_notify_ring: { len: s[I.ringN.len], records: ring },
    network_notify_thread: `record tgid ${s[I.notify.tgid]}, pid ${s[I.notify.pid]}`,
    connected_to: { storage: dom(s[I.connect[0].dom]), network: dom(s[I.connect[1].dom]) },
  };
  if (sys.cfg.adversary)
    out.adversary = {
      steps_left: s[I.advLeft],
      arguments: Object.fromEntries(ADVERSARY_NAMES.map((n, i) => [n, n === 'AM' ? `target ${s[I.adversary[i].arg]}, value ${ADVERSARY_VALUES[s[I.adversary[i].val]]}` : String(s[I.adversary[i].arg])])),
    };
  return out;
}
