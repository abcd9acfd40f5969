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

const OBJECTS: readonly Obj[] = ['free', 'alloc', 'pool', 'rq'];

/** One object's history as `everyObjectInResponseOrder` replays it: the specification's state and each actor's open operation. */
interface Replay {
  /** stack: top last; queue: head at `head` */
  items: number[];
  head: number;
  lifo: boolean;
  /** per actor: 0 no open operation, 1 an open push/enq of openValue, 2 an open pop/deq */
  open: Uint8Array;
  openValue: Int32Array;
}

/**
 * The checker's first witness for every object at once, in one pass over the events: the completed
 * operations in the order they responded, replayed on the object's sequential specification as they
 * respond (events come in time order), with the operations, inputs and outputs operationsOf() builds.
 * True means every object has a linearization, this one: an operation that returned before another
 * was invoked also returned before it (two responses at one time are concurrent, so their order is
 * free), and pending operations may be left out. False leaves the verdict to the checker, which
 * tries the same witness first. A random run checks its history on every run; this pass spares it
 * building operation lists, objects and specification states (about a sixth of a checked run).
 */
export function everyObjectInResponseOrder(sys: System, events: readonly TimedEvent[]): boolean {
  const replays: (Replay | undefined)[] = [];
  const actors = sys.actors.length;
  for (let k = 0; k < events.length; k++) {
    const ev = events[k];
    const o = OBJECTS.indexOf(ev.obj);
    const key = ev.proc * 4 + o;
    let r = replays[key];
    if (r === undefined) {
      // the specification's initial content, which lists a stack top first; here the top is last
      const initial = [...specOf(sys, ev.obj).init()];
      r = replays[key] = { items: ev.obj === 'rq' ? initial : initial.reverse(), head: 0, lifo: ev.obj !== 'rq', open: new Uint8Array(actors), openValue: new Int32Array(actors) };
    }
    const a = ev.actor;
    if (ev.kind === 'inv') {
      if (r.open[a] !== 0) continue;
      const push = ev.op === 'push' || ev.op === 'enq';
      r.open[a] = push ? 1 : 2;
      if (push) {
        // (a push of no value: the checker decides)
        if (ev.value === null) return false;
        r.openValue[a] = ev.value;
      }
      continue;
    }
    const kind = r.open[a];
    if (kind === 0) continue;
    r.open[a] = 0;
    const out = ev.op === 'pop' || ev.op === 'deq' ? ev.value : null;
    if (kind === 1) {
      if (out !== null) return false;
      r.items.push(r.openValue[a]);
      continue;
    }
    const size = r.items.length - r.head;
    if (out === null) {
      if (size !== 0) return false;
      continue;
    }
    if (size === 0) return false;
    if (r.lifo) {
      if (r.items[r.items.length - 1] !== out) return false;
      r.items.pop();
    } else {
      if (r.items[r.head] !== out) return false;
      r.head++;
    }
  }
  return true;
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
    return everyObjectInResponseOrder(sys, events) ? null : historyByChecker(sys, events);
  },
};

/** The property's verdict from the checker, object by object (what `history` falls back to). */
export function historyByChecker(sys: System, events: TimedEvent[]): ReturnType<NonNullable<Property['history']>> {
  let unknown = false;
  for (const o of objects(sys, events)) {
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
}
