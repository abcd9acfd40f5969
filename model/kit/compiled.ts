/**
 * The compiled stepper: a system's FastStepper generated as straight-line JavaScript.
 *
 * SPIN turns a Promela model into a C program specialised to it; this does the same in two parts.
 * Per component, from the step table `compile` read out of its xstate machine (kit.ts): an `enabled`
 * function, a `switch` on the actor's control word whose cases try each event's guards in order and
 * record the first branch that holds, and a `step` function, a `switch` on the branch's number whose
 * cases call that branch's actions and store its target. Per system: the dispatch, which calls them
 * actor by actor with the actor's context, number and control word as literals, and tests the gate
 * once. The guards, actions and runnable tests called are the very functions registered in the
 * machines' `setup`, passed in as constants, so the protocol is still written once. What goes is the
 * interpretation (stepper.ts): the loops over tables, the lookups through each actor's component,
 * and the one call site every guard of the model went through, which the JIT could not inline.
 *
 * Why per component and not per actor, and why the system's contexts are arguments and not constants
 * of the code: the JIT compiles each generated function on its own, and a big one with its guards
 * inlined takes it a tenth of a second. Code per actor was compiled once per actor, and code closed
 * over one system's contexts once per system (the random verifier builds a system per generated
 * program and per narrowed configuration); short random runs then lost more to compiling than
 * they won. Code per component is compiled once per process. A test checks on random schedules of
 * every configuration family and seeded variant that this stepper takes exactly the steps of the
 * interpretive one and of xstate itself.
 */
import { COMPONENTS, type System } from './components.ts';
import type { Action, Branch, Component, Ctx, Guard, HistEvent } from './kit.ts';
import { NO_EMIT } from './kit.ts';
import { actorContexts, BRANCHES, maxEnabledOf, type FastStepper } from './stepper.ts';

/** Generated source: a function body, the names of its parameters and the values bound to them. */
export interface Source {
  body: string;
  params: string[];
  values: unknown[];
}

/** A component's generated code. */
interface ComponentCode {
  /** append the enabled steps of the actor numbered `a` (control word `pc`, context `c`) to ao/bo at k; returns the new count */
  enabled(c: Ctx, s: Int32Array, ao: Int32Array, bo: Branch[], k: number, a: number, pc: number): number;
  /** take branch number `id` on `d` (a copy of the state) */
  step(c: Ctx, id: number, d: Int32Array, emit: (e: HistEvent) => void, pc: number): void;
}

/** A system's generated dispatch: FastStepper's step functions, given the system's contexts and gate. */
interface Dispatch {
  enabledInto(C: Ctx[], gate: System['gate'], s: Int32Array, actorOut: Int32Array, branchOut: Branch[]): number;
  actorEnabledInto(C: Ctx[], gate: System['gate'], s: Int32Array, actor: number, branchOut: Branch[]): number;
  firstEnabled(C: Ctx[], gate: System['gate'], s: Int32Array, from: number, branchOut: Branch[]): number;
  stepInto(C: Ctx[], s: Int32Array, actor: number, branch: Branch, dst: Int32Array, emit: (e: HistEvent) => void): void;
}

/** A name and a comment for JavaScript source: only word characters, dots and dashes survive. */
const clean = (s: string) => s.replace(/[^\w.-]+/g, ' ').trim();

/** Names `prefix0`, `prefix1`... for the distinct values the generated code refers to, in the order first asked for. */
export class Names<T> {
  readonly values: T[] = [];
  private readonly index = new Map<T, string>();
  constructor(private readonly prefix: string) {}
  of(v: T): string {
    let name = this.index.get(v);
    if (name === undefined) {
      name = `${this.prefix}${this.values.length}`;
      this.index.set(v, name);
      this.values.push(v);
    }
    return name;
  }
  get names(): string[] {
    return this.values.map((v) => this.index.get(v)!);
  }
}

