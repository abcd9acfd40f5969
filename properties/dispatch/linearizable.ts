/**
 * Linearizable stacks and ready queue (a property of the operation history).
 *
 * The lock-free objects behave like their sequential specifications: the histories of push and pop
 * on `free_top`, on `alloc_top` and on the ready queue's node pool are those of a LIFO stack, and the
 * history of enqueue and dequeue on the ready queue is that of a FIFO queue. The history is recorded
 * from the model (an operation is invoked at its first load and responds at its successful CAS, or
 * at the empty check of a dequeue) and checked by a Wing-Gong linearizability checker
 * (properties/lib/linearizability.ts); nothing about the objects is assumed. Pending operations may
 * or may not have taken effect.
 *
 * VIRTUOS.md: "The dispatch protocol" (LIFO stacks, Michael-Scott queue).
 */
import {
  checkLinearizable,
  fifoQueueSpecFrom,
  lifoStackSpecFrom,
  type Operation,
  type QueueInput,
  type QueueOutput,
  type SequentialSpec,
  type StackInput,
  type StackOutput,
} from '../lib/linearizability.ts';
import type { Property, TimedEvent } from '../property.ts';
import type { System } from '../../model/kit/system.ts';
import { dispatchProcName, domainOfProc, SERVICE_NETWORK } from '../../model/kit/layout.ts';
import { objectOf } from '../../model/system/instance.ts';

type Obj = TimedEvent['obj'];

/** Pair each actor's invocation with its next response on the same object; repeated invocations (retries) extend the open one. */
export function operationsOf(events: TimedEvent[], proc: number, obj: Obj): Operation<StackInput | QueueInput, StackOutput | QueueOutput>[] {
  const ops: Operation<StackInput | QueueInput, StackOutput | QueueOutput>[] = [];
  const open = new Map<number, Operation<StackInput | QueueInput, StackOutput | QueueOutput>>();
  for (const ev of events) {
    if (ev.proc !== proc || ev.obj !== obj) continue;
    if (ev.kind === 'inv') {
      if (open.has(ev.actor)) continue;
      const input = ev.op === 'push' || ev.op === 'enq' ? { op: ev.op, value: ev.value as number } : { op: ev.op };
      const op = { id: ops.length, client: ev.actor, input: input as StackInput | QueueInput, output: undefined, call: ev.time, ret: null };
      ops.push(op);
      open.set(ev.actor, op);
    } else {
      const op = open.get(ev.actor);
      if (!op) continue;
      op.ret = ev.time;
      op.output = { value: ev.op === 'pop' || ev.op === 'deq' ? ev.value : null };
      open.delete(ev.actor);
    }
  }
  return ops;
}

/** The sequential specification of one object of a dispatch process (the same for every process). */
function specOf(sys: System, obj: Obj): SequentialSpec<readonly number[], StackInput | QueueInput, StackOutput | QueueOutput> {
  const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
  const spec = obj === 'free' ? lifoStackSpecFrom(range(0, sys.cfg.entries)) : obj === 'alloc' ? lifoStackSpecFrom([]) : obj === 'pool' ? lifoStackSpecFrom(range(1, sys.L.nodes)) : fifoQueueSpecFrom([]);
  return spec as SequentialSpec<readonly number[], StackInput | QueueInput, StackOutput | QueueOutput>;
}

const OBJS: readonly Obj[] = ['free', 'alloc', 'pool', 'rq'];
const objKey = (proc: number, obj: Obj) => proc * OBJS.length + OBJS.indexOf(obj);

/**
 * The response-order witness (properties/lib/linearizability.ts responseOrder), built as the events
 * arrive: per object, the specification state after its completed operations in the order they
 * responded. A run checks its history twice (before the drain, at the end) on one growing list, so
 * each call goes on from the events the last one saw. An object whose witness the specification
 * accepted is linearizable with no search; only one where it failed is handed to the full checker,
 * whose verdict is then the property's. The memo belongs to one list and one system: a list that was
 * changed other than by appending starts afresh.
 */
interface Witness {
  sys: System;
  seen: number;
  last: TimedEvent | undefined;
  /** per object: its specification, the state after the witness so far (null: rejected), the open invocations by actor */
  objs: Map<number, { spec: ReturnType<typeof specOf>; state: readonly number[] | null; open: Map<number, StackInput | QueueInput> }>;
}
const witnesses = new WeakMap<TimedEvent[], Witness>();

