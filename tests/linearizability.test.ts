import { describe, test, expect } from 'vitest';
import fc from 'fast-check';
import {
  checkLinearizable,
  fifoQueueSpec,
  fifoQueueSpecFrom,
  lifoStackSpec,
  lifoStackSpecFrom,
  renderHistory,
  type Operation,
  type QueueInput,
  type QueueOutput,
  type SequentialSpec,
  type StackInput,
  type StackOutput,
} from '../properties/lib/linearizability.ts';
import { anchorConfig, DEFAULT_CONFIG, type Config } from '../model/kit/config.ts';
import { makeSystem, type System } from '../model/kit/system.ts';
import { VARIANTS } from '../model/variants.ts';
import { everyObjectInResponseOrder, historyByChecker, linearizable } from '../properties/dispatch/linearizable.ts';
import { layerConfig } from '../properties/index.ts';
import type { Property, TimedEvent } from '../properties/property.ts';
import { runSchedule, type Pick } from '../scripts/verifier/explore.ts';
import { defaultMaxPicks, scheduleArb } from '../scripts/verifier/random/verify.ts';
import { variantConfig } from '../scripts/verifier/random/search/time-to-bug.ts';

type StackOp = Operation<StackInput, StackOutput>;
type QueueOp = Operation<QueueInput, QueueOutput>;

let nextId = 0;
const push = (value: number, call: number, ret: number | null, client = 0): StackOp => ({
  id: nextId++, client, input: { op: 'push', value }, output: ret === null ? undefined : { value: null }, call, ret,
});
const pop = (value: number | null | undefined, call: number, ret: number | null, client = 0): StackOp => ({
  id: nextId++, client, input: { op: 'pop' }, output: value === undefined ? undefined : { value }, call, ret,
});
const enq = (value: number, call: number, ret: number | null, client = 0): QueueOp => ({
  id: nextId++, client, input: { op: 'enq', value }, output: ret === null ? undefined : { value: null }, call, ret,
});
const deq = (value: number | null | undefined, call: number, ret: number | null, client = 0): QueueOp => ({
  id: nextId++, client, input: { op: 'deq' }, output: value === undefined ? undefined : { value }, call, ret,
});

/** An independent check of an 'ok' witness: it replays through the spec, respects real time and places every completed op. */
function isWitness<S, I, O>(spec: SequentialSpec<S, I, O>, history: Operation<I, O>[], order: number[]): boolean {
  const byId = new Map(history.map((o) => [o.id, o]));
  if (new Set(order).size !== order.length || order.some((id) => !byId.has(id))) return false;
  if (history.some((o) => o.ret !== null && !order.includes(o.id))) return false;
  let s = spec.init();
  for (const id of order) {
    const next = spec.step(s, byId.get(id)!.input, byId.get(id)!.output);
    if (next === null) return false;
    s = next;
  }
  return order.every((b, j) => order.slice(j + 1).every((a) => !(byId.get(a)!.ret !== null && byId.get(a)!.ret! < byId.get(b)!.call)));
}

function expectOk<S, I, O>(spec: SequentialSpec<S, I, O>, history: Operation<I, O>[]): number[] {
  const r = checkLinearizable(spec, history);
  expect(r.verdict, renderHistory(spec, history)).toBe('ok');
  if (r.verdict !== 'ok') throw new Error('unreachable');
  expect(isWitness(spec, history, r.order)).toBe(true);
  return r.order;
}

function expectIllegal<S, I, O>(spec: SequentialSpec<S, I, O>, history: Operation<I, O>[]) {
  const r = checkLinearizable(spec, history);
  expect(r.verdict, renderHistory(spec, history)).toBe('illegal');
  if (r.verdict !== 'illegal') throw new Error('unreachable');
  return r;
}

