/**
 * VirtuOS in the performance model: the workload's remote calls are executed by the model's own
 * machines, step by step with `step` (the enabled steps kept by `Choices`, which a test checks equal
 * to `enabled`), and every step is costed by `stepCost`.
 *
 * Each service domain the workload uses (storage, network) is one instance of the model at
 * performance scale (scripts/perf/perf-config.ts): one process with one user thread per workload thread,
 * its kernel threads, the shadow process's workers, the frontend's notify thread and the backend's
 * wake handler. The entities the engine schedules are built from the model's actors:
 * - a kernel thread together with the user thread it currently runs (M:N hand-offs included), on the
 *   primary vCPU of that workload thread (thread t on vCPU t mod n), or on its own while it runs none;
 * - each worker, on a vCPU of its service domain (worker i on vCPU i mod n), and the wake handler on
 *   the domain's first vCPU;
 * - the notify thread, on a primary vCPU.
 * A workload thread's own work (the application's computation) is a separate entity on the same
 * primary vCPU as its kernel threads. When the workload thread reaches a remote call, its user thread
 * in that domain's instance is let go: it takes the entry, submits, spins, parks, is woken and frees
 * the entry exactly as the model says; until then the user thread is held at its first step, as a
 * thread busy elsewhere is. The call is done when the model thread's completed-call count goes up.
 *
 * Simplification: each instance has its own kernel threads, so a process's kernel threads are counted
 * once per service domain it uses (VirtuOS shares them); at most one of them runs a given user thread
 * at a time, so this changes no CPU demand, only which kernel thread a hand-off lands on.
 */
import type { Costs } from './costs.ts';
import { LineTracker, lineMap } from './cache-lines.ts';
import { Charge } from './charge.ts';
import { makePerfSystem } from './perf-config.ts';
import { stepCost, waitKind, waitQuantum, type CallOf, type CallSpec, type Counter } from './step-cost.ts';
import { label, step, type Choice, type System } from '../../model/kit/system.ts';
import { Choices } from './choices.ts';
import { StepMeter } from '../../model/kit/recorder.ts';
import { NIL } from '../../model/kit/layout.ts';
import type { Burst, Engine, Entity, Peek } from './engine.ts';
import { Computation, plan, type Meter, type Planned, type World } from './world.ts';
import { CALLS, type Domain, type Op, type Unit } from './workloads.ts';

/** One executed model step of a recorded timed run. */
export interface TimedStep {
  domain: Domain;
  actor: string;
  event: string;
  /** the step in domain words, e.g. "W1 pops request entry 0 from alloc_top (CAS succeeds)" */
  label: string;
  vcpu: number;
  start: number;
  /** cycles of the step itself (what stepCost gives), and cycles carried from an earlier wait or preemption */
  cycles: number;
  carried: number;
}

type CallOp = Extract<Op, { kind: 'call' }>;

export class Instance {
  readonly sys: System;
  s: Int32Array;
  readonly lines: LineTracker;
  /** the first enabled choice of each actor, kept up to date step by step */
  private readonly choices: Choices;
  private readonly meter: StepMeter;
  /** a workload thread may let its user thread run only during one of its calls into this domain */
  readonly allowed: Uint8Array;
  /** the remote calls of each thread into this domain, in order */
  readonly calls: CallOp[][];
  /** threads whose call completed in the last step */
  completed: number[] = [];
  readonly steps: TimedStep[] = [];
  readonly counts: Partial<Record<Counter, number>> = {};
  stepCount = 0;
  readonly callOf: CallOf;
  /** outside-world waiting inside the current call of each thread */
  readonly waits: number[];

  constructor(
    readonly domain: Domain,
    /** the engine group of its entities */
    readonly group: number,
    units: Unit[][],
    readonly costs: Costs,
    cores: number,
    world: World,
    readonly record: boolean,
    spins?: number,
  ) {
    this.calls = units.map((us) => us.flatMap((u) => u.ops.filter((o): o is CallOp => o.kind === 'call' && CALLS[o.call].domain === domain)));
    // One call more than any thread makes: a thread whose work is done stays held at its next call
    // (attached to its kernel thread, as an idle server thread is) rather than exiting.
    const most = Math.max(...this.calls.map((c) => c.length));
    this.sys = makePerfSystem({ threads: units.length, calls: most + 1, spins });
    this.s = this.sys.init;
    this.choices = new Choices(this.sys, this.s);
    this.meter = new StepMeter(this.sys);
    this.lines = new LineTracker(lineMap(this.sys), cores);
    this.allowed = new Uint8Array(units.length);
    this.waits = new Array(units.length).fill(0);
    this.callOf = (thread, k): CallSpec => {
      const op = this.calls[thread][k];
      if (!op) return { name: 'none', work: 0, bytesIn: 0, bytesOut: 0, wait: () => 0 };
      const def = CALLS[op.call];
      return {
        name: op.call,
        work: costs[def.work] + ('perByte' in def ? costs[def.perByte] * op.bytes : 0),
        bytesIn: def.data === 'in' ? op.bytes : 0,
        bytesOut: def.data === 'out' ? op.bytes : 0,
        wait: (now) => {
          const w = world.wait(thread, op, now);
          this.waits[thread] += w;
          return w;
        },
      };
    };
    this.peeks.spin.quantum = waitQuantum(costs, this.sys, 'spin');
    this.peeks.poll.quantum = waitQuantum(costs, this.sys, 'poll');
  }