function witnessOf(sys: System, events: TimedEvent[]): Witness {
  let w = witnesses.get(events);
  if (!w || w.sys !== sys || w.seen > events.length || (w.seen > 0 && events[w.seen - 1] !== w.last)) {
    w = { sys, seen: 0, last: undefined, objs: new Map() };
    witnesses.set(events, w);
  }
  for (let i = w.seen; i < events.length; i++) {
    const ev = events[i];
    const k = objKey(ev.proc, ev.obj);
    let o = w.objs.get(k);
    if (!o) {
      const spec = specOf(sys, ev.obj);
      w.objs.set(k, (o = { spec, state: spec.init(), open: new Map() }));
    }
    // operationsOf's pairing: an actor's first invocation opens its operation, its next response closes it
    if (ev.kind === 'inv') {
      if (!o.open.has(ev.actor)) o.open.set(ev.actor, ev.op === 'push' || ev.op === 'enq' ? { op: ev.op, value: ev.value as number } : { op: ev.op });
      continue;
    }
    const input = o.open.get(ev.actor);
    if (input === undefined) continue;
    o.open.delete(ev.actor);
    if (o.state !== null) o.state = o.spec.step(o.state, input, { value: ev.op === 'pop' || ev.op === 'deq' ? ev.value : null });
  }
  w.seen = events.length;
  w.last = events[events.length - 1];
  return w;
}

/**
 * The objects whose histories are checked: every dispatch process's free and alloc stacks, node pool
 * and ready queue; in the composed system one of each per incarnation of its domain (instance.ts
 * historyObject: a restarted domain's request area and queue start afresh).
 */
function objects(sys: System, events: readonly TimedEvent[]): { proc: number; obj: Obj; what: () => string }[] {
  const out = [];
  const procs = new Set<number>(Array.from({ length: sys.L.proc.length }, (_, p) => p));
  for (const e of events) procs.add(e.proc);
  for (const p of [...procs].sort((a, b) => a - b)) {
    const { q, incarnation } = objectOf(sys.L, p);
    // with the adversary on, the compromised network domain's instance owes nothing (its stacks and queue are in its reach)
    if (sys.cfg.system && sys.cfg.adversary && sys.L.dd[domainOfProc(sys.L, q)].service === SERVICE_NETWORK) continue;
    // named only when a history is reported
    const of = (what: string) => () => `${what}${incarnation > 0 ? ` (incarnation ${incarnation})` : ''}`;
    out.push({ proc: p, obj: 'free' as const, what: of('free_top stack') });
    out.push({ proc: p, obj: 'alloc' as const, what: of('alloc_top stack') });
    if (sys.cfg.readyQueue === 'lockfree') out.push({ proc: p, obj: 'pool' as const, what: of('ready-queue node pool') });
    out.push({ proc: p, obj: 'rq' as const, what: of('ready queue') });
  }
  return out;
}

export const linearizable: Property = {
  name: 'linearizable',
  group: 'dispatch',
  kind: 'history',
  section: 'The dispatch protocol',
  description: 'The push/pop histories of free_top, alloc_top and the node pool are linearizable to a LIFO stack; the enqueue/dequeue history of the ready queue to a FIFO queue.',
  clauses: {
    'free-stack-lifo': 'free_top behaves as a sequential LIFO stack',
    'alloc-stack-lifo': 'alloc_top behaves as a sequential LIFO stack',
    'node-pool-lifo': 'the ready queue\'s node pool behaves as a sequential LIFO stack',
    'ready-queue-fifo': 'the ready queue behaves as a sequential FIFO queue',
  },
  history(sys, events) {
    let unknown = false;
    const witness = witnessOf(sys, events);
    for (const o of objects(sys, events)) {
      // accepted in response order (or no events at all): linearizable, no search needed
      if ((witness.objs.get(objKey(o.proc, o.obj))?.state ?? []) !== null) continue;
      const ops = operationsOf(events, o.proc, o.obj);
      if (ops.length === 0) continue;
      const r = checkLinearizable(specOf(sys, o.obj), ops, { maxNodes: 200_000 });
      if (r.verdict === 'unknown') unknown = true;
      if (r.verdict === 'illegal') {
        const clause = o.obj === 'free' ? 'free-stack-lifo' : o.obj === 'alloc' ? 'alloc-stack-lifo' : o.obj === 'pool' ? 'node-pool-lifo' : 'ready-queue-fifo';
        return { clause, message: `${dispatchProcName(sys.L, objectOf(sys.L, o.proc).q)} ${o.what()}: ${r.explanation}` };
      }
    }
    return unknown ? 'unknown' : null;
  },
};
