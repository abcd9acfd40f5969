/**
 * The compiled stepper: a system's FastStepper generated as straight-line JavaScript.
 *
 * SPIN turns a Promela model into a C program specialised to it; this does the same for one system.
 * From the step tables `compile` read out of the xstate machines (kit.ts) and the system's actors it
 * writes, per actor, a `switch` on the actor's control word whose cases try each event's guards in
 * order and record the first branch that holds, and per actor and branch a function that calls the
 * branch's actions and stores its target. Word offsets, actor numbers and targets are literals; the
 * actors' contexts, the gate and the guard, action and runnable functions are constants of the
 * closure, and these are the very functions registered in the machines' `setup`, so the protocol is
 * still written once. What goes is the interpretation (stepper.ts): the loops over tables, the
 * lookups through each actor's component, and the one call site every guard of the model went
 * through, which the JIT could not inline.
 *
 * The generated code depends only on which component each actor runs and where its control word is
 * (and on the gate), so it is made once per such shape and bound to each system's own contexts and
 * gate: the random verifier builds a system per generated program. A test checks on random schedules
 * of every configuration family and seeded variant that this stepper takes exactly the steps of the
 * interpretive one and of xstate itself.
 */
import { COMPONENTS, type System } from './components.ts';
import type { Action, Branch, Ctx, Guard } from './kit.ts';
import { NO_EMIT } from './kit.ts';
import { actorContexts, BRANCHES, maxEnabledOf, type FastStepper } from './stepper.ts';

/** What the generated steppers are made of, as `compiledSource` returns it. */
export interface CompiledSource {
  /** the body of the factory: given `params`, it returns the four generated step functions */
  body: string;
  /** the factory's parameter names: `C` the actors' contexts, `gate`, then every function and branch the body refers to */
  params: string[];
  /** the values bound to the parameters after `C` and `gate` (the same for every system of the shape) */
  shared: unknown[];
}

type Generated = Pick<FastStepper, 'enabledInto' | 'actorEnabledInto' | 'firstEnabled' | 'stepInto'>;
type Factory = (ctxs: Ctx[], gate: System['gate'], ...shared: unknown[]) => Generated;

/** A name and a comment for JavaScript source: only word characters, dots and dashes survive. */
const clean = (s: string) => s.replace(/[^\w.-]+/g, ' ').trim();

/**
 * Names for the distinct values the generated code refers to: `prefix` and the value's number, by
 * default the order in which they are first asked for.
 */
class Names<T> {
  readonly values: T[] = [];
  private readonly index = new Map<T, string>();
  constructor(
    private readonly prefix: string,
    private readonly number: (v: T) => number = () => this.values.length,
  ) {}
  of(v: T): string {
    let name = this.index.get(v);
    if (name === undefined) {
      name = `${this.prefix}${this.number(v)}`;
      this.index.set(v, name);
      this.values.push(v);
    }
    return name;
  }
  get names(): string[] {
    return this.values.map((v) => this.index.get(v)!);
  }
}

/**
 * The generated source of a system's stepper. Per actor `a`: `e<a>(s, ao, bo, k)` appends its
 * enabled steps at k and returns the new count; `t<a>_<i>(d, emit)` takes its component's i-th
 * branch on the successor `d` (already a copy of the state). `enabledInto` runs the `e` functions in
 * actor order, those from `heldFrom` on inside one test of the gate; `stepInto` finds the `t`
 * function through the branch's number.
 */
