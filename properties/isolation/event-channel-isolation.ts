/**
 * Event-channel isolation (safety, checked on every step and every state).
 *
 * A domain can signal only ports bound to it: a step of one domain that writes the pending bit of
 * another domain's port is a send over a channel whose other end is that domain's own port, that is,
 * the signalled port is bound interdomain to the sending domain and the sender's port is bound back to
 * it. This covers the dispatch protocol's notifications (the frontend waking the storage domain, a
 * worker notifying the primary), which are sends on real channels when the isolation layer is on, and
 * everything the adversary tries. Bindings are mutual: a port bound to a live domain's port is that
 * port's peer in return.
 *
 * VIRTUOS.md: "Components" (hypervisor: event channels), "The dispatch protocol" steps 2 and 3.
 */
import { alive, currentDomid, PORT_INTERDOMAIN, SLOT_NAMES, slotOfDomid } from '../../model/isolation/layout.ts';
import { memoryMap } from '../../model/isolation/memory-map.ts';
import { label } from '../../model/kit/system.ts';
import type { Property } from '../property.ts';
import { isolationOn, stepFootprint } from './lib.ts';

const STATE = ['free', 'unbound', 'bound'];

export const eventChannelIsolation: Property = {
  name: 'event-channel-isolation',
  group: 'isolation',
  kind: 'safety',
  section: 'Memory and isolation',
  description: 'A domain can signal only ports bound to it: every pending bit a domain sets on another domain belongs to a port bound to one of its own ports; bindings are mutual.',
  clauses: {
    'signal-only-bound-ports': "a step of one domain changes another domain's pending bit only on a port bound interdomain to its own port",
    'bindings-mutual': "a port bound to a live domain's port is that port's peer in return",
  },
  applies: isolationOn,
  transition(sys, before, ch, after) {
    const map = memoryMap(sys);
    const slot = map.accessor[ch.actor];
    if (slot < 0) return null;
    const I = sys.L.iso!;
    const me = currentDomid(before, I, slot);
    for (const w of stepFootprint(sys, before, ch, after).writes) {
      const port = map.port.get(w);
      if (port === undefined || port[0] === slot) continue;
      const [owner, q] = port;
      const p = I.ports[owner][q];
      const bound = before[p.state] === PORT_INTERDOMAIN && before[p.remote] === me;
      const mine = bound ? I.ports[slot][before[p.rport]] : undefined;
      const back = mine !== undefined && before[mine.state] === PORT_INTERDOMAIN && before[mine.remote] === currentDomid(before, I, owner) && before[mine.rport] === q;
      if (!back)
        return {
          clause: 'signal-only-bound-ports',
          message: `${label(sys, before, ch)} [${SLOT_NAMES[slot]}, dom${me}]: sets the pending bit of port ${q} of the ${SLOT_NAMES[owner]} domain (${p.role}), which is ${STATE[before[p.state]]}${before[p.state] === PORT_INTERDOMAIN ? ` to dom${before[p.remote]}` : ''}, not to dom${me}`,
        };
    }
    return null;
  },
  invariant(sys, s) {
    const I = sys.L.iso;
    if (!I) return null;
    for (let slot = 0; slot < I.ports.length; slot++) {
      if (!alive(s, I, currentDomid(s, I, slot))) continue;
      for (let q = 0; q < I.ports[slot].length; q++) {
        const p = I.ports[slot][q];
        if (s[p.state] !== PORT_INTERDOMAIN || !alive(s, I, s[p.remote])) continue;
        const peer = I.ports[slotOfDomid(s[p.remote])][s[p.rport]];
        if (peer === undefined || s[peer.state] !== PORT_INTERDOMAIN || s[peer.remote] !== currentDomid(s, I, slot) || s[peer.rport] !== q)
          return { clause: 'bindings-mutual', message: `port ${q} of the ${SLOT_NAMES[slot]} domain is bound to dom${s[p.remote]} port ${s[p.rport]}, which is not bound back to it` };
      }
    }
    return null;
  },
};
