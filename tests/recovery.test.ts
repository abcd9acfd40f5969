import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, parseConfig } from '../model/config.ts';
import { RECOVERY_SEMANTICS } from '../model/recovery.ts';
import { makeSystem, stepViaXstate, step, enabled } from '../model/system.ts';
import { VARIANTS } from '../model/variants.ts';
import { propertyByName } from '../properties/index.ts';
import { RECOVERY_PROPERTIES } from '../properties/recovery/index.ts';
import { main } from '../scripts/cli.ts';
import { runScenario, paperRecovery } from '../scripts/lib/scenarios.ts';
import { loadTrace, replay } from '../scripts/lib/trace.ts';
import { verify } from '../scripts/lib/verify.ts';

const RECOVERY = { ...DEFAULT_CONFIG, recovery: true };
const recoveryVariants = VARIANTS.filter((v) => v.config?.recovery);

/** The kept counterexample of each recovery variant: traces/<property>/<variant>-1.itf.json. */
const KEPT: [variant: string, property: string][] = [
  ['no-fail-pending', 'no-hang'],
  ['stale-completion', 'restoration'],
  ['refcount-leak', 'no-leak-after-crash'],
  ['storage-waits-network', 'containment'],
  ['fsync-early', 'durability'],
];

describe('recovery layer', () => {
  test('the correct model holds the recovery group on 300 runs (seed 1), crashing in every run', () => {
    const s = verify({ cfg: RECOVERY, variant: 'correct', props: RECOVERY_PROPERTIES, seed: 1, runs: 300, timeS: null, outDir: '', writeTraces: false });
    expect(s.results.map((r) => [r.property, r.status])).toEqual(RECOVERY_PROPERTIES.map((p) => [p.name, 'holds']));
    expect(s.runs).toBe(300);
    expect(s.crashes?.points).toBeGreaterThan(20);
    expect(s.crashes!.points).toBeLessThanOrEqual(s.crashes!.steps);
    expect(s.crashes?.runsWithCrash).toBe(300);
  });

  test('xstate and the compiled table agree on recovery steps', () => {
    const sys = makeSystem({ ...RECOVERY, crashes: 2 });
    let s = sys.init;
    for (let n = 0; n < 150; n++) {
      const en = enabled(sys, s);
      if (en.length === 0) break;
      const ch = en[(n * 7) % en.length];
      const a = step(sys, s, ch);
      expect(Array.from(stepViaXstate(sys, s, ch).s)).toEqual(Array.from(a));
      s = a;
    }
  });

  test('every recovery variant is listed with a recovery configuration, and every recovery property is broken by one', () => {
    expect(recoveryVariants.map((v) => v.name).sort()).toEqual(KEPT.map(([v]) => v).sort());
    for (const p of RECOVERY_PROPERTIES) expect(KEPT.some(([, q]) => q === p.name), p.name).toBe(true);
    for (const [v, p] of KEPT) expect(VARIANTS.find((x) => x.name === v)!.breaks).toContain(p);
  });

  test.each(KEPT)('kept trace of %s replays and breaks %s', (variant, property) => {
    const t = loadTrace(join('traces', property, `${variant}-1.itf.json`));
    expect(t.meta.config.bug).toBe(variant);
    expect(t.meta.verdict.property).toBe(property);
    const r = replay(t);
    expect(r.outcome).toBe('reproduced');
    expect(r.verdict?.property).toBe(property);
  });

  test('a fresh campaign finds the hang of no-fail-pending with seed 1', () => {
    const cfg = parseConfig({ ...RECOVERY, bug: 'no-fail-pending' });
    const s = verify({ cfg, variant: 'no-fail-pending', props: [propertyByName('no-hang')!], seed: 1, runs: 200, timeS: null, outDir: '', writeTraces: false });
    expect(s.results[0].status).toBe('violated');
    expect(s.results[0].clause).toBe('pending-calls-return');
  });

  test('the recovery semantics table names each situation once', () => {
    const names = RECOVERY_SEMANTICS.map((x) => x.situation);
    expect(new Set(names).size).toBe(names.length);
    expect(RECOVERY_SEMANTICS.length).toBeGreaterThanOrEqual(8);
  });

  test('bad configurations name the field', () => {
    expect(() => parseConfig({ recovery: true, crashes: 9 })).toThrow(ConfigError);
    expect(() => parseConfig({ recovery: true, crashes: 9 })).toThrow(/crashes/);
    expect(() => parseConfig({ bug: 'refcount-leak' })).toThrow(/needs recovery: true/);
    expect(() => parseConfig({ recovery: true, isolation: true })).toThrow(/'recovery'/);
  });
});

