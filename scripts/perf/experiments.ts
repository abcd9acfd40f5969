/**
 * The experiments `virtuos perf` runs, and what it reports from them:
 *
 * - the series: each workload's throughput against concurrency or threads, per size, for VirtuOS,
 *   Linux and the driver domain, with latency per call kind and where the cycles go at one point;
 * - service-domain vCPUs: one point with 1, 2, 4 and 8 vCPUs per service domain (and driver domain);
 * - spinning: VirtuOS at that point with the caller's spin as in VirtuOS and with spinning off;
 * - the paper's qualitative claims, judged on those numbers;
 * - the sensitivity analysis: every parameter of the cost table at the ends of its range, ranked by
 *   how much it moves VirtuOS's throughput relative to Linux at a point of each workload.
 *
 * Each experiment first says which timed runs it needs (jobs), then reads their summaries: the runs
 * are independent, so all of them are collected, equal ones merged, and run together (on worker
 * threads if asked). Everything is deterministic: the same seed and parameters give the same numbers.
 */
import { COST_PARAMS, type CostName, type Costs } from './costs.ts';
import { KINDS, type Kind } from './charge.ts';
import { SPIN_CHECKS } from './perf-config.ts';
import { jobKey, runJob, type RunJob, type RunSummary } from './jobs.ts';
import { Runs } from './runs.ts';
import { planRecovery, type RecoveryReport } from './recovery.ts';
import { SYSTEMS, type SystemName } from './run.ts';
import { unitsPerThread, type CallName, type Workload, type WorkloadName } from './workloads.ts';

export interface Point {
  x: number;
  value: number;
}

export interface Series {
  system: SystemName;
  /** file or block size in bytes, or 0 */
  size: number;
  points: Point[];
}

export interface Detail {
  size: number;
  x: number;
  systems: Record<
    SystemName,
    {
      value: number;
      latencyUs: Partial<Record<CallName, number>>;
      /** cycles per unit (request, operation, query) by kind, and their share of the total */
      cyclesPerUnit: Partial<Record<Kind, number>>;
      share: Partial<Record<Kind, number>>;
      utilisation: Record<string, number>;
      /** VirtuOS: traps, hypercalls, notifications, parks... per remote call */
      perCall: Record<string, number>;
    }
  >;
}

export interface WorkloadReport {
  type: 'workload';
  workload: WorkloadName;
  title: string;
  x: Workload['x'];
  metric: Workload['metric'];
  series: Series[];
  detail: Detail;
  /** VirtuOS against Linux and against the driver domain: the range of ratios over the series */
  ratios: { linux: [number, number]; driver: [number, number] };
  /** VirtuOS model steps executed for the series */
  modelSteps: number;
}

export interface VcpuReport {
  type: 'service-vcpus';
  workload: WorkloadName;
  size: number;
  x: number;
  rows: { vcpus: number; virtuos: number; linux: number; driver: number }[];
}

export interface SpinReport {
  type: 'spinning';
  workload: WorkloadName;
  size: number;
  x: number;
  rows: { spin: 'on' | 'off'; pauses: number; value: number; notificationsPerCall: number; parksPerCall: number; meanLatencyUs: number }[];
}

export interface Claim {
  claim: string;
  verdict: 'reproduced' | 'partly' | 'not reproduced';
  evidence: string;
}

export interface SensitivityRow {
  param: CostName;
  low: number;
  high: number;
  /** VirtuOS/Linux throughput ratio per workload at the low and high ends */
  ratios: Partial<Record<WorkloadName, [number, number]>>;
  /** the largest change of a ratio over the range, in percentage points */
  influence: number;
}

export interface SensitivityReport {
  type: 'sensitivity';
  metric: string;
  points: { workload: WorkloadName; size: number; x: number; units: number; nominal: number }[];
  rows: SensitivityRow[];
  runs: number;
}

/** How much each point runs: units per thread from the workload's table, times `units`. */
export interface Scale {
  /** fraction of each workload's units per point (each thread still runs its minimum) */
  units: number;
  /** x values to run (all when null) */
  xs: number[] | null;
}

export const FULL: Scale = { units: 1, xs: null };

const valueOf = (w: Workload, r: RunSummary) => (w.metric === 'MB/s' ? r.bytesPerSec / 1e6 : r.unitsPerSec);

/** Each workload's point for the details, the vCPU sweep, the spinning check and the sensitivity. */
export const HEADLINE: Record<WorkloadName, { size: number; x: number }> = {
  apache: { size: 8192, x: 8 },
  fileio: { size: 8192, x: 8 },
  oltp: { size: 0, x: 8 },
};

