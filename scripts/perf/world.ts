/**
 * What surrounds the server in a run: the clients and the network link (the outside world), and the
 * meter that records what the workload threads got done and when.
 *
 * Clients: each server thread serves one client in a closed loop. A call that awaits the client
 * (accept, or recv of a query) waits until the client's next message has arrived; a call that
 * responds puts its bytes on the link (one shared link, first come first served at its bandwidth),
 * blocking first if the link's backlog exceeds the socket buffer, and the client's next message
 * arrives a round trip after the last byte left. The first message of every client is there at
 * time 0.
 */
import type { Costs } from './costs.ts';
import type { CallName, Op, Unit } from './workloads.ts';

export class World {
  private readonly clientAt: number[];
  private linkFree = 0;

  constructor(
    threads: number,
    private readonly costs: Costs,
  ) {
    this.clientAt = new Array(threads).fill(0);
  }

  /** How long a call that starts now waits for the outside world (and, for a response, send its bytes). */
  wait(thread: number, op: Op, now: number): number {
    if (op.kind !== 'call' || !op.client) return 0;
    if (op.client === 'await') return Math.max(0, this.clientAt[thread] - now);
    // The bytes go into the socket buffer; a sender blocks while the link's backlog would overflow it.
    const bytesPerCycle = this.costs.linkBandwidth / this.costs.cyclesPerUs;
    const wait = Math.max(0, this.linkFree - now - this.costs.socketBuffer / bytesPerCycle);
    const start = Math.max(now + wait, this.linkFree);
    this.linkFree = start + op.bytes / bytesPerCycle;
    this.clientAt[thread] = this.linkFree + this.costs.clientRtt;
    return wait;
  }
}

/**
 * Cycles of application work taken in one burst. A long computation is taken in slices of this size,
 * so that an interrupt handler or a woken thread can preempt it, as they do on a real core within a
 * couple of microseconds.
 */
export const COMPUTE_SLICE = 6000;

/** Application work left in the op a thread is in; the next slice of it is charged by `next`. */
export class Computation {
  private left = -1;
  /** Charge the next slice of a compute op's cycles; true when the op is finished. */
  next(total: number, charge: { add: (k: 'compute', c: number) => unknown }): boolean {
    if (this.left < 0) this.left = total;
    const now = Math.min(this.left, COMPUTE_SLICE);
    charge.add('compute', now);
    this.left -= now;
    if (this.left > 0) return false;
    this.left = -1;
    return true;
  }
}

/**
 * Units and bytes a thread has done by time t (t between its first and last completion), counting the
 * unit in progress in proportion to the time since the previous completion.
 */
function progress(ends: number[], bytes: number[], t: number): [number, number] {
  let done = 0;
  let b = 0;
  for (let i = 0; i < ends.length; i++) {
    if (ends[i] <= t) {
      done++;
      b += bytes[i];
      continue;
    }
    const prev = ends[i - 1];
    const f = (t - prev) / (ends[i] - prev);
    return [done + f, b + f * bytes[i]];
  }
  return [done, b];
}

/** One flattened step of a thread's work: an op, the unit it belongs to, and whether it ends that unit. */
export interface Planned {
  op: Op;
  unit: number;
  last: boolean;
}

export function plan(units: Unit[]): Planned[] {
  const out: Planned[] = [];
  units.forEach((u, i) => u.ops.forEach((op, j) => out.push({ op, unit: i, last: j === u.ops.length - 1 })));
  return out;
}

export interface Throughput {
  /** units per second and payload bytes per second, over the window where every thread was busy */
  unitsPerSec: number;
  bytesPerSec: number;
  /** the window, in cycles */
  window: [number, number];
  unitsInWindow: number;
}

export class Meter {
  /** completion time of each unit, per thread */
  readonly unitEnds: number[][];
  /** calls executed, per thread, in order: the same list on every system */
  readonly executed: CallName[][];
  private readonly latency = new Map<CallName, { sum: number; n: number }>();

  constructor(
    private readonly units: Unit[][],
    private readonly costs: Costs,
  ) {
    this.unitEnds = units.map(() => []);
    this.executed = units.map(() => []);
  }

  /** A call of `thread` ran from `start` to `end`, `waited` of it for the outside world. */
  call(thread: number, call: CallName, start: number, end: number, waited: number): void {
    this.executed[thread].push(call);
    const l = this.latency.get(call) ?? { sum: 0, n: 0 };
    l.sum += end - start - waited;
    l.n++;
    this.latency.set(call, l);
  }

  unitDone(thread: number, end: number): void {
    this.unitEnds[thread].push(end);
  }

  done(): boolean {
    return this.unitEnds.every((e, t) => e.length === this.units[t].length);
  }

  /** Mean latency of each call kind in microseconds, without the time spent waiting for the client. */
  latencyUs(): Partial<Record<CallName, number>> {
    const out: Partial<Record<CallName, number>> = {};
    for (const [k, l] of [...this.latency].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out[k] = l.sum / l.n / this.costs.cyclesPerUs;
    return out;
  }

  /**
   * Throughput over the window in which every thread is in its stride: from the moment the last thread
   * finished its first unit to the moment the first thread finished its last one (warm-up and the
   * tail, when fewer threads are left, are outside it). Each thread's progress is interpolated between
   * its completions, so the count does not jump by whole units at the window's edges. If the threads'
   * strides do not overlap at all (a thread starved until others were done), the middle eight tenths
   * of all completions are used instead.
   */
  throughput(): Throughput {
    const start = Math.max(...this.unitEnds.map((e) => e[0]));
    const end = Math.min(...this.unitEnds.map((e) => e[e.length - 1]));
    if (end > start) {
      let units = 0;
      let bytes = 0;
      this.unitEnds.forEach((ends, th) => {
        const sizes = this.units[th].map((u) => u.bytes);
        const [u1, b1] = progress(ends, sizes, end);
        const [u0, b0] = progress(ends, sizes, start);
        units += u1 - u0;
        bytes += b1 - b0;
      });
      const seconds = (end - start) / (this.costs.cyclesPerUs * 1e6);
      return { unitsPerSec: units / seconds, bytesPerSec: bytes / seconds, window: [start, end], unitsInWindow: units };
    }
    const all: { t: number; bytes: number }[] = [];
    this.unitEnds.forEach((ends, th) => ends.forEach((x, i) => all.push({ t: x, bytes: this.units[th][i].bytes })));
    all.sort((a, b) => a.t - b.t);
    const lo = Math.floor(all.length * 0.1);
    const hi = Math.max(lo + 1, Math.ceil(all.length * 0.9) - 1);
    if (hi >= all.length) throw new Error(`too few units (${all.length}) to measure a throughput`);
    let bytes = 0;
    for (let i = lo + 1; i <= hi; i++) bytes += all[i].bytes;
    const seconds = (all[hi].t - all[lo].t) / (this.costs.cyclesPerUs * 1e6);
    if (!(seconds > 0)) throw new Error('the measured window is empty');
    return { unitsPerSec: (hi - lo) / seconds, bytesPerSec: bytes / seconds, window: [all[lo].t, all[hi].t], unitsInWindow: hi - lo };
  }
}
