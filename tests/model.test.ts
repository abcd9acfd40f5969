import { describe, expect, test } from 'vitest';
import { anchorConfig, BUGS, ConfigError, DEFAULT_CONFIG, parseConfig, type Config } from '../model/kit/config.ts';
import { footprint, regionMap } from '../model/kit/footprint.ts';
import { COMPONENTS, enabled, makeSystem, step, stepViaXstate, type System } from '../model/kit/system.ts';
import { guardReads } from '../scripts/verifier/exhaustive/por.ts';
import { VARIANTS } from '../model/variants.ts';
import type { HistEvent } from '../model/kit/kit.ts';

/** xorshift32: the tests' own pinned randomness */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** The steps xstate itself says are possible: for every runnable actor, every event of its state that `can` fire. */
function xstateEnabled(sys: System, s: Int32Array): string[] {
  const out: string[] = [];
  // the isolation layer holds the dispatch actors (from heldFrom on) until the storage domain is connected
  const last = sys.gate !== null && !sys.gate(s) ? sys.heldFrom : sys.actors.length;
  sys.actors.slice(0, last).forEach((a) => {
    const comp = COMPONENTS[a.comp];
    const ctx = { s, me: a.me, L: sys.L, emit: () => {} };
    if (comp.spec.runnable && !comp.spec.runnable(ctx)) return;
    const value = comp.states[s[a.pcAt]].name;
    const snap = comp.machine.resolveState({ value, context: { s, me: a.me, L: sys.L, events: [] } });
    for (const ev of Object.keys(comp.spec.states[value].on ?? {})) if (snap.can({ type: ev })) out.push(`${a.name} ${ev}`);
  });
  return out.sort();
}

const configs: [string, Config][] = [
  ['default', DEFAULT_CONFIG],
  ['anchor 2x2', anchorConfig(2, 2)],
  ['two processes, atomic queue, direct notify', { ...DEFAULT_CONFIG, processes: 2, threads: 2, kernelThreads: 1, blockingPair: false, readyQueue: 'atomic', notify: 'direct' }],
  ...VARIANTS.map((v) => [`variant ${v.name}`, { ...DEFAULT_CONFIG, ...v.config, bug: v.name }] as [string, Config]),
];

