/**
 * The compiled stepper (model/kit/compiled.ts) takes exactly the steps of the interpretive one
 * (model/kit/stepper.ts) and of xstate itself: on random schedules of every configuration family
 * (dispatch, POSIX over either transport, isolation, recovery, the composed system) and of every seeded
 * variant, at every state both list the same enabled steps (actors and the very Branch objects), per
 * actor and first-enabled too, and every step gives the same successor and the same history events.
 * The generated code is straight-line: no walk over the step tables is left in it.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { anchorConfig, DEFAULT_CONFIG, parseConfig, systemConfig, type Config } from '../model/kit/config.ts';
import { compiledStepper, componentSource, dispatchSource } from '../model/kit/compiled.ts';
import type { Branch, HistEvent } from '../model/kit/kit.ts';
import { interpretedStepper, type FastStepper } from '../model/kit/stepper.ts';
import { COMPONENTS, makeSystem, stepViaXstate, type System } from '../model/kit/system.ts';
import { DEFAULT_POSIX } from '../model/posix/config.ts';
import { VARIANTS } from '../model/variants.ts';
import { programArb } from '../scripts/verifier/random/posix-programs.ts';

/** Every configuration family, correct, and every seeded variant over the default configuration. */
const CONFIGS: { name: string; cfg: Config }[] = [
  { name: 'default', cfg: DEFAULT_CONFIG },
  { name: 'anchor 2x2', cfg: anchorConfig(2, 2) },
  { name: 'anchor 3x1', cfg: anchorConfig(3, 1) },
  { name: 'posix (rpc)', cfg: parseConfig({ posix: DEFAULT_POSIX }) },
  { name: 'posix (dispatch transport)', cfg: parseConfig({ posix: { ...DEFAULT_POSIX, calls: 3 }, transport: 'dispatch' }) },
  { name: 'isolation', cfg: parseConfig({ isolation: true, adversary: true }) },
  { name: 'recovery', cfg: parseConfig({ isolation: true, recovery: true, crashes: 1 }) },
  { name: 'composed system', cfg: systemConfig() },
  ...VARIANTS.map((v) => ({ name: v.name, cfg: { ...DEFAULT_CONFIG, ...(v.config ?? {}), bug: v.name } })),
];

const WALKS = 5;
const STEPS = 150;

/** The systems a walk runs: one per walk, each with its own generated program when the POSIX layer runs one. */
function systems(cfg: Config): System[] {
  if (!cfg.posix || cfg.posix.program) return Array.from({ length: WALKS }, () => makeSystem(cfg));
  const programs = fc.sample(programArb(cfg.posix), { seed: 7, numRuns: WALKS });
  return programs.map((program) => makeSystem({ ...cfg, posix: { ...cfg.posix!, program } }));
}

/** A stepper's answers at one state, as text to compare. */
function enabledAt(st: FastStepper, s: Int32Array, from: number): string {
  const acts = new Int32Array(st.maxEnabled);
  const brs: Branch[] = new Array(st.maxEnabled);
  const id = (b: Branch) => (b.id >= 0 && st.branches[b.id] === b ? b.id : `foreign ${b.targetName}`);
  const n = st.enabledInto(s, acts, brs);
  const all = Array.from({ length: n }, (_, k) => `${acts[k]}:${id(brs[k])}`).join(' ');
  const perActor = Array.from({ length: st.actors }, (_, a) => brs.slice(0, st.actorEnabledInto(s, a, brs)).map(id).join(',')).join(' | ');
  const firsts = [0, from].map((f) => {
    const a = st.firstEnabled(s, f, brs);
    return a < 0 ? '-' : `${a}:${id(brs[0])}`;
  });
  return `enabled ${all}\nper actor ${perActor}\nfirst ${firsts.join(' ')}`;
}

/** Fail showing where two answers differ, word by word. */
function same(got: string, expected: string, where: string): void {
  if (got !== expected) expect(got.split(/[\n, ]/), where).toEqual(expected.split(/[\n, ]/));
}

function stepOf(st: FastStepper, s: Int32Array, actor: number, br: Branch): string {
  const events: HistEvent[] = [];
  const dst = new Int32Array(s.length);
  st.stepInto(s, actor, br, dst, (e) => events.push(e));
  return `${Array.from(dst).join(',')}\n${JSON.stringify(events)}`;
}

describe('the compiled stepper', () => {
  test('takes the same steps as the interpretive stepper and as xstate, on random schedules of every configuration and variant', () => {
    const picks = fc.sample(fc.array(fc.nat(1000), { minLength: STEPS, maxLength: STEPS }), { seed: 7, numRuns: WALKS });
    let steps = 0;
    let emitted = 0;
    for (const { name, cfg } of CONFIGS) {
      systems(cfg).forEach((sys, w) => {
        const ref = interpretedStepper(sys);
        const gen = compiledStepper(sys);
        const acts = new Int32Array(ref.maxEnabled);
        const brs: Branch[] = new Array(ref.maxEnabled);
        let s = sys.init;
        for (const [i, pick] of picks[w].entries()) {
          const where = `${name}, walk ${w}, step ${i}`;
          const expected = enabledAt(ref, s, pick % ref.actors);
          const got = enabledAt(gen, s, pick % ref.actors);
          same(got, expected, where);
          const n = ref.enabledInto(s, acts, brs);
          if (n === 0) break;
          const k = pick % n;
          const viaXstate = stepViaXstate(sys, s, ref.choice(s, acts[k], brs[k]));
          const reference = `${Array.from(viaXstate.s).join(',')}\n${JSON.stringify(viaXstate.events)}`;
          const interpreted = stepOf(ref, s, acts[k], brs[k]);
          same(interpreted, reference, `${where}: interpretive vs xstate`);
          const compiled = stepOf(gen, s, acts[k], brs[k]);
          same(compiled, reference, `${where}: compiled vs xstate`);
          emitted += viaXstate.events.length;
          steps++;
          s = viaXstate.s;
        }
      });
    }
    // the walks really walk, and steps that record history were among them
    expect(steps).toBeGreaterThan((CONFIGS.length * WALKS * STEPS) / 2);
    expect(emitted).toBeGreaterThan(100);
  });

  test('its code is straight-line: a switch on the control word per component, guards called by name, no walk over the step tables', () => {
    const sys = makeSystem(anchorConfig(1, 1, 2, 1));
    const thread = COMPONENTS[sys.actors[0].comp];
    const { body, params } = componentSource(thread);
    expect(body).toContain('switch (s[pc])');
    expect(body).toMatch(/if \(g\d+\(c\)\) \{ ao\[k\] = a; bo\[k\+\+\] = b\d+; \}/);
    expect(body).toMatch(/case \d+: a\d+\(c\);( a\d+\(c\);)* d\[pc\] = \d+; break;/);
    expect(body).not.toMatch(/\.(branches|events|states|guard|actions|target)\b|\b(for|while)\s*\(/);
    expect(params).toEqual(expect.arrayContaining(['NO_EMIT', 'runnable', 'g0', 'a0']));
    // the dispatch names each actor's control word and number; its one loop is firstEnabled's round of the actors
    const dispatch = dispatchSource(sys).body;
    sys.actors.forEach((a, i) => expect(dispatch).toContain(`k = E${a.comp}(C[${i}], s, ao, bo, k, ${i}, ${a.pcAt});`));
    expect(dispatch.match(/\b(for|while)\s*\(/g)).toEqual(['for (']);
  });
});
