import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const tmp = mkdtempSync(join(tmpdir(), 'virtuos-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function virtuos(...args: string[]) {
  const r = spawnSync(process.execPath, ['scripts/virtuos.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('bad usage and input: one clear line, exit 2, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['unknown property', ['verify', '--property', 'nope', '--out', join(tmp, 'o1')], /unknown property 'nope'/],
    ['unknown variant', ['verify', '--variant', 'nope', '--out', join(tmp, 'o2')], /unknown variant 'nope'/],
    ['unknown option', ['verify', '--colour', 'red'], /unknown option '--colour'/],
    ['bad number', ['verify', '--runs', 'many'], /--runs must be an integer/],
    ['runs and time together', ['verify', '--runs', '5', '--time', '1'], /--runs or --time, not both/],
    ['missing trace file', ['replay', join(tmp, 'missing.itf.json')], /missing\.itf\.json: cannot read/],
    ['replay without a file', ['replay'], /missing the trace FILE/],
    ['bad memory size', ['verify', '--exhaustive', '--anchor', '1x1', '--max-memory', '3Q'], /--max-memory must be a size such as 8G/],
    ['memory beyond the machine', ['verify', '--exhaustive', '--anchor', '1x1', '--max-memory', '100T'], /--max-memory 100T is more than this machine's memory/],
    ['more states than the store holds', ['verify', '--exhaustive', '--anchor', '1x1', '--max-states', '300000000'], /more than the full store can hold \(268,435,456 states/],
    ['bench: only and without the strategy rows', ['bench', '--strategies', '--no-strategies'], /--strategies and --no-strategies ask for opposite things/],
    ['bench: a bad memory size for the larger sizes', ['bench', '--big-memory', 'lots'], /--big-memory must be a size such as 6G/],
    ['bench --floor: a bad size', ['bench', '--floor', '--sizes', '2y1', '--no-spin'], /a size must be NCxNR/],
    ['bench: a size the model cannot take, refused before anything runs', ['bench', '--floor', '--sizes', '0x1', '--no-spin'], /--sizes 0x1: config field 'threads': 0 is out of range/],
    ['bench: a larger size out of range', ['bench', '--big', '3x9', '--no-spin'], /--big 3x9: config field 'calls': 9 is out of range/],
  ];
  test.each(cases)('%s', (_name, args, message) => {
    const r = virtuos(...args);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });
  test('an out-of-range config file is rejected naming the field, and nothing is written', () => {
    const cfg = join(tmp, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ entries: 1000 }));
    const outDir = join(tmp, 'o3');
    const r = virtuos('verify', '--config', cfg, '--out', outDir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/config field 'entries': 1000 is out of range 1\.\.8/);
    expect(existsSync(outDir)).toBe(false);
  });
});

describe('the commands', () => {
  test('bench --floor times the search\'s parts over the very states the search stores, and says so in text too', () => {
    const r = virtuos('bench', '--floor', '--sizes', '1x2', '--no-spin', '--json');
    expect(r.code).toBe(0);
    const row = JSON.parse(r.out.trim());
    const v = virtuos('verify', '--exhaustive', '--anchor', '1x2', '--liveness', 'terminal', '--json', '--out', join(tmp, 'of'));
    const summary = JSON.parse(v.out.trim().split('\n').at(-1)!);
    expect(row).toMatchObject({ size: '1x2', tool: 'virtuos-floor', states: summary.states, transitions: summary.transitions, spin_ns_per_state: null });
    const ns = row.ns_per_state;
    for (const part of ['decode', 'step', 'pack', 'table', 'invariants']) expect(ns[part]).toBeGreaterThan(0);
    expect(ns.search).toBeGreaterThan(ns.decode + ns.step + ns.pack);
    expect(ns.rest).toBe(ns.search - ns.decode - ns.step - ns.pack - ns.table - ns.invariants);
    expect(row.best_states_per_s).toBeGreaterThan(row.states_per_s);
    const text = virtuos('bench', '--floor', '--sizes', '1x2', '--no-spin');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/SPIN not run: skipped \(--no-spin\)/);
    expect(text.out).toMatch(/^ +1x2 +1816 +- +\d+ +\d+ +\d+ +\d+ +\d+ +\d+ +-?\d+ +[\d.]+[kM]? states\/s$/m);
  });
  test('list --json has the documented shape', () => {
    const r = virtuos('list', '--json');
    expect(r.code).toBe(0);
    const l = JSON.parse(r.out);
    expect(Object.keys(l)).toEqual(['properties', 'variants', 'scenarios']);
    expect(l.properties[0]).toMatchObject({ name: expect.any(String), group: 'dispatch', kind: expect.any(String), description: expect.any(String) });
    expect(l.variants.map((v: { name: string }) => v.name)).toEqual(expect.arrayContaining(['nostamp', 'lostwake', 'waiters-early', 'free-early', 'nospawn']));
    for (const v of l.variants) expect(v.breaks.length).toBeGreaterThan(0);
  });
  test('verify --json ends with the summary line; exit 0 on the correct model', () => {
    const r = virtuos('verify', '--json', '--runs', '60', '--seed', '4', '--out', join(tmp, 'o4'));
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((x) => JSON.parse(x));
    expect(lines[0].type).toBe('start');
    const last = lines.at(-1);
    expect(last.type).toBe('summary');
    expect(last.ok).toBe(true);
    for (const res of last.results) expect(Object.keys(res)).toEqual(['property', 'status', 'runs', 'steps', 'trace']);
  });
  test('verify of a variant exits 1 and writes a trace that replay reproduces (exit 0)', () => {
    const outDir = join(tmp, 'o5');
    const r = virtuos('verify', '--variant', 'nospawn', '--seed', '2', '--runs', '300', '--out', outDir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no-lost-wakeup +VIOLATED/);
    const files = readdirSync(outDir, { recursive: true }).map(String).filter((f) => f.endsWith('.itf.json'));
    expect(files).toContain(join('no-lost-wakeup', 'nospawn-2.itf.json'));
    const rep = virtuos('replay', join(outDir, 'no-lost-wakeup', 'nospawn-2.itf.json'));
    expect(rep.code).toBe(0);
    expect(rep.out).toMatch(/REPRODUCED/);
    expect(rep.out).toMatch(/^ +1\. /m);
  });
  test('--help describes each command and exits 0', () => {
    for (const c of ['list', 'verify', 'replay']) {
      const r = virtuos(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`usage: virtuos ${c}`));
    }
  });
});
