/**
 * The discrete-event engine of the performance model: vCPUs as resources, entities that take steps
 * on them, and time in cycles.
 *
 * An entity is something a kernel schedules: a primary-domain kernel thread together with the user
 * thread it runs, a service-domain worker, the frontend's notify thread, the backend's wake handler,
 * a workload thread's own user-level work, a driver-domain backend. Each is on one vCPU at a time. The
 * engine always advances the vCPU that is free earliest: on it, the entity it was running continues
 * if it can, until it blocks, its time slice ends, or an interrupt handler or a woken entity wants
 * the vCPU (wake-up preemption); otherwise the runnable entity that can start soonest runs. The
 * entity's step advances that vCPU's clock by the step's cost. A step may also delay the
 * entity's next step without occupying the vCPU (a call waiting for the network, an event on its way).
 * A step that sends an event-channel notification delays the entities it wakes by the delivery
 * latency. A vCPU with nothing to run halts, and the entity that ends the halt starts only once the
 * vCPU has woken up (the same rule for every system).
 *
 * Busy waits (a caller spinning on DONE, an idle worker polling alloc_top) are steps of a known length
 * that end early: the vCPU is held (spin) or offered to anyone else runnable (poll, which yields) until
 * the wait's quantum has passed or the awaited word changed, whichever comes first; the cycles spent
 * are charged to the entity's next step. A preempted wait resumes later with what is left of it. So every busy cycle of every vCPU is charged to exactly one
 * step or burst, and a run's cost is the sum of its steps' costs.
 *
 * The engine is deterministic: ties go to the lower vCPU index and, on a vCPU, to the entity that ran
 * last or the next one in round-robin order.
 */
import { Charge, KINDS, type Kind } from './charge.ts';

export interface Peek {
  /** 'run': an ordinary step; 'spin' or 'poll': a busy wait of `quantum` cycles */
  mode: 'run' | 'spin' | 'poll';
  quantum: number;
  /** the step cannot start before this time (a request still on its way) */
  notBefore?: number;
}

export interface Burst {
  charge: Charge;
  /** after the burst, the entity may not step again before its end plus this (it waits off-CPU) */
  delay: number;
  /** the burst sends an event-channel notification: the entities it makes runnable see the delivery delay */
  notifies: boolean;
  /**
   * Engine indices of the entities whose next step the burst may have changed. Absent: every entity
   * of the stepping entity's group.
   */
  touched?: readonly number[];
}

export interface Entity {
  readonly name: string;
  /** the vCPU it runs on; it may move between steps (a thread handed to another kernel thread) */
  readonly vcpu: number;
  /**
   * Entities whose next step can only change when an entity of the same group steps (one model
   * instance, or the workload threads); a step elsewhere that affects a group or an entity says so
   * with `touch` or `touchEntity`.
   */
  readonly group: number;
  /** an interrupt handler (1) runs before any thread (0) that wants its vCPU */
  readonly priority?: number;
  /** what the entity would do now, or null if it is blocked */
  peek(): Peek | null;
  /** take that step, starting at `now`; `carried` is charged on top (cycles spent earlier, not yet charged) */
  take(now: number, carried: Charge): Burst;
}

export interface VcpuSpec {
  name: string;
  /** 'primary', 'storage', 'network', ... for the reports */
  domain: string;
}

interface Wait {
  entity: number;
  mode: 'spin' | 'poll';
  start: number;
  end: number;
}

class VcpuState {
  clock = 0;
  current = -1;
  sliceStart = 0;
  wait: Wait | null = null;
  busy = 0;
  entities: number[] = [];
  /** its entities that have a step to take */
  runnable = new Set<number>();
  /** its next candidate must be worked out again (something on it changed) */
  stale = true;
  constructor(readonly spec: VcpuSpec) {}
}

/** One executed step or burst, when a run is recorded. */
export interface StepRecord {
  entity: string;
  vcpu: number;
  start: number;
  /** cycles charged to it (including carried cycles) */
  cycles: number;
  /** of those, cycles carried from an earlier interrupted wait or a preemption */
  carried: number;
}

