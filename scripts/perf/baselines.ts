/**
 * The two baselines VirtuOS is compared with, running the same workload definitions on the same
 * engine. Neither has a model of its own: a baseline call is a burst of cycles composed from the same
 * parameter table.
 *
 * - Linux: every system call traps on the calling core, runs its own work there, copies its data
 *   once, and leaves the core polluted (the indirect cost). A call that waits for the client sleeps
 *   and is woken (two context switches and a wake-up).
 * - Driver domain: the primary domain's kernel runs the file system and TCP/IP as Linux does, but the
 *   devices sit in a driver domain (one for storage, one for the network, with the service domains'
 *   vCPUs). Following the issue, every I/O call makes one split-driver request and waits for it: the
 *   frontend queues it and makes a hypercall, a backend thread on a driver-domain vCPU takes the
 *   event, does the backend work and the grant copy, and signals back; the caller, asleep meanwhile,
 *   takes the event, is woken and switched in. Calls without device I/O (open, fstat, close of a file)
 *   run as on Linux.
 */
import type { Costs } from './costs.ts';
import { Charge } from './charge.ts';
import type { Burst, Entity, Peek } from './engine.ts';
import { Computation, plan, type Meter, type Planned, type World } from './world.ts';
import { CALLS, type Domain, type Op } from './workloads.ts';

/** The Linux cost of one call executed on the calling core (no wait included). */
export function localCall(costs: Costs, op: Extract<Op, { kind: 'call' }>): Charge {
  const def = CALLS[op.call];
  const c = new Charge();
  c.add('trap', costs.trap);
  c.add('work', costs[def.work] + ('perByte' in def ? costs[def.perByte] * op.bytes : 0));
  c.add('copy', costs.copy * (def.data === 'none' ? 0 : op.bytes));
  c.add('indirect', costs.indirect);
  return c;
}

/** Charge of sleeping through a wait and being woken. */
function sleepWake(costs: Costs, c: Charge): void {
  c.add('switch', 2 * costs.contextSwitch);
  c.add('wakeup', costs.wakeup);
}

const RUN: Peek = { mode: 'run', quantum: 0 };

/** A workload thread on Linux: every op is one burst on its core. */
export class LinuxThread implements Entity {
  readonly name: string;
  readonly group = 0;
  private pos = 0;
  private readonly steps: Planned[];

  constructor(
    readonly thread: number,
    readonly vcpu: number,
    units: Parameters<typeof plan>[0],
    private readonly costs: Costs,
    private readonly world: World,
    private readonly meter: Meter,
  ) {
    this.name = `thread${thread}`;
    this.steps = plan(units);
  }

  peek(): Peek | null {
    return this.pos < this.steps.length ? RUN : null;
  }

  private readonly work = new Computation();

  take(now: number, carried: Charge): Burst {
    const { op, last } = this.steps[this.pos];
    const c = new Charge().addAll(carried);
    let delay = 0;
    if (op.kind === 'compute') {
      if (!this.work.next(this.costs[op.what], c)) return { charge: c, delay: 0, notifies: false };
    } else {
      c.addAll(localCall(this.costs, op));
      delay = this.world.wait(this.thread, op, now);
      if (delay > 0) sleepWake(this.costs, c);
    }
    const end = now + c.total() - carried.total() + delay;
    if (op.kind === 'call') this.meter.call(this.thread, op.call, now, end, delay);
    if (last) this.meter.unitDone(this.thread, end);
    this.pos++;
    return { charge: c, delay, notifies: false };
  }
}

interface Request {
  thread: DriverThread;
  op: Extract<Op, { kind: 'call' }>;
  /** when it can be taken by a backend: the event has arrived and, for a client message, so has the message */
  notBefore: number;
  seq: number;
}

/** The split-driver request queue of one driver domain, served by one backend thread per vCPU. */
export class DriverQueue {
  readonly pending: Request[] = [];
  private seq = 0;
  push(r: Omit<Request, 'seq'>): void {
    this.pending.push({ ...r, seq: this.seq++ });
  }
  /** the request a backend takes next: the one that can start first, then the oldest */
  head(): Request | null {
    let best: Request | null = null;
    for (const r of this.pending) if (!best || r.notBefore < best.notBefore || (r.notBefore === best.notBefore && r.seq < best.seq)) best = r;
    return best;
  }
  take(r: Request): void {
    this.pending.splice(this.pending.indexOf(r), 1);
  }
}

