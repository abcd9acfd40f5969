/**
 * Configuration of one model instance: how many of each actor, the sizes of the shared regions,
 * which abstraction level each lock-free object is modelled at, and which seeded bug (if any) is
 * switched on. The real system's constants (454 entries, 1362 ready-queue slots, 4000 PAUSEs, 5000
 * polls, 18 kernel threads) are far beyond what can be explored; every bound here is named, checked
 * and small, and the README states which bound a verdict holds for.
 */

import { checkPosixConfig, checkPosixConsistent, DEFAULT_POSIX, type PosixConfig } from '../posix/config.ts';
import { ProgramError, type Program } from '../posix/program.ts';

export const BUGS = [
  'nostamp',
  'lostwake',
  'waiters-early',
  'free-early',
  'nospawn',
  'woken-unchecked',
  // seeded bugs of the POSIX layer (model/posix/)
  'lowest-free-race',
  'dup2-noclose',
  'fork-shares-table',
  'lost-kick',
  'exec-leaks-cloexec',
  'eintr-after-effect',
  // isolation layer (model/isolation/hypervisor.ts, grant-table.ts, event-channel.ts, primary-domain.ts, network-frontend.ts)
  'iommu-stale',
  'end-access-mapped',
  'wake-writable',
  'notify-unchecked',
  'evtchn-foreign-send',
  'no-quarantine',
  // failure-and-recovery layer (model/recovery/frontend.ts, recovery-client.ts, recovery-backend.ts)
  'no-fail-pending',
  'stale-completion',
  'refcount-leak',
  'storage-waits-network',
  'fsync-early',
  'ring-left-mapped',
  // the composed system's own (model/system/instance.ts, posix/thread.ts, isolation-layout.ts): bugs between layers
  'crash-fails-all-domains',
  'fork-retags-stale',
  'shared-ready-queue',
] as const;
export type Bug = (typeof BUGS)[number];

export interface Config {
  /** user processes in the primary domain, each with its own shared regions and shadow process */
  processes: number;
  /** user-level threads per process (each has one call in flight at most) */
  threads: number;
  /** kernel threads per process that run the user threads (M:N; equal to threads means 1:1) */
  kernelThreads: number;
  /** system calls each user thread issues before it exits */
  calls: number;
  /** request entries per process (the real system has 454) */
  entries: number;
  /** most kernel worker threads a shadow process may have (it starts with initialWorkers) */
  workers: number;
  /** workers each shadow process starts with (the real backend starts one) */
  initialWorkers: number;
  /** DONE checks a caller makes before it sets RQUEUE (the real default is 4000 PAUSEs) */
  spins: number;
  /** empty polls of alloc_top before an idle worker goes to sleep (the real bound is 5000 yields) */
  workerPolls: number;
  /** notify ring capacity (records the frontend has not drained yet) */
  ringCapacity: number;
  /** stamps are kept modulo this (a byte in the SPIN anchor) */
  stampModulus: number;
  /** first call of thread 0 is a recv that blocks in the service domain until thread 1's first call (a send) */
  blockingPair: boolean;
  /** model idle workers sleeping behind WAKE_REQUESTED; off = idle workers block until alloc_top changes */
  wakePath: boolean;
  /** 'ring': workers push notify records that the frontend's notify thread drains; 'direct': the worker wakes sleepers itself */
  notify: 'ring' | 'direct';
  /** 'lockfree': the Michael-Scott queue one memory operation per step; 'atomic': enqueue and dequeue are single steps */
  readyQueue: 'lockfree' | 'atomic';
  /** the seeded bug switched on, or null for the correct model */
  bug: Bug | null;
  /** the POSIX layer (model/posix/): its bounds and program; absent or null = off, the dispatch model alone
   *  (absent by default, so that the dispatch model's configurations and traces are unchanged) */
  posix?: PosixConfig | null;
  /** the isolation layer: hypervisor, primary/storage/network domains, devices; dispatch memory accesses checked */
  isolation: boolean;
  /** the network domain is compromised: adversary actors act with its identity (needs isolation) */
  adversary: boolean;
  /** most steps the adversary takes in one run, all its actors together */
  adversarySteps: number;
  /** processes (the first ones) also registered with the network domain: their ready queues are granted to it */
  networkProcesses: number;
  /** times the network domain may crash and be restarted under a new domain id */
  networkRestarts: number;
  /** the failure-and-recovery layer: fault injector, frontend RUNNING bit and references, backends with incarnations, admin tool, two transfer clients */
  recovery: boolean;
  /** most crashes (of a service domain or its device) the fault injector causes in one run */
  crashes: number;
  /** chunks each recovery client transfers */
  chunks: number;
  /** orderly stops of a running service domain the administrator may make in one run (recovery layer) */
  adminStops: number;
  /** the composed system (absent: off): every layer at once, each service domain with its own dispatch
   *  instance per process, POSIX calls carried by the dispatch machines (see systemConfig) */
  system?: boolean;
  /** how a POSIX remote call travels (absent: 'dispatch' with `system`, else 'rpc'): 'rpc' the atomic
   *  exactly-once request slot of the POSIX layer, 'dispatch' the real request stacks, ready queue and workers */
  transport?: 'rpc' | 'dispatch';
}