export interface EngineOptions {
  vcpus: VcpuSpec[];
  /** time slice in cycles */
  timeslice: number;
  /** context-switch cost charged when a time slice ends and another entity takes the vCPU */
  preemptSwitch: number;
  /** delivery latency of an event-channel notification, and the time to wake a halted vCPU */
  eventLatency: number;
  haltWake: number;
  /** stop when this says so (checked after every step) */
  done: () => boolean;
  /** called after every step with the time it ended */
  afterStep?: (entity: Entity, end: number) => void;
  /** keep a record of every step */
  record?: boolean;
  /** give up (an internal error) after this many steps */
  maxSteps?: number;
}

export class DeadlockError extends Error {}

/** An empty charge, for a step that carries nothing (never written). */
const NOTHING = new Charge();

type Candidate = { t: number; entity: number; wait: boolean; preempt: boolean };

export class Engine {
  readonly vcpus: VcpuState[];
  readonly entities: Entity[] = [];
  private readyAt: number[] = [];
  private runnable: boolean[] = [];
  private peeks: (Peek | null)[] = [];
  /** cycles spent and not charged yet: the next step of the entity carries them (null: none) */
  private carry: (Charge | null)[] = [];
  /** cycles already spent in the entity's current busy-wait step, before a preemption cut it */
  private waitSpent: number[] = [];
  /** the entity slept or waited off-CPU since it last ran: it preempts the running entity (CFS favours sleepers) */
  private woken: boolean[] = [];
  /** the vCPU each entity is on now */
  private at: number[] = [];
  private members: number[][] = [];
  /** entities to peek again after the current step */
  private dirty: number[] = [];
  private isDirty: boolean[] = [];
  /** cycles charged, by kind, per vCPU domain */
  readonly charged = new Map<string, Charge>();
  readonly records: StepRecord[] = [];
  steps = 0;
  now = 0;

  constructor(private readonly opts: EngineOptions) {
    this.vcpus = opts.vcpus.map((v) => new VcpuState(v));
    for (const v of opts.vcpus) if (!this.charged.has(v.domain)) this.charged.set(v.domain, new Charge());
  }

  add(e: Entity): number {
    if (e.vcpu < 0 || e.vcpu >= this.vcpus.length) throw new Error(`entity ${e.name} placed on vCPU ${e.vcpu}, which does not exist`);
    const i = this.entities.length;
    this.entities.push(e);
    this.readyAt.push(0);
    this.runnable.push(false);
    this.peeks.push(null);
    this.carry.push(null);
    this.waitSpent.push(0);
    this.woken.push(false);
    this.at.push(e.vcpu);
    this.vcpus[e.vcpu].entities.push(i);
    while (this.members.length <= e.group) this.members.push([]);
    this.members[e.group].push(i);
    this.isDirty.push(false);
    this.touchEntity(i);
    return i;
  }

  /** Something changed what a group's entities can do (they are peeked again after the current step). */
  touch(group: number): void {
    for (const i of this.members[group] ?? []) this.touchEntity(i);
  }

  touchEntity(i: number): void {
    if (this.isDirty[i]) return;
    this.isDirty[i] = true;
    this.dirty.push(i);
  }

  /**
   * When entity i could start on u. A vCPU with nothing to run halts; the entity that ends the
   * halt starts only after the vCPU has been woken (an event or an inter-processor interrupt).
   */
  private avail(u: VcpuState, i: number): number {
    const p = this.peeks[i]!;
    const t = Math.max(this.readyAt[i], p.notBefore ?? 0);
    return t > u.clock ? t + this.opts.haltWake : u.clock;
  }

