/**
 * The isolation layer: switched off it leaves the dispatch model as it was; switched on it boots,
 * connects and runs the dispatch protocol with every access checked; its mechanisms refuse what they
 * must; its properties look at real situations and each fails on its seeded bug; the adversary acts.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ADVERSARY_COMPONENTS } from '../model/isolation/adversary.ts';
import { ConfigError, DEFAULT_CONFIG, ISOLATION_BUGS, parseConfig, shownConfig, type Bug, type Config } from '../model/kit/config.ts';
import { allocUnbound, bindInterdomain, send } from '../model/isolation/event-channel.ts';
import { footprint } from '../model/kit/footprint.ts';
import { canEndAccess, endAccess, grantAccess, mapGrant, unmapGrant } from '../model/isolation/grant-table.ts';
import { FREE, NETWORK, PERM_RO, PERM_RW, PRIMARY, STORAGE, SYSID_NETWORK, SYSID_STORAGE } from '../model/isolation/layout.ts';
import { isMmio, isRegister, memoryMap } from '../model/isolation/memory-map.ts';
import { RV, rendezvousCheck } from '../model/isolation/rendezvous.ts';
import { COMPONENTS, enabled, makeSystem, pcName, step, stepViaXstate, type System } from '../model/kit/system.ts';
import { variantByName } from '../model/variants.ts';
import { propertiesFor, propertyByName } from '../properties/index.ts';
import { observedWords } from '../properties/isolation/confinement.ts';
import { listing } from '../scripts/cli/commands/list.ts';
import { run as verifyCommand } from '../scripts/cli/commands/verify.ts';
import { runSchedule } from '../scripts/verifier/explore.ts';
import { defaultMaxPicks, scheduleArb, verify } from '../scripts/verifier/random/verify.ts';

const ISO: Config = { ...DEFAULT_CONFIG, isolation: true, adversary: true };

/** The first of `runs` schedules (fast-check, pinned seed) whose run breaks `property`, without shrinking. */
function firstViolation(cfg: Config, property: string, seed: number, runs: number) {
  const sys = makeSystem(cfg);
  const prop = propertyByName(property)!;
  const schedules = fc.sample(scheduleArb(sys.actors.length, defaultMaxPicks(cfg)), { seed, numRuns: runs });
  for (let i = 0; i < schedules.length; i++) {
    const r = runSchedule(sys, schedules[i], { props: [prop] });
    if (r.violation) return { run: i + 1, ...r.violation };
  }
  return null;
}

describe('with the layer off', () => {
  test('the default configuration is the dispatch model alone', () => {
    const sys = makeSystem(DEFAULT_CONFIG);
    expect(sys.L.iso).toBeNull();
    expect(sys.gate).toBeNull();
    expect(sys.L.size).toBe(166);
    expect(sys.actors.map((a) => a.name)).toEqual(['T1', 'T2', 'T3', 'K1', 'K2', 'W1', 'W2', 'F', 'B']);
    expect(propertiesFor(DEFAULT_CONFIG).map((p) => p.name)).toEqual(['exactly-once', 'right-thread', 'linearizable', 'no-lost-wakeup', 'entry-safety']);
    // printed configurations and trace metadata leave the layers' default fields out
    expect(Object.keys(shownConfig(DEFAULT_CONFIG))).toEqual(Object.keys(DEFAULT_CONFIG).filter((k) => !['isolation', 'adversary', 'adversarySteps', 'networkProcesses', 'networkRestarts', 'recovery', 'crashes', 'chunks', 'adminStops'].includes(k)));
    const { recovery: _r, crashes: _c, chunks: _k, adminStops: _s, ...isoShown } = ISO;
    expect(shownConfig(ISO)).toEqual(isoShown);
  });

  test('the random verifier sees the same states as before the layer existed (300 runs, seed 1)', () => {
    const s = verify({ cfg: DEFAULT_CONFIG, variant: 'correct', props: propertiesFor(DEFAULT_CONFIG), seed: 1, runs: 300, timeS: null, outDir: '', writeTraces: false });
    expect(s.ok).toBe(true);
    expect(s.steps).toBe(126_166);
    expect(s.distinctStates).toBe(43_486);
    expect(s.adversary).toBeNull();
  });
});