/** The generated source of a component's `enabled` and `step`; branches are named after their numbers (BRANCHES). */
export function componentSource(comp: Component): Source {
  const guards = new Names<Guard>('g');
  const actions = new Names<Action>('a');
  const branches = new Map<string, Branch>();
  const branch = (br: Branch) => {
    const name = `b${br.id}`;
    branches.set(name, br);
    return name;
  };
  // named after the component, so that profiles say whose code it is
  const name = comp.spec.id.replace(/\W/g, '_');
  const out = ['"use strict";', `// ${clean(comp.spec.id)}: the steps of actor a, its control word at s[pc]`, `function ${name}_enabled(c, s, ao, bo, k, a, pc) {`, '  c.s = s;'];
  if (comp.spec.runnable) out.push('  if (!runnable(c)) return k;');
  out.push('  switch (s[pc]) {');
  comp.states.forEach((st, si) => {
    if (st.events.length === 0) return;
    out.push(`    case ${si}: // ${clean(st.name)}`);
    for (const ev of st.events) {
      out.push(`      // ${clean(ev.name)}`);
      for (const [i, br] of ev.branches.entries()) {
        const test = br.guard === null ? '' : `if (${guards.of(br.guard)}(c)) `;
        out.push(`      ${i === 0 ? '' : 'else '}${test}{ ao[k] = a; bo[k++] = ${branch(br)}; } // ${clean(br.guardName ?? 'always')} -> ${clean(br.targetName)}`);
        // the branches after an unguarded one are never taken
        if (br.guard === null) break;
      }
    }
    out.push('      break;');
  });
  out.push('  }', '  return k;', '}', `function ${name}_step(c, id, d, emit, pc) {`, '  c.s = d;', '  c.emit = emit;', '  switch (id) {');
  for (const st of comp.states)
    for (const ev of st.events)
      for (const br of ev.branches) {
        const calls = br.actions.map((act) => ` ${actions.of(act)}(c);`).join('');
        out.push(`    case ${br.id}:${calls} d[pc] = ${br.target}; break; // ${clean(ev.name)} -> ${clean(br.targetName)}`);
      }
  out.push('  }', '  c.emit = NO_EMIT;', '}', `return { enabled: ${name}_enabled, step: ${name}_step };`);
  return {
    body: out.join('\n'),
    params: ['NO_EMIT', 'runnable', ...guards.names, ...actions.names, ...branches.keys()],
    values: [NO_EMIT, comp.spec.runnable ?? null, ...guards.values, ...actions.values, ...branches.values()],
  };
}

/**
 * The generated source of a system's dispatch: `enabledInto` calls each actor's component code in
 * actor order, those from `heldFrom` on inside one test of the gate; `actorEnabledInto` and
 * `firstEnabled` go through a switch on the actor; `stepInto` through a switch on the actor to its
 * component's `step`. The components' code comes in as `K`, indexed by component.
 */
