/**
 * No leak (safety, with one end-of-run clause): nothing of a failed incarnation survives its teardown
 * and clean-up. The recovery layer runs on the isolation layer's hypervisor, so the resources judged
 * here are the hypervisor's own: page frames, grant-table entries, foreign mappings, event-channel
 * ports and the rendezvous registration, besides the layer's request entries, ready-queue handles,
 * notify records and shadow processes.
 *
 * - teardown-complete: once the frontend has let go of a domain (no connection, not connecting), the
 *   primary maps none of the domain's pages, has none of its ports bound or waiting for it, serves no
 *   incarnation of it, and no request entry or ready-queue handle of the domain is left;
 * - clean-complete: once the toolstack has destroyed a domain (and until the next incarnation is
 *   created), every frame of its reservation is back in the free pool unless another domain still maps
 *   it (Xen keeps such a frame allocated to the dead domain until the last unmap), its grant table and port table
 *   are empty, and no notify record or shadow process of it is left (its rendezvous registration is
 *   the frontend's to clean up, which the next incarnation's REGISTER waits for);
 * - only-current-incarnation: every frame (unless still mapped), primary mapping, primary port and
 *   primary grant naming a domain names its current incarnation or the one the frontend is still
 *   connecting to or tearing down, and so does every request entry, shadow process, ready-queue handle
 *   and notify record;
 * - torn-down: at the end of the run every domain runs its current incarnation and the frontend is
 *   connected to it (a frontend whose reference count never reaches zero never lets the domain be
 *   cleaned); with the adversary on, only the storage domain: a compromised network domain can refuse
 *   its own connection (withdraw its ports or grants), and its availability is not promised.
 *
 * VIRTUOS.md: "Failure and recovery" (teardown when the count reaches zero; clean), "Memory and isolation".
 */
import { domidOf, FREE, LIFE, PORT_FREE, PRIMARY, slotOfDomid } from '../../model/isolation/layout.ts';
import { frameMapped } from '../../model/isolation/grant-table.ts';
import { frontendConnected, frontendLetGo, frontendMaps, primaryPorts } from '../../model/isolation/primary-domain.ts';
import { clientsOf, DOMAIN_NAMES, DOMAINS, domidAt, epochOf, epochOfDomid, lifeOfDomain, slotOf } from '../../model/recovery/layout.ts';
import type { System } from '../../model/kit/system.ts';
import type { Property } from '../property.ts';
import { promisedAtEnd, recoveryOn } from './lib.ts';

const LIFE_NAMES = Object.keys(LIFE);

