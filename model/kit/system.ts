/**
 * The whole system: the components composed into one step semantics.
 *
 * `enabled(sys, s)` lists every atomic step that can happen next: for each actor (user threads,
 * kernel threads, workers, the frontend's notify thread, the backend's wake handler) the transitions
 * of its machine's current state whose guard holds. `step(sys, s, choice)` returns the next state.
 * Both are pure. Everything else (the random verifier, replay, the benchmarks) is built on these two.
 */
import type { Config } from './config.ts';
import { BOUNDS, checkConsistent, transportOf } from './config.ts';
import type { Branch, Component, Ctx, HistEvent } from './kit.ts';
import { NO_EMIT, xstateStep } from './kit.ts';
import { makeLayout, type Layout } from './layout.ts';
import { initPrimarySide, initServiceSide } from '../dispatch/state.ts';
import { initPosix } from '../posix/init.ts';
import { ADVERSARY_COMPONENTS } from '../isolation/adversary.ts';
import { initIsolation, networkLifecycle, storageLifecycle } from '../isolation/hypervisor.ts';
import { SERVICE_SERVING } from '../isolation/layout.ts';
import { dispatchConnected, networkConnect, storageConnect } from '../isolation/primary-domain.ts';
import { networkDomain, storageDomain } from '../isolation/service-domain.ts';
import { adminTool } from '../recovery/admin-tool.ts';
import { faultInjector } from '../recovery/fault-injector.ts';
import { initRecovery } from '../recovery/layout.ts';
import { COMPONENTS, DISPATCH_COMPONENTS, ISOLATION_COMPONENTS, POSIX_COMPONENTS, RECOVERY_COMPONENTS, type Actor, type System } from './components.ts';
import { interpretedStepper, type Choice, type FastStepper } from './stepper.ts';
import { compiledStepper } from './compiled.ts';

export { COMPONENTS, DISPATCH_COMPONENTS, POSIX_COMPONENTS, ISOLATION_COMPONENTS, RECOVERY_COMPONENTS };
export type { Actor, Choice, FastStepper, System };

/** `bounds`: see checkConsistent; exploration always uses the default. */
/** T1, K2, W1...; a one-of-a-kind actor (the frontend F, the backend B, the hypervisor XS...) is its bare prefix. */
const numbered = new Set(['T', 'K', 'W']);
const actorName = (prefix: string, n: number, i: number) => (n === 1 && !numbered.has(prefix) ? prefix : `${prefix}${i + 1}`);

/** With the POSIX layer on its own machines act, and the dispatch machines too when they carry its calls. */
function hasActors(cfg: Config, comp: Component): boolean {
  if (POSIX_COMPONENTS.has(comp)) return !!cfg.posix;
  if (DISPATCH_COMPONENTS.includes(comp)) return !cfg.posix || transportOf(cfg) === 'dispatch';
  return !cfg.posix || !!cfg.system;
}

export function makeSystem(cfg: Config, bounds: typeof BOUNDS = BOUNDS): System {
  checkConsistent(cfg, bounds);
  const L = makeLayout(cfg);
  const actors: Actor[] = [];
  // With the isolation layer on its actors come first: the drain (lowest-numbered actor first) then
  // boots the domains before the dispatch protocol, and lets devices and notify threads act before
  // the dispatch runs to its end, which keeps counterexamples short.
  const order = COMPONENTS.map((_, ci) => ci);
  if (cfg.system) order.splice(0, order.length, ...SYSTEM_ORDER.map((c) => COMPONENTS.indexOf(c)));
  else if (L.iso || L.rec) order.sort((a, b) => Number(a < DISPATCH_COMPONENTS.length) - Number(b < DISPATCH_COMPONENTS.length));
  for (const ci of order) {
    const comp = COMPONENTS[ci];
    const n = hasActors(cfg, comp) ? comp.spec.count(L) : 0;
    for (let i = 0; i < n; i++) actors.push({ comp: ci, me: i, name: comp.spec.name?.(L, i) ?? actorName(comp.spec.prefix, n, i), pcAt: comp.spec.pc(L, i) });
  }
  const init = initialState(L);
  let heldFrom = actors.length;
  // the isolation and recovery layers' actors start in their machines' initial states (the dispatch
  // and POSIX actors' are set by initialState)
  const layered = (a: Actor) => ISOLATION_COMPONENTS.includes(COMPONENTS[a.comp]) || RECOVERY_COMPONENTS.includes(COMPONENTS[a.comp]);
  if (L.iso) {
    initIsolation(L, init);
    for (const a of actors) if (layered(a)) init[a.pcAt] = COMPONENTS[a.comp].stateIndex.get(COMPONENTS[a.comp].spec.initial)!;
    heldFrom = actors.findIndex((a) => a.comp < DISPATCH_COMPONENTS.length);
  }
  // With the recovery layer on (which runs on the isolation layer's hypervisor) the run starts once
  // both service domains have booted and the frontend has connected to them (bootRecovery). Alone, the
  // layer holds the dispatch protocol's actors for the whole run: it abstracts a call to one request
  // entry (recovery-layout.ts) and the protocol is verified on its own; in the composed system they
  // carry the POSIX calls, and follow the domains' incarnations themselves (incarnation.ts).
  if (L.rec) {
    initRecovery(L.rec, cfg, init);
    for (const a of actors) if (layered(a)) init[a.pcAt] = COMPONENTS[a.comp].stateIndex.get(COMPONENTS[a.comp].spec.initial)!;
    const sys: System = { cfg, L, actors, init, gate: cfg.system ? null : () => false, heldFrom, shape: shapeOf(cfg) };
    sys.init = bootRecovery(sys);
    return sys;
  }
  return { cfg, L, actors, init, gate: L.iso ? dispatchConnected(L) : null, heldFrom, shape: shapeOf(cfg) };
}

