/**
 * The experiments `virtuos perf` runs, each a set of timed runs on the engine, and what it reports:
 *
 * - the series: each workload's throughput against concurrency or threads, per size, for VirtuOS,
 *   Linux and the driver domain, with latency per call kind and where the cycles go at one point;
 * - service-domain vCPUs: the same point with fewer and more vCPUs in the storage and network domains;
 * - spinning: VirtuOS at one point with the caller's spin as in VirtuOS and with spinning off;
 * - the paper's qualitative claims, judged on those numbers;
 * - the sensitivity analysis: every parameter of the cost table at the ends of its range, ranked by
 *   how much it moves VirtuOS's throughput relative to Linux at each workload's headline point.
 *
 * Everything is deterministic: the workloads' random choices come from the seed, and the engine has no
 * randomness of its own, so the same seed and parameters give the same numbers.
 */
import { COST_PARAMS, type CostName, type Costs } from '../../../model/costs.ts';
import { KINDS, type Kind } from '../../../model/perf/charge.ts';
import { SPIN_CHECKS } from '../../../model/perf/perf-config.ts';
import { runUnits, SYSTEMS, type RunResult, type SystemName } from './run.ts';
import { generate, unitsPerThread, type CallName, type Workload, type WorkloadName } from './workloads.ts';

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
  /** VirtuOS model steps executed for this workload */
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

/** How much each point runs: the full series, or a quick look (for tests). */
export interface Scale {
  /** fraction of each workload's units per point (each thread still runs its minimum) */
  units: number;
  /** x values to run (all when null) */
  xs: number[] | null;
}

export const FULL: Scale = { units: 1, xs: null };

export function unitsFor(w: Workload, threads: number, scale: Scale): number {
  return unitsPerThread(w, threads, scale.units);
}

const valueOf = (w: Workload, r: RunResult) => (w.metric === 'MB/s' ? r.bytesPerSec / 1e6 : r.unitsPerSec);

/** Each workload's point for the details, the vCPU sweep and the sensitivity analysis. */
export const HEADLINE: Record<WorkloadName, { size: number; x: number }> = {
  apache: { size: 8192, x: 16 },
  fileio: { size: 8192, x: 8 },
  oltp: { size: 0, x: 16 },
};

function detailOf(w: Workload, size: number, x: number, runs: Record<SystemName, RunResult>): Detail {
  const systems = {} as Detail['systems'];
  for (const sys of SYSTEMS) {
    const r = runs[sys];
    const totalUnits = r.unitsDone;
    const total = KINDS.reduce((a, k) => a + r.cycles[k], 0);
    const cyclesPerUnit: Partial<Record<Kind, number>> = {};
    const share: Partial<Record<Kind, number>> = {};
    for (const k of KINDS) {
      if (r.cycles[k] === 0) continue;
      cyclesPerUnit[k] = r.cycles[k] / totalUnits;
      share[k] = r.cycles[k] / total;
    }
    const calls = r.counts.calls ?? 0;
    const perCall: Record<string, number> = {};
    if (calls > 0) for (const [k, n] of Object.entries(r.counts)) if (k !== 'calls') perCall[k] = n / calls;
    systems[sys] = { value: valueOf(w, r), latencyUs: r.latencyUs, cyclesPerUnit, share, utilisation: r.utilisation, perCall };
  }
  return { size, x, systems };
}

export interface RunPlan {
  workload: Workload;
  costs: Costs;
  seed: number;
  scale: Scale;
}

export function runWorkload(p: RunPlan): WorkloadReport {
  const { workload: w, costs, seed, scale } = p;
  const xs = scale.xs ? w.xs.filter((x) => scale.xs!.includes(x)) : w.xs;
  const series: Series[] = [];
  const head = HEADLINE[w.name];
  let detail: Detail | null = null;
  let modelSteps = 0;
  const ratios = { linux: [Infinity, -Infinity] as [number, number], driver: [Infinity, -Infinity] as [number, number] };
  for (const size of w.sizes) {
    const bySys = Object.fromEntries(SYSTEMS.map((s) => [s, { system: s, size, points: [] as Point[] }])) as Record<SystemName, Series>;
    for (const x of xs) {
      const units = generate(w, size, x, unitsFor(w, x, scale), seed);
      const runs = Object.fromEntries(SYSTEMS.map((s) => [s, runUnits(s, units, costs)])) as Record<SystemName, RunResult>;
      modelSteps += runs.virtuos.modelSteps;
      for (const s of SYSTEMS) bySys[s].points.push({ x, value: valueOf(w, runs[s]) });
      const v = valueOf(w, runs.virtuos);
      for (const other of ['linux', 'driver'] as const) {
        const q = v / valueOf(w, runs[other]);
        ratios[other] = [Math.min(ratios[other][0], q), Math.max(ratios[other][1], q)];
      }
      if (size === head.size && x === head.x) detail = detailOf(w, size, x, runs);
    }
    series.push(...SYSTEMS.map((s) => bySys[s]));
  }
  if (!detail) {
    // The headline point is not in this scale's x values: detail the largest one that ran.
    const size = w.sizes.includes(head.size) ? head.size : w.sizes[0];
    const x = xs.filter((v) => v <= head.x).pop() ?? xs[0];
    const units = generate(w, size, x, unitsFor(w, x, scale), seed);
    detail = detailOf(w, size, x, Object.fromEntries(SYSTEMS.map((s) => [s, runUnits(s, units, costs)])) as Record<SystemName, RunResult>);
  }
  return { type: 'workload', workload: w.name, title: w.title, x: w.x, metric: w.metric, series, detail, ratios, modelSteps };
}

