/**
 * The model configurations the performance model runs: the same machines at workload scale.
 *
 * Exploration keeps every bound small (BOUNDS in config.ts); a performance run needs a thread per
 * client connection and hundreds of calls per thread, but never explores: it executes one timed
 * schedule. So it gets its own bounds, checked by the same `checkConsistent`, and the exploration
 * bounds stay as they are.
 *
 * Choices, each a simplification stated in docs/perf.md:
 * - one process per service domain, 1:1 threading (a kernel thread per user thread);
 * - one worker more than there are threads (a worker can be blocked in every call at once, plus the
 *   idle one the pool keeps), all present from the start: the pool as it is after warm-up (VirtuOS
 *   starts with one worker and spawns as calls block; a run that short would measure the spawning);
 * - as many request entries as threads (each thread has one call in flight; VirtuOS has 454);
 * - the caller's 4000-PAUSE spin is `spins` DONE checks and the worker's 5000-yield poll is
 *   `workerPolls` polls; the timed execution gives each check or poll its share of PAUSEs or yields
 *   and ends it early when the awaited value changes, so the split does not change timing;
 * - the wake path and the notify ring on, the lock-free ready queue, no seeded bug.
 */
import { BOUNDS, checkConsistent, DEFAULT_CONFIG, type Config } from '../../model/kit/config.ts';
import { makeSystem, type System } from '../../model/kit/system.ts';

/** Bounds of performance configurations: sizes a timed run handles in well under a second. */
export const PERF_BOUNDS: typeof BOUNDS = {
  processes: [1, 3],
  threads: [1, 64],
  kernelThreads: [1, 64],
  calls: [1, 4096],
  entries: [1, 454],
  workers: [1, 65],
  initialWorkers: [1, 65],
  spins: [1, 64],
  workerPolls: [1, 64],
  ringCapacity: [1, 64],
  stampModulus: [2, 1 << 20],
  // the isolation layer is never timed: its fields keep the exploration bounds
  adversarySteps: BOUNDS.adversarySteps,
  networkProcesses: BOUNDS.networkProcesses,
  networkRestarts: BOUNDS.networkRestarts,
  // nor is the recovery layer
  crashes: BOUNDS.crashes,
  chunks: BOUNDS.chunks,
  adminStops: BOUNDS.adminStops,
};

/** DONE checks that make up the caller's spin, and polls that make up an idle worker's polling. */
export const SPIN_CHECKS = 4;
export const POLL_CHECKS = 8;

export interface PerfShape {
  /** user threads of the one process */
  threads: number;
  /** remote calls each thread makes into this service domain (the most any thread makes) */
  calls: number;
  /** DONE checks before RQUEUE (SPIN_CHECKS unless a check of the protocol changes it) */
  spins?: number;
}

export function perfConfig(shape: PerfShape): Config {
  const cfg: Config = {
    ...DEFAULT_CONFIG,
    processes: 1,
    threads: shape.threads,
    kernelThreads: shape.threads,
    calls: Math.max(1, shape.calls),
    entries: shape.threads,
    workers: shape.threads + 1,
    initialWorkers: shape.threads + 1,
    spins: shape.spins ?? SPIN_CHECKS,
    workerPolls: POLL_CHECKS,
    ringCapacity: 8,
    stampModulus: 1 << 20,
    blockingPair: false,
    wakePath: true,
    notify: 'ring',
    readyQueue: 'lockfree',
    bug: null,
  };
  checkConsistent(cfg, PERF_BOUNDS);
  return cfg;
}

/** A system of the model at performance scale. */
export function makePerfSystem(shape: PerfShape): System {
  return makeSystem(perfConfig(shape), PERF_BOUNDS);
}
