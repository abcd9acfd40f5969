/**
 * What state a dispatch instance of the composed system is in (incarnation.ts says how instances
 * follow a service domain's incarnations): the questions the dispatch machines ask, kept apart from
 * the set-up code so that the machines need nothing but the layout.
 */
import { LIFE, NETWORK, SERVICE_SERVING, STORAGE, type IsolationLayout } from '../isolation/layout.ts';
import { domainOfProc, SERVICE_STORAGE, type Layout } from '../kit/layout.ts';
import { NO_EMIT, type Ctx, type HistEvent } from '../kit/kit.ts';

/** The composed system (every layer on). */
export const composed = (L: Layout) => !!L.cfg.system;
/** POSIX calls carried by the dispatch machines: an instance per service domain. */
export const carried = (L: Layout) => L.dd.length > 1;

/** The dispatch domain index of a service id (network 0, storage 1). */
export const ddOfService = (L: Layout, service: number) => (L.dd[0].service === service ? 0 : 1);
/** The isolation slot of a service id. */
export const slotOfService = (service: number) => (service === SERVICE_STORAGE ? STORAGE : NETWORK);

/** Dispatch process q's instance has failed: the frontend has cleared RUNNING for its domain. */
export function instanceFailed(s: Int32Array, L: Layout, q: number): boolean {
  if (!composed(L) || !carried(L)) return false;
  // crash-fails-all-domains: any domain's RUNNING bit instead of its own
  if (L.cfg.bug === 'crash-fails-all-domains') return s[L.rec!.dom[0].running] === 0 || s[L.rec!.dom[1].running] === 0;
  return s[L.rec!.dom[L.dd[domainOfProc(L, q)].service].running] === 0;
}

/**
 * The service side of dispatch domain d may step: the hypervisor runs the domain, the instance was
 * set up for its current incarnation, and the frontend has it RUNNING (a domain told to stop serves
 * nothing more).
 */
export function serviceSideRuns(s: Int32Array, L: Layout, d: number): boolean {
  if (!composed(L)) return true;
  const dd = L.dd[d];
  return s[dd.epoch] === s[L.iso!.gen[slotOfService(dd.service)]] && serviceRuns(s, L, dd.service);
}

/**
 * A service domain's POSIX service may step (composed system): the hypervisor runs it, the frontend has
 * it RUNNING, and the domain has mapped the ready queues the frontend granted it (its kernel serves):
 * before that its workers would touch pages it does not map (found by memory-isolation on a restart).
 */
export function serviceRuns(s: Int32Array, L: Layout, service: number): boolean {
  if (!composed(L)) return true;
  const I: IsolationLayout = L.iso!;
  const slot = slotOfService(service);
  return s[I.life[slot - 1].pc] === LIFE.running && s[L.rec!.dom[service].running] === 1 && s[I.service[slot - 1].pc] === SERVICE_SERVING;
}


/**
 * With an instance per domain on the hypervisor (the composed system), the dispatch machines signal
 * through the event-channel hypercall (event-channel.ts send), which delivers only on a bound channel:
 * a compromised network domain may close its end. The dispatch model alone writes the pending bit of
 * its always-bound channel directly.
 */
export const signalsViaHypervisor = (L: Layout) => carried(L) && L.iso !== null;

/** The compromised network domain has acted (composed system with the adversary): its own service is no longer judged. */
export const networkCompromised = (s: Int32Array, L: Layout) => L.iso !== null && L.iso.compromised >= 0 && s[L.iso.compromised] !== 0;

/** The properties judge service `service` in state s: anything but a compromised network domain. */
export const serviceJudged = (s: Int32Array, L: Layout, service: number) => service === SERVICE_STORAGE || !networkCompromised(s, L);

/** The dispatch properties judge dispatch process q in state s: its instance's domain is not the compromised network domain. */
export const procJudged = (s: Int32Array, L: Layout, q: number) => serviceJudged(s, L, L.dd[domainOfProc(L, q)].service);

/**
 * Does the actor move for a service the properties no longer judge (composed system)? The compromised
 * network domain's own actors, and the primary's machines of its dispatch instance (kernel threads
 * spinning in rqueue_wait on a ready queue it corrupted, threads carrying calls to it).
 */
export function actsForUnjudged(s: Int32Array, L: Layout, kind: 'T' | 'K' | 'W' | 'F' | 'B' | null, me: number, isNetworkDomainActor: boolean): boolean {
  if (!networkCompromised(s, L)) return false;
  if (isNetworkDomainActor) return true;
  if (kind === null || !carried(L)) return false;
  const per = { T: L.cfg.threads, K: L.cfg.kernelThreads, W: L.cfg.workers, F: 0, B: 0 }[kind];
  const d = per === 0 ? me : domainOfProc(L, Math.floor(me / per));
  return L.dd[d].service !== SERVICE_STORAGE;
}

/**
 * The object a history event of dispatch process q belongs to (composed system): the process's stacks
 * and queue of one incarnation of its domain, numbered q + (dispatch processes) x (incarnation + 1), or
 * null while the frontend has the domain failed (an operation then belongs to no incarnation that will
 * be judged: it is left pending in the old one). Elsewhere q itself.
 */
export function historyObject(s: Int32Array, L: Layout, q: number): number | null {
  if (!composed(L) || !carried(L)) return q;
  const service = L.dd[domainOfProc(L, q)].service;
  const w = L.rec!.dom[service];
  if (s[w.running] === 0) return null;
  return q + L.proc.length * (s[w.fe] + 1);
}

/**
 * Record a history event of dispatch process q, on its history object (none while its domain has
 * failed); nothing at all when nobody takes history (NO_EMIT: the exhaustive search, the guards).
 */
export function emitHistory(c: Ctx, q: number, e: Omit<HistEvent, 'proc'>): void {
  if (c.emit === NO_EMIT) return;
  const proc = historyObject(c.s, c.L, q);
  // built field by field: an object spread here cost more than the step itself (CPU profile)
  if (proc !== null) c.emit({ obj: e.obj, proc, kind: e.kind, op: e.op, value: e.value });
}

/** The dispatch process and incarnation a history object names (historyObject's inverse). */
export const objectOf = (L: Layout, obj: number) => ({ q: obj % L.proc.length, incarnation: Math.floor(obj / L.proc.length) - 1 });
