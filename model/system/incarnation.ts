/**
 * The composed system's dispatch instances across a service domain's incarnations (recovery layer
 * on, POSIX calls carried by the dispatch machines).
 *
 * A dispatch instance is tied to the incarnation its shared regions were set up for. When the domain
 * fails (the frontend takes the disconnect and clears RUNNING) the instance fails: its workers and wake
 * handler stop (they are the dead incarnation's, and a stopping domain's backend is told to stop
 * serving), the threads carrying calls to it give up on them (sclib.ts: a call not yet DONE returns
 * its crash error, its entry abandoned with the request area), kernel threads leave its rqueue_wait
 * and resume the parked threads no handle will ever come back for (primary-kernel.ts), and the shadow
 * processes die with the domain's POSIX state (files stay on the disk). When a new incarnation boots,
 * its backend sets up fresh request areas, wake page, notify ring and worker pools; when the frontend
 * connects to it (only once no kernel thread is still in the old instance's rqueue_wait and no thread
 * still carries a call there) it sets up fresh ready queues and registers the live processes, whose new
 * shadow processes start with empty descriptor tables.
 *
 * VIRTUOS.md: "Failure and recovery", "The dispatch protocol".
 */
import { initPrimarySide, initServiceSide } from '../dispatch/state.ts';
import { carried, composed, ddOfService } from './instance.ts';
import { STORAGE } from '../isolation/layout.ts';
import type { Ctx } from '../kit/kit.ts';
import { SERVICE_NETWORK, SERVICE_STORAGE, type Layout } from '../kit/layout.ts';
import { kRegister, kWipe, LOC } from '../posix/kernel.ts';
import { slotsOfProc } from '../posix/layout.ts';
import { DIFF_DOMAIN_FAILED } from '../posix/thread.ts';

/** The new incarnation's backend sets up its side of the instance: request areas, wake page, ring, worker pools, the request slots' workers. */
export function setUpServiceSide(c: Ctx, slot: number): void {
  const L = c.L;
  if (!composed(L)) return;
  const service = slot === STORAGE ? SERVICE_STORAGE : SERVICE_NETWORK;
  for (const row of L.posix!.rpc) c.s[row[service].wpc] = 0; // the request slots' workers: idle
  if (!carried(L)) return;
  const d = ddOfService(L, service);
  initServiceSide(c.s, L, d);
  c.s[L.dd[d].epoch] = c.s[L.iso!.gen[slot]];
}

/** The frontend connects to a new incarnation: fresh ready queues and kernel threads, and (after a restart) new shadow processes for the live processes. */
export function setUpPrimarySide(c: Ctx, service: number, epoch: number): void {
  const L = c.L;
  if (!composed(L)) return;
  if (carried(L)) initPrimarySide(c.s, L, ddOfService(L, service));
  if (epoch === 0) return; // the first incarnation's shadow processes are the initial state's
  const PL = L.posix!;
  const K = PL.kernel[service];
  for (let p = 0; p < PL.procs; p++) {
    const st = c.s[PL.libc[p].pstate];
    if (st === 1 || st === 2) kRegister(c.s, K, p, c.s[PL.kernel[LOC].uid(p)], slotsOfProc(PL, p));
  }
}

/** The frontend takes the disconnect: the domain's shadow processes are lost with it. */
export function loseShadows(c: Ctx, service: number): void {
  if (!composed(c.L)) return;
  const PL = c.L.posix!;
  kWipe(c.s, PL.kernel[service]);
  // from here results follow the recovery semantics, not one kernel's: compatibility judges the history before it
  if (c.s[PL.cut] < 0) {
    // the failure takes a tick of its own: a call returning after it returns at a later one
    c.s[PL.cut] = c.s[PL.tick]++;
    c.s[PL.cutWhy] = DIFF_DOMAIN_FAILED;
  }
}

/**
 * Nothing of the primary's side still works in the old instance: no kernel thread of it is in
 * rqueue_wait and no thread carries a call to it. The frontend connects to a new incarnation only then,
 * so that setting up fresh ready queues pulls nothing from under a running thread.
 */
export function instanceQuiet(s: Int32Array, L: Layout, service: number, idleThread: number, exitedThread: number, runningKernel: number): boolean {
  if (!composed(L) || !carried(L)) return true;
  const d = ddOfService(L, service);
  const per = L.cfg.processes;
  for (let q = d * per; q < (d + 1) * per; q++) {
    for (let t = q * L.cfg.threads; t < (q + 1) * L.cfg.threads; t++) {
      const pc = s[L.thread[t].pc];
      if (pc !== idleThread && pc !== exitedThread) return false;
    }
    for (let k = q * L.cfg.kernelThreads; k < (q + 1) * L.cfg.kernelThreads; k++) if (s[L.kernel[k].pc] !== runningKernel) return false;
  }
  return true;
}
