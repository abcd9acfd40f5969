/**
 * The cycle-cost parameter table of the performance model: one row per kind of cost, each with its
 * unit, its source and an uncertainty range. The performance model (scripts/perf/) reads every
 * cost it charges from here: the cost of each model step (memory operations, cache-line transfers,
 * CAS, PAUSE, traps, hypercalls, event-channel notifications, switches, copies), each system call's
 * own work and indirect cost, the machine (vCPUs per domain) and the workloads' environment (client
 * round trip, link bandwidth, application compute). The sensitivity analysis varies each row over its
 * range.
 *
 * Sources: a value taken from VIRTUOS.md, from the released VirtuOS code or from a cited paper says
 * so; every other value is marked "assumed" and its range is meant to cover what 2013-era x86 servers
 * show. Times are in cycles of one core; `cyclesPerUs` converts them to seconds for the reports.
 */
export interface CostParam {
  /** identifier used by the simulation, e.g. 'hypercall' */
  name: string;
  /** nominal value */
  value: number;
  unit: 'cycles' | 'cycles/byte' | 'cycles/call' | 'bytes' | 'vcpus' | 'count';
  /** a cited paper or measurement, or "assumed" */
  source: string;
  /** uncertainty range [low, high], used by the sensitivity analysis */
  range: [number, number];
  description: string;
}

type Row = Omit<CostParam, 'name'>;
const row = (value: number, unit: CostParam['unit'], range: [number, number], source: string, description: string): Row => ({ value, unit, range, source, description });

const FLEXSC = 'FlexSC (Soares and Stumm, OSDI 2010), via VIRTUOS.md';
const ASSUMED_LMBENCH = 'assumed, of the order lmbench-style microbenchmarks report for this call';