/** Bounds a configuration may take; the exploration gets slow well before the upper ends. */
export const BOUNDS: Record<keyof Omit<Config, 'blockingPair' | 'wakePath' | 'notify' | 'readyQueue' | 'bug' | 'posix' | 'isolation' | 'adversary' | 'recovery' | 'system' | 'transport'>, [number, number]> = {
  processes: [1, 3],
  threads: [1, 6],
  kernelThreads: [1, 6],
  calls: [1, 6],
  entries: [1, 8],
  workers: [1, 6],
  initialWorkers: [1, 6],
  spins: [1, 8],
  workerPolls: [1, 8],
  ringCapacity: [1, 8],
  stampModulus: [2, 1 << 20],
  adversarySteps: [1, 64],
  networkProcesses: [0, 3],
  networkRestarts: [0, 2],
  crashes: [0, 3],
  chunks: [1, 4],
  adminStops: [0, 2],
};

/** Field descriptions, used by --help and the generated spec. */
export const CONFIG_DOC: Record<keyof Config, string> = {
  processes: 'user processes in the primary domain (each has its own request area, ready queue and shadow process)',
  threads: 'user-level threads per process',
  kernelThreads: 'kernel threads per process running those user threads (M:N; equal to threads is 1:1)',
  calls: 'remote system calls each thread issues before it exits',
  entries: 'request entries per process (454 in VirtuOS)',
  workers: 'most kernel worker threads per shadow process',
  initialWorkers: 'workers a shadow process starts with (1 in VirtuOS)',
  spins: 'DONE checks before a caller sets RQUEUE (4000 PAUSEs in VirtuOS)',
  workerPolls: 'empty polls before an idle worker sets WAKE_REQUESTED and sleeps (5000 in VirtuOS)',
  ringCapacity: 'notify ring slots',
  stampModulus: 'stamps of {index, stamp} pointers wrap at this value',
  blockingPair: "thread 0's first call is a recv that blocks until thread 1's first call, a send",
  wakePath: 'idle workers sleep behind WAKE_REQUESTED and callers wake them through the frontend',
  notify: "'ring': notify records drained by the frontend's notify thread; 'direct': the worker wakes sleepers itself",
  readyQueue: "'lockfree': Michael-Scott queue, one memory operation per step; 'atomic': one step per enqueue/dequeue",
  bug: 'seeded bug switched on (null: the correct model)',
  posix: 'the POSIX layer: null (off) or {threads, forks, calls, descriptors, fileBytes, program}; see docs/posix.md',
  isolation: 'the isolation layer: hypervisor, domains, devices, grant tables and event channels; every dispatch memory access checked',
  adversary: 'the network domain is compromised: any hypercall, memory write, DMA or notify record it can issue (needs isolation)',
  adversarySteps: 'most adversary steps per run',
  networkProcesses: 'processes (the first ones) also registered with the network domain',
  networkRestarts: 'times the network domain may crash and be restarted under a new domain id',
  recovery: 'the failure-and-recovery layer: service domains crash (fault injector), the frontend fails calls and tears down, the admin tool cleans and restarts them',
  crashes: 'most crashes of a service domain or its device per run (recovery layer)',
  chunks: 'chunks each client of the recovery layer transfers',
  adminStops: "orderly stops of a running service domain by the administrator per run (recovery layer): the backend unregisters, storage syncs, the frontend is told; then clean and start as after a crash",
  system:
    'the composed system: POSIX programs whose remote calls run through the dispatch machines of the storage or the network domain (one request area, ready queue and shadow process per process and domain), ' +
    'on the hypervisor with the compromised network domain, with crashes and restarts; processes, threads, calls and networkProcesses are then derived from posix',
  transport: "how a POSIX remote call travels: 'dispatch' (the request stacks, ready queue and workers of the domain, one memory operation per step; the default with system) or 'rpc' (one request slot served atomically; faster, and the default of the POSIX layer alone)",
};

