/**
 * `virtuos perf` as a user meets it: its JSON shape, its figures, and one clear line (exit 2, nothing
 * written) for every kind of bad input.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COST_PARAMS } from '../scripts/perf/costs.ts';
import { main } from '../scripts/cli/main.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'perf-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await main(['perf', ...argv]);
  vi.restoreAllMocks();
  return { code, out, err };
}

describe('virtuos perf', () => {
  test('--params lists every parameter with its source', async () => {
    const r = await cli('--params');
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    for (const p of COST_PARAMS) expect(text).toContain(p.name);
    expect(text.match(/source: /g)?.length).toBe(COST_PARAMS.length);
  });

  test.each([
    [['--workload', 'nginx'], /unknown workload 'nginx' \(known: apache, fileio, oltp\)/],
    [['--set', 'warp=3'], /--set warp=3: unknown parameter 'warp'/],
    [['--set', 'trap=fast'], /--set trap=fast: 'fast' is not a non-negative number/],
    [['--set', 'trap'], /--set trap: expected NAME=VALUE/],
    [['--set', 'storageVcpus=2.5'], /storageVcpus must be an integer from 1 to 32/],
    [['--jobs', '0'], /--jobs must be between 1 and 64/],
    [['--seed', 'x'], /--seed must be an integer/],
    [['extra'], /unexpected argument 'extra'/],
  ])('%j is bad usage: exit 2, one line', async (argv, message) => {
    const r = await cli(...(argv as string[]));
    expect(r.code).toBe(2);
    expect(r.err.length).toBe(1);
    expect(r.err[0]).toMatch(message);
    expect(r.out).toEqual([]);
  });

  test('--out naming a file is bad usage, and the file is left as it was', async () => {
    const d = tmp();
    const f = join(d, 'figures');
    writeFileSync(f, 'keep me');
    const r = await cli('--quick', '--out', f);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--out .*figures: exists and is not a directory/);
    expect(readFileSync(f, 'utf8')).toBe('keep me');
    expect(readdirSync(d)).toEqual(['figures']);
  });

  test('--json gives one object per workload with all three systems, and --out writes labelled figures', async () => {
    const d = join(tmp(), 'figs');
    const r = await cli('--quick', '--json', '--jobs', '1', '--out', d);
    expect(r.code).toBe(0);
    const objs = r.out.map((l) => JSON.parse(l) as Record<string, unknown>);
    const types = objs.map((o) => o.type);
    expect(types[0]).toBe('start');
    expect(types.at(-1)).toBe('summary');
    const workloads = objs.filter((o) => o.type === 'workload') as unknown as { workload: string; series: { system: string; size: number; points: { x: number; value: number }[] }[] }[];
    expect(workloads.map((w) => w.workload)).toEqual(['apache', 'fileio', 'oltp']);
    for (const w of workloads) {
      const sizes = [...new Set(w.series.map((s) => s.size))];
      for (const size of sizes) expect(w.series.filter((s) => s.size === size).map((s) => s.system)).toEqual(['virtuos', 'linux', 'driver']);
      for (const s of w.series) for (const p of s.points) expect(p.value, `${w.workload} ${s.system} ${p.x}`).toBeGreaterThan(0);
    }
    for (const t of ['service-vcpus', 'spinning', 'claims', 'recovery']) expect(types).toContain(t);
    const summary = objs.at(-1) as { files: string[] };
    expect(summary.files.map((f) => f.replace(/^.*\//, ''))).toEqual(['apache.svg', 'fileio.svg', 'oltp.svg', 'recovery.svg']);
    const svg = (f: string) => readFileSync(join(d, f), 'utf8');
    for (const f of ['apache.svg', 'fileio.svg', 'oltp.svg']) {
      const s = svg(f);
      expect(s.startsWith('<svg')).toBe(true);
      for (const label of ['throughput', 'system', 'VirtuOS', 'Linux', 'driver domain', 'not measurements']) expect(s, `${f}: ${label}`).toContain(label);
    }
    expect(svg('apache.svg')).toContain('concurrency (clients)');
    expect(svg('fileio.svg')).toContain('block size');
    expect(svg('recovery.svg')).toContain('time (s)');
    expect(svg('recovery.svg')).toContain('network domain killed');
    expect(readdirSync(d).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(existsSync(join(d, 'sensitivity.svg'))).toBe(false);
  });
});