/** Threads at the sensitivity analysis's points: fewer than the headline's, to keep 2 x 40 parameters fast. */
export const SENSITIVITY_THREADS = 4;

export interface Plan {
  workloads: readonly Workload[];
  costs: Costs;
  seed: number;
  scale: Scale;
  sensitivity: boolean;
}

function job(w: Workload, system: SystemName, size: number, threads: number, p: { costs: Costs; seed: number; scale: Scale }, spins?: number): RunJob {
  return { system, workload: w.name, size, threads, perThread: unitsPerThread(w, threads, p.scale.units), seed: p.seed, costs: p.costs, ...(spins ? { spins } : {}) };
}

function detailOf(w: Workload, size: number, x: number, runs: Record<SystemName, RunSummary>): Detail {
  const systems = {} as Detail['systems'];
  for (const sys of SYSTEMS) {
    const r = runs[sys];
    const total = KINDS.reduce((a, k) => a + r.cycles[k], 0);
    const cyclesPerUnit: Partial<Record<Kind, number>> = {};
    const share: Partial<Record<Kind, number>> = {};
    for (const k of KINDS) {
      if (r.cycles[k] === 0) continue;
      cyclesPerUnit[k] = r.cycles[k] / r.unitsDone;
      share[k] = r.cycles[k] / total;
    }
    const calls = r.counts.calls ?? 0;
    const perCall: Record<string, number> = {};
    if (calls > 0) for (const [k, n] of Object.entries(r.counts)) if (k !== 'calls') perCall[k] = n / calls;
    systems[sys] = { value: valueOf(w, r), latencyUs: r.latencyUs, cyclesPerUnit, share, utilisation: r.utilisation, perCall };
  }
  return { size, x, systems };
}

function xsOf(w: Workload, scale: Scale): number[] {
  return scale.xs ? w.xs.filter((x) => scale.xs!.includes(x)) : w.xs;
}

function planWorkload(runs: Runs, w: Workload, p: Plan): () => WorkloadReport {
  const keys = new Map<string, string>();
  const k = (s: SystemName, size: number, x: number) => `${s}/${size}/${x}`;
  const xs = xsOf(w, p.scale);
  const head = HEADLINE[w.name];
  const detailAt = { size: w.sizes.includes(head.size) ? head.size : w.sizes[0], x: xs.includes(head.x) ? head.x : xs[Math.floor(xs.length / 2)] };
  for (const size of w.sizes) for (const x of xs) for (const s of SYSTEMS) keys.set(k(s, size, x), runs.want(job(w, s, size, x, p)));
  return () => {
    const series: Series[] = [];
    let modelSteps = 0;
    const ratios = { linux: [Infinity, -Infinity] as [number, number], driver: [Infinity, -Infinity] as [number, number] };
    for (const size of w.sizes) {
      for (const s of SYSTEMS) series.push({ system: s, size, points: xs.map((x) => ({ x, value: valueOf(w, runs.get(keys.get(k(s, size, x))!)) })) });
      for (const x of xs) {
        const v = runs.get(keys.get(k('virtuos', size, x))!);
        modelSteps += v.modelSteps;
        for (const other of ['linux', 'driver'] as const) {
          const q = valueOf(w, v) / valueOf(w, runs.get(keys.get(k(other, size, x))!));
          ratios[other] = [Math.min(ratios[other][0], q), Math.max(ratios[other][1], q)];
        }
      }
    }
    const at = Object.fromEntries(SYSTEMS.map((s) => [s, runs.get(keys.get(k(s, detailAt.size, detailAt.x))!)])) as Record<SystemName, RunSummary>;
    return { type: 'workload', workload: w.name, title: w.title, x: w.x, metric: w.metric, series, detail: detailOf(w, detailAt.size, detailAt.x, at), ratios, modelSteps };
  };
}

/**
 * Units per thread of the vCPU sweep and the spinning check: more than the series' points, because
 * their differences are smaller than a short run's variation (12 per thread keeps it under 2%).
 */
export const CHECK_PER_THREAD = 12;

function checkJob(w: Workload, system: SystemName, p: Plan, costs: Costs, spins?: number): RunJob {
  const { size, x } = HEADLINE[w.name];
  const perThread = p.scale.units >= 1 ? CHECK_PER_THREAD : w.perThread;
  return { system, workload: w.name, size, threads: x, perThread, seed: p.seed, costs, ...(spins ? { spins } : {}) };
}