export function compiledSource(sys: System): CompiledSource {
  const { branchId } = BRANCHES;
  const guards = new Names<Guard>('g');
  const actions = new Names<Action>('a');
  const runnables = new Names<(c: Ctx) => boolean>('r');
  /** a branch is named after its number (BRANCHES), so that b57 is the same branch in every system's code */
  const branches = new Names<Branch>('b', (br) => branchId.get(br)!);
  const out: string[] = ['"use strict";'];
  const n = sys.actors.length;
  /** where each actor's step functions start in F, less its component's first branch number */
  const stepBase: number[] = [];
  const steps: string[] = [];
  sys.actors.forEach((actor, a) => {
    const comp = COMPONENTS[actor.comp];
    const c = `C${a}`;
    out.push(`const ${c} = C[${a}];`, `// ${clean(actor.name)}: ${clean(comp.spec.id)}`, `function e${a}(s, ao, bo, k) {`, `  ${c}.s = s;`);
    if (comp.spec.runnable) out.push(`  if (!${runnables.of(comp.spec.runnable)}(${c})) return k;`);
    out.push(`  switch (s[${actor.pcAt}]) {`);
    comp.states.forEach((st, si) => {
      if (st.events.length === 0) return;
      out.push(`    case ${si}: // ${clean(st.name)}`);
      for (const ev of st.events) {
        out.push(`      // ${clean(ev.name)}`);
        for (const [i, br] of ev.branches.entries()) {
          const test = br.guard === null ? '' : `if (${guards.of(br.guard)}(${c})) `;
          out.push(`      ${i === 0 ? '' : 'else '}${test}{ ao[k] = ${a}; bo[k++] = ${branches.of(br)}; } // ${clean(br.guardName ?? 'always')} -> ${clean(br.targetName)}`);
          // the branches after an unguarded one are never taken
          if (br.guard === null) break;
        }
      }
      out.push('      break;');
    });
    out.push('  }', '  return k;', '}');
    // a component's branches are numbered consecutively (BRANCHES), so one offset per actor finds them
    const own = comp.states.flatMap((st) => st.events.flatMap((ev) => ev.branches));
    stepBase.push(own.length === 0 ? 0 : steps.length - branchId.get(own[0])!);
    own.forEach((br, i) => {
      const calls = br.actions.map((act) => ` ${actions.of(act)}(${c});`).join('');
      out.push(`function t${a}_${i}(d, emit) { ${c}.s = d; ${c}.emit = emit;${calls} ${c}.emit = NO_EMIT; d[${actor.pcAt}] = ${br.target}; }`);
      steps.push(`t${a}_${i}`);
    });
  });
  const held = sys.gate === null ? n : sys.heldFrom;
  const calls = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `  k = e${from + i}(s, ao, bo, k);`);
  out.push(
    '/** the enabled steps of s, actor by actor */',
    'function enabledInto(s, ao, bo) {',
    '  let k = 0;',
    ...calls(0, held),
    ...(held < n ? ['  if (gate(s)) {', ...calls(held, n).map((l) => `  ${l}`), '  }'] : []),
    '  return k;',
    '}',
    `const scratch = new Int32Array(${maxEnabledOf(sys)});`,
    '/** the enabled steps of actor a, the gate aside */',
    'function actorSteps(s, a, bo) {',
    '  switch (a) {',
    ...sys.actors.map((_, a) => `    case ${a}: return e${a}(s, scratch, bo, 0);`),
    '  }',
    "  throw new RangeError('no actor ' + a);",
    '}',
    'function actorEnabledInto(s, a, bo) {',
    ...(held < n ? [`  if (a >= ${held} && !gate(s)) return 0;`] : []),
    '  return actorSteps(s, a, bo);',
    '}',
    'function firstEnabled(s, from, bo) {',
    ...(held < n ? ['  let open = -1;'] : []),
    `  for (let i = 0; i < ${n}; i++) {`,
    `    const a = (from + i) % ${n};`,
    ...(held < n ? [`    if (a >= ${held}) {`, '      if (open < 0) open = gate(s) ? 1 : 0;', '      if (open === 0) continue;', '    }'] : []),
    '    if (actorSteps(s, a, bo) > 0) return a;',
    '  }',
    '  return -1;',
    '}',
    `const F = [${steps.join(', ')}];`,
    `const base = [${stepBase.join(', ')}];`,
    'function stepInto(s, actor, br, dst, emit = NO_EMIT) {',
    '  dst.set(s);',
    '  F[base[actor] + branchId.get(br)](dst, emit);',
    '}',
    'return { enabledInto, actorEnabledInto, firstEnabled, stepInto };',
  );
  return {
    body: out.join('\n'),
    params: ['C', 'gate', 'NO_EMIT', 'branchId', ...guards.names, ...actions.names, ...runnables.names, ...branches.names],
    shared: [NO_EMIT, branchId, ...guards.values, ...actions.values, ...runnables.values, ...branches.values],
  };
}

/** The generated factories by what the code depends on: each actor's component and control word, and the gate. */
const factories = new Map<string, { factory: Factory; shared: unknown[] }>();
/** Shapes kept at most; the random verifier's systems of one run share one. */
const FACTORIES_KEPT = 64;

function factoryFor(sys: System): { factory: Factory; shared: unknown[] } {
  const key = `${sys.gate === null ? '-' : sys.heldFrom}|${sys.actors.map((a) => `${a.comp}@${a.pcAt}`).join(',')}`;
  let made = factories.get(key);
  if (!made) {
    const src = compiledSource(sys);
    made = { factory: new Function(...src.params, src.body) as Factory, shared: src.shared };
    if (factories.size >= FACTORIES_KEPT) factories.clear();
    factories.set(key, made);
  }
  return made;
}

const steppers = new WeakMap<System, FastStepper>();

/** The compiled stepper of a system, made once per system (its code once per shape). */
export function compiledStepper(sys: System): FastStepper {
  const known = steppers.get(sys);
  if (known) return known;
  const { factory, shared } = factoryFor(sys);
  const { branches, branchId, eventOf } = BRANCHES;
  const stepper: FastStepper = {
    sys,
    actors: sys.actors.length,
    maxEnabled: maxEnabledOf(sys),
    branches,
    branchId,
    ...factory(actorContexts(sys), sys.gate, ...shared),
    choice: (_s, actor, branch) => ({ actor, event: eventOf.get(branch)!, branch }),
  };
  steppers.set(sys, stepper);
  return stepper;
}