describe('stack fixtures', () => {
  test('ok: empty history', () => {
    expect(checkLinearizable(lifoStackSpec, [])).toEqual({ verdict: 'ok', order: [] });
  });

  test('ok: sequential push then pop', () => {
    const h = [push(1, 0, 1), pop(1, 2, 3)];
    expect(expectOk(lifoStackSpec, h)).toEqual([h[0].id, h[1].id]);
  });

  test('ok: concurrent push and pop may linearize either way', () => {
    expectOk(lifoStackSpec, [push(1, 0, 5), pop(1, 1, 4)]);
    expectOk(lifoStackSpec, [push(1, 0, 5), pop(null, 1, 4)]);
  });

  test('ok: operations touching at the same instant count as concurrent', () => {
    expectOk(lifoStackSpec, [push(1, 3, 5), pop(1, 0, 3)]);
  });

  test('ok: overlapping pushes may be popped in either order', () => {
    expectOk(lifoStackSpec, [push(1, 0, 4), push(2, 1, 3), pop(1, 5, 6), pop(2, 7, 8)]);
    expectOk(lifoStackSpec, [push(1, 0, 4), push(2, 1, 3), pop(2, 5, 6), pop(1, 7, 8)]);
  });

  test('ok: the same value pushed twice may be popped twice', () => {
    expectOk(lifoStackSpec, [push(7, 0, 1), push(7, 2, 3), pop(7, 4, 5), pop(7, 6, 7), pop(null, 8, 9)]);
  });

  test('bad: pop returns a value never pushed', () => {
    expectIllegal(lifoStackSpec, [push(1, 0, 1), pop(2, 2, 3)]);
  });

  test('bad: value popped twice', () => {
    expectIllegal(lifoStackSpec, [push(1, 0, 1), pop(1, 2, 5), pop(1, 3, 6)]);
  });

  test('bad: LIFO order violated by two sequential pushes', () => {
    expectIllegal(lifoStackSpec, [push(1, 0, 1), push(2, 2, 3), pop(1, 4, 5), pop(2, 6, 7)]);
  });

  test('bad: pop reports empty although a completed push was never popped', () => {
    expectIllegal(lifoStackSpec, [push(1, 0, 1), pop(null, 2, 3)]);
  });

  test('bad: pop returns a value before that push was invoked', () => {
    expectIllegal(lifoStackSpec, [pop(1, 0, 1), push(1, 2, 3)]);
  });

  test('bad: a push reporting a result is not a legal push', () => {
    expectIllegal(lifoStackSpec, [{ ...push(1, 0, 1), output: { value: 4 } }]);
  });
});

describe('queue fixtures', () => {
  test('ok: sequential enqueues dequeued in order', () => {
    expectOk(fifoQueueSpec, [enq(1, 0, 1), enq(2, 2, 3), deq(1, 4, 5), deq(2, 6, 7), deq(null, 8, 9)]);
  });

  test('ok: overlapping enqueues may be dequeued in either order', () => {
    expectOk(fifoQueueSpec, [enq(1, 0, 4), enq(2, 1, 3), deq(2, 5, 6), deq(1, 7, 8)]);
  });

  test('bad: FIFO order violated by two sequential enqueues', () => {
    expectIllegal(fifoQueueSpec, [enq(1, 0, 1), enq(2, 2, 3), deq(2, 4, 5)]);
  });

  test('bad: dequeue reports empty while an element is present', () => {
    expectIllegal(fifoQueueSpec, [enq(1, 0, 1), enq(2, 2, 3), deq(1, 4, 5), deq(null, 6, 7)]);
  });

  test('bad: value dequeued twice by concurrent dequeues', () => {
    expectIllegal(fifoQueueSpec, [enq(5, 0, 1), deq(5, 2, 6, 1), deq(5, 3, 7, 2)]);
  });
});

