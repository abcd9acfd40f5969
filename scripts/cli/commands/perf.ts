/** `virtuos perf`: performance estimates from the cycle-cost model, against Linux and a driver domain. */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { COST_PARAMS, isCostName, nominalCosts, type CostName, type Costs } from '../../perf/costs.ts';
import { intOption, parse, UsageError } from '../args.ts';
import { writeFileAtomic } from '../../traces/itf.ts';
import { recoveryChart, renderSvg, sensitivityChart, workloadChart } from '../../perf/charts.ts';
import { FULL, runExperiments, type Scale } from '../../perf/experiments.ts';
import { claimsText, machineLine, recoveryText, sensitivityText, spinText, vcpuText, workloadText } from '../../perf/report.ts';
import { WORKLOADS, type Workload } from '../../perf/workloads.ts';

export const help = `usage: virtuos perf [--workload W]... [--json] [--out DIR] [--seed N] [--set NAME=VALUE]...
                    [--no-sensitivity] [--params] [--jobs N] [--quick]

Estimates throughput and latency from the cycle-cost model: the workloads run on a discrete-event
engine with vCPUs as resources, VirtuOS's remote calls executed step by step by the model's own
machines (every step costed from the parameter table), next to a Linux baseline (local traps) and a
driver-domain baseline (a split-driver round trip per I/O call). These are model estimates, not
measurements; docs/perf.md says what the model leaves out and where it disagrees with the paper.

Reports: throughput against concurrency or threads for the three systems, latency per call kind and
where the cycles go at one point, the effect of service-domain vCPUs and of spinning, the paper's
qualitative claims judged on these numbers, the failure-recovery timeline (scenario-driven), and a
sensitivity analysis (every parameter at the ends of its range, ranked by influence).

  --workload W      run only W (repeatable): ${WORKLOADS.map((w) => w.name).join(', ')} (default: all)
  --json            NDJSON on stdout: one object per workload (type "workload", with its series),
                    then "service-vcpus", "spinning", "claims", "recovery", "sensitivity", "summary"
  --out DIR         write the figures as SVG into DIR (apache.svg, fileio.svg, oltp.svg,
                    recovery.svg, sensitivity.svg)
  --seed N          seed of the workloads' random choices (default 1); same seed, same numbers
  --set NAME=VALUE  replace a parameter of the cost table (repeatable); see --params
  --no-sensitivity  skip the sensitivity analysis
  --params          print the parameter table (value, unit, range, source) and exit
  --jobs N          run the independent timed runs on N threads (default: 2, or 1 on a single core);
                    the numbers do not depend on it
  --quick           a quick look: x values 1, 4 and 16 only, fewer units per point, no sensitivity
                    analysis (the same experiments; the numbers are noisier)

Exit status: 0 done, 2 bad usage or input, 3 an internal error.`;

/** --quick: three x values, each thread at its minimum of units, no sensitivity analysis. */
export const QUICK: Scale = { units: 0, xs: [1, 4, 16] };

const INTEGER_PARAMS = new Set<CostName>(['primaryVcpus', 'storageVcpus', 'networkVcpus', 'spinPauses', 'pollYields']);

/** Apply --set NAME=VALUE overrides to the nominal table, naming the bad one if any. */
export function applySets(sets: readonly string[]): Costs {
  const costs: Record<string, number> = { ...nominalCosts() };
  for (const s of sets) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(s);
    if (!m) throw new UsageError(`--set ${s}: expected NAME=VALUE`);
    const [, name, text] = m;
    if (!isCostName(name)) throw new UsageError(`--set ${s}: unknown parameter '${name}' (see --params)`);
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`--set ${s}: '${text}' is not a non-negative number`);
    if (INTEGER_PARAMS.has(name) && (!Number.isInteger(v) || v < 1 || v > 32)) throw new UsageError(`--set ${s}: ${name} must be an integer from 1 to 32`);
    if (name === 'cyclesPerUs' && v <= 0) throw new UsageError(`--set ${s}: cyclesPerUs must be positive`);
    if (name === 'linkBandwidth' && v <= 0) throw new UsageError(`--set ${s}: linkBandwidth must be positive`);
    costs[name] = v;
  }
  return costs as Costs;
}

