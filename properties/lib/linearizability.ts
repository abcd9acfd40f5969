/**
 * Linearizability checker in the Wing–Gong style, with the refinements popularised by Porcupine.
 *
 * A history is linearizable when its operations can be put in one sequential order that
 * (a) respects real time: if A returned before B was invoked (A.ret < B.call), A comes first, and
 * (b) is accepted by the sequential specification, each operation returning what it actually returned.
 * Pending operations (no response yet) may take effect anywhere after their invocation, or not at all.
 *
 * The search is a depth-first search over partial linearizations. At each node the only operations
 * worth trying next are the "minimal" ones: not yet linearized, and invoked no later than the earliest
 * response among the remaining completed operations (anything invoked later would have to follow that
 * operation). This is the "just-in-time linearization" idea: an operation is placed only once every
 * operation that must precede it has been placed. Candidates are tried in invocation order, completed
 * operations before pending ones, so pending operations are only linearized when something needs them.
 * Two partial linearizations that have placed the same set of operations and reached the same
 * specification state have identical futures, so every (set, state-key) pair is explored at most once;
 * this memoization is what keeps histories with little concurrency close to linear time.
 * Its weak spot is a refutation late in a history whose spec state keeps many never-observed
 * orderings alive (e.g. a stack that grows by concurrent pushes nobody pops): every such state must be
 * ruled out, and `maxNodes` turns that blow-up into 'unknown' instead of an endless search.
 *
 * Before the search, the completed operations in response order are tried as a witness (responseOrder).
 *
 * Verdicts:
 * - 'ok': a linearization exists; `order` lists the op ids in linearization order (pending ops that
 *   were left out do not appear).
 * - 'illegal': the whole search space was exhausted without success. The explanation names the
 *   longest linearizable prefix found and the operations none of which could be placed after it.
 * - 'unknown': more than `maxNodes` search nodes were needed; nothing is claimed either way.
 */

import type { Operation, SequentialSpec } from '../../model/kit/sequential-spec.ts';
export type { Operation, SequentialSpec };

/**
 * - ok: a linearization exists; `order` is one, as op ids.
 * - illegal: no linearization exists; `longestPrefix` is the longest linearizable prefix found (op ids),
 *   `stuck` the ops that were candidates after it but could not be placed, `explanation` says so in words.
 * - unknown: the search budget (`maxNodes`) ran out after `explored` nodes, before a verdict.
 */
export type LinResult =
  | { verdict: 'ok'; order: number[] }
  | { verdict: 'illegal'; explanation: string; longestPrefix: number[]; stuck: number[] }
  | { verdict: 'unknown'; explored: number };

interface Frame<S> {
  state: S;
  /** Index of the first completed op (in call order) not yet linearized. */
  start: number;
  cands: number[];
  next: number;
  /** Op index whose linearization led to this node; -1 at the root. */
  chosen: number;
}

const byCall = <I, O>(a: Operation<I, O>, b: Operation<I, O>) => a.call - b.call || a.id - b.id;

function validate<I, O>(history: Operation<I, O>[]): void {
  const seen = new Set<number>();
  for (const o of history) {
    if (seen.has(o.id)) throw new RangeError(`duplicate operation id ${o.id}`);
    seen.add(o.id);
    // The candidate computation relies on call <= ret (see candidates()).
    if (o.ret !== null && o.ret < o.call) throw new RangeError(`operation ${o.id} returns (${o.ret}) before it is called (${o.call})`);
  }
}

/**
 * The cheapest candidate linearization, tried before the search: the completed operations in the
 * order they responded, pending ones left out. It respects real time (an operation that returned
 * before another was invoked also returned before it), so if the specification accepts it, it is a
 * witness. Histories recorded with each response at the step that takes effect (the model's
 * successful CAS) are mostly linearized this way; when it is rejected the search decides.
 */
function responseOrder<S, I, O>(spec: SequentialSpec<S, I, O>, history: Operation<I, O>[]): number[] | null {
  const done = history.filter((o) => o.ret !== null).sort((a, b) => (a.ret as number) - (b.ret as number) || a.call - b.call || a.id - b.id);
  let state = spec.init();
  for (const o of done) {
    const next = spec.step(state, o.input, o.output);
    if (next === null) return null;
    state = next;
  }
  return done.map((o) => o.id);
}