describe('pending operations', () => {
  test('ok: a pending push may be omitted', () => {
    const h = [push(1, 0, 1), push(2, 2, null), pop(1, 3, 4)];
    expect(expectOk(lifoStackSpec, h)).toEqual([h[0].id, h[2].id]);
  });

  test('ok: a pending push may take effect to explain a completed pop', () => {
    const h = [push(9, 0, null, 1), pop(9, 2, 3)];
    expect(expectOk(lifoStackSpec, h)).toEqual([h[0].id, h[1].id]);
  });

  test('ok: a pending pop may take effect to explain a later empty pop', () => {
    expectOk(lifoStackSpec, [push(1, 0, 1), pop(undefined, 2, null, 1), pop(null, 3, 4)]);
  });

  test('bad: a pending push cannot take effect before its invocation', () => {
    expectIllegal(lifoStackSpec, [pop(1, 0, 1), push(1, 2, null)]);
  });

  test('ok: a history made only of pending operations', () => {
    expect(checkLinearizable(fifoQueueSpec, [enq(1, 0, null), deq(undefined, 1, null)]).verdict).toBe('ok');
  });

  test('ok: a pending enqueue may take effect between two completed dequeues', () => {
    expectOk(fifoQueueSpec, [enq(1, 0, 1), enq(2, 2, null, 1), deq(1, 3, 4), deq(2, 5, 6)]);
  });
});

describe('search budget', () => {
  // Ten mutually concurrent pushes followed by a pop of a value never pushed: refuting it visits
  // every subset of the pushes (equal values keep it to one state per subset, 2^10 in all).
  const wide = [...Array.from({ length: 10 }, (_, k) => push(7, k, 100)), pop(42, 101, 102)];

  test('unknown: a tiny maxNodes gives up before a verdict', () => {
    const r = checkLinearizable(lifoStackSpec, wide, { maxNodes: 5 });
    expect(r).toEqual({ verdict: 'unknown', explored: 5 });
  });

  test('bad: the same history with the default budget is illegal', () => {
    expectIllegal(lifoStackSpec, wide);
  });
});

describe('initial-content specs', () => {
  test('ok: free stack starting full pops 0 first', () => {
    const spec = lifoStackSpecFrom([0, 1, 2, 3]);
    expectOk(spec, [pop(0, 0, 1), pop(1, 2, 3), push(0, 4, 5), pop(0, 6, 7), pop(2, 8, 9)]);
  });

  test('ok: concurrent pops from a full free stack may return 1 before 0', () => {
    expectOk(lifoStackSpecFrom([0, 1, 2]), [pop(1, 0, 5, 1), pop(0, 1, 4, 2)]);
  });

  test('bad: free stack must not hand out 1 before 0 sequentially', () => {
    expectIllegal(lifoStackSpecFrom([0, 1, 2]), [pop(1, 0, 1), pop(0, 2, 3)]);
  });

  test('bad: free stack runs dry only after all entries are taken', () => {
    expectIllegal(lifoStackSpecFrom([0, 1]), [pop(0, 0, 1), pop(null, 2, 3)]);
  });

  test('ok: queue with initial content dequeues head first', () => {
    expectOk(fifoQueueSpecFrom([4, 5]), [enq(6, 0, 1), deq(4, 2, 3), deq(5, 4, 5), deq(6, 6, 7)]);
  });

  test('bad: queue with initial content dequeues in the wrong order', () => {
    expectIllegal(fifoQueueSpecFrom([4, 5]), [deq(5, 0, 1)]);
  });
});