  /**
   * Which entity vCPU u runs next, and when. The earliest available entity runs; at the same time an
   * interrupt handler goes first, then a woken entity (wake-up preemption), then anyone who is not
   * polling (a poller yields), then the one running (pollers instead take turns), then round-robin. The running entity also gives way when its time
   * slice is over and someone else is waiting (a preemption, which costs a context switch).
   */
  private candidate(u: VcpuState): Candidate | null {
    if (u.wait) return { t: u.wait.end, entity: u.wait.entity, wait: true, preempt: false };
    const n = this.entities.length;
    const cur = u.current;
    let best = -1;
    // The key, compared in this order: start time, priority, woken, polling, stay, round-robin distance.
    let bT = Infinity;
    let bPrio = 0;
    let bWoken = 0;
    let bPoll = 0;
    let bStay = 0;
    let bRr = 0;
    let other = -1;
    let otherT = Infinity;
    for (const i of u.runnable) {
      const t = this.avail(u, i);
      const prio = -(this.entities[i].priority ?? 0);
      const woken = this.woken[i] ? 0 : 1;
      const poll = this.peeks[i]!.mode === 'poll' ? 1 : 0;
      // A poller that just polled goes to the back: pollers take turns, as yielding threads do.
      const stay = i === cur ? poll : 1 - poll;
      const rr = (i - cur + n) % n;
      const better =
        best < 0 ||
        (t !== bT ? t < bT : prio !== bPrio ? prio < bPrio : woken !== bWoken ? woken < bWoken : poll !== bPoll ? poll < bPoll : stay !== bStay ? stay < bStay : rr < bRr);
      if (better) {
        best = i;
        bT = t;
        bPrio = prio;
        bWoken = woken;
        bPoll = poll;
        bStay = stay;
        bRr = rr;
      }
      if (i !== cur && !poll && t < otherT) {
        other = i;
        otherT = t;
      }
    }
    if (best < 0) return null;
    if (best === cur && other >= 0 && otherT <= bT && bT - u.sliceStart >= this.opts.timeslice) return { t: bT, entity: other, wait: false, preempt: true };
    return { t: bT, entity: best, wait: false, preempt: false };
  }

  run(): void {
    this.refresh(null, 0, false);
    const max = this.opts.maxSteps ?? 50_000_000;
    const cands: (Candidate | null)[] = this.vcpus.map(() => null);
    while (!this.opts.done()) {
      let bu = -1;
      let bc: Candidate | null = null;
      for (let v = 0; v < this.vcpus.length; v++) {
        const u = this.vcpus[v];
        if (u.stale) {
          cands[v] = this.candidate(u);
          u.stale = false;
        }
        const c = cands[v];
        if (c && (!bc || c.t < bc.t)) {
          bc = c;
          bu = v;
        }
      }
      if (!bc) throw new DeadlockError(`no vCPU can run at ${Math.round(this.now)} cycles, yet the workload is not done (blocked: ${this.entities.filter((_, i) => !this.runnable[i]).map((e) => e.name).slice(0, 12).join(', ')})`);
      if (++this.steps > max) throw new Error(`the timed run exceeded ${max} steps`);
      this.vcpus[bu].stale = true;
      this.execute(bu, bc);
    }
  }

  private execute(v: number, c: Candidate): void {
    const u = this.vcpus[v];
    const i = c.entity;
    if (c.wait) {
      const w = u.wait!;
      u.wait = null;
      this.now = w.end;
      if (this.peeks[i]?.mode === w.mode) {
        // The wait ran its quantum with the awaited word unchanged: the check step happens now.
        const before = this.waitSpent[i];
        this.waitSpent[i] = 0;
        this.step(u, v, i, w.start, before);
      } else {
        // The word changed by a step that ended after the quantum: the quantum was spent all the same.
        this.carried(i).add(w.mode, this.waitSpent[i] + w.end - w.start);
        this.waitSpent[i] = 0;
        u.clock = w.end;
      }
      return;
    }
    this.now = c.t;
    if (u.current !== i) {
      if (c.preempt) this.carried(i).add('switch', this.opts.preemptSwitch);
      u.current = i;
      u.sliceStart = c.t;
    }
    this.woken[i] = false;
    const p = this.peeks[i]!;
    if (p.mode !== 'run') {
      u.wait = { entity: i, mode: p.mode, start: c.t, end: c.t + Math.max(0, p.quantum - this.waitSpent[i]) };
      u.clock = c.t;
      return;
    }
    this.step(u, v, i, c.t, 0);
  }

  /**
   * Entity i takes its step at `start`. `elapsed` cycles of the step's own cost were already spent
   * (earlier segments of a preempted wait); carried cycles were spent before and are charged on top.
   */
  private step(u: VcpuState, v: number, i: number, start: number, elapsed: number): void {
    const e = this.entities[i];
    const carried = this.carry[i] ?? NOTHING;
    const carriedCycles = carried.total();
    this.carry[i] = null;
    const b = e.take(start, carried);
    const total = b.charge.total();
    const end = start + total - carriedCycles - elapsed;
    u.clock = end;
    u.busy += total;
    this.charged.get(u.spec.domain)!.addAll(b.charge);
    this.readyAt[i] = end + b.delay;
    if (b.delay > 0) this.woken[i] = true;
    if (this.opts.record) this.records.push({ entity: e.name, vcpu: v, start, cycles: total, carried: carriedCycles });
    if (b.touched) {
      this.touchEntity(i);
      for (const j of b.touched) this.touchEntity(j);
    } else this.touch(e.group);
    this.opts.afterStep?.(e, end);
    this.refresh(e, end, b.notifies);
  }

