/**
 * Liveness of the exhaustive search: fair cycles in the explored state graph.
 *
 * A run that goes on for ever without finishing is a livelock only if it is fair: under weak
 * fairness every actor that stays enabled from some point on eventually moves. The explored graph
 * (states numbered by the search, edges labelled with the actor that moved) is split into strongly
 * connected components (Tarjan's algorithm, iteratively). A component C with at least one edge
 * inside it holds a weakly fair infinite run if and only if every actor either moves on some edge
 * inside C or is disabled in some state of C: then the run that goes round all of C for ever is
 * fair; and if some actor is enabled in every state of C and never moves inside C, every run that
 * stays in C starves it. So one pass over the components decides it exactly, without the nested
 * search that strong fairness would need.
 *
 * An actor's enabled steps at a state are exactly its outgoing edges there (the search records an
 * edge for every enabled step; this is why a partial-order reduction, which drops edges, cannot be
 * combined with this check). States the search did not expand (a limit was hit) are left out, so a
 * cycle found is real but the absence of one proves nothing beyond the states expanded.
 */

export interface Graph {
  /** states expanded: 0..expanded-1 (numbering is the search order, expansion in that order) */
  expanded: number;
  /** edges of state i are edgeStart[i] .. edgeStart[i+1]-1 */
  edgeStart: Int32Array;
  edgeTo: Int32Array;
  edgeActor: Uint8Array;
  actors: number;
}

export interface FairCycle {
  /** the states of the component, ascending */
  members: number[];
  /** per actor: moves inside the component */
  moves: boolean[];
  /** per actor: a state of the component where it is disabled, or -1 */
  disabledAt: number[];
}

export interface CycleReport {
  /** components with an edge inside them */
  cyclic: number;
  /** of those, the ones holding a weakly fair run */
  fair: number;
  /** the first fair component (smallest lowest state number), if any */
  first: FairCycle | null;
}

/** Strongly connected components of the expanded part of the graph, iteratively (no recursion limit). */
export function fairCycles(g: Graph, acceptable: (members: number[]) => boolean = () => true): CycleReport {
  const n = g.expanded;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(n);
  let sp = 0;
  const callState = new Int32Array(n);
  const callEdge = new Int32Array(n);
  let next = 0;
  let cyclic = 0;
  let fair = 0;
  let first: FairCycle | null = null;
  const inside = new Uint8Array(n);

  const finish = (root: number) => {
    const members: number[] = [];
    let w: number;
    do {
      w = stack[--sp];
      onStack[w] = 0;
      members.push(w);
    } while (w !== root);
    let hasEdge = false;
    for (const m of members) inside[m] = 1;
    const moves = new Array<boolean>(g.actors).fill(false);
    const disabledAt = new Array<number>(g.actors).fill(-1);
    const en = new Uint8Array(g.actors);
    for (const m of members) {
      en.fill(0);
      for (let e = g.edgeStart[m]; e < g.edgeStart[m + 1]; e++) {
        const a = g.edgeActor[e];
        en[a] = 1;
        const t = g.edgeTo[e];
        if (t < n && inside[t]) {
          hasEdge = true;
          moves[a] = true;
        }
      }
      for (let a = 0; a < g.actors; a++) if (!en[a] && disabledAt[a] < 0) disabledAt[a] = m;
    }
    for (const m of members) inside[m] = 0;
    if (!hasEdge) return;
    cyclic++;
    let ok = true;
    for (let a = 0; a < g.actors; a++) if (!moves[a] && disabledAt[a] < 0) ok = false;
    if (!ok) return;
    members.sort((x, y) => x - y);
    if (!acceptable(members)) return;
    fair++;
    if (!first || members[0] < first.members[0]) first = { members, moves, disabledAt };
  };

  for (let root = 0; root < n; root++) {
    if (index[root] >= 0) continue;
    let depth = 0;
    callState[0] = root;
    callEdge[0] = g.edgeStart[root];
    index[root] = low[root] = next++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const v = callState[depth];
      const e = callEdge[depth];
      if (e < g.edgeStart[v + 1]) {
        callEdge[depth] = e + 1;
        const w = g.edgeTo[e];
        if (w >= n) continue; // not expanded: outside the analysed graph
        if (index[w] < 0) {
          index[w] = low[w] = next++;
          stack[sp++] = w;
          onStack[w] = 1;
          depth++;
          callState[depth] = w;
          callEdge[depth] = g.edgeStart[w];
        } else if (onStack[w] && index[w] < low[v]) low[v] = index[w];
      } else {
        if (low[v] === index[v]) finish(v);
        depth--;
        if (depth >= 0) {
          const u = callState[depth];
          if (low[v] < low[u]) low[u] = low[v];
        }
      }
    }
  }
  return { cyclic, fair, first };
}

/**
 * A loop through a fair component that starts and ends at its lowest state and meets every
 * fairness obligation once: an edge of each actor that moves inside it, and a state where each
 * other actor is disabled. Returns the edge numbers taken, in order.
 */
export function fairLoop(g: Graph, c: FairCycle): number[] {
  const n = g.expanded;
  const member = new Uint8Array(n);
  for (const m of c.members) member[m] = 1;
  const start = c.members[0];
  /** shortest path inside the component from `from` to a state satisfying `goal` (edge numbers) */
  const path = (from: number, goal: (v: number) => boolean, atLeastOne: boolean): { edges: number[]; end: number } => {
    if (!atLeastOne && goal(from)) return { edges: [], end: from };
    const via = new Map<number, number>();
    const from_ = new Map<number, number>();
    const queue = [from];
    const seen = new Set<number>(atLeastOne ? [] : [from]);
    for (let qi = 0; qi < queue.length; qi++) {
      const v = queue[qi];
      for (let e = g.edgeStart[v]; e < g.edgeStart[v + 1]; e++) {
        const w = g.edgeTo[e];
        if (w >= n || !member[w] || seen.has(w)) continue;
        seen.add(w);
        via.set(w, e);
        from_.set(w, v);
        if (goal(w)) {
          const edges: number[] = [];
          let x = w;
          do {
            edges.push(via.get(x)!);
            x = from_.get(x)!;
          } while (x !== from);
          return { edges: edges.reverse(), end: w };
        }
        queue.push(w);
      }
    }
    throw new Error('fairLoop: the component is not strongly connected');
  };
  const out: number[] = [];
  let at = start;
  for (let a = 0; a < g.actors; a++) {
    if (c.moves[a]) {
      // reach a state with an a-edge inside the component, then take it
      const p = path(at, (v) => edgeOf(g, v, a, member) >= 0, false);
      out.push(...p.edges);
      const e = edgeOf(g, p.end, a, member);
      out.push(e);
      at = g.edgeTo[e];
    } else {
      const d = c.disabledAt[a];
      const p = path(at, (v) => v === d, false);
      out.push(...p.edges);
      at = p.end;
    }
  }
  const back = path(at, (v) => v === start, out.length === 0);
  out.push(...back.edges);
  return out;
}

function edgeOf(g: Graph, v: number, actor: number, member: Uint8Array): number {
  for (let e = g.edgeStart[v]; e < g.edgeStart[v + 1]; e++) if (g.edgeActor[e] === actor && g.edgeTo[e] < g.expanded && member[g.edgeTo[e]]) return e;
  return -1;
}