/**
 * The composed system's actors in the order the drain (lowest first) favours: the programs and the
 * machines carrying their calls, the domains and the frontend, the recovery clients and the frontend's
 * recovery duties, and last those that only disturb: the adversary, the administrator, the fault injector.
 */
const SYSTEM_ORDER: readonly Component[] = [
  ...POSIX_COMPONENTS,
  ...DISPATCH_COMPONENTS,
  ...ISOLATION_COMPONENTS.filter((c) => !ADVERSARY_COMPONENTS.includes(c)),
  ...RECOVERY_COMPONENTS.filter((c) => c !== adminTool && c !== faultInjector),
  ...ADVERSARY_COMPONENTS,
  adminTool,
  faultInjector,
];

/** The configuration as a key, without the POSIX program (System.shape). */
export const shapeOf = (cfg: Config) => JSON.stringify(cfg.posix ? { ...cfg, posix: { ...cfg.posix, program: null } } : cfg);

/**
 * A function of a system's layout, cached per shape: the POSIX layer builds a system per program, and
 * they share their layout. A campaign meets few shapes; the cache is emptied past 64 all the same.
 */
export function perShape<T>(build: (sys: System) => T): (sys: System) => T {
  const cache = new Map<string, T>();
  return (sys) => {
    let v = cache.get(sys.shape);
    if (v === undefined) {
      if (cache.size >= 64) cache.clear();
      cache.set(sys.shape, (v = build(sys)));
    }
    return v;
  };
}

/** Components whose steps make up the boot of the service domains and the frontend's connection to them. */
const BOOT_COMPONENTS = new Set<Component>([storageLifecycle, networkLifecycle, storageDomain, networkDomain, storageConnect, networkConnect]);
/** Most steps the boot may take (it takes about 25). */
const BOOT_BOUND = 200;

/**
 * The state the recovery layer's runs start in: the model's own boot (the hypervisor creates both
 * domains, their backends grant, allocate ports and register, the frontend connects, the domains map the
 * ready queues), run by a fixed scheduler (the lowest actor first, drivers left alone) until both
 * domains serve. It is a run of the same step function, so every trace from it replays.
 */
function bootRecovery(sys: System): Int32Array {
  // the boot takes the same steps for every program of a shape: found once, replayed after that
  const known = bootSteps.get(sys.shape);
  if (known) {
    const st = fastStepper(sys);
    const brs: Branch[] = new Array(st.maxEnabled);
    let s = sys.init;
    for (const [actor, id] of known) {
      const n = st.actorEnabledInto(s, actor, brs);
      const br = st.branches[id];
      if (!brs.slice(0, n).includes(br)) return searchBoot(sys);
      const next = new Int32Array(s.length);
      st.stepInto(s, actor, br, next);
      s = next;
    }
    return s;
  }
  return searchBoot(sys);
}

/** The boot's steps per shape: [actor, branch id]. */
const bootSteps = new Map<string, [number, number][]>();

