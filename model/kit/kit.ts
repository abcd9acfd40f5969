/**
 * How a component is written and how it is stepped.
 *
 * Every component is an xstate v5 machine made with `setup({ guards, actions }).createMachine(...)`:
 * states and transitions carry descriptions, guards and actions are referred to by name. The
 * machine's context is `{ s, me, L }`: the whole system state (a word array, see layout.ts), which
 * actor of this kind it is, and the layout. A guard reads `s`; an action writes a private copy of it.
 *
 * Two ways to step the same machine:
 * - `xstateStep` asks xstate itself (`resolveState` + the pure `transition`), the reference semantics;
 * - `compile` reads the transitions back out of the machine object (its parsed state nodes, not our
 *   source) into a table of guard and action functions, which `system.ts` runs without xstate's
 *   interpreter. The implementations are the very functions registered in `setup`, so the protocol is
 *   written once; a test checks on random schedules that both ways give identical states.
 */
import { assign, setup, transition, type AnyStateMachine } from 'xstate';
import type { Layout } from './layout.ts';

/** One entry of an operation history, emitted by the step that invokes or completes the operation. */
export interface HistEvent {
  /** which shared object: a process's free/alloc stack, its ready queue, or the queue's node pool */
  obj: 'free' | 'alloc' | 'rq' | 'pool';
  proc: number;
  kind: 'inv' | 'ret';
  op: 'push' | 'pop' | 'enq' | 'deq';
  /** pushed/enqueued value at 'inv'; popped/dequeued value (or null = empty) at 'ret' */
  value: number | null;
}

export interface Ctx {
  /** in a guard: the current state; in an action: the private copy being written */
  s: Int32Array;
  /** index of this actor among the actors of its kind */
  me: number;
  L: Layout;
  emit: (e: HistEvent) => void;
}

export type Guard = (c: Ctx) => boolean;
export type Action = (c: Ctx) => void;

/** Documentation of one event: who sends it to whom, what it does, and how a step reads in a trace. */
export interface EventDoc {
  /** the component that performs it */
  from: string;
  /** the memory word, object or component it acts on */
  to: string;
  description: string;
  /** the step in domain words, from the state before it and the branch taken */
  label: (c: Ctx, target: string) => string;
}

export interface MachineState {
  description: string;
  on?: Record<string, TransitionDef | TransitionDef[]>;
}
export interface TransitionDef {
  target: string;
  guard?: string;
  actions?: string | string[];
  description?: string;
}

export interface ComponentSpec {
  /** machine id, e.g. 'user-thread' */
  id: string;
  /** actor name prefix in traces: T1, K1, W1... */
  prefix: string;
  /** a paragraph: what is modelled and what is simplified */
  description: string;
  /** the section of VIRTUOS.md it models */
  section: string;
  initial: string;
  states: Record<string, MachineState>;
  guards: Record<string, Guard>;
  actions: Record<string, Action>;
  events: Record<string, EventDoc>;
  /** guard documentation (one line each), for the spec */
  guardDocs: Record<string, string>;
  /** the actor's name in traces, when not its prefix and number */
  name?: (L: Layout, me: number) => string;
  /** number of actors of this kind in a layout, and where each one's control word lives */
  count: (L: Layout) => number;
  pc: (L: Layout, me: number) => number;
  /** the actor can take steps at all (a user thread only while a kernel thread runs it) */
  runnable?: (c: Ctx) => boolean;
}

export interface Branch {
  guardName: string | null;
  guard: Guard | null;
  actionNames: string[];
  actions: Action[];
  target: number;
  targetName: string;
  description: string;
  /** its number among every component's branches (stepper.ts `BRANCHES`, which numbers them): a step's hot paths read it, not a map */
  id: number;
}
export interface CompiledEvent {
  name: string;
  doc: EventDoc;
  branches: Branch[];
}
export interface CompiledState {
  name: string;
  description: string;
  events: CompiledEvent[];
}
export interface Component {
  spec: ComponentSpec;
  machine: AnyStateMachine;
  states: CompiledState[];
  stateIndex: Map<string, number>;
}

interface XContext {
  s: Int32Array;
  me: number;
  L: Layout;
  events: HistEvent[];
}

/** The emitter of a step nobody takes history from (the exhaustive search, guards): emitters may skip building events for it. */
export const NO_EMIT = (): void => {};
const noEmit = NO_EMIT;