describe('configuration', () => {
  test('each inconsistent combination names its field', () => {
    const field = (raw: object) => {
      try {
        parseConfig(raw);
      } catch (e) {
        return (e as ConfigError).field;
      }
      return null;
    };
    expect(field({ adversary: true })).toBe('adversary');
    expect(field({ isolation: true, notify: 'direct' })).toBe('notify');
    expect(field({ isolation: true, networkProcesses: 2 })).toBe('networkProcesses');
    expect(field({ bug: 'wake-writable' })).toBe('bug');
    expect(field({ isolation: true, adversarySteps: 0 })).toBe('adversarySteps');
    expect(field({ isolation: true, adversary: true, bug: 'wake-writable' })).toBeNull();
  });

  test('a property of the isolation group switches the layer on, and is refused naming the field where the configuration cannot take it', async () => {
    // the SPIN anchor's configuration notifies directly, which a service domain cannot do
    await expect(verifyCommand(['--property', 'memory-isolation', '--anchor', '2x1', '--runs', '1'])).rejects.toThrow(/switches its layer on, but then config field 'notify'/);
  });

  test('virtuos list shows the group and what each isolation variant breaks', () => {
    const l = listing();
    expect(l.properties.filter((p) => p.group === 'isolation').map((p) => p.name)).toEqual(['memory-isolation', 'device-isolation', 'grant-discipline', 'event-channel-isolation', 'confinement']);
    for (const bug of ISOLATION_BUGS) expect(l.variants.find((v) => v.name === bug)?.breaks.length).toBeGreaterThan(0);
  });
});