function searchBoot(sys: System): Int32Array {
  const boot = new Set(sys.actors.flatMap((a, i) => (BOOT_COMPONENTS.has(COMPONENTS[a.comp]) ? [i] : [])));
  const I = sys.L.iso!;
  const serving = (s: Int32Array) => [0, 1].every((k) => s[I.service[k].pc] === SERVICE_SERVING);
  const taken: [number, number][] = [];
  let s = sys.init;
  for (let n = 0; !serving(s); n++) {
    const ch = n < BOOT_BOUND ? enabled(sys, s).find((c) => boot.has(c.actor) && !c.event.name.startsWith('Driver')) : undefined;
    if (!ch) throw new Error(`recovery: the boot did not bring both service domains into service (${n} steps)`);
    taken.push([ch.actor, ch.branch.id]);
    s = step(sys, s, ch);
  }
  if (bootSteps.size > 64) bootSteps.clear();
  bootSteps.set(sys.shape, taken);
  return s;
}

function initialState(L: Layout): Int32Array {
  const s = new Int32Array(L.size);
  for (let d = 0; d < L.dd.length; d++) {
    initServiceSide(s, L, d);
    initPrimarySide(s, L, d);
  }
  if (L.posix) initPosix(s, L.posix);
  return s;
}

const noEmit = NO_EMIT;

/** Every step that can happen next, in a fixed order (actor, then event). */
export function enabled(sys: System, s: Int32Array): Choice[] {
  // One rule for what can move (the gate, runnable, the first branch whose guard holds): the
  // stepper's; this only turns its answer into Choice objects.
  const st = fastStepper(sys);
  const actors = new Int32Array(st.maxEnabled);
  const branches: Branch[] = new Array(st.maxEnabled);
  const k = st.enabledInto(s, actors, branches);
  const out: Choice[] = new Array(k);
  for (let i = 0; i < k; i++) out[i] = st.choice(s, actors[i], branches[i]);
  return out;
}

/** Take one step. `emit` receives the operation-history events the step produces. */
export function step(sys: System, s: Int32Array, ch: Choice, emit: (e: HistEvent) => void = noEmit): Int32Array {
  const actor = sys.actors[ch.actor];
  const next = s.slice();
  const ctx: Ctx = { s: next, me: actor.me, L: sys.L, emit };
  for (const act of ch.branch.actions) act(ctx);
  next[actor.pcAt] = ch.branch.target;
  return next;
}

/** The same step taken through xstate's own `transition`, for the agreement test. */
export function stepViaXstate(sys: System, s: Int32Array, ch: Choice): { s: Int32Array; events: HistEvent[] } {
  const actor = sys.actors[ch.actor];
  const r = xstateStep(COMPONENTS[actor.comp], s, sys.L, actor.me, ch.event.name);
  if (!r) throw new Error(`xstate refuses ${actor.name} ${ch.event.name}`);
  return r;
}

/** "T1 pops entry 2 from free_top (CAS succeeds)" */
export function label(sys: System, s: Int32Array, ch: Choice): string {
  const actor = sys.actors[ch.actor];
  const ctx: Ctx = { s, me: actor.me, L: sys.L, emit: noEmit };
  return `${actor.name} ${ch.event.doc.label(ctx, ch.branch.targetName)}`;
}

/** Find the enabled step of a named actor and event, as recorded in a trace. */
export function findChoice(sys: System, s: Int32Array, actorName: string, eventName: string): Choice | null {
  for (const ch of enabled(sys, s)) if (sys.actors[ch.actor].name === actorName && ch.event.name === eventName) return ch;
  return null;
}

/** Control state name of an actor. */
export function pcName(sys: System, s: Int32Array, actor: number): string {
  const a = sys.actors[actor];
  return COMPONENTS[a.comp].states[s[a.pcAt]].name;
}

/** Machine id of an actor. */
export function machineOf(sys: System, actor: number): string {
  return COMPONENTS[sys.actors[actor].comp].spec.id;
}

const steppers = new WeakMap<System, FastStepper>();

/**
 * The stepper the verifiers run on a system, made once per system: the compiled one (compiled.ts),
 * except with the POSIX layer on. Compiled steps are faster once the JIT has compiled the generated
 * code (docs/exhaustive.md has the figures); with the POSIX layer the random verifier builds a system
 * per generated program, each program takes the POSIX threads' code down paths the last did not,
 * and recompiling it cost as much as it won.
 */
export function fastStepper(sys: System): FastStepper {
  let st = steppers.get(sys);
  if (!st) steppers.set(sys, (st = sys.cfg.posix ? interpretedStepper(sys) : compiledStepper(sys)));
  return st;
}