describe('the paper-recovery scenario', () => {
  const kept = loadTrace(join('traces', 'scenarios', 'paper-recovery.itf.json'));

  test('its kept trace replays with every recovery property holding', () => {
    const r = replay(kept);
    expect(r.outcome).toBe('reproduced');
    expect(r.verdict).toBeNull();
  });

  test('it runs to the same steps as the kept trace, and each phase holds at its recorded boundary', () => {
    const r = runScenario(makeSystem(paperRecovery.config), paperRecovery);
    expect(r.ok).toBe(true);
    expect(r.executed.map((x) => `${r.sys.actors[x.choice.actor].name} ${x.choice.event.name}`)).toEqual(kept.meta.steps.map((s) => `${s.actor} ${s.event}`));
    const phases = kept.itf.meta.phases as { name: string; from: number; to: number; problem: string | null }[];
    expect(phases.map((p) => p.name)).toEqual(paperRecovery.phases.map((p) => p.name));
    // re-judge each phase's check on the state the kept trace's steps reach at the phase's end
    let s = r.sys.init;
    let n = 0;
    for (const [i, ph] of phases.entries()) {
      for (; n < ph.to; n++) s = step(r.sys, s, r.executed[n].choice);
      expect(ph.problem).toBeNull();
      expect(paperRecovery.phases[i].check(r.sys, s), ph.name).toBeNull();
    }
    // the crash is step `from` of phase 2, with C2's send pending: the situation no-hang talks about
    expect(kept.meta.steps[phases[1].from - 1].event).toBe('FaultCrashesNetworkDomain');
  });

  test('a phase check fails on a broken variant: with no-fail-pending the network client never gets its error', () => {
    const r = runScenario(makeSystem({ ...paperRecovery.config, bug: 'no-fail-pending' }), paperRecovery);
    expect(r.ok).toBe(false);
    expect(r.violation?.property).toBe('no-hang');
  });

  test('virtuos scenario runs it (exit 0) and rejects an unknown name (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtuos-scenario-'));
    const log = console.log;
    const err = console.error;
    const out: string[] = [];
    console.log = (x: string) => out.push(x);
    console.error = (x: string) => out.push(x);
    try {
      expect(await main(['scenario', 'paper-recovery', '--out', dir])).toBe(0);
      expect(readFileSync(join(dir, 'scenarios', 'paper-recovery.itf.json'), 'utf8')).toBe(readFileSync(kept.file, 'utf8'));
      expect(await main(['scenario', 'no-such-scenario'])).toBe(2);
      expect(out.at(-1)).toMatch(/unknown scenario 'no-such-scenario'/);
    } finally {
      console.log = log;
      console.error = err;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the administrator's orderly stop", () => {
  test('with stops allowed, runs that stop and restart domains keep every recovery property (seed 5)', () => {
    const cfg = parseConfig({ recovery: true, adminStops: 2 });
    const stops = new Map<string, number>();
    const s = verify({ cfg, variant: 'correct', props: RECOVERY_PROPERTIES, seed: 5, runs: 600, timeS: null, outDir: join(tmpdir(), 'virtuos-stops') , writeTraces: false });
    expect(s.results.filter((r) => r.status !== 'holds')).toEqual([]);
    // the stops happen: count them in runs of the same configuration
    const sys = makeSystem(cfg);
    for (let i = 0; i < 200; i++) {
      let st = sys.init;
      for (let k = 0; k < 60; k++) {
        const en = enabled(sys, st);
        if (en.length === 0) break;
        const ch = en[(i * 7 + k * 13) % en.length];
        if (ch.event.name.startsWith('AdminStops')) stops.set(ch.event.name, (stops.get(ch.event.name) ?? 0) + 1);
        st = step(sys, st, ch);
      }
    }
    expect(stops.get('AdminStopsNetwork') ?? 0).toBeGreaterThan(0);
    expect(stops.get('AdminStopsStorage') ?? 0).toBeGreaterThan(0);
  });
  test('no stop happens unless the configuration allows it', () => {
    const sys = makeSystem(parseConfig({ recovery: true }));
    expect(enabled(sys, sys.init).some((c) => c.event.name.startsWith('AdminStops'))).toBe(false);
  });
});

test('the footprint region map names every word of the recovery layer', async () => {
  const { regionMap } = await import('../model/footprint.ts');
  const sys = makeSystem(parseConfig({ recovery: true }));
  const map = regionMap(sys);
  expect(map).toHaveLength(sys.L.size);
  expect(map.filter((r) => r.kind === 'recovery').length).toBeGreaterThan(0);
  expect(map.some((r) => r.field === 'AT.pc' && r.kind === 'actor')).toBe(true);
});