function makeMachine(spec: ComponentSpec): AnyStateMachine {
  const guards: Record<string, (a: { context: XContext }) => boolean> = {};
  for (const [name, g] of Object.entries(spec.guards)) {
    guards[name] = ({ context }) => g({ s: context.s, me: context.me, L: context.L, emit: noEmit });
  }
  const actions: Record<string, unknown> = {};
  for (const [name, act] of Object.entries(spec.actions)) {
    actions[name] = assign(({ context }: { context: XContext }) => {
      const s = context.s.slice();
      const events = context.events.slice();
      act({ s, me: context.me, L: context.L, emit: (e) => events.push(e) });
      return { s, events };
    });
  }
  const states: Record<string, unknown> = {};
  for (const [name, st] of Object.entries(spec.states)) {
    const on: Record<string, unknown> = {};
    for (const [ev, t] of Object.entries(st.on ?? {})) {
      const list = Array.isArray(t) ? t : [t];
      on[ev] = list.map((d) => ({
        target: d.target,
        ...(d.guard ? { guard: d.guard } : {}),
        ...(d.actions ? { actions: d.actions } : {}),
        description: d.description ?? spec.events[ev]?.description,
      }));
    }
    states[name] = { description: st.description, on };
  }
  // The setup() generics cannot see names only known at run time; the compile step checks them.
  const s = setup({ types: {} as { context: XContext; events: { type: string } }, guards: guards as never, actions: actions as never });
  return s.createMachine({
    id: spec.id,
    description: spec.description,
    context: { s: new Int32Array(0), me: 0, L: null as unknown as Layout, events: [] },
    initial: spec.initial,
    states: states as never,
  }) as unknown as AnyStateMachine;
}

/** Read the machine's transitions back out of xstate's state nodes into a step table. */
function compile(spec: ComponentSpec, machine: AnyStateMachine): Omit<Component, 'spec' | 'machine'> {
  const names = Object.keys(machine.root.states);
  const stateIndex = new Map(names.map((n, i) => [n, i]));
  const states: CompiledState[] = names.map((name) => {
    const node = machine.root.states[name];
    const events: CompiledEvent[] = [];
    for (const [ev, transitions] of node.transitions) {
      const doc = spec.events[ev];
      if (!doc) throw new Error(`${spec.id}: event ${ev} has no documentation`);
      const branches: Branch[] = transitions.map((t) => {
        const guardName = t.guard === undefined ? null : typeof t.guard === 'string' ? t.guard : String((t.guard as { type: string }).type);
        if (guardName !== null && !spec.guards[guardName]) throw new Error(`${spec.id}: unknown guard ${guardName}`);
        const actionNames = (t.actions as unknown[]).map((a) => (typeof a === 'string' ? a : String((a as { type: string }).type)));
        for (const a of actionNames) if (!spec.actions[a]) throw new Error(`${spec.id}: unknown action ${a}`);
        const targetName = t.target?.[0]?.key ?? name;
        return {
          guardName,
          guard: guardName === null ? null : spec.guards[guardName],
          actionNames,
          actions: actionNames.map((a) => spec.actions[a]),
          target: stateIndex.get(targetName)!,
          targetName,
          description: t.description ?? doc.description,
          id: -1,
        };
      });
      events.push({ name: ev, doc, branches });
    }
    return { name, description: node.description ?? '', events };
  });
  return { states, stateIndex };
}

export function defineComponent(spec: ComponentSpec): Component {
  const machine = makeMachine(spec);
  return { spec, machine, ...compile(spec, machine) };
}

/**
 * Step one actor through xstate itself. Returns null when the event is not enabled in the actor's
 * current state (no transition's guard holds).
 */
export function xstateStep(comp: Component, s: Int32Array, L: Layout, me: number, event: string): { s: Int32Array; events: HistEvent[] } | null {
  const pcAt = comp.spec.pc(L, me);
  const value = comp.states[s[pcAt]].name;
  const snap = comp.machine.resolveState({ value, context: { s, me, L, events: [] } });
  if (!snap.can({ type: event })) return null;
  const [next] = transition(comp.machine, snap, { type: event });
  const ctx = next.context as XContext;
  const out = ctx.s === s ? s.slice() : ctx.s;
  out[pcAt] = comp.stateIndex.get(next.value as string)!;
  return { s: out, events: ctx.events };
}