/** The headline point with 1, 2, 4 and 8 vCPUs in each service domain (and each driver domain). */
export function runVcpus(p: RunPlan, counts = [1, 2, 4, 8]): VcpuReport {
  const { workload: w, seed, scale } = p;
  const { size, x } = HEADLINE[w.name];
  const units = generate(w, size, x, unitsFor(w, x, scale), seed);
  const rows = counts.map((n) => {
    const costs = { ...p.costs, storageVcpus: n, networkVcpus: n };
    const r = Object.fromEntries(SYSTEMS.map((s) => [s, valueOf(w, runUnits(s, units, costs))])) as Record<SystemName, number>;
    return { vcpus: n, ...r };
  });
  return { type: 'service-vcpus', workload: w.name, size, x, rows };
}

/** VirtuOS with the caller's spin as configured and with spinning off (one DONE check, one PAUSE). */
export function runSpinning(p: RunPlan): SpinReport {
  const { workload: w, seed, scale } = p;
  const { size, x } = HEADLINE[w.name];
  const units = generate(w, size, x, unitsFor(w, x, scale), seed);
  const rows = (['on', 'off'] as const).map((spin) => {
    const costs = spin === 'on' ? p.costs : { ...p.costs, spinPauses: 1 };
    const r = runUnits('virtuos', units, costs, { spins: spin === 'on' ? SPIN_CHECKS : 1 });
    const calls = r.counts.calls ?? 1;
    const lat = Object.values(r.latencyUs) as number[];
    return {
      spin,
      pauses: costs.spinPauses,
      value: valueOf(w, r),
      notificationsPerCall: (r.counts.notifications ?? 0) / calls,
      parksPerCall: (r.counts.parks ?? 0) / calls,
      meanLatencyUs: lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length),
    };
  });
  return { type: 'spinning', workload: w.name, size, x, rows };
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
    v.forEach((s, i) => s.points.forEach((pt, j) => {
      n++;
      if (pt.value > d[i].points[j].value) wins++;
    }));
    return { w: r.workload, wins, n };
  });
  const allWins = ahead.every((a) => a.wins === a.n);
  out.push({
    claim: 'VirtuOS is ahead of the driver domain',
    verdict: allWins ? 'reproduced' : ahead.some((a) => a.wins > a.n / 2) ? 'partly' : 'not reproduced',
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

/** Costs whose reads are recorded: which parameters a run actually used. */
function recording(costs: Costs, used: Set<string>): Costs {
  return new Proxy(costs, {
    get(target, key, receiver) {
      if (typeof key === 'string') used.add(key);
      return Reflect.get(target, key, receiver);
    },
  });
}

export interface SensitivityPlan {
  workloads: Workload[];
  costs: Costs;
  seed: number;
  /** units per thread at each headline point */
  scale: Scale;
  /** threads at the headline points (smaller than the series' to keep the analysis fast) */
  threads: number;
}

/**
 * One at a time, each parameter at the low and the high end of its range, everything else nominal;
 * the metric is VirtuOS's throughput over Linux's at each workload's headline point. A parameter a
 * system's run never reads cannot change it, so that run is not repeated.
 */
export function runSensitivity(p: SensitivityPlan): SensitivityReport {
  let runs = 0;
  const points = p.workloads.map((w) => {
    const size = HEADLINE[w.name].size;
    const x = p.threads;
    const units = generate(w, size, x, unitsFor(w, x, p.scale), p.seed);
    const used: Record<SystemName, Set<string>> = { virtuos: new Set(), linux: new Set(), driver: new Set() };
    const nominal = { virtuos: 0, linux: 0 };
    for (const s of ['virtuos', 'linux'] as const) {
      nominal[s] = valueOf(w, runUnits(s, units, recording(p.costs, used[s])));
      runs++;
    }
    return { w, size, x, units, used, nominal };
  });
  const rows: SensitivityRow[] = [];
  for (const param of COST_PARAMS) {
    const name = param.name as CostName;
    const ratios: SensitivityRow['ratios'] = {};
    let influence = 0;
    for (const pt of points) {
      const ends = param.range.map((v) => {
        const costs = { ...p.costs, [name]: v };
        const value = (s: 'virtuos' | 'linux') => {
          if (!pt.used[s].has(name)) return pt.nominal[s];
          runs++;
          return valueOf(pt.w, runUnits(s, pt.units, costs));
        };
        return value('virtuos') / value('linux');
      }) as [number, number];
      ratios[pt.w.name] = ends;
      influence = Math.max(influence, Math.abs(ends[1] - ends[0]) * 100);
    }
    rows.push({ param: name, low: param.range[0], high: param.range[1], ratios, influence });
  }
  rows.sort((a, b) => b.influence - a.influence || (a.param < b.param ? -1 : 1));
  return {
    type: 'sensitivity',
    metric: 'VirtuOS throughput / Linux throughput at each workload\'s headline point',
    points: points.map((pt) => ({ workload: pt.w.name, size: pt.size, x: pt.x, units: pt.units.reduce((a, u) => a + u.length, 0), nominal: pt.nominal.virtuos / pt.nominal.linux })),
    rows,
    runs,
  };
}
