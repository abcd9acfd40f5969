/**
 * Event channels, the hypervisor's notification mechanism between domains.
 *
 * Each domain has its own table of ports. A domain allocates a port unbound, naming the one remote
 * domain allowed to bind it (EVTCHNOP_alloc_unbound); the remote domain binds a port of its own to it
 * (EVTCHNOP_bind_interdomain), which Xen allows only if the remote port is unbound for exactly that
 * domain; then the two ports are each other's peer. Sending on a port (EVTCHNOP_send) sets the peer's
 * pending bit; the receiving domain clears it when it handles the event. Closing a port
 * (EVTCHNOP_close) frees it and leaves its peer unbound, waiting for the closer to bind again.
 *
 * A port number names a port of the caller's own table, so a domain can signal only peers of its own
 * ports. The `evtchn-foreign-send` seeded bug makes the send accept a port of another domain's table
 * (as a hypervisor confusing the caller's table with a global one would), signalling that port's peer.
 *
 * In the dispatch model the two channels of the storage domain are pending words of their own
 * (`evtToService`, `evtToPrimary` in layout.ts); with the isolation layer on those words are the pending
 * bits of the storage domain's wake port and of the primary's end of the notify channel (see
 * isolation-layout.ts), so the dispatch protocol's notifications are sends on real, bound channels.
 *
 * Simplifications: no virtual IRQs, masking or per-vCPU binding; a pending bit is the whole upcall.
 *
 * VIRTUOS.md: "Components" (hypervisor), "Memory and isolation".
 */
import type { Layout } from '../kit/layout.ts';
import { alive, currentDomid, PORT_FREE, PORT_INTERDOMAIN, PORT_UNBOUND, slotOfDomid, type Port } from './layout.ts';

/** The port `q` of domain slot `slot`, or undefined. */
export const portOf = (L: Layout, slot: number, q: number): Port | undefined => L.iso!.ports[slot][q];

/** The lowest free port of a slot, or -1. */
export function freePort(s: Int32Array, L: Layout, slot: number): number {
  const ports = L.iso!.ports[slot];
  for (let q = 0; q < ports.length; q++) if (s[ports[q].state] === PORT_FREE) return q;
  return -1;
}

export function canAllocUnbound(s: Int32Array, L: Layout, slot: number, q: number): boolean {
  const p = portOf(L, slot, q);
  return p !== undefined && s[p.state] === PORT_FREE;
}

/** EVTCHNOP_alloc_unbound: port `q` of `slot` waits for domain `remote` to bind it. */
export function allocUnbound(s: Int32Array, L: Layout, slot: number, q: number, remote: number): boolean {
  if (!canAllocUnbound(s, L, slot, q)) return false;
  const p = portOf(L, slot, q)!;
  s[p.state] = PORT_UNBOUND;
  s[p.remote] = remote;
  s[p.rport] = -1;
  return true;
}

/** Can `slot` bind its port `q` to port `rq` of domain `remote`? The remote port must be unbound for this domain. */
export function canBind(s: Int32Array, L: Layout, slot: number, q: number, remote: number, rq: number): boolean {
  const I = L.iso!;
  const mine = portOf(L, slot, q);
  if (mine === undefined || s[mine.state] !== PORT_FREE || !alive(s, I, remote)) return false;
  const theirs = portOf(L, slotOfDomid(remote), rq);
  return theirs !== undefined && s[theirs.state] === PORT_UNBOUND && s[theirs.remote] === currentDomid(s, I, slot);
}

/** EVTCHNOP_bind_interdomain. */
export function bindInterdomain(s: Int32Array, L: Layout, slot: number, q: number, remote: number, rq: number): boolean {
  if (!canBind(s, L, slot, q, remote, rq)) return false;
  const I = L.iso!;
  const mine = portOf(L, slot, q)!;
  const theirs = portOf(L, slotOfDomid(remote), rq)!;
  s[mine.state] = PORT_INTERDOMAIN;
  s[mine.remote] = remote;
  s[mine.rport] = rq;
  s[theirs.state] = PORT_INTERDOMAIN;
  s[theirs.rport] = q;
  s[theirs.remote] = currentDomid(s, I, slot);
  return true;
}

/** The peer port of port `q` of `slot`, if it is bound and the peer domain exists. */
export function peerOf(s: Int32Array, L: Layout, slot: number, q: number): Port | null {
  const p = portOf(L, slot, q);
  if (p === undefined || s[p.state] !== PORT_INTERDOMAIN || !alive(s, L.iso!, s[p.remote])) return null;
  return portOf(L, slotOfDomid(s[p.remote]), s[p.rport]) ?? null;
}

/** Does the hypervisor accept a send by `caller` naming port `q` of `owner`'s table? */
export const sendAccepted = (L: Layout, caller: number, owner: number) => owner === caller || L.cfg.bug === 'evtchn-foreign-send';

/** EVTCHNOP_send by domain slot `caller` on port `q` of `owner`'s table: set the peer's pending bit. */
export function send(s: Int32Array, L: Layout, caller: number, owner: number, q: number): boolean {
  if (!sendAccepted(L, caller, owner)) return false;
  const peer = peerOf(s, L, owner, q);
  if (peer === null) return false;
  s[peer.pending] = 1;
  return true;
}

/** EVTCHNOP_close: free the port; a bound peer becomes unbound for this domain again. */
export function closePort(s: Int32Array, L: Layout, slot: number, q: number): boolean {
  const I = L.iso!;
  const p = portOf(L, slot, q);
  if (p === undefined || s[p.state] === PORT_FREE) return false;
  if (s[p.state] === PORT_INTERDOMAIN && alive(s, I, s[p.remote])) {
    const theirs = portOf(L, slotOfDomid(s[p.remote]), s[p.rport]);
    if (theirs !== undefined && s[theirs.state] === PORT_INTERDOMAIN && s[theirs.rport] === q) {
      s[theirs.state] = PORT_UNBOUND;
      s[theirs.rport] = -1;
    }
  }
  s[p.state] = PORT_FREE;
  s[p.remote] = -1;
  s[p.rport] = -1;
  s[p.pending] = 0;
  return true;
}