  choice(actor: number): Choice | null {
    return this.choices.get(actor);
  }

  /** Take a step: cost it on `core` at `now`, apply it, and note completed calls. */
  take(ch: Choice, core: number, now: number, carried: Charge): Burst {
    const cost = stepCost({ costs: this.costs, sys: this.sys, s: this.s, ch, core, lines: this.lines, callOf: this.callOf, now, meter: this.meter, tally: this.counts });
    const actor = this.sys.actors[ch.actor];
    if (this.record) {
      this.steps.push({ domain: this.domain, actor: actor.name, event: ch.event.name, label: label(this.sys, this.s, ch), vcpu: core, start: now, cycles: cost.charge.total(), carried: carried.total() });
    }
    const before = this.s;
    this.s = step(this.sys, this.s, ch);
    const redo = this.choices.update(this.s, ch.actor, cost.writes);
    const touched: number[] = [];
    const { L } = this.sys;
    for (const a of redo) {
      const { comp, me } = this.sys.actors[a];
      if (comp === 0) {
        // A user thread is part of the entity of the kernel thread running it, before and after.
        for (const att of [before[L.thread[me].att], this.s[L.thread[me].att]]) if (att !== NIL) touched.push(this.kernelEntity[att]);
      } else if (this.entityOf[a] >= 0) touched.push(this.entityOf[a]);
    }
    this.stepCount++;
    if (actor.comp === 0) {
      const t = this.sys.L.thread[actor.me];
      if (this.s[t.k] > before[t.k]) {
        // The call is complete: hold the thread before it starts a call the workload has not reached.
        this.allowed[actor.me] = 0;
        if (this.s[t.att] !== NIL) touched.push(this.kernelEntity[this.s[t.att]]);
        this.completed.push(actor.me);
      }
    }
    return { charge: cost.charge.addAll(carried), delay: cost.delay, notifies: cost.notifies, touched };
  }

  /** engine index of each actor's entity (kernel threads, workers, frontend, backend; -1 for user threads) */
  entityOf: number[] = [];
  /** engine index of each kernel thread's entity */
  kernelEntity: number[] = [];
  /** tell the engine an entity's next step may have changed */
  touchEntity: (i: number) => void = () => {};

  /** The workload lets thread t's user thread go (a call starts): its kernel thread's entity can move. */
  release(t: number): void {
    this.allowed[t] = 1;
    const att = this.s[this.sys.L.thread[t].att];
    if (att !== NIL) this.touchEntity(this.kernelEntity[att]);
  }

  private readonly peeks: Record<'run' | 'spin' | 'poll', Peek> = {
    run: { mode: 'run', quantum: 0 },
    spin: { mode: 'spin', quantum: 0 },
    poll: { mode: 'poll', quantum: 0 },
  };

  peekOf(ch: Choice | null): Peek | null {
    if (!ch) return null;
    return this.peeks[waitKind(ch) ?? 'run'];
  }
}

/** A model actor (or a kernel thread with the user thread it runs) as a schedulable entity. */
class ModelEntity implements Entity {
  constructor(
    readonly name: string,
    private readonly place: () => number,
    readonly group: number,
    private readonly inst: Instance,
    private readonly candidates: () => readonly number[],
    readonly priority = 0,
  ) {}

  get vcpu(): number {
    return this.place();
  }

  private choose(): Choice | null {
    for (const a of this.candidates()) {
      const ch = this.inst.choice(a);
      if (ch) return ch;
    }
    return null;
  }

  peek(): Peek | null {
    return this.inst.peekOf(this.choose());
  }

  take(now: number, carried: Charge): Burst {
    return this.inst.take(this.choose()!, this.vcpu, now, carried);
  }
}