const TABLE = {
  // the machine
  cyclesPerUs: row(3000, 'count', [2400, 3600], 'assumed (a 2.4-3.6 GHz server core)', 'core clock: cycles per microsecond; converts cycles to seconds in the reports'),
  primaryVcpus: row(8, 'vcpus', [4, 16], 'assumed', 'vCPUs of the primary domain (and the cores the Linux baseline runs on)'),
  storageVcpus: row(4, 'vcpus', [1, 8], 'assumed', 'vCPUs of the storage domain (and of the storage driver domain in that baseline)'),
  networkVcpus: row(4, 'vcpus', [1, 8], 'assumed', 'vCPUs of the network domain (and of the network driver domain in that baseline)'),
  timeslice: row(3_000_000, 'cycles', [1_000_000, 12_000_000], 'assumed (of the order of the Linux CFS minimum granularity)', 'preemption quantum when several threads want one vCPU'),

  // memory and synchronisation
  memOp: row(4, 'cycles', [3, 8], 'Intel 64 and IA-32 Optimization Reference Manual (L1 hit: 4-5 cycles)', 'a load or store that hits the local cache, per cache line a step touches'),
  lineTransfer: row(100, 'cycles', [60, 300], 'VIRTUOS.md (order of 100 cycles); up to ~3x across sockets (David, Guerraoui, Trigonakis, SOSP 2013)', 'moving a cache line from another core (read miss or invalidation for a write)'),
  atomic: row(20, 'cycles', [15, 50], 'Agner Fog, instruction tables (LOCK CMPXCHG about 20 cycles on 2011-2013 Intel cores)', 'a locked CAS, XCHG or atomic add, on top of the line access'),
  pause: row(10, 'cycles', [5, 140], 'Intel Optimization Reference Manual (about 10 cycles before Skylake, about 140 on Skylake)', 'one PAUSE in the caller\'s spin loop'),
  spinPauses: row(4000, 'count', [1000, 16000], 'VirtuOS code (libc-sclib default), via VIRTUOS.md', 'PAUSEs a caller spins on DONE before it sets RQUEUE and parks'),
  yield: row(300, 'cycles', [150, 1000], 'assumed', 'one iteration of an idle worker\'s poll loop (check alloc_top, yield with nothing else to run)'),
  pollYields: row(5000, 'count', [1000, 20000], 'VirtuOS code (backend.c), via VIRTUOS.md', 'yields an idle worker polls before it sets WAKE_REQUESTED and sleeps'),

  // kernel entry and scheduling
  trap: row(150, 'cycles', [100, 250], `${FLEXSC}: direct mode-switch cost of 100-200 cycles`, 'system call trap into the kernel and back (direct cost)'),
  indirect: row(4000, 'cycles', [1000, 12000], `${FLEXSC}: user IPC stays degraded for thousands of cycles after a call; the value is assumed within that order`, 'indirect cost of a trap on the calling core: cache and TLB pollution'),
  serviceIndirect: row(1000, 'cycles', [0, 4000], 'assumed (FlexSC\'s locality argument: a core that only runs system calls keeps kernel state warm)', 'residual pollution per call on a service-domain core'),
  contextSwitch: row(2500, 'cycles', [1500, 6000], 'assumed (lmbench lat_ctx-style measurements: about a microsecond)', 'kernel context switch: a thread sleeps or is woken into a vCPU'),
  wakeup: row(1000, 'cycles', [500, 3000], 'assumed', 'waking one sleeping kernel thread (wait queue, try_to_wake_up)'),
  mnSwitch: row(200, 'cycles', [100, 500], 'assumed', 'user-level (M:N) thread switch in libc-sclib\'s scheduler'),
  threadSpawn: row(60_000, 'cycles', [20_000, 200_000], 'assumed', 'creating a kernel worker thread in a shadow process'),

  // virtualisation
  hypercall: row(1500, 'cycles', [1000, 2000], 'VIRTUOS.md (a VM exit or hypercall round trip: 1,000-2,000 cycles direct)', 'a hypercall, e.g. an event-channel send'),
  eventInject: row(2000, 'cycles', [1000, 5000], 'assumed (virtual interrupt injection plus the guest handler\'s entry and exit)', 'CPU cost on the target vCPU of taking an event-channel notification'),
  eventLatency: row(1500, 'cycles', [500, 5000], 'assumed', 'delivery delay of a notification to a running vCPU (wall time, not CPU)'),
  haltWake: row(15_000, 'cycles', [6000, 60_000], 'VIRTUOS.md ("microseconds when the target vCPU has to be woken"); the value is assumed', 'time a halted (idle) vCPU takes to wake before what woke it can run there (wall time)'),
  backendWork: row(3000, 'cycles/call', [1500, 8000], 'assumed', 'driver-domain baseline: split-driver backend processing per request (blkback/netback)'),
  grantCopy: row(0.3, 'cycles/byte', [0.1, 1], 'assumed', 'driver-domain baseline: grant copy of request data per byte'),

  // copies
  copy: row(0.25, 'cycles/byte', [0.1, 1], 'assumed (memcpy at about 12 GB/s in cache)', 'copying one byte (VirtuOS copies twice: user buffer to shared area, shared area to kernel)'),

  // each system call's own work (kernel code, the same in every system)
  workAccept: row(10_000, 'cycles/call', [5000, 20_000], ASSUMED_LMBENCH, 'accept of a new TCP connection'),
  workRecv: row(3000, 'cycles/call', [1500, 6000], ASSUMED_LMBENCH, 'recv of a small message'),
  workSend: row(5000, 'cycles/call', [2500, 10_000], ASSUMED_LMBENCH, 'send or writev on a TCP socket (plus netPerByte)'),
  netPerByte: row(0.3, 'cycles/byte', [0.1, 1], 'assumed (TCP segmentation and checksums mostly offloaded)', 'protocol processing per byte sent'),
  workOpen: row(5000, 'cycles/call', [2500, 10_000], ASSUMED_LMBENCH, 'open of a file (path lookup)'),
  workStat: row(1200, 'cycles/call', [600, 2500], ASSUMED_LMBENCH, 'fstat of an open file'),
  workRead: row(1500, 'cycles/call', [800, 3000], ASSUMED_LMBENCH, 'read or pread from the page cache (copies are charged separately)'),
  workWrite: row(2500, 'cycles/call', [1200, 5000], ASSUMED_LMBENCH, 'write or pwrite into the page cache (copies are charged separately)'),
  workClose: row(1500, 'cycles/call', [800, 3000], ASSUMED_LMBENCH, 'close of a file'),
  workCloseSocket: row(8000, 'cycles/call', [4000, 16_000], ASSUMED_LMBENCH, 'close of a TCP connection'),

  // the workloads' environment
  apacheCompute: row(40_000, 'cycles/call', [20_000, 80_000], 'assumed', 'Apache user-level work per request (parse, headers, logging)'),
  oltpCompute: row(120_000, 'cycles/call', [60_000, 240_000], 'assumed', 'MySQL user-level work per OLTP query'),
  sysbenchCompute: row(2000, 'cycles/call', [1000, 5000], 'assumed', 'sysbench user-level work per FileIO request'),
  clientRtt: row(90_000, 'cycles', [30_000, 300_000], 'assumed (a LAN round trip plus the client\'s turnaround, 30 us)', 'from a response leaving the server to the client\'s next request arriving'),
  linkBandwidth: row(1250, 'bytes', [125, 1250], 'assumed (10 Gb/s Ethernet; 1 Gb/s at the low end)', 'network link bandwidth in bytes per microsecond'),
  socketBuffer: row(262_144, 'bytes', [65_536, 4_194_304], 'assumed (Linux tcp_wmem sizes)', 'bytes a sender may have queued for the link before a send blocks'),
} satisfies Record<string, Row>;

export type CostName = keyof typeof TABLE;

export const COST_PARAMS: readonly CostParam[] = Object.entries(TABLE).map(([name, r]) => ({ name, ...r }));

/** Values by name: the nominal table, or a table with some values replaced. */
export type Costs = Readonly<Record<CostName, number>>;

export function nominalCosts(): Costs {
  return Object.fromEntries(COST_PARAMS.map((p) => [p.name, p.value])) as Costs;
}

export function isCostName(name: string): name is CostName {
  return Object.hasOwn(TABLE, name);
}