function paramsText(): string[] {
  const w = Math.max(...COST_PARAMS.map((p) => p.name.length));
  const out = ['cost parameters (name, value, unit, range, description; source):'];
  for (const p of COST_PARAMS) out.push(`  ${p.name.padEnd(w)}  ${String(p.value).padStart(9)} ${p.unit.padEnd(11)} [${p.range[0]}, ${p.range[1]}]  ${p.description}`, `  ${''.padEnd(w)}  source: ${p.source}`);
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      workload: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      out: { type: 'string' },
      seed: { type: 'string' },
      set: { type: 'string', multiple: true },
      'no-sensitivity': { type: 'boolean' },
      params: { type: 'boolean' },
      jobs: { type: 'string' },
      quick: { type: 'boolean' },
    },
    { min: 0, max: 0, names: '' },
  );
  if (values.help) {
    console.log(help);
    return 0;
  }
  const costs = applySets(values.set ?? []);
  if (values.params) {
    if (values.json) console.log(JSON.stringify({ type: 'params', params: COST_PARAMS.map((p) => ({ ...p, value: costs[p.name as CostName] })) }));
    else console.log(paramsText().join('\n'));
    return 0;
  }
  let workloads: Workload[] = [...WORKLOADS];
  if (values.workload) {
    workloads = [];
    for (const name of values.workload) {
      const w = WORKLOADS.find((x) => x.name === name);
      if (!w) throw new UsageError(`unknown workload '${name}' (known: ${WORKLOADS.map((x) => x.name).join(', ')})`);
      if (!workloads.includes(w)) workloads.push(w);
    }
  }
  const seed = intOption(values, 'seed', 0, 2 ** 31 - 1, 1);
  const jobs = intOption(values, 'jobs', 1, 64, Math.min(2, availableParallelism()));
  const outDir = values.out;
  if (outDir !== undefined) {
    let isDir = true;
    try {
      isDir = statSync(outDir).isDirectory();
    } catch {
      // It does not exist yet: it is created when the figures are written.
    }
    if (!isDir) throw new UsageError(`--out ${outDir}: exists and is not a directory`);
  }
  const json = values.json === true;
  const changed = (values.set ?? []).map((s) => s.split('=')[0]);
  const t0 = performance.now();
  if (!json) {
    console.log(`virtuos perf: cycle-cost model estimates (not measurements), seed ${seed}, workloads: ${workloads.map((w) => w.name).join(', ')}${values.quick ? ' (quick: x 1, 4, 16; fewer units)' : ''}`);
    console.log(`parameters: the table in scripts/perf/costs.ts${changed.length ? `, with ${(values.set ?? []).join(' ')}` : ' (nominal values)'}; 'virtuos perf --params' lists them`);
    console.log(machineLine(costs));
  } else {
    console.log(JSON.stringify({ type: 'start', seed, quick: values.quick === true, workloads: workloads.map((w) => w.name), params: Object.fromEntries(COST_PARAMS.map((p) => [p.name, costs[p.name as CostName]])), changed }));
  }
  const quick = values.quick === true;
  const scale = quick ? QUICK : FULL;
  const r = await runExperiments({ workloads, costs, seed, scale, sensitivity: !quick && !values['no-sensitivity'] }, jobs);

  const figures: { file: string; svg: string }[] = [];
  if (outDir !== undefined) {
    for (const w of r.workloads) figures.push({ file: `${w.workload}.svg`, svg: await renderSvg(workloadChart(w, costs)) });
    figures.push({ file: 'recovery.svg', svg: await renderSvg(recoveryChart(r.recovery)) });
    if (r.sensitivity) figures.push({ file: 'sensitivity.svg', svg: await renderSvg(sensitivityChart(r.sensitivity)) });
    for (const f of figures) writeFileAtomic(join(outDir, f.file), f.svg);
  }
  const seconds = (performance.now() - t0) / 1000;
  const files = figures.map((f) => join(outDir!, f.file));

  if (json) {
    for (const w of r.workloads) console.log(JSON.stringify(w));
    for (const v of r.vcpus) console.log(JSON.stringify(v));
    for (const s of r.spinning) console.log(JSON.stringify(s));
    console.log(JSON.stringify({ type: 'claims', claims: r.claims }));
    console.log(JSON.stringify(r.recovery));
    if (r.sensitivity) console.log(JSON.stringify(r.sensitivity));
    // No timing in the JSON: the same seed and parameters give the same bytes.
    console.log(JSON.stringify({ type: 'summary', seed, workloads: r.workloads.map((w) => w.workload), runs: r.runs, files }));
    return 0;
  }
  for (const w of r.workloads) console.log(['', ...workloadText(w)].join('\n'));
  console.log('');
  for (const v of r.vcpus) console.log(vcpuText(v).join('\n'));
  console.log('');
  for (const s of r.spinning) console.log(spinText(s).join('\n'));
  console.log(['', ...claimsText(r.claims)].join('\n'));
  console.log(['', ...recoveryText(r.recovery)].join('\n'));
  if (r.sensitivity) console.log(['', ...sensitivityText(r.sensitivity)].join('\n'));
  console.log('');
  if (files.length) console.log(`figures: ${files.join(', ')}`);
  console.log(`${r.runs} timed runs on ${jobs} thread${jobs > 1 ? 's' : ''} in ${seconds.toFixed(1)} s (deterministic: the same seed and parameters give the same numbers)`);
  return 0;
}
