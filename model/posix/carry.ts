/**
 * How a POSIX thread's remote calls are carried by the dispatch machines (`transport: 'dispatch'`).
 *
 * Each service domain has its own dispatch instance (layout.ts DispatchDomain): per program process a
 * dispatch process with its request area, ready queue and shadow process. A POSIX thread slot has one
 * dispatch thread (a user-thread actor of sclib.ts) in each instance: the libc-sclib side of its calls
 * to that domain. When the thread submits a request to domain d (its request slot toward d), the
 * dispatch thread of d takes it up from its idle state, pops a free entry whose argument names the
 * request, pushes it, spins, parks and resumes exactly as the dispatch model does; the worker that pops
 * the entry finds the request through the entry's argument and serves it (service.ts); the dispatch
 * thread frees the entry and marks the slot answered, and the POSIX thread collects the answer.
 *
 * P1's threads are the dispatch threads 0..n-1 of its dispatch processes; a child process (one thread)
 * uses thread 0 of its own, and the others of a child's dispatch process never run.
 */
import type { Layout } from '../kit/layout.ts';
import { domainOfProc, slotOfDispatchThread } from '../kit/layout.ts';
import { procOfSlot } from './layout.ts';
import type { Req } from './service.ts';

export { slotOfDispatchThread };

/** The dispatch thread of `slot` in the dispatch domain with service id `service`. */
export function dispatchThreadOf(L: Layout, service: number, slot: number): number {
  const d = L.dd.findIndex((x) => x.service === service);
  const p = procOfSlot(L.posix!, slot);
  return (d * L.cfg.processes + p) * L.cfg.threads + (p === 0 ? slot : 0);
}

/** The request a dispatch thread carries: its slot's request toward its domain. */
export function reqOfDispatchThread(L: Layout, t: number): Req {
  const q = Math.floor(t / L.cfg.threads);
  return { d: L.dd[domainOfProc(L, q)].service, slot: slotOfDispatchThread(L, t) };
}

/**
 * The request a request number names (the entry's argument is the number + 1), as served by a worker
 * of dispatch process q: null when it names no request of a thread of that process (only a corrupted
 * entry does: the compromised network domain may write its own request area).
 */
export function reqOfNumber(L: Layout, q: number, r: number): Req | null {
  if (r < 1 || r > L.requests) return null;
  const t = Math.floor((r - 1) / L.cfg.calls);
  if (Math.floor(t / L.cfg.threads) !== q) return null;
  const slot = slotOfDispatchThread(L, t);
  return slot < 0 ? null : { d: L.dd[domainOfProc(L, q)].service, slot };
}
