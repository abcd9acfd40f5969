import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { anchorConfig, ConfigError, DEFAULT_CONFIG } from '../model/kit/config.ts';
import { layerConfig, LayerError, LAYERS, PROPERTIES, propertiesFor, propertyByName, withLayersFor } from '../properties/index.ts';

const named = (...names: string[]) => names.map((n) => propertyByName(n)!);

describe('naming a property switches its layer on, the same way for every group', () => {
  test.each(PROPERTIES.map((p) => [p.name, p.group] as const))('%s (%s) applies to the configuration its name switches on', (name) => {
    const cfg = withLayersFor(DEFAULT_CONFIG, named(name));
    expect(propertiesFor(cfg).map((p) => p.name)).toContain(name);
  });
  test('isolation: as --isolation (with the adversary); recovery: as --recovery; posix: default bounds', () => {
    expect(withLayersFor(DEFAULT_CONFIG, named('memory-isolation'))).toMatchObject({ isolation: true, adversary: true, recovery: false });
    expect(withLayersFor(DEFAULT_CONFIG, named('containment'))).toMatchObject({ isolation: true, adversary: false, recovery: true });
    expect(withLayersFor(DEFAULT_CONFIG, named('compatibility')).posix).not.toBeNull();
    // a recovery run keeps its adversary choice when an isolation property is named with it
    expect(withLayersFor({ ...DEFAULT_CONFIG, isolation: true, recovery: true }, named('grant-discipline')).adversary).toBe(false);
  });
  test('the dispatch group leaves the configuration as it is', () => {
    expect(withLayersFor(DEFAULT_CONFIG, named('exactly-once', 'no-lost-wakeup'))).toEqual(DEFAULT_CONFIG);
  });
});

describe('combinations that cannot be judged soundly are refused with the reason', () => {
  test('posix with any other group', () => {
    expect(() => withLayersFor(DEFAULT_CONFIG, named('compatibility', 'exactly-once'))).toThrow(/dispatch group cannot be checked with the POSIX layer alone: it carries remote calls as an atomic RPC/);
    expect(() => withLayersFor(DEFAULT_CONFIG, named('no-leak', 'memory-isolation', 'containment'))).toThrow(LayerError);
  });
  test('dispatch with recovery (its actors are held: the dispatch properties would hold vacuously)', () => {
    expect(() => withLayersFor(DEFAULT_CONFIG, named('exactly-once', 'containment'))).toThrow(/vacuously/);
    expect(() => withLayersFor({ ...DEFAULT_CONFIG, isolation: true, recovery: true }, named('right-thread'))).toThrow(LayerError);
  });
  test('a switched layer whose field rules the base configuration breaks names the field', () => {
    expect(() => withLayersFor(anchorConfig(2, 1, 2, 2, 1, null), named('memory-isolation'))).toThrow(ConfigError);
  });
});

describe('--layer: one layer alone', () => {
  test.each(LAYERS.map((l) => [l]))('%s', (layer) => {
    const cfg = layerConfig({ ...DEFAULT_CONFIG, isolation: true, recovery: true }, layer);
    const groups = new Set(propertiesFor(cfg).map((p) => p.group));
    const expected = { system: ['dispatch', 'isolation', 'posix', 'recovery', 'system'], dispatch: ['dispatch'], posix: ['posix'], isolation: ['dispatch', 'isolation'], recovery: ['isolation', 'recovery'] }[layer];
    expect([...groups].sort()).toEqual(expected);
  });
});

function virtuos(...args: string[]) {
  const r = spawnSync(process.execPath, ['scripts/virtuos.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the CLI', () => {
  test('--property memory-isolation runs with the isolation layer on and exits 0', () => {
    const r = virtuos('verify', '--property', 'memory-isolation', '--runs', '30', '--seed', '1');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/isolation=true adversary=true/);
    expect(r.out).toMatch(/memory-isolation\s+holds\s+30/);
  });
  test('--property containment runs with the recovery layer on and exits 0', () => {
    const r = virtuos('verify', '--property', 'containment', '--runs', '30', '--seed', '1');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/recovery=true/);
    expect(r.out).toMatch(/containment\s+holds\s+30/);
  });
  test('a refused combination is one line naming the reason, exit 2', () => {
    const r = virtuos('verify', '--recovery', '--property', 'exactly-once', '--runs', '5');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/--property exactly-once: the dispatch group cannot be checked with the recovery layer alone/);
    expect(r.out).toBe('');
  });
  test('--layer with --isolation is bad usage', () => {
    const r = virtuos('verify', '--layer', 'posix', '--isolation');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/give one of --system, --layer, --isolation\/--recovery, not --layer and --isolation/);
  });
});