export function checkLinearizable<S, I, O>(
  spec: SequentialSpec<S, I, O>,
  history: Operation<I, O>[],
  opts?: { maxNodes?: number },
): LinResult {
  validate(history);
  const witness = responseOrder(spec, history);
  if (witness !== null) return { verdict: 'ok', order: witness };
  const maxNodes = opts?.maxNodes ?? 1_000_000;
  // Completed ops occupy indices [0, m), pending ones [m, n); each group sorted by call time.
  const done = history.filter((o) => o.ret !== null).sort(byCall);
  const pending = history.filter((o) => o.ret === null).sort(byCall);
  const ops = [...done, ...pending];
  const m = done.length;
  const n = ops.length;
  const lin = new Uint8Array(n);

  const candidates = (start: number): number[] => {
    const out: number[] = [];
    let bound = Infinity;
    for (let j = start; j < m; j++) {
      const o = ops[j];
      // Every later op is invoked after `bound` too, and since call <= ret none of them can lower it:
      // the scan has seen the true minimum response time of the remaining completed ops.
      if (o.call > bound) break;
      if (lin[j]) continue;
      out.push(j);
      bound = Math.min(bound, o.ret as number);
    }
    for (let j = m; j < n; j++) {
      if (ops[j].call > bound) break;
      if (!lin[j]) out.push(j);
    }
    return out;
  };

  if (m === 0) return { verdict: 'ok', order: [] };

  // The linearized set is every completed op before `start` plus a few stragglers: completed ops
  // after it can only be linearized if invoked before it returned, so they sit in a short window.
  // Encoding just `start` and the stragglers keeps the memo key short whatever the history length.
  const setKey = (start: number): string => {
    let key = String(start);
    const limit = start < m ? (ops[start].ret as number) : Infinity;
    for (let j = start + 1; j < m && ops[j].call <= limit; j++) if (lin[j]) key += ',' + j;
    for (let j = m; j < n; j++) if (lin[j]) key += ',' + j;
    return key;
  };

  const root: Frame<S> = { state: spec.init(), start: 0, cands: candidates(0), next: 0, chosen: -1 };
  const stack: Frame<S>[] = [root];
  const visited = new Set<string>();
  let explored = 0;
  let deepest = root;
  let deepestPath: number[] = [];
  const path = () => stack.slice(1).map((f) => ops[f.chosen].id);

  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (f.next === f.cands.length) {
      stack.pop();
      if (f.chosen >= 0) lin[f.chosen] = 0;
      continue;
    }
    const i = f.cands[f.next++];
    const o = ops[i];
    const state = spec.step(f.state, o.input, o.output);
    if (state === null) continue;
    lin[i] = 1;
    let start = f.start;
    if (i === start) while (start < m && lin[start]) start++;
    const memoKey = `${setKey(start)}|${spec.key(state)}`;
    if (visited.has(memoKey)) {
      lin[i] = 0;
      continue;
    }
    visited.add(memoKey);
    if (++explored > maxNodes) return { verdict: 'unknown', explored: explored - 1 };
    const child: Frame<S> = { state, start, cands: [], next: 0, chosen: i };
    stack.push(child);
    // Leftover pending ops are simply omitted, so success only needs every completed op placed.
    if (start === m) return { verdict: 'ok', order: path() };
    child.cands = candidates(start);
    if (stack.length - 1 > deepestPath.length) {
      deepest = child;
      deepestPath = path();
    }
  }

  // No child of the deepest node can have been cut by memoization (it would be deeper still),
  // so each of its candidates was rejected by the specification itself.
  const stuck = deepest.cands.map((j) => ops[j]);
  const show = (o: Operation<I, O>) =>
    `#${o.id} ${spec.describe(o.input, o.output)} [client ${o.client}, ${o.call}..${o.ret ?? '∞'}]`;
  const byId = new Map(history.map((o) => [o.id, o]));
  const prefix = deepestPath.map((id) => show(byId.get(id)!));
  const explanation =
    `${spec.name}: history is not linearizable. ` +
    `Longest linearizable prefix (${prefix.length} of ${n} ops): ${prefix.length ? prefix.join(', ') : '(empty)'}; ` +
    `spec state after it: [${spec.key(deepest.state)}]. ` +
    `None of these could be linearized next: ${stuck.map(show).join(', ')}.`;
  return { verdict: 'illegal', explanation, longestPrefix: deepestPath, stuck: stuck.map((o) => o.id) };
}