export const DEFAULT_CONFIG: Config = {
  processes: 1,
  threads: 3,
  kernelThreads: 2,
  calls: 2,
  entries: 2,
  workers: 2,
  initialWorkers: 1,
  spins: 1,
  workerPolls: 1,
  ringCapacity: 2,
  stampModulus: 256,
  blockingPair: true,
  wakePath: true,
  notify: 'ring',
  readyQueue: 'lockfree',
  bug: null,
  isolation: false,
  adversary: false,
  adversarySteps: 24,
  networkProcesses: 0,
  networkRestarts: 1,
  recovery: false,
  crashes: 1,
  chunks: 2,
  adminStops: 0,
};

/**
 * The configuration of the independent SPIN model in shared/anchors (NC callers x NR calls x NENT
 * entries x NW workers x SPINS): 1:1 threads, all workers present from the start, no wake path, the
 * worker notifying sleepers directly, an atomic ready queue.
 */
export function anchorConfig(nc: number, nr: number, nent = 2, nw = 2, spins = 1, bug: Bug | null = null): Config {
  return {
    ...DEFAULT_CONFIG,
    processes: 1,
    threads: nc,
    kernelThreads: nc,
    calls: nr,
    entries: nent,
    workers: nw,
    initialWorkers: nw,
    spins,
    blockingPair: false,
    wakePath: false,
    notify: 'direct',
    readyQueue: 'atomic',
    bug,
  };
}

export class ConfigError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`config field '${field}': ${problem}`);
  }
}

/** Validate an untrusted object (a --config file) into a Config, naming the first bad field. */
export function parseConfig(raw: unknown, base: Config = DEFAULT_CONFIG): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('(top)', 'must be a JSON object');
  const out: Config = { ...base };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(key in CONFIG_DOC)) throw new ConfigError(key, `unknown field (known: ${Object.keys(CONFIG_DOC).join(', ')})`);
    const k = key as keyof Config;
    if (k in BOUNDS) {
      const [lo, hi] = BOUNDS[k as keyof typeof BOUNDS];
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new ConfigError(key, `must be an integer, got ${JSON.stringify(value)}`);
      // calls may be derived beyond the dispatch model's range (systemCalls); checkConsistent judges it then
      if (value < lo || (value > hi && k !== 'calls')) throw new ConfigError(key, `${value} is out of range ${lo}..${hi}`);
      (out as unknown as Record<string, unknown>)[k] = value;
    } else if (k === 'blockingPair' || k === 'wakePath' || k === 'isolation' || k === 'adversary' || k === 'recovery') {
      if (typeof value !== 'boolean') throw new ConfigError(key, `must be true or false, got ${JSON.stringify(value)}`);
      out[k] = value;
    } else if (k === 'notify') {
      if (value !== 'ring' && value !== 'direct') throw new ConfigError(key, `must be "ring" or "direct", got ${JSON.stringify(value)}`);
      out.notify = value;
    } else if (k === 'readyQueue') {
      if (value !== 'lockfree' && value !== 'atomic') throw new ConfigError(key, `must be "lockfree" or "atomic", got ${JSON.stringify(value)}`);
      out.readyQueue = value;
    } else if (k === 'bug') {
      if (value !== null && !(BUGS as readonly unknown[]).includes(value)) throw new ConfigError(key, `must be null or one of ${BUGS.join(', ')}, got ${JSON.stringify(value)}`);
      out.bug = value as Bug | null;
    } else if (k === 'system') {
      if (typeof value !== 'boolean') throw new ConfigError(key, `must be true or false, got ${JSON.stringify(value)}`);
      out.system = value;
    } else if (k === 'transport') {
      if (value !== 'rpc' && value !== 'dispatch') throw new ConfigError(key, `must be "rpc" or "dispatch", got ${JSON.stringify(value)}`);
      out.transport = value;
    } else if (k === 'posix') {
      try {
        out.posix = value === null ? null : checkPosixConfig(value);
      } catch (e) {
        if (e instanceof ProgramError) throw new ConfigError(e.field, e.problem);
        throw e;
      }
    }
  }
  // the recovery layer runs on the isolation layer's hypervisor: switching it on switches that on too
  if (out.recovery && !('isolation' in (raw as Record<string, unknown>)) && !base.isolation) out.isolation = true;
  const composed = out.system || (out.posix && out.transport === 'dispatch') ? withDispatchShape(out, raw as Record<string, unknown>) : out;
  checkConsistent(composed);
  return composed;
}