/** Put the entities of one instance on the engine, and tell the instance where they are. */
export function addInstanceEntities(engine: Engine, inst: Instance, primaryVcpu: (thread: number) => number, serviceVcpus: number[], frontendVcpu: number): void {
  const { sys } = inst;
  const { L } = sys;
  const idx = new Map(sys.actors.map((a, i) => [`${a.comp}:${a.me}`, i]));
  const d = inst.domain[0].toUpperCase();
  const group = inst.group;
  inst.entityOf = sys.actors.map(() => -1);
  inst.touchEntity = (i) => engine.touchEntity(i);
  const add = (actor: number, e: Entity) => {
    inst.entityOf[actor] = engine.add(e);
  };
  for (let k = 0; k < L.kernel.length; k++) {
    const ka = idx.get(`1:${k}`)!;
    const K = L.kernel[k];
    const alone = [ka];
    const withThread = L.thread.map((_, t) => [idx.get(`0:${t}`)!, ka]);
    // A kernel thread runs on the vCPU of the workload thread it runs (whose own work runs there
    // too), and on its own vCPU while it runs none (in rqueue_wait).
    const running = () => {
      const cur = inst.s[K.cur];
      return cur !== NIL && inst.s[L.thread[cur].att] === k ? cur : NIL;
    };
    add(
      ka,
      new ModelEntity(
        `${d}.K${k + 1}`,
        () => primaryVcpu(running() === NIL ? k : running()),
        group,
        inst,
        () => {
          const cur = running();
          // The user thread this kernel thread runs, if the workload lets it go now.
          return cur !== NIL && inst.allowed[cur] ? withThread[cur] : alone;
        },
      ),
    );
    inst.kernelEntity[k] = inst.entityOf[ka];
  }
  for (let w = 0; w < L.worker.length; w++) {
    const a = [idx.get(`2:${w}`)!];
    add(a[0], new ModelEntity(`${d}.W${w + 1}`, () => serviceVcpus[w % serviceVcpus.length], group, inst, () => a));
  }
  // The notify thread and the wake handler run when an event-channel interrupt arrives: they go first.
  const f = idx.get('3:0');
  if (f !== undefined) add(f, new ModelEntity(`${d}.F`, () => frontendVcpu, group, inst, () => [f], 1));
  const b = idx.get('4:0');
  if (b !== undefined) add(b, new ModelEntity(`${d}.B`, () => serviceVcpus[0], group, inst, () => [b], 1));
}

/** A workload thread's own work under VirtuOS; its remote calls go to the instances. */
export class VirtuosThread implements Entity {
  readonly name: string;
  readonly group = 0;
  private pos = 0;
  private readonly steps: Planned[];
  /** 'local': its next op is its own work; 'remote': a call is in a service domain; 'done' */
  private state: 'local' | 'remote' | 'done' = 'local';
  private callStart = 0;
  private readonly k: Record<Domain, number> = { storage: 0, network: 0 };

  constructor(
    readonly thread: number,
    readonly vcpu: number,
    units: Unit[],
    private readonly costs: Costs,
    private readonly meter: Meter,
    private readonly instances: Partial<Record<Domain, Instance>>,
    /** tell the engine this entity may do something new */
    private readonly touchSelf: () => void,
  ) {
    this.name = `thread${thread}`;
    this.steps = plan(units);
    this.advance(0);
  }

  peek(): Peek | null {
    return this.state === 'local' ? { mode: 'run', quantum: 0 } : null;
  }

  private readonly work = new Computation();

  take(now: number, carried: Charge): Burst {
    const { op, last } = this.steps[this.pos];
    const c = new Charge().addAll(carried);
    if (op.kind === 'compute' && !this.work.next(this.costs[op.what], c)) return { charge: c, delay: 0, notifies: false };
    const end = now + c.total() - carried.total();
    if (last) this.meter.unitDone(this.thread, end);
    this.pos++;
    this.advance(end);
    return { charge: c, delay: 0, notifies: false };
  }

  /** The model finished this thread's current remote call at `end`. */
  remoteDone(end: number): void {
    this.touchSelf();
    const { op, last } = this.steps[this.pos];
    if (op.kind !== 'call') throw new Error(`${this.name}: a remote completion arrived during local work`);
    const inst = this.instances[CALLS[op.call].domain]!;
    this.meter.call(this.thread, op.call, this.callStart, end, inst.waits[this.thread]);
    inst.waits[this.thread] = 0;
    if (last) this.meter.unitDone(this.thread, end);
    this.pos++;
    this.advance(end);
  }

  private advance(now: number): void {
    if (this.pos >= this.steps.length) {
      this.state = 'done';
      return;
    }
    const { op } = this.steps[this.pos];
    if (op.kind === 'compute') {
      this.state = 'local';
      return;
    }
    const d = CALLS[op.call].domain;
    const inst = this.instances[d]!;
    if (inst.calls[this.thread][this.k[d]] !== op) throw new Error(`${this.name}: call ${this.k[d]} into ${d} is not the workload's`);
    this.k[d]++;
    inst.release(this.thread);
    this.state = 'remote';
    this.callStart = now;
  }
}