describe('explanations and rendering', () => {
  test('illegal verdict names the longest prefix and the stuck operations', () => {
    const h = [push(1, 0, 1), push(2, 2, 3), pop(2, 4, 5), pop(3, 6, 7), pop(1, 8, 9)];
    const r = expectIllegal(lifoStackSpec, h);
    expect(r.longestPrefix).toEqual([h[0].id, h[1].id, h[2].id]);
    expect(r.stuck).toEqual([h[3].id]);
    expect(r.explanation).toContain(`#${h[0].id} push(1) [client 0, 0..1], #${h[1].id} push(2)`);
    expect(r.explanation).toContain('pop() -> 3');
    expect(r.explanation).toContain('spec state after it: [1]');
  });

  test('renderHistory prints one line per op with its interval, pending ops marked', () => {
    const h = [push(1, 0, 4, 1), pop(1, 2, 6, 2), pop(undefined, 7, null, 3)];
    const text = renderHistory(lifoStackSpec, h);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('stack history, 3 ops:');
    expect(lines[1]).toMatch(/^#\d+ c1 \[0\.\.4\] +\|-+\| +push\(1\)$/);
    expect(lines[2]).toMatch(/c2 \[2\.\.6\] +\|-+\| +pop\(\) -> 1$/);
    expect(lines[3]).toMatch(/c3 \[7\.\.\] +\|-*> +pop\(\)  \(pending\)$/);
  });

  test('malformed histories are rejected', () => {
    const a = push(1, 0, 1);
    expect(() => checkLinearizable(lifoStackSpec, [a, { ...a }])).toThrow(/duplicate/);
    expect(() => checkLinearizable(lifoStackSpec, [push(1, 5, 2)])).toThrow(/before it is called/);
  });
});

/**
 * A real execution: ops take effect one after another at linearization points 10, 20, 30, ...;
 * each op's interval is drawn around its point, so the history is consistent with that execution.
 * Some ops stay pending: those never responded, whether or not they took effect.
 */
type Kind = 'stack' | 'queue';
interface Gen {
  initial: number[];
  steps: { insert: boolean; value: number; before: number; after: number; pending: boolean; client: number }[];
  ghosts: { insert: boolean; value: number; call: number }[];
}
const genArb = fc.record({
  initial: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  steps: fc.array(
    fc.record({
      insert: fc.boolean(),
      value: fc.integer({ min: 0, max: 5 }),
      before: fc.integer({ min: 0, max: 25 }),
      after: fc.integer({ min: 0, max: 25 }),
      pending: fc.integer({ min: 0, max: 9 }).map((k) => k === 0),
      client: fc.integer({ min: 0, max: 3 }),
    }),
    { minLength: 1, maxLength: 40 },
  ),
  ghosts: fc.array(fc.record({ insert: fc.boolean(), value: fc.integer({ min: 0, max: 5 }), call: fc.integer({ min: 0, max: 400 }) }), { maxLength: 2 }),
});

function execute(kind: Kind, g: Gen): Operation<StackInput | QueueInput, StackOutput>[] {
  const content = [...g.initial];
  const ops: Operation<StackInput | QueueInput, StackOutput>[] = [];
  g.steps.forEach((st, k) => {
    const at = 10 * (k + 1);
    let input: StackInput | QueueInput;
    let value: number | null = null;
    if (st.insert) {
      input = kind === 'stack' ? { op: 'push', value: st.value } : { op: 'enq', value: st.value };
      if (kind === 'stack') content.unshift(st.value);
      else content.push(st.value);
    } else {
      input = kind === 'stack' ? { op: 'pop' } : { op: 'deq' };
      value = content.shift() ?? null;
    }
    ops.push({
      id: k, client: st.client, input,
      output: st.pending ? undefined : { value },
      call: Math.max(0, at - st.before), ret: st.pending ? null : at + st.after,
    });
  });
  g.ghosts.forEach((gh, k) => {
    const input = gh.insert
      ? kind === 'stack' ? { op: 'push' as const, value: gh.value } : { op: 'enq' as const, value: gh.value }
      : kind === 'stack' ? { op: 'pop' as const } : { op: 'deq' as const };
    ops.push({ id: 1000 + k, client: 9, input, output: undefined, call: gh.call, ret: null });
  });
  return ops;
}

const specFor = (kind: Kind, initial: number[]) =>
  (kind === 'stack' ? lifoStackSpecFrom(initial) : fifoQueueSpecFrom(initial)) as SequentialSpec<readonly number[], StackInput | QueueInput, StackOutput>;

/** Exhaustive reference: every real-time-respecting order of every subset that contains all completed ops. */
function bruteForce<S, I, O>(spec: SequentialSpec<S, I, O>, history: Operation<I, O>[]): boolean {
  const go = (s: S, left: Operation<I, O>[]): boolean => {
    if (left.every((o) => o.ret === null)) return true;
    return left.some((o) => {
      if (left.some((p) => p.ret !== null && p.ret < o.call)) return false;
      const next = spec.step(s, o.input, o.output);
      return next !== null && go(next, left.filter((p) => p !== o));
    });
  };
  return go(spec.init(), history);
}

describe('properties', () => {
  for (const kind of ['stack', 'queue'] as const) {
    test(`property: ${kind} histories from a real execution are ok, with a valid witness`, () => {
      fc.assert(
        fc.property(genArb, (g) => {
          const spec = specFor(kind, g.initial);
          const h = execute(kind, g);
          const r = checkLinearizable(spec, h);
          return r.verdict === 'ok' && isWitness(spec, h, r.order);
        }),
        { seed: 20240611, numRuns: 300 },
      );
    });

    test(`property: ${kind} history with one removal corrupted to a never-inserted value is illegal`, () => {
      fc.assert(
        fc.property(genArb, fc.nat(), (g, pick) => {
          const h = execute(kind, g);
          const removals = h.filter((o) => o.ret !== null && (o.input.op === 'pop' || o.input.op === 'deq'));
          fc.pre(removals.length > 0);
          const victim = removals[pick % removals.length];
          const corrupted = h.map((o) => (o === victim ? { ...o, output: { value: -1 } } : o));
          return checkLinearizable(specFor(kind, g.initial), corrupted).verdict === 'illegal';
        }),
        { seed: 20240612, numRuns: 300 },
      );
    });
  }

  test('property: verdict agrees with brute-force enumeration on small random histories', () => {
    const opArb = fc.record({
      kind: fc.constantFrom('push', 'pop'),
      value: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
      call: fc.integer({ min: 0, max: 12 }),
      len: fc.integer({ min: 0, max: 6 }),
      pending: fc.integer({ min: 0, max: 5 }).map((k) => k === 0),
    });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 6 }), fc.boolean(), (raw, fromFull) => {
        const h: StackOp[] = raw.map((r, id) => ({
          id, client: id,
          input: r.kind === 'push' ? { op: 'push', value: r.value ?? 0 } : { op: 'pop' },
          output: r.pending ? undefined : r.kind === 'push' ? { value: null } : { value: r.value },
          call: r.call, ret: r.pending ? null : r.call + r.len,
        }));
        const spec = fromFull ? lifoStackSpecFrom([0, 1]) : lifoStackSpec;
        const r = checkLinearizable(spec, h);
        if (r.verdict === 'ok' && !isWitness(spec, h, r.order)) return false;
        return (r.verdict === 'ok') === bruteForce(spec, h);
      }),
      { seed: 20240613, numRuns: 2000 },
    );
  });
});

