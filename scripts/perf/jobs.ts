/**
 * A timed run described by plain data (a job), and what of its result the reports use (a summary):
 * both can cross to a worker thread, so the independent runs of `virtuos perf` can be spread over
 * the machine's cores (see pool.ts). A job names its workload, size, threads, units per thread and
 * seed, so the units it runs are generated where it runs, identically everywhere.
 */
import type { Costs } from './costs.ts';
import type { Kind } from './charge.ts';
import type { Counter } from './step-cost.ts';
import { runUnits, type SystemName } from './run.ts';
import { generate, workloadByName, type CallName, type Unit, type WorkloadName } from './workloads.ts';

/** The two transfers of the recovery scenario, 64 KB chunks by one thread. */
export type TransferName = 'storage-transfer' | 'network-transfer';

export interface RunJob {
  system: SystemName;
  workload: WorkloadName | TransferName;
  size: number;
  threads: number;
  perThread: number;
  seed: number;
  costs: Costs;
  /** DONE checks before RQUEUE, when a check of the protocol changes it */
  spins?: number;
}

export interface RunSummary {
  system: SystemName;
  threads: number;
  unitsPerSec: number;
  bytesPerSec: number;
  unitsDone: number;
  latencyUs: Partial<Record<CallName, number>>;
  cycles: Record<Kind, number>;
  utilisation: Record<string, number>;
  counts: Partial<Record<Counter, number>>;
  modelSteps: number;
}

export const TRANSFER_CHUNK = 65_536;

function transferUnits(name: TransferName, chunks: number): Unit[][] {
  const c = TRANSFER_CHUNK;
  const unit: Unit =
    name === 'storage-transfer'
      ? { bytes: c, ops: [{ kind: 'call', call: 'pread', bytes: c }, { kind: 'compute', what: 'sysbenchCompute' }] }
      : { bytes: c, ops: [{ kind: 'call', call: 'send', bytes: c, client: 'respond' }] };
  return [Array.from({ length: chunks }, () => unit)];
}

export function unitsOf(job: RunJob): Unit[][] {
  if (job.workload === 'storage-transfer' || job.workload === 'network-transfer') return transferUnits(job.workload, job.perThread);
  return generate(workloadByName(job.workload)!, job.size, job.threads, job.perThread, job.seed);
}

export function runJob(job: RunJob): RunSummary {
  const r = runUnits(job.system, unitsOf(job), job.costs, { spins: job.spins });
  return {
    system: r.system,
    threads: r.threads,
    unitsPerSec: r.unitsPerSec,
    bytesPerSec: r.bytesPerSec,
    unitsDone: r.unitsDone,
    latencyUs: r.latencyUs,
    cycles: r.cycles,
    utilisation: r.utilisation,
    counts: r.counts,
    modelSteps: r.modelSteps,
  };
}

/** A job's identity: equal jobs give equal summaries, so each is run once. */
export function jobKey(job: RunJob): string {
  return JSON.stringify([job.system, job.workload, job.size, job.threads, job.perThread, job.seed, job.spins ?? null, Object.entries(job.costs).sort()]);
}