/** The composed system's POSIX bounds when none are given: P1 with two threads, one child, three calls each. */
export const SYSTEM_POSIX: PosixConfig = { ...DEFAULT_POSIX, calls: 3 };

/**
 * Requests one thread may carry to one service domain in the composed system (its `calls`): a call
 * sends at most one request to a domain, except dup2 (the close of the replaced descriptor and the
 * dup) and exec (the close of every close-on-exec descriptor).
 */
export const systemCalls = (c: PosixConfig) => c.calls * Math.max(2, c.descriptors);

/** The fields derived from the POSIX bounds when POSIX calls travel through the dispatch machines (they cannot be set then). */
export const DISPATCH_DERIVED = ['processes', 'threads', 'calls', 'blockingPair'] as const;

/**
 * The dispatch shape of POSIX calls carried by the dispatch machines, derived from the POSIX bounds:
 * a process per program process (P1 and its children), as many threads as P1 has, `systemCalls`
 * requests per thread and domain, and no scripted recv/send pair (the program makes its own); in the
 * composed system also every process registered with both service domains and every layer on. Kernel
 * threads default to one per thread (1:1) unless `raw` sets them.
 */
function withDispatchShape(cfg: Config, raw: Record<string, unknown>): Config {
  const posix = cfg.posix ?? { ...SYSTEM_POSIX };
  const processes = 1 + posix.forks;
  const out: Config = { ...cfg, posix, processes, threads: posix.threads, calls: systemCalls(posix), blockingPair: false };
  if (cfg.system) out.networkProcesses = processes;
  // a derived field may be given (a trace records every field) but only with its derived value
  for (const k of [...DISPATCH_DERIVED, ...(cfg.system ? ['networkProcesses' as const] : [])])
    if (k in raw && raw[k] !== out[k])
      throw new ConfigError(k, `is derived from posix when POSIX calls travel through the dispatch machines (${cfg.system ? 'system: true' : "transport: 'dispatch'"}): it must be ${out[k]}, got ${JSON.stringify(raw[k])}`);
  if (!('kernelThreads' in raw)) out.kernelThreads = posix.threads;
  if (cfg.system) {
    for (const k of ['isolation', 'recovery', 'adversary'] as const) if (!(k in raw)) out[k] = true;
  }
  return out;
}

/**
 * The composed system at the size exhaustive mode explores (random mode generates a program per run;
 * an exhaustive search needs one): P1 with one thread that reads its storage descriptor and polls its
 * network and storage descriptors, one kernel thread and one worker per dispatch process, one chunk per
 * recovery client, a crash, two adversary steps.
 */