export type StackInput = { op: 'push'; value: number } | { op: 'pop' };
/** pop result; null = empty; push output is { value: null }. */
export type StackOutput = { value: number | null };
export type QueueInput = { op: 'enq'; value: number } | { op: 'deq' };
/** deq result; null = empty. */
export type QueueOutput = { value: number | null };

const showValue = (v: number | null) => (v === null ? 'empty' : String(v));

/** Stack spec whose initial content is given top first (the model's free stack starts full, 0 on top). States are top-first arrays. */
export function lifoStackSpecFrom(initialTopFirst: number[]): SequentialSpec<readonly number[], StackInput, StackOutput> {
  const initial = [...initialTopFirst];
  return {
    name: initial.length ? `stack from [${initial.join(', ')}]` : 'stack',
    init: () => initial,
    step(s, input, output) {
      if (input.op === 'push') return output === undefined || output.value === null ? [input.value, ...s] : null;
      if (output === undefined) return s.slice(1);
      if (output.value === null) return s.length === 0 ? s : null;
      return s.length > 0 && s[0] === output.value ? s.slice(1) : null;
    },
    key: (s) => s.join(','),
    describe(input, output) {
      if (input.op === 'push') return `push(${input.value})`;
      return output === undefined ? 'pop()' : `pop() -> ${showValue(output.value)}`;
    },
  };
}

/** Queue spec whose initial content is given head first. States are head-first arrays. */
export function fifoQueueSpecFrom(initialHeadFirst: number[]): SequentialSpec<readonly number[], QueueInput, QueueOutput> {
  const initial = [...initialHeadFirst];
  return {
    name: initial.length ? `queue from [${initial.join(', ')}]` : 'queue',
    init: () => initial,
    step(s, input, output) {
      if (input.op === 'enq') return output === undefined || output.value === null ? [...s, input.value] : null;
      if (output === undefined) return s.slice(1);
      if (output.value === null) return s.length === 0 ? s : null;
      return s.length > 0 && s[0] === output.value ? s.slice(1) : null;
    },
    key: (s) => s.join(','),
    describe(input, output) {
      if (input.op === 'enq') return `enq(${input.value})`;
      return output === undefined ? 'deq()' : `deq() -> ${showValue(output.value)}`;
    },
  };
}

export const lifoStackSpec = lifoStackSpecFrom([]);
export const fifoQueueSpec = fifoQueueSpecFrom([]);

/**
 * One line per operation, in call order: id, client, interval, a bar on a shared timeline and the
 * operation. The timeline is laid out on the ranks of the distinct event times, not on raw times,
 * so long idle stretches of the clock do not drown out the overlaps that matter.
 */
export function renderHistory<S, I, O>(spec: SequentialSpec<S, I, O>, history: Operation<I, O>[]): string {
  const ops = [...history].sort(byCall);
  const times = [...new Set(ops.flatMap((o) => (o.ret === null ? [o.call] : [o.call, o.ret])))].sort((a, b) => a - b);
  const rank = new Map(times.map((t, r) => [t, r]));
  const width = Math.min(72, Math.max(1, times.length * 3));
  const col = (t: number) => (times.length <= 1 ? 0 : Math.round((rank.get(t)! * (width - 1)) / (times.length - 1)));
  const label = (o: Operation<I, O>) => `#${o.id} c${o.client} [${o.call}..${o.ret ?? ''}]`;
  const labelWidth = Math.max(0, ...ops.map((o) => label(o).length));
  const lines = ops.map((o) => {
    const a = col(o.call);
    const bar =
      o.ret === null
        ? '|' + '-'.repeat(Math.max(0, width - a - 2)) + '>'
        : a === col(o.ret)
          ? '|'
          : '|' + '-'.repeat(col(o.ret) - a - 1) + '|';
    const what = spec.describe(o.input, o.output) + (o.ret === null ? '  (pending)' : '');
    return `${label(o).padEnd(labelWidth)}  ${(' '.repeat(a) + bar).padEnd(width)}  ${what}`;
  });
  return [`${spec.name} history, ${ops.length} ops:`, ...lines].join('\n');
}
