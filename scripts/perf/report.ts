/** The text tables of `virtuos perf`: one section per report, numbers rounded for reading. */
import type { Costs } from './costs.ts';
import { KINDS, type Kind } from './charge.ts';
import type { Claim, SensitivityReport, SpinReport, VcpuReport, WorkloadReport } from './experiments.ts';
import type { RecoveryReport } from './recovery.ts';
import { SYSTEM_TITLES, SYSTEMS } from './run.ts';

const sizeLabel = (b: number) => (b === 0 ? '' : b >= 1024 ? `${b / 1024}K` : `${b}B`);
const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (q: number) => `${q >= 1 ? '+' : ''}${((q - 1) * 100).toFixed(0)}%`;

function table(head: string[], rows: string[][], indent = '  '): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => indent + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), ...rows.map(line)];
}

export function machineLine(costs: Costs): string {
  return `machine: primary domain ${costs.primaryVcpus} vCPUs (the Linux baseline runs on the same ${costs.primaryVcpus} cores), storage domain ${costs.storageVcpus}, network domain ${costs.networkVcpus} (the driver domains get the same)`;
}

export function workloadText(r: WorkloadReport): string[] {
  const out: string[] = [];
  out.push(`${r.workload}: ${r.title}, ${r.metric} against ${r.x}`);
  const xs = r.series[0].points.map((p) => p.x);
  const rows: string[][] = [];
  for (const s of r.series) rows.push([`${sizeLabel(s.size)} ${SYSTEM_TITLES[s.system]}`.trim(), ...s.points.map((p) => fmt(p.value))]);
  out.push(...table([r.x, ...xs.map(String)], rows));
  out.push(`  VirtuOS relative to Linux: ${pct(r.ratios.linux[0])} to ${pct(r.ratios.linux[1])}; to the driver domain: ${pct(r.ratios.driver[0])} to ${pct(r.ratios.driver[1])}`);
  const d = r.detail;
  out.push(`  at ${d.size ? `${sizeLabel(d.size)}, ` : ''}${r.x} ${d.x}:`);
  const calls = [...new Set(SYSTEMS.flatMap((s) => Object.keys(d.systems[s].latencyUs)))];
  out.push('    latency per call (us, without time spent waiting for the client):');
  out.push(...table(['', ...calls], SYSTEMS.map((s) => [SYSTEM_TITLES[s], ...calls.map((c) => fmt(d.systems[s].latencyUs[c as keyof typeof d.systems.linux.latencyUs] ?? 0))]), '      '));
  const unit = r.metric === 'MB/s' ? 'operation' : r.workload === 'oltp' ? 'query' : 'request';
  const kinds = KINDS.filter((k) => SYSTEMS.some((s) => (d.systems[s].share[k] ?? 0) >= 0.005));
  out.push(`    where the cycles go (cycles per ${unit}, all vCPUs; idle time not counted):`);
  out.push(
    ...table(
      ['', ...kinds, 'total'],
      SYSTEMS.map((s) => {
        const c = d.systems[s].cyclesPerUnit;
        const total = KINDS.reduce((a, k) => a + (c[k] ?? 0), 0);
        return [SYSTEM_TITLES[s], ...kinds.map((k: Kind) => (c[k] ? Math.round(c[k]!).toLocaleString('en-US') : '-')), Math.round(total).toLocaleString('en-US')];
      }),
      '      ',
    ),
  );
  out.push(`    busy vCPUs (spinning and polling count as busy): ${SYSTEMS.map((s) => `${SYSTEM_TITLES[s]} ${Object.entries(d.systems[s].utilisation).map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`).join(', ')}`).join('; ')}`);
  const pc = d.systems.virtuos.perCall;
  out.push(`    VirtuOS per remote call: ${Object.entries(pc).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
  out.push(`  (${r.modelSteps.toLocaleString('en-US')} steps of the model executed for VirtuOS)`);
  return out;
}

export function vcpuText(r: VcpuReport): string[] {
  return [
    `service-domain vCPUs (${r.workload}${r.size ? ` ${sizeLabel(r.size)}` : ''}, ${r.x} threads; Linux runs on the primary cores throughout):`,
    ...table(
      ['vCPUs per domain', 'VirtuOS', 'Linux', 'driver domain', 'VirtuOS/Linux'],
      r.rows.map((x) => [String(x.vcpus), fmt(x.virtuos), fmt(x.linux), fmt(x.driver), pct(x.virtuos / x.linux)]),
    ),
  ];
}

export function spinText(r: SpinReport): string[] {
  return [
    `spinning (${r.workload}${r.size ? ` ${sizeLabel(r.size)}` : ''}, ${r.x} threads, VirtuOS):`,
    ...table(
      ['spin', 'PAUSEs', 'throughput', 'notifications/call', 'parks/call', 'mean call latency (us)'],
      r.rows.map((x) => [x.spin, String(x.pauses), fmt(x.value), x.notificationsPerCall.toFixed(2), x.parksPerCall.toFixed(2), x.meanLatencyUs.toFixed(2)]),
    ),
  ];
}

export function claimsText(claims: Claim[]): string[] {
  const out = ["the paper's qualitative claims, judged on these numbers:"];
  for (const c of claims) out.push(`  [${c.verdict}] ${c.claim}`, `      ${c.evidence}`);
  return out;
}

export function recoveryText(r: RecoveryReport): string[] {
  const s = r.scenario;
  return [
    'failure recovery (scenario-driven; see docs/perf.md):',
    `  storage transfer ${fmt(r.rates.storage)} MB/s throughout; network transfer ${fmt(r.rates.network)} MB/s until the network domain is killed at ${s.crashAt} s,`,
    `  restarted at ${s.restartAt} s, up ${s.bootSeconds} s later, and the client restarts the transfer ${s.retrySeconds} s after that (${s.restartAt + s.bootSeconds + s.retrySeconds} s)`,
  ];
}

export function sensitivityText(r: SensitivityReport, top = 12): string[] {
  const ws = r.points.map((p) => p.workload);
  const out = [
    `sensitivity: ${r.metric}, each parameter at the low and high end of its range (${r.runs} timed runs)`,
    `  nominal: ${r.points.map((p) => `${p.workload} (${p.x} threads) ${(p.nominal * 100).toFixed(0)}%`).join(', ')}`,
  ];
  out.push(
    ...table(
      ['parameter', 'low..high', ...ws.map((w) => `${w} low..high`), 'influence (pts)'],
      r.rows.slice(0, top).map((x) => [x.param, `${fmt(x.low)}..${fmt(x.high)}`, ...ws.map((w) => (x.ratios[w] ? `${(x.ratios[w]![0] * 100).toFixed(0)}%..${(x.ratios[w]![1] * 100).toFixed(0)}%` : '-')), x.influence.toFixed(1)]),
    ),
  );
  const none = r.rows.filter((x) => x.influence < 0.05).map((x) => x.param);
  if (none.length) out.push(`  no influence at these points: ${none.join(', ')}`);
  return out;
}