export class DriverBackend implements Entity {
  readonly name: string;
  readonly group = 0;
  constructor(
    readonly domain: Domain,
    readonly index: number,
    readonly vcpu: number,
    private readonly queue: DriverQueue,
    private readonly costs: Costs,
  ) {
    this.name = `${domain}-backend${index}`;
  }

  peek(): Peek | null {
    const r = this.queue.head();
    return r ? { mode: 'run', quantum: 0, notBefore: r.notBefore } : null;
  }

  take(now: number, carried: Charge): Burst {
    const r = this.queue.head()!;
    this.queue.take(r);
    const c = new Charge().addAll(carried);
    c.add('event', this.costs.eventInject);
    c.add('backend', this.costs.backendWork);
    c.add('grant', this.costs.grantCopy * r.op.bytes);
    c.add('hypercall', this.costs.hypercall);
    const end = now + c.total() - carried.total();
    const t = r.thread;
    t.respond(end + this.costs.eventLatency);
    return { charge: c, delay: 0, notifies: false };
  }
}

/** A workload thread of the driver-domain baseline. */
export class DriverThread implements Entity {
  readonly name: string;
  readonly group = 0;
  private pos = 0;
  private readonly steps: Planned[];
  /** 'run': next op; 'wait': a request is out; 'complete': its response has arrived (from `respondAt`) */
  private phase: 'run' | 'wait' | 'complete' = 'run';
  private respondAt = 0;
  private issued = 0;
  private waited = 0;
  private readonly work = new Computation();

  constructor(
    readonly thread: number,
    readonly vcpu: number,
    units: Parameters<typeof plan>[0],
    private readonly costs: Costs,
    private readonly world: World,
    private readonly meter: Meter,
    private readonly queues: Record<Domain, DriverQueue>,
  ) {
    this.name = `thread${thread}`;
    this.steps = plan(units);
  }

  respond(at: number): void {
    this.phase = 'complete';
    this.respondAt = at;
  }

  peek(): Peek | null {
    if (this.phase === 'wait' || this.pos >= this.steps.length) return null;
    return this.phase === 'complete' ? { mode: 'run', quantum: 0, notBefore: this.respondAt } : RUN;
  }

  take(now: number, carried: Charge): Burst {
    const { op, last } = this.steps[this.pos];
    const c = new Charge().addAll(carried);
    const own = () => c.total() - carried.total();
    if (this.phase === 'complete') {
      c.add('event', this.costs.eventInject);
      c.add('wakeup', this.costs.wakeup);
      c.add('switch', this.costs.contextSwitch);
      const end = now + own();
      if (op.kind === 'call') this.meter.call(this.thread, op.call, this.issued, end, this.waited);
      this.finish(last, end);
      return { charge: c, delay: 0, notifies: false };
    }
    if (op.kind === 'compute') {
      if (this.work.next(this.costs[op.what], c)) this.finish(last, now + own());
      return { charge: c, delay: 0, notifies: false };
    }
    c.addAll(localCall(this.costs, op));
    const def = CALLS[op.call];
    if (!def.io) {
      const delay = this.world.wait(this.thread, op, now);
      if (delay > 0) sleepWake(this.costs, c);
      const end = now + own() + delay;
      this.meter.call(this.thread, op.call, now, end, delay);
      this.finish(last, end);
      return { charge: c, delay, notifies: false };
    }
    // The request goes to the driver domain and the caller sleeps until the response.
    c.add('hypercall', this.costs.hypercall);
    c.add('switch', this.costs.contextSwitch);
    const end = now + own();
    const wait = this.world.wait(this.thread, op, now);
    const arrives = end + this.costs.eventLatency;
    this.queues[def.domain].push({ thread: this, op, notBefore: Math.max(arrives, now + wait) });
    this.phase = 'wait';
    this.issued = now;
    this.waited = wait;
    return { charge: c, delay: 0, notifies: false };
  }

  private finish(last: boolean, end: number): void {
    if (last) this.meter.unitDone(this.thread, end);
    this.pos++;
    this.phase = 'run';
  }
}
