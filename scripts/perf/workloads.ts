/**
 * The workloads, defined once and run unchanged on every system: generators of the calls each thread
 * makes, grouped into units (a request, a FileIO operation, a query) that the throughput counts.
 *
 * - apache: a static web server, one server thread per client connection (ab-style closed loop at a
 *   given concurrency): accept, recv the request, the server's own work, open, fstat, read the file,
 *   send headers and file, close the file, close the connection. The file is read and sent, not
 *   sendfile'd: VirtuOS cannot splice between a storage-domain file and a network-domain socket.
 * - fileio: sysbench FileIO random read/write (rndrw, 1.5 reads per write) of one block size, on files
 *   under /storage that stay in the storage domain's page cache, no fsync.
 * - oltp: a sysbench OLTP-like mix on a MySQL-like server: a query arrives over the network, the server
 *   computes, a quarter of the queries read a 16K page, every tenth writes 16K of log, the result goes
 *   back over the network.
 *
 * Random choices come from a generator seeded by the workload, size and thread, so a point of a series
 * is the same list of calls on every system and in every run.
 */
import type { CostName } from './costs.ts';

export type Domain = 'storage' | 'network';

export interface CallDef {
  domain: Domain;
  /** the call's own kernel work */
  work: CostName;
  /** extra kernel work per byte, if any */
  perByte?: CostName;
  /** the driver-domain baseline sends this call's I/O through the split driver */
  io: boolean;
  /** which way its data is copied: into the kernel, out of it, or none */
  data: 'in' | 'out' | 'none';
}

export const CALLS = {
  accept: { domain: 'network', work: 'workAccept', io: true, data: 'none' },
  recv: { domain: 'network', work: 'workRecv', io: true, data: 'out' },
  send: { domain: 'network', work: 'workSend', perByte: 'netPerByte', io: true, data: 'in' },
  closeSocket: { domain: 'network', work: 'workCloseSocket', io: true, data: 'none' },
  open: { domain: 'storage', work: 'workOpen', io: false, data: 'none' },
  fstat: { domain: 'storage', work: 'workStat', io: false, data: 'out' },
  read: { domain: 'storage', work: 'workRead', io: true, data: 'out' },
  pread: { domain: 'storage', work: 'workRead', io: true, data: 'out' },
  pwrite: { domain: 'storage', work: 'workWrite', io: true, data: 'in' },
  closeFile: { domain: 'storage', work: 'workClose', io: false, data: 'none' },
} as const satisfies Record<string, CallDef>;

export type CallName = keyof typeof CALLS;

export type Op =
  | { kind: 'compute'; what: CostName }
  | {
      kind: 'call';
      call: CallName;
      /** data bytes the call moves (copied in or out, per CALLS[call].data) */
      bytes: number;
      /** 'await': the call waits for the client's next message; 'respond': its bytes go to the client */
      client?: 'await' | 'respond';
    };

export interface Unit {
  ops: Op[];
  /** payload bytes the unit moves (the MB/s of FileIO) */
  bytes: number;
}

export type WorkloadName = 'apache' | 'fileio' | 'oltp';

export interface Workload {
  name: WorkloadName;
  title: string;
  /** what the x axis counts */
  x: 'concurrency' | 'threads';
  metric: 'req/s' | 'MB/s';
  /** sizes of the series (file or block sizes), or [0] for a single series */
  sizes: number[];
  /** x values of the series */
  xs: number[];
  /**
   * Units a point of a series runs: `units` in all, spread over its threads, but at least
   * `perThread` for each thread so that every thread reaches its stride (see Meter.throughput).
   */
  units: number;
  perThread: number;
  /** the i-th unit of a thread */
  unit: (size: number, thread: number, i: number, rng: () => number) => Unit;
}

const HEADERS = 300;

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'apache',
    title: 'Apache-like static web server',
    x: 'concurrency',
    metric: 'req/s',
    sizes: [4096, 8192, 16384],
    xs: [1, 2, 4, 8, 16, 32],
    units: 32,
    perThread: 5,
    unit: (size) => ({
      bytes: size,
      ops: [
        { kind: 'call', call: 'accept', bytes: 0, client: 'await' },
        { kind: 'call', call: 'recv', bytes: 256 },
        { kind: 'compute', what: 'apacheCompute' },
        { kind: 'call', call: 'open', bytes: 0 },
        { kind: 'call', call: 'fstat', bytes: 144 },
        { kind: 'call', call: 'read', bytes: size },
        { kind: 'call', call: 'send', bytes: size + HEADERS, client: 'respond' },
        { kind: 'call', call: 'closeFile', bytes: 0 },
        { kind: 'call', call: 'closeSocket', bytes: 0 },
      ],
    }),
  },
  {
    name: 'fileio',
    title: 'sysbench FileIO, random read/write',
    x: 'threads',
    metric: 'MB/s',
    sizes: [4096, 8192, 16384],
    xs: [1, 2, 4, 8, 16, 32],
    units: 96,
    perThread: 8,
    unit: (size, _t, _i, rng) => ({
      bytes: size,
      ops: [{ kind: 'compute', what: 'sysbenchCompute' }, { kind: 'call', call: rng() < 0.6 ? 'pread' : 'pwrite', bytes: size }],
    }),
  },
  {
    name: 'oltp',
    title: 'sysbench OLTP-like mix',
    x: 'threads',
    metric: 'req/s',
    sizes: [0],
    xs: [1, 2, 4, 8, 16, 32],
    units: 64,
    perThread: 6,
    unit: (_size, _t, i, rng) => {
      const ops: Op[] = [
        { kind: 'call', call: 'recv', bytes: 200, client: 'await' },
        { kind: 'compute', what: 'oltpCompute' },
      ];
      if (rng() < 0.25) ops.push({ kind: 'call', call: 'pread', bytes: 16384 });
      if (i % 10 === 9) ops.push({ kind: 'call', call: 'pwrite', bytes: 16384 });
      ops.push({ kind: 'call', call: 'send', bytes: 1024, client: 'respond' });
      return { bytes: 0, ops };
    },
  },
];

export function workloadByName(name: string): Workload | undefined {
  return WORKLOADS.find((w) => w.name === name);
}

/** mulberry32: a small, well-mixed 32-bit generator; the seed fixes every choice. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The units every thread runs at one point of a series: the same for every system. */
export function generate(w: Workload, size: number, threads: number, unitsPerThread: number, seed: number): Unit[][] {
  const out: Unit[][] = [];
  for (let t = 0; t < threads; t++) {
    const r = rng(hash(`${w.name}/${size}/${t}/${seed}`));
    const units: Unit[] = [];
    for (let i = 0; i < unitsPerThread; i++) units.push(w.unit(size, t, i, r));
    out.push(units);
  }
  return out;
}

/** Units per thread at a point of a series with `threads` threads. */
export function unitsPerThread(w: Workload, threads: number, scale = 1): number {
  return Math.max(w.perThread, Math.ceil((w.units * scale) / threads));
}