function planVcpus(runs: Runs, w: Workload, p: Plan, counts = [1, 2, 4, 8]): () => VcpuReport {
  const { size, x } = HEADLINE[w.name];
  const keys = counts.map((n) => SYSTEMS.map((s) => runs.want(checkJob(w, s, p, { ...p.costs, storageVcpus: n, networkVcpus: n }))));
  return () => ({
    type: 'service-vcpus',
    workload: w.name,
    size,
    x,
    rows: counts.map((n, i) => ({ vcpus: n, ...(Object.fromEntries(SYSTEMS.map((s, j) => [s, valueOf(w, runs.get(keys[i][j]))])) as Record<SystemName, number>) })),
  });
}

function planSpinning(runs: Runs, w: Workload, p: Plan): () => SpinReport {
  const { size, x } = HEADLINE[w.name];
  const settings = [
    { spin: 'on' as const, costs: p.costs, spins: SPIN_CHECKS },
    { spin: 'off' as const, costs: { ...p.costs, spinPauses: 1 }, spins: 1 },
  ];
  const keys = settings.map((st) => runs.want(checkJob(w, 'virtuos', p, st.costs, st.spins)));
  return () => ({
    type: 'spinning',
    workload: w.name,
    size,
    x,
    rows: settings.map((st, i) => {
      const r = runs.get(keys[i]);
      const calls = r.counts.calls ?? 1;
      const lat = Object.values(r.latencyUs) as number[];
      return {
        spin: st.spin,
        pauses: st.costs.spinPauses,
        value: valueOf(w, r),
        notificationsPerCall: (r.counts.notifications ?? 0) / calls,
        parksPerCall: (r.counts.parks ?? 0) / calls,
        meanLatencyUs: lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length),
      };
    }),
  });
}

/** Units per thread at the sensitivity analysis's points (few threads, no contention: short runs are stable). */
export const SENSITIVITY_PER_THREAD = 3;

/** Costs whose reads are recorded: which parameters a run reads. */
function recording(costs: Costs, used: Set<string>): Costs {
  return new Proxy(costs, {
    get(target, key, receiver) {
      if (typeof key === 'string') used.add(key);
      return Reflect.get(target, key, receiver);
    },
  });
}

/**
 * One at a time, each parameter at the low and the high end of its range, everything else nominal;
 * the metric is VirtuOS's throughput over Linux's at a point of each workload. The nominal runs are
 * made first, here, recording which parameters each reads: a parameter a run never reads cannot
 * change it (the runs are deterministic), so for those the nominal run stands for both ends.
 */
function planSensitivity(runs: Runs, p: Plan): () => SensitivityReport {
  const x = SENSITIVITY_THREADS;
  const distinct = new Set<string>();
  const points = p.workloads.map((w) => {
    const size = HEADLINE[w.name].size;
    const make = (system: SystemName, costs: Costs): RunJob => ({ system, workload: w.name, size, threads: x, perThread: SENSITIVITY_PER_THREAD, seed: p.seed, costs });
    const nominal = { v: '', l: '' };
    const used = { v: new Set<string>(), l: new Set<string>() };
    for (const [k, system] of [['v', 'virtuos'], ['l', 'linux']] as const) {
      const j = make(system, p.costs);
      nominal[k] = runs.want(j);
      distinct.add(nominal[k]);
      runs.put(nominal[k], runJob({ ...j, costs: recording(p.costs, used[k]) }));
    }
    const ends = COST_PARAMS.map((param) =>
      param.range.map((value) => {
        const costs = { ...p.costs, [param.name]: value };
        const key = (k: 'v' | 'l', system: SystemName) => {
          if (!used[k].has(param.name)) return nominal[k];
          const key = runs.want(make(system, costs));
          distinct.add(key);
          return key;
        };
        return { v: key('v', 'virtuos'), l: key('l', 'linux') };
      }),
    );
    return { w, size, nominal, ends };
  });
  return () => {
    const ratio = (w: Workload, k: { v: string; l: string }) => valueOf(w, runs.get(k.v)) / valueOf(w, runs.get(k.l));
    const rows: SensitivityRow[] = COST_PARAMS.map((param, i) => {
      const ratios: SensitivityRow['ratios'] = {};
      let influence = 0;
      for (const pt of points) {
        const ends = pt.ends[i].map((k) => ratio(pt.w, k)) as [number, number];
        ratios[pt.w.name] = ends;
        influence = Math.max(influence, Math.abs(ends[1] - ends[0]) * 100);
      }
      return { param: param.name as CostName, low: param.range[0], high: param.range[1], ratios, influence };
    });
    rows.sort((a, b) => b.influence - a.influence || (a.param < b.param ? -1 : 1));
    return {
      type: 'sensitivity',
      metric: 'VirtuOS throughput / Linux throughput at a point of each workload',
      points: points.map((pt) => ({ workload: pt.w.name, size: pt.size, x, units: SENSITIVITY_PER_THREAD * x, nominal: ratio(pt.w, pt.nominal) })),
      rows,
      runs: distinct.size,
    };
  };
}