describe('the fast step table derived from the xstate machines', () => {
  for (const [name, cfg] of configs) {
    test(`steps exactly as xstate's own transition does (${name})`, () => {
      const sys = makeSystem(cfg);
      const r = rng(0xc0ffee);
      let compared = 0;
      // the composed system has some sixty actors whose every state xstate resolves on each step: fewer, shorter runs;
      // a variant changes a few transitions of the default table: half the runs
      const [runs, steps] = cfg.system ? [3, 150] : name.startsWith('variant') ? [6, 400] : [12, 400];
      for (let run = 0; run < runs; run++) {
        let s = sys.init;
        for (let i = 0; i < steps; i++) {
          const en = enabled(sys, s);
          expect(en.map((c) => `${sys.actors[c.actor].name} ${c.event.name}`).sort()).toEqual(xstateEnabled(sys, s));
          if (en.length === 0) break;
          const ch = en[r() % en.length];
          const events: HistEvent[] = [];
          const fast = step(sys, s, ch, (e) => events.push(e));
          const ref = stepViaXstate(sys, s, ch);
          expect(Array.from(fast)).toEqual(Array.from(ref.s));
          expect(events).toEqual(ref.events);
          s = fast;
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(runs * 4);
    });
  }
});

describe('every machine is documented and well formed', () => {
  test('every state, event, guard and machine carries a description', () => {
    for (const comp of COMPONENTS) {
      expect(comp.spec.description.length).toBeGreaterThan(20);
      for (const st of comp.states) expect(st.description, `${comp.spec.id}.${st.name}`).not.toBe('');
      for (const [ev, doc] of Object.entries(comp.spec.events)) expect(doc.description, `${comp.spec.id} ${ev}`).not.toBe('');
      for (const g of Object.keys(comp.spec.guards)) expect(comp.spec.guardDocs[g], `${comp.spec.id} guard ${g}`).toBeTruthy();
    }
  });
  test('machine ids are unique (coverage and the spec name machines by id)', () => {
    const ids = COMPONENTS.map((c) => c.spec.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
  test('every declared event is used by some state of some machine (machines of one kind may share an event table)', () => {
    const used = new Set(COMPONENTS.flatMap((comp) => comp.states.flatMap((st) => st.events.map((e) => e.name))));
    const declared = COMPONENTS.flatMap((comp) => Object.keys(comp.spec.events));
    expect(declared.filter((e) => !used.has(e))).toEqual([]);
  });
});

describe('configuration', () => {
  test('a bad field is named', () => {
    const bad = (raw: unknown) => {
      try {
        parseConfig(raw);
      } catch (e) {
        return (e as ConfigError).field;
      }
      return null;
    };
    expect(bad({ threads: 0 })).toBe('threads');
    expect(bad({ threads: 2.5 })).toBe('threads');
    expect(bad({ entries: 99 })).toBe('entries');
    expect(bad({ colour: 'red' })).toBe('colour');
    expect(bad({ notify: 'smoke' })).toBe('notify');
    expect(bad({ bug: 'typo' })).toBe('bug');
    expect(bad({ kernelThreads: 4, threads: 3 })).toBe('kernelThreads');
    expect(bad({ initialWorkers: 3, workers: 2 })).toBe('initialWorkers');
    expect(bad([])).toBe('(top)');
    expect(bad({})).toBeNull();
  });
  test('every seeded bug has a variant entry and every variant names properties that exist', () => {
    expect(VARIANTS.map((v) => v.name).sort()).toEqual([...BUGS].sort());
  });
});

describe('the atomic ready queue lays out no lock-free queue words', () => {
  // With `readyQueue: 'atomic'` the lock-free queue's nodes, head, tail, pool and the registers only
  // its steps use have no words (layout.ts: index ABSENT). Sound only if no guard, runnable test or
  // action of such a configuration reads one: every actor's every guard at its state (por.ts's
  // guardReads) and every enabled step (its footprint) are run on views that reject a read of a
  // negative index, on random walks of the SPIN anchor's configurations, correct and with each seeded
  // bug SPIN's model has, and of the dispatch defaults with the atomic queue (none has a gate).
  const laidOut = (w: number) => {
    if (w < 0) throw new Error(`read of word ${w}, which this configuration does not lay out`);
  };
  const configs: [string, Config][] = [
    ['2x1', anchorConfig(2, 1)],
    ['2x2', anchorConfig(2, 2)],
    ['3x1 with 1 entry and 1 worker', anchorConfig(3, 1, 1, 1)],
    ...(['nostamp', 'lostwake', 'waiters-early', 'free-early'] as const).map((b): [string, Config] => [`2x2 ${b}`, anchorConfig(2, 2, 2, 2, 1, b)]),
    // the wake path, the notify ring, spawning and M:N threads with the atomic queue
    ['the dispatch defaults with the atomic queue', { ...DEFAULT_CONFIG, readyQueue: 'atomic' }],
  ];
  test.each(configs)('%s', (_name, cfg) => {
    const sys = makeSystem(cfg);
    expect(sys.gate).toBe(null);
    const L = sys.L;
    expect(L.proc.every((p) => p.head < 0 && p.tail < 0 && p.nodeValue < 0 && p.nodeNext < 0 && p.poolTop < 0 && p.poolNext < 0)).toBe(true);
    expect(L.kernel.every((k) => k.hi < 0 && k.fn < 0) && L.worker.every((w) => w.n < 0 && w.qi < 0)).toBe(true);
    expect(L.size).toBeLessThan(makeSystem({ ...cfg, readyQueue: 'lockfree' }).L.size);
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return (seed >>> 8) % n;
    };
    let stepsTaken = 0;
    for (let run = 0; run < 40; run++) {
      let s: Int32Array = sys.init.slice();
      for (let n = 0; n < 120; n++) {
        for (let a = 0; a < sys.actors.length; a++) guardReads(sys, s, a, laidOut);
        const chs = enabled(sys, s);
        if (chs.length === 0) break;
        // footprint runs the step's guards and actions on recording views, which throw at such a read too
        for (const ch of chs) footprint(sys, s, ch);
        s = step(sys, s, chs[rand(chs.length)]);
        stepsTaken++;
      }
    }
    expect(stepsTaken).toBeGreaterThan(1000);
  });
});

describe('footprints', () => {
  test('a successful pop of free_top reads and writes the stamped top and the thread registers, and nothing of the ready queue', () => {
    const sys = makeSystem(DEFAULT_CONFIG);
    const regions = regionMap(sys);
    let s = sys.init;
    const find = (ev: string) => enabled(sys, s).find((c) => c.event.name === ev && sys.actors[c.actor].name === 'T1')!;
    s = step(sys, s, find('CallerLoadsFreeTop'));
    s = step(sys, s, find('CallerLoadsNext'));
    const fp = footprint(sys, s, find('CallerPopsFreeEntry'));
    const wrote = [...fp.writes].map((i) => regions[i].field).sort();
    expect(wrote).toContain('free_top[0]');
    expect(wrote).toContain('free_top[1]');
    expect(wrote).toContain('T1.pc');
    expect([...fp.reads, ...fp.writes].some((i) => regions[i].kind === 'ready-queue')).toBe(false);
  });
});