export function composedExhaustiveConfig(base: Config): Config {
  const program: Program = {
    restart: false,
    threads: [
      [
        { call: 'read', fd: 1, n: 1 },
        { call: 'poll', fds: [0, 1], timeout: false },
      ],
    ],
  };
  const { posix: _p, system: _s, transport: _t, ...rest } = base;
  return systemConfig({ ...rest, posix: { threads: 1, forks: 0, calls: 2, descriptors: 3, fileBytes: 1, program }, kernelThreads: 1, workers: 1, initialWorkers: 1, chunks: 1, adversarySteps: 2, crashes: 1 });
}

/** The depth exhaustive mode explores the composed system to unless --max-depth says otherwise. */
export const COMPOSED_EXHAUSTIVE_DEPTH = 8;

/** The composed system over `base`'s other fields: every layer on (virtuos verify --system, npm run verify). */
export function systemConfig(base: Config = DEFAULT_CONFIG): Config {
  const { posix, ...rest } = base;
  return withDispatchShape({ ...rest, system: true, ...(posix ? { posix } : {}) }, {});
}

/**
 * Cross-field rules: each names the field it blames. `bounds` are the exploration bounds unless a
 * caller that never explores (the performance model) passes its own, separately validated ones.
 */
export function checkConsistent(c: Config, bounds: typeof BOUNDS = BOUNDS): void {
  for (const [k, [lo, hi]] of Object.entries(bounds)) {
    // derived from posix (systemCalls), beyond the dispatch model's own range; the composed system derives it even when
    // its calls travel by RPC (transport 'rpc'), which has no dispatch actors to use it
    if (k === 'calls' && (transportOf(c) === 'dispatch' || (c.system && c.posix))) continue;
    const v = c[k as keyof typeof BOUNDS];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new ConfigError(k, `${v} is out of range ${lo}..${hi}`);
  }
  if (c.kernelThreads > c.threads) throw new ConfigError('kernelThreads', `${c.kernelThreads} exceeds threads (${c.threads}); M:N needs at most one kernel thread per user thread`);
  if (c.initialWorkers > c.workers) throw new ConfigError('initialWorkers', `${c.initialWorkers} exceeds workers (${c.workers})`);
  if (c.blockingPair && c.threads < 2) throw new ConfigError('blockingPair', 'needs at least 2 threads (a recv in thread 0 and a send in thread 1)');
  if (c.blockingPair && c.workers < 2 && c.bug !== 'nospawn') throw new ConfigError('blockingPair', 'needs workers >= 2: a blocked recv occupies one worker while the send needs another');
  if (c.blockingPair && c.entries < 2) throw new ConfigError('blockingPair', 'needs entries >= 2: a blocked recv holds one entry while the send needs another');
  if (c.posix) {
    try {
      checkPosixConsistent(c.posix);
    } catch (e) {
      if (e instanceof ProgramError) throw new ConfigError(e.field, e.problem);
      throw e;
    }
  }
  if (transportOf(c) === 'dispatch') checkDispatchShape(c);
  if (c.system) checkSystem(c);
  else {
    if (c.posix && c.isolation) throw new ConfigError('posix', 'the POSIX layer and the isolation layer are switched on together only in the composed system (system: true)');
    if (c.posix && c.recovery) throw new ConfigError('posix', 'the POSIX layer and the recovery layer are switched on together only in the composed system (system: true)');
  }
  if (c.transport !== undefined && !c.posix) throw new ConfigError('transport', 'says how POSIX calls travel and needs the POSIX layer (posix) on');
  if (c.adversary && !c.isolation) throw new ConfigError('adversary', 'needs isolation: true (the adversary acts through the hypervisor and devices of the isolation layer)');
  if (c.isolation && c.notify !== 'ring') throw new ConfigError('notify', "must be 'ring' with isolation: a worker in the service domain cannot wake primary-domain threads directly");
  if (c.isolation && c.readyQueue !== 'lockfree')
    throw new ConfigError('readyQueue', "must be 'lockfree' with isolation: the atomic abstraction trusts its length word, which a compromised domain mapping the queue may overwrite");
  if (c.networkProcesses > c.processes) throw new ConfigError('networkProcesses', `${c.networkProcesses} exceeds processes (${c.processes})`);
  if (c.bug !== null && ISOLATION_BUGS.includes(c.bug) && !c.isolation) throw new ConfigError('bug', `${c.bug} is a bug of the isolation layer and needs isolation: true`);
  if (c.recovery && !c.isolation) throw new ConfigError('isolation', "must be true with recovery: the recovery layer runs on the isolation layer's hypervisor, grant tables and event channels");
  if (c.bug !== null && RECOVERY_BUGS.includes(c.bug) && !c.recovery) throw new ConfigError('bug', `${c.bug} is a bug of the recovery layer and needs recovery: true`);
}