/** The first leak found in domain d, as [clause, message], or null. */
function leakOf(sys: System, s: Int32Array, d: number): [string, string] | null {
  const I = sys.L.iso!;
  const R = sys.L.rec!;
  const w = R.dom[d];
  const slot = slotOf(d);
  const name = DOMAIN_NAMES[d];
  const ep = epochOf(s, I, d);
  const cur = domidOf(slot, ep);
  const life = lifeOfDomain(s, I, d);
  const maps = frontendMaps(I, slot, sys.cfg.processes, sys.cfg.bug === 'wake-writable');

  if (frontendLetGo(s, sys.L, slot)) {
    for (const m of maps.keys())
      if (s[I.mappings[PRIMARY][m].frame] >= 0) return ['teardown-complete', `the frontend has let go of the ${name} domain but still maps its ${I.mappings[PRIMARY][m].role} (granted by dom${s[I.mappings[PRIMARY][m].granter]})`];
    const q = primaryPorts(I, slot).find((i) => s[I.ports[PRIMARY][i].state] !== PORT_FREE);
    if (q !== undefined) return ['teardown-complete', `the frontend has let go of the ${name} domain but its ${I.ports[PRIMARY][q].role} port is still allocated`];
    if (s[w.fe] >= 0) return ['teardown-complete', `the frontend has let go of the ${name} domain but still serves calls of dom${domidAt(d, s[w.fe])}`];
    for (const p of clientsOf(d))
      if (s[R.client[p].entry] >= 0 || s[R.client[p].rq] >= 0) return ['teardown-complete', `C${p + 1} still has a request entry or ready-queue handle of the ${name} domain the frontend let go of`];
  }

  if (life === LIFE.destroyed || life === LIFE.absent) {
    // a frame another domain still maps stays allocated to the dead domain id until the last unmap (Xen's rule)
    for (const f of I.reservation[slot])
      if (s[I.frames[f].owner] !== FREE && !frameMapped(s, I, f)) return ['clean-complete', `dom${cur} is ${LIFE_NAMES[life]} but its frame '${I.frames[f].name}' is still allocated to dom${s[I.frames[f].owner]} although nothing maps it`];
    const grants = I.grants[slot];
    for (let g = 0; g < grants.length; g++)
      if (s[grants[g].frame] >= 0 && !frameMapped(s, I, s[grants[g].frame])) return ['clean-complete', `dom${cur} is ${LIFE_NAMES[life]} but its grant reference ${g} (${grants[g].role}) is still in use for a frame nothing maps`];
    const ports = I.ports[slot];
    for (let q = 0; q < ports.length; q++) if (s[ports[q].state] !== PORT_FREE) return ['clean-complete', `dom${cur} is ${LIFE_NAMES[life]} but its ${ports[q].role} port is still allocated`];
    if (s[w.ringLen] > 0) return ['clean-complete', `dom${cur} is ${LIFE_NAMES[life]} but its notify ring still holds ${s[w.ringLen]} record(s)`];
    for (const p of clientsOf(d)) if (s[R.client[p].shadow] >= 0) return ['clean-complete', `C${p + 1}'s shadow process survives the destruction of dom${cur}`];
  }

  // an old incarnation is any but the current one and the one the frontend is still connecting to or
  // tearing down (its connection actor's domain): what names that one is the frontend's to release,
  // and teardown-complete checks it is released once the frontend lets go
  const handling = s[I.connect[slot - 1].dom];
  const old = (domid: number) => domid >= 0 && slotOfDomid(domid) === slot && domid !== cur && domid !== handling;
  for (const f of I.reservation[slot]) if (old(s[I.frames[f].owner]) && !frameMapped(s, I, f)) return ['only-current-incarnation', `frame '${I.frames[f].name}' is still allocated to dom${s[I.frames[f].owner]} while dom${cur} is the ${name} domain`];
  for (const m of maps.keys()) if (s[I.mappings[PRIMARY][m].frame] >= 0 && old(s[I.mappings[PRIMARY][m].granter])) return ['only-current-incarnation', `the primary still maps ${I.mappings[PRIMARY][m].role} of dom${s[I.mappings[PRIMARY][m].granter]} while dom${cur} is the ${name} domain`];
  for (const q of primaryPorts(I, slot)) if (s[I.ports[PRIMARY][q].state] !== PORT_FREE && old(s[I.ports[PRIMARY][q].remote])) return ['only-current-incarnation', `the primary's ${I.ports[PRIMARY][q].role} port still names dom${s[I.ports[PRIMARY][q].remote]} while dom${cur} is the ${name} domain`];
  for (let p = 0; p < sys.cfg.processes; p++) {
    if (!I.registered(slot, p)) continue;
    const e = I.grants[PRIMARY][I.ref.rqTo(slot, p)];
    if (s[e.frame] >= 0 && old(s[e.grantee])) return ['only-current-incarnation', `the primary's ${e.role} grant still names dom${s[e.grantee]} after the frontend cleaned up`];
  }
  // what is tagged with an incarnation: the notify records, then each client's request entry,
  // ready-queue handle and shadow process (checked in that order; the first stale one is reported)
  const handlingEp = handling >= 0 ? epochOfDomid(d, handling) : -1;
  const stale = (x: number) => x >= 0 && x !== ep && x !== handlingEp;
  const survives = (what: string, x: number): [string, string] => ['only-current-incarnation', `${what} of dom${domidAt(d, x)} survives into dom${cur}`];
  for (let i = 0; i < s[w.ringLen]; i++) if (stale(s[w.ringEp + i])) return survives('notify record', s[w.ringEp + i]);
  for (const p of clientsOf(d)) {
    const c = R.client[p];
    if (stale(s[c.entry])) return survives(`C${p + 1}'s request entry`, s[c.entry]);
    if (stale(s[c.rq])) return survives(`C${p + 1}'s ready-queue handle`, s[c.rq]);
    if (stale(s[c.shadow])) return survives(`C${p + 1}'s shadow process`, s[c.shadow]);
  }
  return null;
}

export const noLeak: Property = {
  name: 'no-leak-after-crash',
  group: 'recovery',
  kind: 'safety',
  section: 'Failure and recovery',
  description:
    "No page frame, grant, mapping, event channel, request entry, shadow process, ready-queue handle or notify record of a failed incarnation survives its teardown and destruction (the hypervisor's own tables are checked), and every failed incarnation is torn down, destroyed and replaced.",
  clauses: {
    'teardown-complete': 'once the frontend has let go of a domain it maps none of its pages, has none of its ports allocated, and no request entry or ready-queue handle of it is left',
    'clean-complete': 'a destroyed domain has all its frames that nothing maps back in the free pool, empty grant and port tables, no notify record or shadow process left',
    'only-current-incarnation': 'every frame, mapping, port, request entry, shadow process, ready-queue handle and notify record of a domain belongs to its current incarnation',
    'torn-down': 'at the end of the run every domain runs its current incarnation with the frontend connected',
  },
  applies: recoveryOn,
  invariant: (sys, s) => {
    for (let d = 0; d < DOMAINS; d++) {
      const leak = leakOf(sys, s, d);
      if (leak) return { clause: leak[0], message: leak[1] };
    }
    return null;
  },
  final: (sys, s) => {
    const I = sys.L.iso!;
    for (let d = 0; d < DOMAINS; d++) {
      if (!promisedAtEnd(sys.cfg, d)) continue;
      const life = lifeOfDomain(s, I, d);
      const slot = slotOf(d);
      if (life !== LIFE.running || !frontendConnected(s, sys.L, slot))
        return {
          clause: 'torn-down',
          message: `the ${DOMAIN_NAMES[d]} domain dom${domidAt(d, epochOf(s, I, d))} is ${LIFE_NAMES[life]}${life === LIFE.running ? ' but the frontend is not connected to it' : ''} at the end (frontend references: ${s[sys.L.rec!.dom[d].refs]})`,
        };
    }
    return null;
  },
};
