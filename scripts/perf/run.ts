/**
 * One timed run: a workload's units on one system, on the engine, with its throughput, latency per
 * call kind, cycles by kind and by domain, and counts of traps, hypercalls and notifications.
 *
 * The three systems share the machine layout: `primaryVcpus` cores run the application (the Linux
 * baseline has exactly these), and the storage and network domains (or driver domains) have their own
 * vCPUs on further cores. Workload thread t runs on primary vCPU t mod primaryVcpus.
 */
import type { Costs } from './costs.ts';
import type { Kind } from './charge.ts';
import type { Counter } from './step-cost.ts';
import { DriverBackend, DriverQueue, DriverThread, LinuxThread } from './baselines.ts';
import { Engine, type StepRecord, type VcpuSpec } from './engine.ts';
import { addInstanceEntities, Instance, VirtuosThread, type TimedStep } from './virtuos.ts';
import { Meter, World } from './world.ts';
import { CALLS, type CallName, type Domain, type Unit } from './workloads.ts';

export const SYSTEMS = ['virtuos', 'linux', 'driver'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export const SYSTEM_TITLES: Record<SystemName, string> = { virtuos: 'VirtuOS', linux: 'Linux', driver: 'driver domain' };

export interface RunOptions {
  /** record every model step (VirtuOS) and every burst the engine charged */
  record?: boolean;
  /** DONE checks before RQUEUE (the model's `spins`), for checks of the protocol */
  spins?: number;
}

export interface RunResult {
  system: SystemName;
  threads: number;
  unitsPerSec: number;
  bytesPerSec: number;
  window: [number, number];
  unitsInWindow: number;
  /** units the run executed in all */
  unitsDone: number;
  /** simulated cycles until the last unit finished */
  makespan: number;
  latencyUs: Partial<Record<CallName, number>>;
  /** cycles by kind, all domains */
  cycles: Record<Kind, number>;
  /** busy fraction of each domain's vCPUs over the run */
  utilisation: Record<string, number>;
  counts: Partial<Record<Counter, number>>;
  /** calls executed by each thread, in order (the same on every system) */
  executed: CallName[][];
  /** engine steps and, for VirtuOS, model steps */
  engineSteps: number;
  modelSteps: number;
  /** busy cycles of all vCPUs, and cycles of waits not yet charged to a step when the run ended */
  busy: number;
  uncharged: number;
  /** VirtuOS, when recorded: every model step, per domain */
  trace: TimedStep[];
  /** when recorded: every step or burst the engine charged, model steps and the workload's own */
  bursts: StepRecord[];
  instances: Instance[];
}

export function vcpuLayout(costs: Costs, domains: Domain[]): VcpuSpec[] {
  const out: VcpuSpec[] = [];
  for (let i = 0; i < costs.primaryVcpus; i++) out.push({ name: `P${i}`, domain: 'primary' });
  for (const d of domains) {
    const n = d === 'storage' ? costs.storageVcpus : costs.networkVcpus;
    for (let i = 0; i < n; i++) out.push({ name: `${d[0].toUpperCase()}${i}`, domain: d });
  }
  return out;
}

function usedDomains(units: Unit[][]): Domain[] {
  const set = new Set<Domain>();
  for (const us of units) for (const u of us) for (const op of u.ops) if (op.kind === 'call') set.add(CALLS[op.call].domain);
  return (['storage', 'network'] as const).filter((d) => set.has(d));
}

export function runUnits(system: SystemName, units: Unit[][], costs: Costs, opts: RunOptions = {}): RunResult {
  const threads = units.length;
  const domains = usedDomains(units);
  const vcpus = vcpuLayout(costs, domains);
  const P = costs.primaryVcpus;
  const serviceVcpus = (d: Domain) => vcpus.flatMap((v, i) => (v.domain === d ? [i] : []));
  const world = new World(threads, costs);
  const meter = new Meter(units, costs);
  const instances: Instance[] = [];
  const vthreads: VirtuosThread[] = [];
  const engine: Engine = new Engine({
    vcpus,
    timeslice: costs.timeslice,
    preemptSwitch: costs.contextSwitch,
    eventLatency: costs.eventLatency,
    haltWake: costs.haltWake,
    done: () => meter.done(),
    record: opts.record ?? false,
    afterStep: (_e, end) => {
      for (const inst of instances) {
        for (const t of inst.completed) vthreads[t].remoteDone(end);
        inst.completed = [];
      }
    },
  });

  if (system === 'linux') {
    units.forEach((u, t) => engine.add(new LinuxThread(t, t % P, u, costs, world, meter)));
  } else if (system === 'driver') {
    const queues = { storage: new DriverQueue(), network: new DriverQueue() };
    units.forEach((u, t) => engine.add(new DriverThread(t, t % P, u, costs, world, meter, queues)));
    for (const d of domains) serviceVcpus(d).forEach((v, i) => engine.add(new DriverBackend(d, i, v, queues[d], costs)));
  } else {
    const byDomain: Partial<Record<Domain, Instance>> = {};
    domains.forEach((d, di) => {
      const inst = new Instance(d, 1 + di, units, costs, vcpus.length, world, opts.record ?? false, opts.spins);
      byDomain[d] = inst;
      instances.push(inst);
      addInstanceEntities(engine, inst, (t) => t % P, serviceVcpus(d), (P - 1 - di + P) % P);
    });
    units.forEach((u, t) => {
      let index = -1;
      const vt = new VirtuosThread(t, t % P, u, costs, meter, byDomain, () => engine.touchEntity(index));
      vthreads.push(vt);
      index = engine.add(vt);
    });
  }
  engine.run();

  const tp = meter.throughput();
  const makespan = Math.max(...meter.unitEnds.map((e) => e[e.length - 1]));
  const utilisation: Record<string, number> = {};
  for (const d of ['primary', ...domains]) {
    const vs = engine.vcpus.filter((u) => u.spec.domain === d);
    utilisation[d] = vs.reduce((a, u) => a + u.busy, 0) / (vs.length * makespan);
  }
  const counts: Partial<Record<Counter, number>> = {};
  for (const inst of instances) for (const [k, n] of Object.entries(inst.counts) as [Counter, number][]) counts[k] = (counts[k] ?? 0) + n;
  return {
    system,
    threads,
    unitsPerSec: tp.unitsPerSec,
    bytesPerSec: tp.bytesPerSec,
    window: tp.window,
    unitsInWindow: tp.unitsInWindow,
    unitsDone: meter.unitEnds.reduce((a, e) => a + e.length, 0),
    makespan,
    latencyUs: meter.latencyUs(),
    cycles: engine.chargedByKind(),
    utilisation,
    counts,
    executed: meter.executed,
    engineSteps: engine.steps,
    modelSteps: instances.reduce((a, i) => a + i.stepCount, 0),
    busy: engine.vcpus.reduce((a, u) => a + u.busy, 0),
    uncharged: engine.unchargedWaits(),
    trace: instances.flatMap((i) => i.steps),
    bursts: engine.records,
    instances,
  };
}