describe('performance', () => {
  /**
   * 300 ops on the model's free stack (entries 0..7, starting full): each op takes an entry or gives
   * a held one back, effects happen at 10, 20, 30, ... and intervals stretch up to 20 either side,
   * so about four ops are in flight at once.
   */
  function freeStackHistory(seed: number): StackOp[] {
    let x = seed >>> 0;
    const rand = (k: number) => {
      x = (x + 0x6d2b79f5) >>> 0;
      let t = Math.imul(x ^ (x >>> 15), 1 | x);
      t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
      return ((t ^ (t >>> 14)) >>> 0) % k;
    };
    const content = [0, 1, 2, 3, 4, 5, 6, 7];
    const held: number[] = [];
    return Array.from({ length: 300 }, (_, k) => {
      const at = 10 * (k + 1);
      const span = { call: at - rand(20), ret: at + rand(20) };
      if (content.length === 0 || (held.length > 0 && rand(2) === 0)) {
        const value = held.splice(rand(held.length), 1)[0];
        content.unshift(value);
        return { id: k, client: k % 4, input: { op: 'push', value }, output: { value: null }, ...span } satisfies StackOp;
      }
      const value = content.shift()!;
      held.push(value);
      return { id: k, client: k % 4, input: { op: 'pop' }, output: { value }, ...span } satisfies StackOp;
    });
  }

  // Speed is measured by the benchmark, not asserted here: the search budget stands for it, so that a
  // busy machine cannot fail the test. 20,000 nodes is far below the default and still enough.
  test('a 300-op history with ~4-way overlap is decided within a small search budget, ok or illegal', () => {
    const spec = lifoStackSpecFrom([0, 1, 2, 3, 4, 5, 6, 7]);
    const h = freeStackHistory(7);
    const bad = h.map((o) => (o.id === 290 ? { ...o, input: { op: 'pop' as const }, output: { value: -1 } } : o));
    const overlap = Math.max(...h.map((o) => h.filter((p) => p.call <= o.call && o.call <= p.ret!).length));
    expect(overlap).toBeGreaterThanOrEqual(4);
    const ok = checkLinearizable(spec, h, { maxNodes: 20_000 });
    const illegal = checkLinearizable(spec, bad, { maxNodes: 20_000 });
    expect(ok.verdict).toBe('ok');
    expect(illegal.verdict).toBe('illegal');
  });
});