describe('boot and dispatch with the layer on', () => {
  test('the drain alone boots both domains, connects them, restarts the crashed network domain and completes every call', () => {
    const sys = makeSystem(ISO);
    const r = runSchedule(sys, [], { props: propertiesFor(ISO) });
    expect(r.violation).toBeNull();
    expect(r.end.quiescent).toBe(true);
    const I = sys.L.iso!;
    const s = r.final;
    expect(s[I.rvState[SYSID_STORAGE]]).toBe(RV.CONNECTED);
    expect(s[I.rvState[SYSID_NETWORK]]).toBe(RV.CONNECTED);
    expect(s[I.rvDomid[SYSID_STORAGE]]).toBe(1);
    expect(s[I.rvDomid[SYSID_NETWORK]]).toBe(4); // dom2 crashed; restarted as dom4
    const threads = sys.actors.map((a, i) => [a.name, pcName(sys, s, i)]).filter(([n]) => n.startsWith('T'));
    expect(threads).toEqual([
      ['T1', 'exited'],
      ['T2', 'exited'],
      ['T3', 'exited'],
    ]);
    // the data the SATA controller moved landed in the storage domain's own frame
    expect(s[I.frames[I.frame.priv[STORAGE]].content]).toBe(83);
  });

  test('the dispatch protocol is held until the storage domain is connected', () => {
    const sys = makeSystem(ISO);
    const held = new Set(sys.actors.slice(sys.heldFrom).map((a) => a.name));
    expect([...held]).toEqual(['T1', 'T2', 'T3', 'K1', 'K2', 'W1', 'W2', 'F', 'B']);
    expect(enabled(sys, sys.init).some((c) => held.has(sys.actors[c.actor].name))).toBe(false);
  });

  test('xstate steps the layer exactly as the compiled table does (random walks)', () => {
    const sys = makeSystem(ISO);
    let seed = 5;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff);
    let checked = 0;
    for (let walk = 0; walk < 20; walk++) {
      let s = sys.init;
      for (let i = 0; i < 150; i++) {
        const en = enabled(sys, s);
        if (en.length === 0) break;
        const ch = en[rnd() % en.length];
        const next = step(sys, s, ch);
        expect(Array.from(stepViaXstate(sys, s, ch).s)).toEqual(Array.from(next));
        s = next;
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });
});

describe('the hypervisor refuses what it must', () => {
  /** A state where the network domain runs and has granted its notify ring to dom0, which maps it. */
  function ringMapped(bug: Bug | null) {
    const sys = makeSystem({ ...ISO, bug });
    const I = sys.L.iso!;
    const s = sys.init.slice();
    s[I.life[NETWORK - 1].pc] = 2; // running (LIFE.running)
    for (const f of I.reservation[NETWORK]) s[I.frames[f].owner] = 2;
    expect(grantAccess(s, sys.L, NETWORK, I.ref.ring, I.frame.ring[NETWORK], 0, PERM_RW)).toBe(true);
    expect(mapGrant(s, sys.L, PRIMARY, I.map.ring(NETWORK), 2, I.ref.ring, PERM_RW)).toBe(true);
    return { sys, I, s };
  }

  test('ending access on a mapped grant is refused, and allowed only by the end-access-mapped bug', () => {
    const ok = ringMapped(null);
    expect(canEndAccess(ok.s, ok.sys.L, NETWORK, ok.I.ref.ring)).toBe(false);
    const bad = ringMapped('end-access-mapped');
    expect(endAccess(bad.s, bad.sys.L, NETWORK, bad.I.ref.ring)).toBe(true);
    expect(propertyByName('grant-discipline')!.invariant!(bad.sys, bad.s)?.clause).toBe('mapping-has-live-grant');
  });

  test("a dead domain's mapped frame is released with the last unmap, not before", () => {
    const { sys, I, s } = ringMapped(null);
    s[I.life[NETWORK - 1].pc] = 4; // destroyed
    const ring = I.frames[I.frame.ring[NETWORK]];
    expect(s[ring.owner]).toBe(2);
    expect(unmapGrant(s, sys.L, PRIMARY, I.map.ring(NETWORK))).toBe(true);
    expect(s[ring.owner]).toBe(FREE);
  });

  test('a grant maps only for its grantee, with at most its permission', () => {
    const { sys, I, s } = ringMapped(null);
    expect(grantAccess(s, sys.L, NETWORK, I.ref.wake, I.frame.wake[NETWORK], 0, PERM_RO)).toBe(true);
    expect(mapGrant(s, sys.L, PRIMARY, I.map.spare[0] ?? 0, 2, I.ref.wake, PERM_RW)).toBe(false);
    expect(mapGrant(s, sys.L, NETWORK, I.map.spare[0], 0, I.ref.rqTo(STORAGE, 0), PERM_RW)).toBe(false);
  });

  test("a send names the caller's own port; only the evtchn-foreign-send bug accepts another domain's", () => {
    for (const bug of [null, 'evtchn-foreign-send'] as const) {
      const sys = makeSystem({ ...ISO, bug });
      const s = sys.init.slice();
      s[sys.L.iso!.life[0].pc] = 2; // storage running as dom1
      expect(allocUnbound(s, sys.L, STORAGE, 0, 0)).toBe(true);
      expect(bindInterdomain(s, sys.L, PRIMARY, 0, 1, 0)).toBe(true);
      expect(send(s, sys.L, NETWORK, PRIMARY, 0)).toBe(bug !== null);
      expect(s[sys.L.evtToService]).toBe(bug !== null ? 1 : 0);
    }
  });

  test('the rendezvous: dom0-only operations, REGISTER only by the service domain the toolstack created', () => {
    const sys = makeSystem(ISO);
    const I = sys.L.iso!;
    const s = sys.init.slice();
    s[I.life[0].pc] = 2;
    s[I.life[1].pc] = 2;
    expect(rendezvousCheck(s, I, 2, 'REGISTER', SYSID_STORAGE)).toBe('EPERM'); // the network domain posing as storage
    expect(rendezvousCheck(s, I, 1, 'REGISTER', SYSID_STORAGE)).toBe('ok');
    expect(rendezvousCheck(s, I, 0, 'REGISTER', SYSID_STORAGE)).toBe('EPERM');
    expect(rendezvousCheck(s, I, 2, 'PREPARE', SYSID_NETWORK)).toBe('EPERM');
    expect(rendezvousCheck(s, I, 0, 'PREPARE', SYSID_NETWORK)).toBe('EINVAL'); // nothing registered yet
    s[I.rvState[SYSID_STORAGE]] = RV.CONNECTED;
    expect(rendezvousCheck(s, I, 0, 'CLEANUP', SYSID_STORAGE)).toBe('EINVAL');
    expect(rendezvousCheck(s, I, 0, 'DISCONNECT', SYSID_STORAGE)).toBe('ok');
  });
});

describe('the properties look at real situations on the correct model', () => {
  test('over 40 random runs: dispatch steps reach pages through grants, notifications cross domains, a device DMAs, the adversary acts before others', () => {
    const sys: System = makeSystem(ISO);
    const map = memoryMap(sys);
    const I = sys.L.iso!;
    const seen = { primaryThroughGrant: 0, storageThroughGrant: 0, foreignPending: 0, dma: 0, registers: 0, stepsAfterAttack: 0 };
    const adversarial = COMPONENTS.map((c) => ADVERSARY_COMPONENTS.includes(c));
    for (const sched of fc.sample(scheduleArb(sys.actors.length, defaultMaxPicks(ISO)), { seed: 3, numRuns: 40 })) {
      let attacked = false;
      runSchedule(sys, sched, {
        props: [],
        record: true,
      }).trace.forEach(({ choice, before }) => {
        const slot = map.accessor[choice.actor];
        if (adversarial[sys.actors[choice.actor].comp]) attacked = true;
        else if (attacked) seen.stepsAfterAttack++;
        const fp = footprint(sys, before, choice);
        for (const w of [...fp.reads, ...fp.writes]) {
          const home = map.home[w];
          if (home >= 0 && slot >= 0 && before[I.frames[home].owner] !== (slot === PRIMARY ? 0 : slot === STORAGE ? 1 : -9)) {
            if (slot === PRIMARY) seen.primaryThroughGrant++;
            if (slot === STORAGE) seen.storageThroughGrant++;
          }
          if (isRegister(home) || isMmio(home)) seen.registers++;
          const port = map.port.get(w);
          if (port && fp.writes.has(w) && slot >= 0 && port[0] !== slot) seen.foreignPending++;
          if (home >= 0 && isMmio(slot) && fp.writes.has(w)) seen.dma++;
        }
      });
    }
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(10);
  });

  test('confinement observes the whole dispatch protocol when no process is registered with the network domain', () => {
    const sys = makeSystem(ISO);
    const words = new Set(observedWords(sys));
    const p = sys.L.proc[0];
    for (const w of [p.freeTop, p.allocTop, p.head, p.waiters, sys.L.wake, sys.L.evtToService, sys.L.evtToPrimary, sys.L.kernel[0].pend, sys.L.thread[0].pc]) expect(words.has(w)).toBe(true);
    const I = sys.L.iso!;
    expect(words.has(I.frames[I.frame.priv[PRIMARY]].content)).toBe(true);
    expect(words.has(I.frames[I.frame.priv[NETWORK]].content)).toBe(false);
    const victims = new Set(observedWords(makeSystem({ ...ISO, networkProcesses: 1 })));
    expect(victims.has(p.head)).toBe(false);
    expect(victims.has(sys.L.wake)).toBe(false);
  });

  test('the adversary tries every kind of operation, and the hypervisor accepts some of each that a correct system allows', () => {
    const s = verify({ cfg: ISO, variant: 'correct', props: [propertyByName('confinement')!], seed: 1, runs: 150, timeS: null, outDir: '', writeTraces: false });
    expect(s.ok).toBe(true);
    const a = s.adversary!;
    expect(a.steps).toBe(150 * ISO.adversarySteps);
    // queueing a forged handle needs a ready queue granted to the network domain: none when no process is registered with it
    const events = ADVERSARY_COMPONENTS.flatMap((c) => Object.keys(c.spec.events)).filter((e) => e !== 'AdversaryQueuesHandle');
    for (const e of events) expect(a.byEvent[e], e).toBeGreaterThan(0);
    expect(a.accepted.AdversaryQueuesHandle ?? 0).toBe(0);
    for (const e of ['AdversaryGrantsAccess', 'AdversaryEndsAccess', 'AdversaryWritesMemory', 'AdversaryOpensPort', 'AdversaryPushesNotifyRecord', 'AdversaryProgramsNic', 'AdversaryClosesPort'])
      expect(a.accepted[e], e).toBeGreaterThan(0);
    expect(a.accepted.AdversaryMapsGrant ?? 0).toBe(0); // nothing is granted to it when no process is registered with it
  });
});

describe('each seeded bug of the layer is caught by its property (pinned seeds, first violating run, no shrinking)', () => {
  const cases: [Bug, string, string, number, number][] = [
    ['iommu-stale', 'device-isolation', 'dma-in-owner-pages', 1, 10],
    ['end-access-mapped', 'grant-discipline', 'mapping-has-live-grant', 1, 200],
    ['wake-writable', 'memory-isolation', 'wake-page-read-only-in-processes', 1, 5],
    ['notify-unchecked', 'confinement', 'primary-and-storage-unaffected', 3, 10],
    ['evtchn-foreign-send', 'event-channel-isolation', 'signal-only-bound-ports', 1, 20],
    ['no-quarantine', 'device-isolation', 'dma-in-requester-pages', 1, 300],
  ];
  test.each(cases)('%s breaks %s (%s)', (bug, property, clause, seed, runs) => {
    const cfg = parseConfig({ ...variantByName(bug)!.config, bug });
    expect(variantByName(bug)!.breaks).toContain(property);
    const v = firstViolation(cfg, property, seed, runs);
    expect(v, `no violation in ${runs} runs`).not.toBeNull();
    expect(v!.clause).toBe(clause);
    // the same schedules on the correct model break nothing
    expect(firstViolation({ ...cfg, bug: null }, property, seed, v!.run)).toBeNull();
  });
});