export function dispatchSource(sys: System): Source {
  const n = sys.actors.length;
  const held = sys.gate === null ? n : sys.heldFrom;
  const kinds = [...new Set(sys.actors.map((x) => x.comp))].sort((a, b) => a - b);
  const enabled = (a: number, ao: string, k: string) => `E${sys.actors[a].comp}(C[${a}], s, ${ao}, bo, ${k}, ${a}, ${sys.actors[a].pcAt})`;
  const calls = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `  k = ${enabled(from + i, 'ao', 'k')}; // ${clean(sys.actors[from + i].name)}`);
  const gated = held < n;
  const out = [
    '"use strict";',
    ...kinds.map((ci) => `const E${ci} = K[${ci}].enabled, T${ci} = K[${ci}].step; // ${clean(COMPONENTS[ci].spec.id)}`),
    'function enabledInto(C, gate, s, ao, bo) {',
    '  let k = 0;',
    ...calls(0, held),
    ...(gated ? ['  if (gate(s)) {', ...calls(held, n).map((l) => `  ${l}`), '  }'] : []),
    '  return k;',
    '}',
    `const scratch = new Int32Array(${maxEnabledOf(sys)});`,
    '/** the enabled steps of actor a, the gate aside */',
    'function actorSteps(C, s, a, bo) {',
    '  switch (a) {',
    ...sys.actors.map((_, a) => `    case ${a}: return ${enabled(a, 'scratch', '0')};`),
    '  }',
    "  throw new RangeError('no actor ' + a);",
    '}',
    'function actorEnabledInto(C, gate, s, a, bo) {',
    ...(gated ? [`  if (a >= ${held} && !gate(s)) return 0;`] : []),
    '  return actorSteps(C, s, a, bo);',
    '}',
    'function firstEnabled(C, gate, s, from, bo) {',
    ...(gated ? ['  let open = -1;'] : []),
    `  for (let i = 0; i < ${n}; i++) {`,
    `    const a = (from + i) % ${n};`,
    ...(gated ? [`    if (a >= ${held}) {`, '      if (open < 0) open = gate(s) ? 1 : 0;', '      if (open === 0) continue;', '    }'] : []),
    '    if (actorSteps(C, s, a, bo) > 0) return a;',
    '  }',
    '  return -1;',
    '}',
    'function stepInto(C, s, actor, br, dst, emit) {',
    '  dst.set(s);',
    '  const id = br.id;',
    '  switch (actor) {',
    ...sys.actors.map((x, a) => `    case ${a}: T${x.comp}(C[${a}], id, dst, emit, ${x.pcAt}); return;`),
    '  }',
    "  throw new RangeError('no actor ' + actor);",
    '}',
    'return { enabledInto, actorEnabledInto, firstEnabled, stepInto };',
  ];
  const code = COMPONENTS.map((c, ci) => (kinds.includes(ci) ? codeOf(c) : null));
  return { body: out.join('\n'), params: ['K'], values: [code] };
}

const load = <T>(src: Source): T => new Function(...src.params, src.body)(...src.values) as T;

/** Each component's code, generated when first needed. */
const componentCode = new Map<Component, ComponentCode>();
function codeOf(comp: Component): ComponentCode {
  let code = componentCode.get(comp);
  if (!code) componentCode.set(comp, (code = load<ComponentCode>(componentSource(comp))));
  return code;
}

/** The dispatch code by what it depends on: each actor's component and control word, and the gate. */
const dispatches = new Map<string, Dispatch>();
/** Shapes kept at most (the random verifier's narrowed configurations make a few dozen). */
const SHAPES_KEPT = 256;

function dispatchFor(sys: System): Dispatch {
  const key = `${sys.gate === null ? '-' : sys.heldFrom}|${sys.actors.map((a) => `${a.comp}@${a.pcAt}`).join(',')}`;
  let code = dispatches.get(key);
  if (!code) {
    if (dispatches.size >= SHAPES_KEPT) dispatches.clear();
    dispatches.set(key, (code = load<Dispatch>(dispatchSource(sys))));
  }
  return code;
}

const steppers = new WeakMap<System, FastStepper>();

/** The compiled stepper of a system, made once per system (its code once per shape and component). */
export function compiledStepper(sys: System): FastStepper {
  const known = steppers.get(sys);
  if (known) return known;
  const code = dispatchFor(sys);
  const C = actorContexts(sys);
  const gate = sys.gate;
  const { branches, eventById } = BRANCHES;
  const stepper: FastStepper = {
    sys,
    actors: sys.actors.length,
    maxEnabled: maxEnabledOf(sys),
    branches,
    enabledInto: (s, actorOut, branchOut) => code.enabledInto(C, gate, s, actorOut, branchOut),
    actorEnabledInto: (s, actor, branchOut) => code.actorEnabledInto(C, gate, s, actor, branchOut),
    firstEnabled: (s, from, branchOut) => code.firstEnabled(C, gate, s, from, branchOut),
    stepInto: (s, actor, branch, dst, emit = NO_EMIT) => code.stepInto(C, s, actor, branch, dst, emit),
    choice: (_s, actor, branch) => ({ actor, event: eventById[branch.id], branch }),
  };
  steppers.set(sys, stepper);
  return stepper;
}