describe('the one-pass witness of the linearizable property', () => {
  /** The histories (events) of random runs of a configuration, as the property receives them. */
  function historiesOf(cfg: Config, runs: number): { sys: System; histories: TimedEvent[][] } {
    const sys = makeSystem(cfg);
    const histories: TimedEvent[][] = [];
    const capture: Property = {
      ...linearizable,
      history: (_sys, events) => {
        histories.push(events.slice());
        return null;
      },
    };
    const scheds = fc.sample(scheduleArb(sys.actors.length, defaultMaxPicks(cfg)), { seed: 11, numRuns: runs }) as Pick[][];
    for (const sched of scheds) runSchedule(sys, sched, { props: [capture] });
    return { sys, histories };
  }

  // every layout the dispatch objects take: lock-free and atomic ready queue, two processes, the
  // composed system (restarted domains' objects numbered apart), and every variant that breaks linearizability
  const configs: [string, Config][] = [
    ['default', { ...DEFAULT_CONFIG }],
    ['anchor 2x2 (atomic queue)', anchorConfig(2, 2)],
    ['two processes', { ...DEFAULT_CONFIG, processes: 2, threads: 2 }],
    ['composed system', layerConfig({ ...DEFAULT_CONFIG }, 'system')],
    ...VARIANTS.filter((v) => v.breaks.includes('linearizable')).map((v) => [`variant ${v.name}`, variantConfig(v)] as [string, Config]),
  ];
  for (const [name, cfg] of configs) {
    test(`${name}: where it accepts a history the checker finds every object linearizable`, () => {
      const { sys, histories } = historiesOf(cfg, cfg.system ? 60 : 300);
      let accepted = 0;
      for (const h of histories) {
        if (!everyObjectInResponseOrder(sys, h)) continue;
        accepted++;
        expect(historyByChecker(sys, h)).toBeNull();
      }
      // the witness is the common case, not a path that never runs
      expect(accepted).toBeGreaterThan(histories.length / 2);
    });
  }

  test('on histories with one event altered (a value, or two events swapped) it never accepts what the checker rejects', () => {
    const { sys, histories } = historiesOf({ ...DEFAULT_CONFIG }, 200);
    const long = histories.filter((h) => h.length >= 4);
    let rejectedByChecker = 0;
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: -1, max: 4 }), fc.boolean(), (pick, at, other, value, swap) => {
        const h = long[pick % long.length].map((e) => ({ ...e }));
        const i = at % h.length;
        if (swap) {
          const j = other % h.length;
          [h[i], h[j]] = [h[j], h[i]];
          [h[i].time, h[j].time] = [h[j].time, h[i].time];
        } else h[i].value = value < 0 ? null : value;
        const verdict = historyByChecker(sys, h);
        if (verdict !== null) rejectedByChecker++;
        return !everyObjectInResponseOrder(sys, h) || verdict === null;
      }),
      { seed: 20261207, numRuns: 3000 },
    );
    expect(rejectedByChecker).toBeGreaterThan(100);
  });

  test('it rejects the histories the checker finds not linearizable, so the property still reports them', () => {
    const bad = VARIANTS.find((v) => v.breaks.includes('linearizable'))!;
    const { sys, histories } = historiesOf(variantConfig(bad), 1000);
    const illegal = histories.filter((h) => historyByChecker(sys, h) !== null && historyByChecker(sys, h) !== 'unknown');
    expect(illegal.length).toBeGreaterThan(0);
    for (const h of illegal) {
      expect(everyObjectInResponseOrder(sys, h)).toBe(false);
      expect(linearizable.history!(sys, h)).toEqual(historyByChecker(sys, h));
    }
  });
});