/** POSIX calls through the dispatch machines: the dispatch shape is the one derived from the POSIX bounds. */
function checkDispatchShape(c: Config): void {
  const p = c.posix!;
  const derived: Partial<Config> = { processes: 1 + p.forks, threads: p.threads, calls: systemCalls(p), blockingPair: false, ...(c.system ? { networkProcesses: 1 + p.forks } : {}) };
  for (const [k, v] of Object.entries(derived)) if (c[k as keyof Config] !== v) throw new ConfigError(k, `must be ${v} when POSIX calls travel through the dispatch machines (derived from posix), got ${JSON.stringify(c[k as keyof Config])}`);
}

/** The composed system's own rules: every layer on. */
function checkSystem(c: Config): void {
  if (!c.posix) throw new ConfigError('posix', 'must be set with system: true (the composed system runs POSIX programs)');
  if (!c.isolation) throw new ConfigError('isolation', 'must be true with system: true (the composed system runs on the hypervisor)');
  if (!c.recovery) throw new ConfigError('recovery', 'must be true with system: true (crashes and restarts are part of the composed system; crashes: 0 switches them off)');
}

/** How POSIX remote calls travel in `c` (null: the POSIX layer is off). */
export const transportOf = (c: Config): 'rpc' | 'dispatch' | null => (c.posix ? (c.transport ?? (c.system ? 'dispatch' : 'rpc')) : null);

/** Seeded bugs that live in the failure-and-recovery layer. */
export const RECOVERY_BUGS: readonly Bug[] = ['no-fail-pending', 'stale-completion', 'refcount-leak', 'storage-waits-network', 'fsync-early', 'ring-left-mapped'];

/**
 * Seeded bugs that live between the layers of the composed system. They may be switched on in any
 * configuration: outside the composed system the code they break is not reached, which is what shows
 * that only the composed system can catch them (tests/system.test.ts).
 */
export const SYSTEM_BUGS: readonly Bug[] = ['crash-fails-all-domains', 'fork-retags-stale', 'shared-ready-queue'];

/** Seeded bugs that live in the isolation layer. */
export const ISOLATION_BUGS: readonly Bug[] = ['iommu-stale', 'end-access-mapped', 'wake-writable', 'notify-unchecked', 'evtchn-foreign-send', 'no-quarantine'];

/** The isolation layer's own fields. */
const ISOLATION_FIELDS = ['isolation', 'adversary', 'adversarySteps', 'networkProcesses', 'networkRestarts'] as const;

/**
 * The configuration as printed and recorded in traces: while the isolation or recovery layer is off,
 * its fields are left out when they hold their defaults, so that the dispatch model's output and traces read as
 * they did before the layer existed (a missing field reads back as its default).
 */
export function shownConfig(c: Config): Partial<Config> {
  const out: Partial<Config> = { ...c };
  if (!c.isolation) for (const k of ISOLATION_FIELDS) if (out[k] === DEFAULT_CONFIG[k]) delete out[k];
  if (!c.recovery) for (const k of RECOVERY_FIELDS) if (out[k] === DEFAULT_CONFIG[k]) delete out[k];
  return out;
}

/** The recovery layer's own fields, left out the same way while that layer is off. */
const RECOVERY_FIELDS = ['recovery', 'crashes', 'chunks', 'adminStops'] as const;
