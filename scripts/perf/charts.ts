/**
 * The figures of `virtuos perf --out DIR`, drawn like the paper's: vega-lite specifications rendered
 * to SVG in Node by vega (no browser, no canvas). Each chart says in its subtitle that it shows the
 * model's estimates, not measurements.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Costs } from './costs.ts';
import type { SensitivityReport, WorkloadReport } from './experiments.ts';
import type { RecoveryReport } from './recovery.ts';
import { SYSTEM_TITLES, SYSTEMS } from './run.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const SYSTEM_NAMES = SYSTEMS.map((s) => SYSTEM_TITLES[s]);
const COLORS = ['#d62728', '#1f77b4', '#7f7f7f'];

const sizeLabel = (b: number) => (b === 0 ? 'mix' : `${b / 1024} KB`);

function machine(costs: Costs): string {
  return `cycle-cost model estimates, not measurements; ${costs.primaryVcpus} primary vCPUs (Linux: the same ${costs.primaryVcpus} cores), ${costs.storageVcpus} storage and ${costs.networkVcpus} network vCPUs`;
}

/**
 * Render a chart to SVG. vega and vega-lite are loaded here, on the first chart, not when the CLI
 * starts: importing them takes about 0.3 s, which every command paid before.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Throughput against concurrency or threads, one panel per size, one line per system. */
export function workloadChart(r: WorkloadReport, costs: Costs): TopLevelSpec {
  const values = r.series.flatMap((s) => s.points.map((p) => ({ size: sizeLabel(s.size), x: p.x, value: Math.round(p.value), system: SYSTEM_TITLES[s.system] })));
  const xs = [...new Set(r.series.flatMap((s) => s.points.map((p) => p.x)))];
  const sizes = [...new Set(r.series.map((s) => sizeLabel(s.size)))];
  const xTitle = r.x === 'concurrency' ? 'concurrency (clients)' : 'threads';
  const yTitle = r.metric === 'MB/s' ? 'throughput (MB/s)' : 'throughput (requests/s)';
  const inner = {
    width: 230,
    height: 190,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative' as const, scale: { type: 'log' as const, base: 2 }, axis: { values: xs, title: xTitle } },
      y: { field: 'value', type: 'quantitative' as const, title: yTitle },
      color: { field: 'system', type: 'nominal' as const, title: 'system', scale: { domain: SYSTEM_NAMES, range: COLORS } },
      tooltip: [{ field: 'system' }, { field: 'x' }, { field: 'value' }],
    },
  };
  const title = { text: `${r.title}: ${r.metric} against ${r.x}`, subtitle: machine(costs), anchor: 'start' as const };
  if (sizes.length === 1) return { $schema: SCHEMA, title, data: { values }, ...inner, width: 360, height: 240 } as TopLevelSpec;
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    facet: { column: { field: 'size', type: 'ordinal', title: r.workload === 'apache' ? 'file size' : 'block size', sort: sizes } },
    spec: inner,
  } as TopLevelSpec;
}

/** MB/s against seconds for the two transfers, with the scenario's events marked. */
export function recoveryChart(r: RecoveryReport): TopLevelSpec {
  const values = r.series.flatMap((s) => s.points.map((p) => ({ t: p.t, mbps: Math.round(p.mbps), transfer: s.transfer === 'storage' ? 'storage-domain transfer' : 'network-domain transfer' })));
  return {
    $schema: SCHEMA,
    title: {
      text: 'Failure recovery: transfer throughput while the network domain is killed and restarted',
      subtitle: 'scenario-driven timeline (crash, restart and retry times assumed); rates from timed runs of the model',
      anchor: 'start',
    },
    width: 520,
    height: 240,
    layer: [
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'time (s)' },
          y: { field: 'mbps', type: 'quantitative', title: 'throughput (MB/s)' },
          color: { field: 'transfer', type: 'nominal', title: 'transfer', scale: { range: ['#2ca02c', '#9467bd'] }, legend: { labelLimit: 300 } },
        },
      },
      {
        data: { values: r.events },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#555' },
        encoding: { x: { field: 't', type: 'quantitative' } },
      },
      {
        data: { values: r.events.map((e, i) => ({ ...e, row: i })) },
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' },
        encoding: {
          x: { field: 't', type: 'quantitative' },
          y: { value: 0 },
          yOffset: { field: 'row', type: 'quantitative', scale: { domain: [0, 4], range: [10, 60] } },
          text: { field: 'label' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** The parameters ranked by influence on VirtuOS/Linux, the most influential first. */
export function sensitivityChart(r: SensitivityReport, top = 16): TopLevelSpec {
  const rows = r.rows.slice(0, top).flatMap((row) =>
    Object.entries(row.ratios).map(([w, [lo, hi]]) => ({ param: row.param, workload: w, low: +(lo * 100).toFixed(1), high: +(hi * 100).toFixed(1) })),
  );
  const order = r.rows.slice(0, top).map((x) => x.param);
  return {
    $schema: SCHEMA,
    title: {
      text: 'Sensitivity: VirtuOS throughput as % of Linux, each parameter at the ends of its range',
      subtitle: `ranked by influence; each bar spans the low and high end of the parameter; headline points: ${r.points.map((p) => `${p.workload} ${p.x} threads`).join(', ')}`,
      anchor: 'start',
    },
    data: { values: rows },
    width: 420,
    height: { step: 10 },
    encoding: {
      y: { field: 'param', type: 'nominal', sort: order, title: 'parameter' },
      yOffset: { field: 'workload', type: 'nominal' },
      color: { field: 'workload', type: 'nominal', title: 'workload' },
    },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { field: 'low', type: 'quantitative', title: 'VirtuOS / Linux (%): hollow = parameter low, filled = high', scale: { zero: false } }, x2: { field: 'high' } } },
      { mark: { type: 'point', filled: false, size: 30 }, encoding: { x: { field: 'low', type: 'quantitative' } } },
      { mark: { type: 'point', filled: true, size: 30 }, encoding: { x: { field: 'high', type: 'quantitative' } } },
      { data: { values: [{ x: 100 }] }, mark: { type: 'rule', strokeDash: [3, 3], color: '#888' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: null, yOffset: null, color: null } },
    ],
  } as TopLevelSpec;
}