  /** After a step that ended at `end`: who became runnable, and which waits end early. */
  private refresh(by: Entity | null, end: number, notifies: boolean): void {
    const dirty = this.dirty;
    this.dirty = [];
    for (const i of dirty) {
      this.isDirty[i] = false;
      this.reread(i, by, end, notifies);
    }
    this.interruptWaits(end);
  }

  private reread(i: number, by: Entity | null, end: number, notifies: boolean): void {
    const x = this.entities[i];
    if (x.vcpu !== this.at[i]) this.migrate(i, x.vcpu);
    const p = x.peek();
    const was = this.runnable[i];
    const u = this.vcpus[x.vcpu];
    this.peeks[i] = p;
    this.runnable[i] = p !== null;
    u.stale = true;
    if (p && !was) u.runnable.add(i);
    else if (!p && was) u.runnable.delete(i);
    if (p && !was && by !== null) {
      let ready = end;
      if (notifies && x !== by) ready += this.opts.eventLatency;
      this.readyAt[i] = Math.max(this.readyAt[i], ready);
      this.woken[i] = true;
    }
  }

  /** Entity i now runs on vCPU v (it is not running or waiting anywhere at this point). */
  private migrate(i: number, v: number): void {
    const from = this.vcpus[this.at[i]];
    const to = this.vcpus[v];
    if (from.wait?.entity === i) throw new Error(`${this.entities[i].name} moved to another vCPU in the middle of a wait`);
    from.entities.splice(from.entities.indexOf(i), 1);
    if (from.runnable.delete(i)) to.runnable.add(i);
    if (from.current === i) from.current = -1;
    to.entities.push(i);
    from.stale = to.stale = true;
    this.at[i] = v;
  }

  /**
   * A wait ends early when the awaited word changed (its cycles go to the step that follows), when an
   * interrupt handler or a woken entity wants the vCPU, or, for a poll, when anyone else can run (a preemption: the rest of
   * the wait's quantum is spent later).
   */
  private interruptWaits(end: number): void {
    for (const u of this.vcpus) {
      const w = u.wait;
      if (!w) continue;
      const p = this.peeks[w.entity];
      if (!p || p.mode !== w.mode) {
        const t = Math.min(Math.max(w.start, end), w.end);
        this.carried(w.entity).add(w.mode, this.waitSpent[w.entity] + t - w.start);
        this.waitSpent[w.entity] = 0;
        u.clock = t;
        u.wait = null;
        u.stale = true;
        continue;
      }
      let at = Infinity;
      for (const j of u.runnable) {
        if (j === w.entity) continue;
        if (this.woken[j] || (this.entities[j].priority ?? 0) > 0 || (w.mode === 'poll' && this.peeks[j]!.mode !== 'poll')) at = Math.min(at, Math.max(this.readyAt[j], this.peeks[j]!.notBefore ?? 0));
      }
      if (at < w.end) {
        const t = Math.max(w.start, at);
        this.waitSpent[w.entity] += t - w.start;
        u.clock = t;
        u.wait = null;
        u.stale = true;
      }
    }
  }

  private carried(i: number): Charge {
    return (this.carry[i] ??= new Charge());
  }

  /** Cycles spent in waits not yet charged to a step (at the end of a run). */
  unchargedWaits(): number {
    let t = 0;
    for (const c of this.carry) t += c?.total() ?? 0;
    for (const s of this.waitSpent) t += s;
    for (const u of this.vcpus) if (u.wait) t += Math.min(u.wait.end, this.now) - u.wait.start;
    return t;
  }

  /** Total cycles charged, by kind, over all domains. */
  chargedByKind(): Record<Kind, number> {
    const out = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
    for (const c of this.charged.values()) for (const k of KINDS) out[k] += c.get(k);
    return out;
  }
}