const pct = (q: number) => `${q >= 1 ? '+' : ''}${((q - 1) * 100).toFixed(0)}%`;

/** The paper's qualitative claims, judged on the reports. */
export function judgeClaims(workloads: WorkloadReport[], vcpus: VcpuReport[]): Claim[] {
  const out: Claim[] = [];
  const near = workloads.map((r) => `${r.workload} ${pct(r.ratios.linux[0])}..${pct(r.ratios.linux[1])}`);
  const within = workloads.filter((r) => r.ratios.linux[0] >= 0.9);
  out.push({
    claim: 'VirtuOS is close to Linux (the paper: mostly matching or exceeding it, by 1-16%) with enough service-domain vCPUs',
    verdict: within.length === workloads.length ? 'reproduced' : within.length > 0 ? 'partly' : 'not reproduced',
    evidence: `VirtuOS throughput relative to Linux over each series: ${near.join('; ')} (close = never more than 10% behind)`,
  });
  const ahead = workloads.map((r) => {
    const v = r.series.filter((s) => s.system === 'virtuos');
    const d = r.series.filter((s) => s.system === 'driver');
    let n = 0;
    let wins = 0;
    v.forEach((s, i) =>
      s.points.forEach((pt, j) => {
        n++;
        if (pt.value > d[i].points[j].value) wins++;
      }),
    );
    return { w: r.workload, wins, n };
  });
  out.push({
    claim: 'VirtuOS is ahead of the driver domain',
    verdict: ahead.every((a) => a.wins === a.n) ? 'reproduced' : ahead.some((a) => a.wins > a.n / 2) ? 'partly' : 'not reproduced',
    evidence: ahead.map((a) => `${a.w}: ahead at ${a.wins} of ${a.n} points`).join('; '),
  });
  const behind = vcpus.map((r) => {
    const one = r.rows[0];
    const most = r.rows[r.rows.length - 1];
    return { w: r.workload, one: one.virtuos / one.linux, most: most.virtuos / most.linux, n1: one.vcpus, nm: most.vcpus };
  });
  const falls = behind.filter((b) => b.one < b.most && b.one < 0.95);
  out.push({
    claim: 'VirtuOS falls behind when the service domains have too few vCPUs',
    verdict: falls.length === behind.length ? 'reproduced' : falls.length > 0 ? 'partly' : 'not reproduced',
    evidence: behind.map((b) => `${b.w}: ${pct(b.one)} of Linux with ${b.n1} vCPU per service domain, ${pct(b.most)} with ${b.nm}`).join('; '),
  });
  return out;
}

export interface Results {
  workloads: WorkloadReport[];
  vcpus: VcpuReport[];
  spinning: SpinReport[];
  claims: Claim[];
  recovery: RecoveryReport;
  sensitivity: SensitivityReport | null;
  /** distinct timed runs executed */
  runs: number;
}

/** Plan every experiment, run all their timed runs (on `workers` threads), and assemble the reports. */
export async function runExperiments(p: Plan, workers = 1): Promise<Results> {
  const runs = new Runs();
  const workloads = p.workloads.map((w) => planWorkload(runs, w, p));
  const vcpus = p.workloads.map((w) => planVcpus(runs, w, p));
  const spinning = p.workloads.map((w) => planSpinning(runs, w, p));
  const recovery = planRecovery(runs, p.costs);
  const sensitivity = p.sensitivity ? planSensitivity(runs, p) : null;
  await runs.execute(workers);
  const w = workloads.map((f) => f());
  const v = vcpus.map((f) => f());
  return { workloads: w, vcpus: v, spinning: spinning.map((f) => f()), claims: judgeClaims(w, v), recovery: recovery(), sensitivity: sensitivity?.() ?? null, runs: runs.size };
}
