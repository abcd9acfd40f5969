/**
 * Symmetry reduction for the exhaustive search: states that differ only by a renaming of
 * interchangeable actors or entries are explored once.
 *
 * A group permutes the members of one process: its user threads, its kernel threads, its live
 * workers, or its request entries. Permuting members moves each member's words (its registers, or
 * an entry's fields) and rewrites every word that refers to a member: a thread's handle in an
 * entry, the ready queue, a worker or a kernel register; a kernel thread's number in a thread's
 * `att`; an entry's index in the stack tops, `next[]` and registers; and, for threads, the request
 * numbers that arguments, results and the ghost arrays are indexed by. The search keeps one
 * representative per group, group after group: the members are sorted by a signature (their own
 * words, with the words that name members of the group abstracted to "itself" or "another", and
 * where outside the members' words they are first named) and take the group's slots in that order;
 * one renaming per group, no whole states sorted or compared. Any permutation gives a state in the
 * same orbit, so the representative is sound even where it is not unique.
 *
 * Which words hold which kind of index is a declaration, like a scalarset type in Murphi: it is
 * written below, per component and register. Registers that are reused or cleared to 0 hold an index
 * only in some control states; there the declaration lists the control states where the register is
 * live, and elsewhere its value is dead (always written before it is read) and the representative
 * sets it to 0. A test checks, for every reachable state of small configurations of every variant,
 * that a state and its representative have the same successors up to representatives: what makes
 * the reduction exact, and what catches a declaration that no longer matches the machines.
 *
 * Threads are not always interchangeable: the M:N scheduler runs the lowest-numbered runnable thread,
 * and with `blockingPair` threads 0 and 1 of a process issue different calls. The first is checked on
 * every state: where a kernel thread could pick between runnable threads, they must be
 * interchangeable (swapping any two leaves the state as it is: threads that have not started their
 * call, as at 4x1x2x2), so that picking another one would give a state of the same orbit; otherwise
 * the search stops with an error naming the state. The second takes threads 0 and 1 out of the group.
 * Two words would tell such threads apart for no reason, and are taken as dead: a kernel thread's
 * `cur` once its thread left it (set to NIL), and an entry's handle before any caller filled it (the
 * initial 0, not renamed; a worker about to read it also stops the search).
 */
import { COMPONENTS, type System } from '../../../model/kit/system.ts';
import { NIL } from '../../../model/kit/layout.ts';

export const SYMMETRY_GROUPS = ['threads', 'kernels', 'workers', 'entries'] as const;
export type SymmetryGroup = (typeof SYMMETRY_GROUPS)[number];

/** The components whose references to threads, kernel threads, workers and entries are declared here. */
const DECLARED = ['user-thread', 'kernel-thread', 'worker', 'frontend', 'backend-wake'];

export class SymmetryError extends Error {}

/** Registers that hold an index only in some control states (dead elsewhere). */
const LIVE: { comp: string; reg: string; holds: 'entry' | 'thread' | 'node'; at: string[] }[] = [
  { comp: 'user-thread', reg: 'ti', holds: 'entry', at: ['loadNext', 'casFreeTop', 'linkEntry', 'casAllocTop', 'freeLink', 'freeCas'] },
  { comp: 'user-thread', reg: 'nx', holds: 'entry', at: ['casFreeTop'] },
  { comp: 'kernel-thread', reg: 'v', holds: 'thread', at: ['deqSwingHead', 'poolLoad', 'poolLink', 'poolCas', 'leaveWait'] },
  { comp: 'worker', reg: 'ti', holds: 'entry', at: ['loadNext', 'casAllocTop'] },
  { comp: 'worker', reg: 'ti', holds: 'node', at: ['enqPoolNext', 'enqPoolCas'] },
  { comp: 'worker', reg: 'nx', holds: 'entry', at: ['casAllocTop'] },
  { comp: 'worker', reg: 'nx', holds: 'node', at: ['enqPoolCas'] },
];

/** A word that refers to a member: its value v (when base <= v < base + members) becomes base + sigma(v - base). */
interface Ref {
  at: number;
  base: number;
  /** only when the owner's control word holds one of these states */
  pcAt: number;
  pcs: Uint8Array | null;
  /** and only when this word is not 0 (-1: always) */
  set: number;
}

interface Plan {
  name: string;
  kind: SymmetryGroup;
  members: number;
  /** blocks[i]: the words that move with member i (same length for every member) */
  blocks: Int32Array[];
  refs: Ref[];
  /** words holding request codes (threads only): 1000j + 1 + request */
  codes: number[];
  /** the atomic ready queue of the process (threads only): handles at rq[0 .. rqLen-1] */
  rq: { rq: number; len: number } | null;
  /** the members that may be permuted are lo .. hi-1: hi is \`members\`, or the live count at liveAt (workers) */
  lo: number;
  liveAt: number;
  /** first member's global number (threads: handles are global thread numbers) */
  first: number;
}

export interface Symmetry {
  /** rewrite s in place into its representative */
  canon(s: Int32Array): void;
  /** the same, interpreted from the declarations: the reference \`canon\` is generated from and tested against */
  canonReference(s: Int32Array): void;
  /** the groups in use, in words */
  describe(): string[];
  /**
   * Is some element of the group applied to s (dead registers zeroed) equal to target? Used to follow
   * a path of representatives with concrete steps; it tries the group's elements one by one, which is
   * cheap for the few states of a counterexample.
   */
  matches(s: Int32Array, target: Int32Array): boolean;
  /**
   * The words declared to hold a member's number, each with the largest value it can hold (the last
   * member's): the packing gives such a word room for every member, not only the ones a sample saw.
   */
  bounds(): { at: number; max: number }[];
  /** the elements that swap two members of one group, each as a function s -> g(s) (dead registers zeroed); for tests */
  transpositions(s: Int32Array): { name: string; apply: (x: Int32Array) => Int32Array }[];
}

function permutations(xs: number[]): number[][] {
  if (xs.length <= 1) return [xs];
  const out: number[][] = [];
  xs.forEach((x, i) => {
    for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}

export function makeSymmetry(sys: System, groups: readonly SymmetryGroup[]): Symmetry {
  // the components that have actors in this configuration (the layers' have none unless switched on)
  const present = [...new Set(sys.actors.map((a) => COMPONENTS[a.comp].spec.id))];
  const extra = present.filter((id) => !DECLARED.includes(id));
  if (extra.length)
    throw new SymmetryError(
      `symmetry reduction is declared for the components ${DECLARED.join(', ')}; this configuration also has ${extra.join(', ')}, whose references to threads, workers and entries are not declared (exhaustive-symmetry.ts), so --symmetry is refused`,
    );
  const { L, cfg } = sys;
  const comp = (id: string) => COMPONENTS.find((c) => c.spec.id === id)!;
  const pcSet = (id: string, names: string[]) => {
    const c = comp(id);
    const set = new Uint8Array(c.states.length);
    for (const n of names) {
      const i = c.stateIndex.get(n);
      if (i === undefined) throw new SymmetryError(`symmetry declaration: ${id} has no control state '${n}' (exhaustive-symmetry.ts is out of date)`);
      set[i] = 1;
    }
    return set;
  };
  // Dead registers: the owner's control word, the register, and where it is live.
  const dead: { at: number; pcAt: number; live: Uint8Array }[] = [];
  const regsOf = (id: string): { pc: number }[] => (id === 'user-thread' ? L.thread : id === 'kernel-thread' ? L.kernel : L.worker) as unknown as { pc: number }[];
  const byReg = new Map<string, string[]>();
  for (const d of LIVE) {
    const key = `${d.comp}.${d.reg}`;
    byReg.set(key, [...(byReg.get(key) ?? []), ...d.at]);
  }
  for (const [key, at] of byReg) {
    const [id, reg] = key.split('.');
    const live = pcSet(id, at);
    for (const blk of regsOf(id)) dead.push({ at: (blk as unknown as Record<string, number>)[reg], pcAt: blk.pc, live });
  }
  // A kernel thread's `cur` naming a thread no longer attached to it (the thread parked, yielded or
  // exited, and its step cannot write the kernel thread's register) is dead too: the only step that
  // reads it (`free()` in primary-kernel.ts) takes it as it takes NIL, and every step that attaches a
  // thread writes `cur` with it. The representative sets it to NIL, so that it names nobody: the
  // runnable threads it would name are otherwise told apart by it.
  const stale = L.kernel.map((k, i) => ({ cur: k.cur, kernel: i }));
  const attOf = Int32Array.from(L.thread.map((t) => t.att));
  const liveAt = (id: string, reg: string, holds: string) => pcSet(id, LIVE.filter((d) => d.comp === id && d.reg === reg && d.holds === holds).flatMap((d) => d.at));

  const T = cfg.threads;
  const K = cfg.kernelThreads;
  const W = cfg.workers;
  const E = cfg.entries;
  const plans: Plan[] = [];
  // an actor's words, the fields the configuration does not lay out left out (the same for every actor of a kind)
  const words = (o: object) => Int32Array.from((Object.values(o) as number[]).filter((at) => at >= 0));
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  for (let p = 0; p < cfg.processes; p++) {
    const P = L.proc[p];
    const ts = range(T).map((i) => p * T + i);
    const ks = range(K).map((i) => p * K + i);
    const ws = range(W).map((i) => p * W + i);
    if (groups.includes('threads')) {
      const fixed = cfg.blockingPair ? 2 : 0;
      const blocks = ts.map((t) => {
        const own = [...words(L.thread[t])];
        for (let k = 0; k < cfg.calls; k++) own.push(L.execd + t * cfg.calls + k, L.seen + t * cfg.calls + k);
        return Int32Array.from(own);
      });
      const refs: Ref[] = [];
      const vLive = liveAt('kernel-thread', 'v', 'thread');
      for (const k of ks) {
        refs.push({ at: L.kernel[k].cur, base: p * T, pcAt: -1, pcs: null, set: -1 });
        refs.push({ at: L.kernel[k].v, base: p * T, pcAt: L.kernel[k].pc, pcs: vLive, set: -1 });
      }
      // an entry's handle names a thread once a caller filled the entry (its seq is set in the same
      // step); before that it is the initial 0, which no step reads (checkThreads makes sure)
      for (let e = 0; e < E; e++) refs.push({ at: P.owner + e, base: p * T, pcAt: -1, pcs: null, set: P.seq + e });
      if (P.nodeValue >= 0) for (let n = 0; n < L.nodes; n++) refs.push({ at: P.nodeValue + n, base: p * T, pcAt: -1, pcs: null, set: -1 });
      for (const w of ws) refs.push({ at: L.worker[w].h, base: p * T, pcAt: -1, pcs: null, set: -1 });
      const codes: number[] = [];
      for (let e = 0; e < E; e++) codes.push(P.arg + e);
      for (const w of ws) codes.push(L.worker[w].r);
      for (let r = 0; r < L.requests; r++) codes.push(L.seen + r);
      plans.push({
        name: `threads of process ${p + 1}${fixed ? ' (T1, T2 fixed: recv/send pair)' : ''}`,
        kind: 'threads',
        members: T,
        blocks,
        refs,
        codes,
        rq: cfg.readyQueue === 'atomic' ? { rq: P.rq, len: P.rqLen } : null,
        lo: fixed,
        liveAt: -1,
        first: p * T,
      });
    }
    if (groups.includes('kernels'))
      plans.push({
        name: `kernel threads of process ${p + 1}`,
        kind: 'kernels',
        members: K,
        blocks: ks.map((k) => words(L.kernel[k])),
        refs: ts.map((t) => ({ at: L.thread[t].att, base: p * K, pcAt: -1, pcs: null, set: -1 })),
        codes: [],
        rq: null,
        lo: 0,
        liveAt: -1,
        first: p * K,
      });
    if (groups.includes('workers'))
      plans.push({
        name: `workers of process ${p + 1}`,
        kind: 'workers',
        members: W,
        blocks: ws.map((w) => words(L.worker[w])),
        refs: [],
        codes: [],
        rq: null,
        lo: 0,
        liveAt: P.liveWorkers,
        first: p * W,
      });
    if (groups.includes('entries')) {
      const refs: Ref[] = [
        { at: P.freeTop, base: 0, pcAt: -1, pcs: null, set: -1 },
        { at: P.allocTop, base: 0, pcAt: -1, pcs: null, set: -1 },
      ];
      for (let e = 0; e < E; e++) refs.push({ at: P.next + e, base: 0, pcAt: -1, pcs: null, set: -1 });
      const tiLive = liveAt('user-thread', 'ti', 'entry');
      const nxLive = liveAt('user-thread', 'nx', 'entry');
      for (const t of ts) {
        refs.push({ at: L.thread[t].e, base: 0, pcAt: -1, pcs: null, set: -1 });
        refs.push({ at: L.thread[t].ti, base: 0, pcAt: L.thread[t].pc, pcs: tiLive, set: -1 });
        refs.push({ at: L.thread[t].nx, base: 0, pcAt: L.thread[t].pc, pcs: nxLive, set: -1 });
      }
      const wti = liveAt('worker', 'ti', 'entry');
      const wnx = liveAt('worker', 'nx', 'entry');
      for (const w of ws) {
        refs.push({ at: L.worker[w].e, base: 0, pcAt: -1, pcs: null, set: -1 });
        refs.push({ at: L.worker[w].ti, base: 0, pcAt: L.worker[w].pc, pcs: wti, set: -1 });
        refs.push({ at: L.worker[w].nx, base: 0, pcAt: L.worker[w].pc, pcs: wnx, set: -1 });
      }
      plans.push({
        name: `request entries of process ${p + 1}`,
        kind: 'entries',
        members: E,
        blocks: range(E).map((e) => Int32Array.from([P.next + e, P.id + e, P.seq + e, P.arg + e, P.owner + e])),
        refs,
        codes: [],
        rq: null,
        lo: 0,
        liveAt: -1,
        first: 0,
      });
    }
  }

  /** The members group g may permute in s: a list per possible count, made once. */
  const hiOf = (g: Plan, s: Int32Array) => (g.liveAt < 0 ? g.members : Math.max(0, Math.min(g.members, s[g.liveAt])));
  const candLists = new Map(plans.map((g) => [g, range(g.members + 1).map((hi) => range(hi).slice(g.lo))]));
  const candidates = (g: Plan, s: Int32Array) => candLists.get(g)![hiOf(g, s)];

  // The scheduler check for thread symmetry. The M:N scheduler runs the lowest-numbered runnable
  // thread, so a renaming of threads commutes with that step only up to the threads it could have
  // picked being interchangeable: when every two runnable threads are (swapping them leaves the state
  // as it is: equal words, nothing naming either), picking another one gives a state of the same
  // orbit, and the reduction stays exact. Otherwise the search stops with an error naming the state.
  const loadFreeTop = comp('user-thread').stateIndex.get('loadFreeTop')!;
  const threadPlans = plans.filter((g) => g.kind === 'threads');
  const threadGroups = groups.includes('threads');
  const swapped = new Int32Array(L.size);
  const runnable = new Int32Array(T);
  /** Does swapping threads a and b (numbers within the group) leave s as it is? */
  const interchangeable = (g: Plan, s: Int32Array, a: number, b: number): boolean => {
    if (a < g.lo || b < g.lo) return false;
    for (let i = 0; i < g.members; i++) sigma[i] = i;
    sigma[a] = b;
    sigma[b] = a;
    swapped.set(s);
    applyInPlace(g, swapped);
    for (let i = 0; i < swapped.length; i++) if (swapped[i] !== s[i]) return false;
    return true;
  };
  const readHandle = comp('worker').stateIndex.get('readHandle')!;
  const checkThreads = (s: Int32Array) => {
    for (let p = 0; p < cfg.processes; p++) {
      // an entry's handle is a reference to a thread only once the entry was filled (see its Ref):
      // a worker about to read the handle of an entry never filled would read the initial 0, which
      // names thread 0 whatever the renaming
      for (let w = p * W; w < p * W + W; w++) {
        if (s[L.worker[w].pc] !== readHandle) continue;
        const e = s[L.worker[w].e];
        if (e >= 0 && e < E && s[L.proc[p].seq + e] === 0)
          throw new SymmetryError(
            `thread symmetry does not hold in this configuration: a state was reached in which worker W${w + 1} reads the handle of entry ${e}, which no caller has filled (the initial 0 names thread 1); rerun with --symmetry-groups kernels,workers,entries`,
          );
      }
      if (s[L.proc[p].freeTop] === NIL) continue;
      let n = 0;
      for (let t = p * T; t < p * T + T; t++) if (s[L.thread[t].att] === NIL && s[L.thread[t].pc] === loadFreeTop) runnable[n++] = t - p * T;
      if (n < 2) continue;
      let freeKernel = -1;
      for (let k = p * K; k < p * K + K && freeKernel < 0; k++) {
        const cur = s[L.kernel[k].cur];
        if (cur === NIL || s[L.thread[cur].att] !== k) freeKernel = k;
      }
      if (freeKernel < 0) continue;
      const g = threadPlans[p];
      let alike = true;
      for (let r = 1; r < n && alike; r++) alike = interchangeable(g, s, runnable[r - 1], runnable[r]);
      if (!alike)
        throw new SymmetryError(
          `thread symmetry does not hold in this configuration: a state was reached in which kernel thread K${freeKernel + 1} can pick between ${n} runnable threads of process ${p + 1} that are not interchangeable, and the M:N scheduler picks the lowest-numbered one; rerun with --symmetry-groups kernels,workers,entries`,
        );
    }
  };

  const R = L.requests;
  const calls = cfg.calls;
  const size = L.size;
  const sigma = new Int32Array(64);
  const tmp = new Int32Array(size);

  /** The member (of m) that reference r names in s, or -1 (also where its register is dead). */
  const refMember = (r: Ref, s: Int32Array, m: number) => {
    if (r.pcs !== null && !r.pcs[s[r.pcAt]]) return -1;
    if (r.set >= 0 && s[r.set] === 0) return -1;
    const u = s[r.at] - r.base;
    return u >= 0 && u < m ? u : -1;
  };

  /** The member a request code names (relative to the group's first), or -1. */
  const codeMember = (g: Plan, v: number) => {
    if (v < 1) return -1;
    const q = (v - 1) % 1000;
    if (q >= R) return -1;
    const t = Math.floor(q / calls) - g.first;
    return t >= 0 && t < g.members ? t : -1;
  };

  /** s = sigma(s) for plan g, in place; sigma maps member -> member (identity outside the candidates). */
  const applyInPlace = (g: Plan, s: Int32Array) => {
    const m = g.members;
    // The moved members' blocks are read before any is written.
    let t = 0;
    for (let i = 0; i < m; i++) {
      if (sigma[i] === i) continue;
      const from = g.blocks[i];
      for (let x = 0; x < from.length; x++) tmp[t++] = s[from[x]];
    }
    t = 0;
    for (let i = 0; i < m; i++) {
      if (sigma[i] === i) continue;
      const to = g.blocks[sigma[i]];
      for (let x = 0; x < to.length; x++) s[to[x]] = tmp[t++];
    }
    // References are rewritten after the moves, so a reference inside a moved block is renamed too.
    const refs = g.refs;
    for (let k = 0; k < refs.length; k++) {
      const u = refMember(refs[k], s, m);
      if (u >= 0) s[refs[k].at] = refs[k].base + sigma[u];
    }
    if (g.kind === 'threads') {
      // Request codes: the thread part of the request number is renamed.
      const codes = g.codes;
      for (let k = 0; k < codes.length; k++) {
        const at = codes[k];
        const v = s[at];
        const u = codeMember(g, v);
        if (u < 0) continue;
        const q = (v - 1) % 1000;
        s[at] = v - q + (g.first + sigma[u]) * calls + (q % calls);
      }
      if (g.rq) for (let i = 0; i < s[g.rq.len]; i++) {
        const v = s[g.rq.rq + i] - g.first;
        if (v >= 0 && v < m) s[g.rq.rq + i] = g.first + sigma[v];
      }
    }
  };

  /** out = sigma(s) for plan g. */
  const apply = (g: Plan, s: Int32Array, out: Int32Array) => {
    out.set(s);
    applyInPlace(g, out);
  };

  /**
   * A member's signature: its block's words, with every word that names a member of the same group
   * (a reference, or the thread part of a request code) replaced by "itself" or "another member",
   * and last the lowest address outside the members' blocks that names it. Renaming the group
   * permutes the signatures with the members and changes none of them (the words outside the blocks
   * stay where they are and follow the member they name), so sorting the members by signature puts
   * every state of an orbit in the same order. Two members can only tie when nothing outside the
   * blocks names either of them.
   */
  const SELF = -0x40000000;
  const OTHER = -0x3fffffff;
  const UNNAMED = 0x7fffffff;
  const sigs = plans.map((g) => {
    const len = g.blocks[0]?.length ?? 0;
    const inBlock = new Set(g.blocks.flatMap((b) => [...b]));
    const refAt = new Map(g.refs.map((r, k) => [r.at, k]));
    const codeAt = new Set(g.codes);
    // per member and block word: 0 a plain word, k + 1 reference k, -1 a request code
    const kind = g.blocks.map((b) => Int32Array.from(b, (at) => (refAt.has(at) ? refAt.get(at)! + 1 : codeAt.has(at) ? -1 : 0)));
    return {
      len,
      kind,
      /** the references and codes outside the blocks, by address */
      outRefs: g.refs.filter((r) => !inBlock.has(r.at)).sort((a, b) => a.at - b.at),
      outCodes: Int32Array.from(g.codes.filter((at) => !inBlock.has(at)).sort((a, b) => a - b)),
      order: new Int32Array(g.members),
      isCand: new Uint8Array(g.members),
      first: new Int32Array(g.members),
      /** `first` is computed for the state at hand */
      named: false,
    };
  });
  type Sig = (typeof sigs)[number];

  /** For each candidate: the lowest address outside the blocks that names it (UNNAMED if none). */
  const firstNames = (g: Plan, sg: Sig, s: Int32Array) => {
    const first = sg.first;
    first.fill(UNNAMED);
    const m = g.members;
    const refs = sg.outRefs;
    for (let k = 0; k < refs.length; k++) {
      const u = refMember(refs[k], s, m);
      if (u >= 0 && refs[k].at < first[u]) first[u] = refs[k].at;
    }
    const codes = sg.outCodes;
    for (let k = 0; k < codes.length; k++) {
      const u = codeMember(g, s[codes[k]]);
      if (u >= 0 && codes[k] < first[u]) first[u] = codes[k];
    }
    if (g.rq)
      for (let i = 0; i < s[g.rq.len]; i++) {
        const u = s[g.rq.rq + i] - g.first;
        if (u >= 0 && u < m && g.rq.rq + i < first[u]) first[u] = g.rq.rq + i;
      }
  };

  /** Word x of member i's signature. */
  const sigWord = (g: Plan, sg: Sig, i: number, x: number, s: Int32Array): number => {
    const v = s[g.blocks[i][x]];
    const k = sg.kind[i][x];
    if (k > 0) {
      const u = refMember(g.refs[k - 1], s, g.members);
      if (u >= 0 && sg.isCand[u]) return u === i ? SELF : OTHER;
    } else if (k < 0) {
      const u = codeMember(g, v);
      if (u >= 0 && sg.isCand[u]) {
        const q = (v - 1) % 1000;
        return (u === i ? SELF : OTHER) - 2 * (v - q + (q % calls));
      }
    }
    return v;
  };

  /**
   * Member a's signature before b's (-1), equal (0) or after (1), computed as far as needed: most
   * pairs differ in their first few words, so the rest, and where the members are named outside the
   * blocks, are rarely looked at.
   */
  const cmpMembers = (g: Plan, sg: Sig, a: number, b: number, s: Int32Array): number => {
    for (let x = 0; x < sg.len; x++) {
      const va = sigWord(g, sg, a, x, s);
      const vb = sigWord(g, sg, b, x, s);
      if (va !== vb) return va < vb ? -1 : 1;
    }
    if (!sg.named) {
      firstNames(g, sg, s);
      sg.named = true;
    }
    const fa = sg.first[a];
    const fb = sg.first[b];
    return fa === fb ? 0 : fa < fb ? -1 : 1;
  };

  /** sigma: the member at rank r of the order takes slot cand[r]; true if that is the identity */
  const sigmaFromOrder = (g: Plan, order: Int32Array, cand: number[]) => {
    for (let i = 0; i < g.members; i++) sigma[i] = i;
    let identity = true;
    for (let r = 0; r < cand.length; r++) {
      sigma[order[r]] = cand[r];
      if (order[r] !== cand[r]) identity = false;
    }
    return identity;
  };

  /**
   * The representative for one group: the members, sorted by signature, take the group's slots in
   * order, so every state of an orbit of this group has the same representative. Members with equal
   * signatures keep the order of their numbers: when nothing names them (the usual case: idle
   * workers, unattached kernel threads) every order gives the same state; otherwise the result is
   * still a state of the orbit (sound), only perhaps not the one every other state of the orbit gets.
   * A test checks on states of every kind of configuration that each orbit has one representative.
   */
  const canonGroup = (gi: number, s: Int32Array) => {
    const g = plans[gi];
    const sg = sigs[gi];
    const cand = candidates(g, s);
    const c = cand.length;
    if (c < 2) return;
    sg.isCand.fill(0);
    for (let r = 0; r < c; r++) sg.isCand[cand[r]] = 1;
    sg.named = false;
    const order = sg.order;
    for (let r = 0; r < c; r++) {
      // insertion sort, stable: ties keep member order
      let j = r;
      while (j > 0 && cmpMembers(g, sg, order[j - 1], cand[r], s) > 0) {
        order[j] = order[j - 1];
        j--;
      }
      order[j] = cand[r];
    }
    if (!sigmaFromOrder(g, order, cand)) applyInPlace(g, s);
  };

  /** Zero the dead registers of x and take the stale `cur`s as NIL: the part of the representative that is no renaming. */
  const zeroDead = (x: Int32Array) => {
    for (const d of dead) if (!d.live[x[d.pcAt]]) x[d.at] = 0;
    for (const k of stale) if (x[k.cur] !== NIL && x[attOf[x[k.cur]]] !== k.kernel) x[k.cur] = NIL;
  };

  const canon = (s: Int32Array) => {
    zeroDead(s);
    if (threadGroups) checkThreads(s);
    for (let gi = 0; gi < plans.length; gi++) canonGroup(gi, s);
  };

  const setSigma = (g: Plan, cand: number[], perm: number[]) => {
    for (let i = 0; i < g.members; i++) sigma[i] = i;
    cand.forEach((c, i) => (sigma[c] = perm[i]));
  };

  const equal = (a: Int32Array, b: Int32Array) => {
    for (let i = 0; i < size; i++) if (a[i] !== b[i]) return false;
    return true;
  };

  const matches = (s: Int32Array, target: Int32Array): boolean => {
    const start = s.slice();
    zeroDead(start);
    const go = (gi: number, x: Int32Array): boolean => {
      if (gi === plans.length) return equal(x, target);
      const g = plans[gi];
      const cand = candidates(g, x);
      for (const perm of permutations(cand)) {
        setSigma(g, cand, perm);
        const y = new Int32Array(size);
        apply(g, x, y);
        if (go(gi + 1, y)) return true;
      }
      return false;
    };
    return go(0, start);
  };

  const transpositions = (s: Int32Array) => {
    const out: { name: string; apply: (x: Int32Array) => Int32Array }[] = [];
    for (const g of plans) {
      const cand = candidates(g, s);
      for (let a = 0; a < cand.length; a++)
        for (let b = a + 1; b < cand.length; b++) {
          const perm = cand.slice();
          perm[a] = cand[b];
          perm[b] = cand[a];
          out.push({
            name: `${g.name}: swap ${cand[a] + 1} and ${cand[b] + 1}`,
            apply: (x) => {
              const z = x.slice();
              zeroDead(z);
              setSigma(g, cand, perm);
              const y = new Int32Array(size);
              apply(g, z, y);
              return y;
            },
          });
        }
    }
    return out;
  };


  /**
   * `canon`, generated for this configuration: the same representative (a test holds it to the
   * interpreted version above, state by state), with every address, reference base and block length
   * a constant. Each group gets a comparison that reads two members' signatures word by word as far
   * as they agree, one case per pair of members, and its renaming as straight-line code. The
   * interpreted version spent most of its time finding those addresses (a third of a symmetric
   * search at 3x2x2x2).
   */
  const compileCanon = (): ((s: Int32Array) => void) => {
    const names: string[] = [];
    const values: unknown[] = [];
    const constant = (prefix: string, v: unknown) => {
      const at = values.indexOf(v);
      if (at >= 0) return names[at];
      names.push(`${prefix}${names.length}`);
      values.push(v);
      return names[names.length - 1];
    };
    /** is reference r live in s (its owner's control word holds a state where r holds an index) */
    const liveTest = (r: Ref) => (r.pcs === null ? '' : `${constant('pcs', r.pcs)}[s[${r.pcAt}]] && `) + (r.set < 0 ? '' : `s[${r.set}] !== 0 && `);
    const out: string[] = [];
    out.push(`const SELF = ${SELF}, OTHER = ${OTHER}, UNNAMED = ${UNNAMED};`);
    plans.forEach((g, gi) => {
      const sg = sigs[gi];
      const m = g.members;
      const len = sg.len;
      const threads = g.kind === 'threads';
      /** the member a request code names, of all m (relative to the group's first), or -1 */
      if (threads)
        out.push(
          `function symCodeMember${gi}(v) {`,
          '  if (v < 1) return -1;',
          `  const q = (v - 1) % 1000;`,
          `  if (q >= ${R}) return -1;`,
          `  const t = Math.floor(q / ${calls}) - ${g.first};`,
          `  return t >= 0 && t < ${m} ? t : -1;`,
          '}',
        );
      // word x of member i's signature, an expression (t and v are scratch)
      const sigExpr = (i: number, x: number) => {
        const at = g.blocks[i][x];
        const k = sg.kind[i][x];
        if (k > 0) {
          const r = g.refs[k - 1];
          return `(t = s[${at}] - ${r.base}, ${liveTest(r)}t >= lo && t < hi ? (t === ${i} ? SELF : OTHER) : s[${at}])`;
        }
        if (k < 0)
          return `(v = s[${at}], t = symCodeMember${gi}(v), t >= lo && t < hi ? (t === ${i} ? SELF : OTHER) - 2 * (v - (v - 1) % 1000 + ((v - 1) % 1000) % ${calls}) : v)`;
        return `s[${at}]`;
      };
      out.push(`function symCompare${gi}(a, b, s, lo, hi) {`, '  let t = 0, v = 0, x = 0, y = 0;', `  switch (a * ${m} + b) {`);
      for (let a = 0; a < m; a++)
        for (let b = 0; b < m; b++) {
          if (a === b) continue;
          out.push(`    case ${a * m + b}:`);
          for (let x = 0; x < len; x++) out.push(`      x = ${sigExpr(a, x)}; y = ${sigExpr(b, x)};`, '      if (x !== y) return x < y ? -1 : 1;');
          out.push('      return 0;');
        }
      out.push('  }', '  return 0;', '}');
      // the lowest address outside the blocks that names each member (firstNames)
      const first = constant('first', sg.first);
      out.push(`function symNames${gi}(s) {`, '  let t = 0;', `  ${first}.fill(UNNAMED);`);
      for (const r of sg.outRefs) out.push(`  t = s[${r.at}] - ${r.base};`, `  if (${liveTest(r)}t >= 0 && t < ${m} && ${r.at} < ${first}[t]) ${first}[t] = ${r.at};`);
      for (const at of sg.outCodes) out.push(`  t = symCodeMember${gi}(s[${at}]);`, `  if (t >= 0 && ${at} < ${first}[t]) ${first}[t] = ${at};`);
      if (g.rq)
        out.push(
          `  for (let i = 0; i < s[${g.rq.len}]; i++) {`,
          `    t = s[${g.rq.rq} + i] - ${g.first};`,
          `    if (t >= 0 && t < ${m} && ${g.rq.rq} + i < ${first}[t]) ${first}[t] = ${g.rq.rq} + i;`,
          '  }',
        );
      out.push('}');
      // s = sigma(s): the moved blocks, then every reference (applyInPlace)
      out.push(`function symRename${gi}(s) {`, '  let t = 0, v = 0;');
      // every move written out (configurations have at most 8 members a group): member i's words to the slot sigma[i] names
      for (let i = 0; i < m; i++) out.push(`  if (sigma[${i}] !== ${i}) {`, ...[...g.blocks[i]].map((at, x) => `    tmp[${i * len + x}] = s[${at}];`), '  }');
      for (let i = 0; i < m; i++) {
        out.push(`  switch (sigma[${i}]) {`);
        for (let j = 0; j < m; j++) if (j !== i) out.push(`    case ${j}:`, ...[...g.blocks[j]].map((at, x) => `      s[${at}] = tmp[${i * len + x}];`), '      break;');
        out.push('  }');
      }
      for (const r of g.refs) out.push(`  t = s[${r.at}] - ${r.base};`, `  if (${liveTest(r)}t >= 0 && t < ${m}) s[${r.at}] = ${r.base} + sigma[t];`);
      if (threads) {
        for (const at of g.codes)
          out.push(
            `  v = s[${at}]; t = symCodeMember${gi}(v);`,
            `  if (t >= 0) s[${at}] = v - (v - 1) % 1000 + (${g.first} + sigma[t]) * ${calls} + ((v - 1) % 1000) % ${calls};`,
          );
        if (g.rq)
          out.push(
            `  for (let i = 0; i < s[${g.rq.len}]; i++) {`,
            `    t = s[${g.rq.rq} + i] - ${g.first};`,
            `    if (t >= 0 && t < ${m}) s[${g.rq.rq} + i] = ${g.first} + sigma[t];`,
            '  }',
          );
      }
      out.push('}');
      // the order of two members: signatures, then where they are first named (computed once per state)
      out.push(
        `let named${gi} = false;`,
        `function symOrder${gi}(a, b, s, lo, hi) {`,
        `  const c = symCompare${gi}(a, b, s, lo, hi);`,
        '  if (c !== 0) return c;',
        `  if (!named${gi}) { symNames${gi}(s); named${gi} = true; }`,
        `  return ${first}[a] - ${first}[b];`,
        '}',
      );
      // the group's representative (canonGroup): a stable insertion sort; most states are in order already
      const order = constant('order', sg.order);
      const hi = g.liveAt < 0 ? String(m) : `Math.max(0, Math.min(${m}, s[${g.liveAt}]))`;
      out.push(
        `function symGroup${gi}(s) {`,
        `  const lo = ${g.lo}, hi = ${hi};`,
        '  if (hi - lo < 2) return;',
        `  named${gi} = false;`,
        '  let r = lo + 1;',
        `  while (r < hi && symOrder${gi}(r - 1, r, s, lo, hi) <= 0) r++;`,
        '  if (r === hi) return;',
        '  for (r = lo; r < hi; r++) {',
        '    let j = r - lo;',
        '    while (j > 0) {',
        `      const a = ${order}[j - 1];`,
        `      if (symOrder${gi}(a, r, s, lo, hi) <= 0) break;`,
        `      ${order}[j] = a;`,
        '      j--;',
        '    }',
        `    ${order}[j] = r;`,
        '  }',
        `  for (let i = 0; i < ${m}; i++) sigma[i] = i;`,
        `  for (r = 0; r < hi - lo; r++) sigma[${order}[r]] = lo + r;`,
        `  symRename${gi}(s);`,
        '}',
      );
    });
    out.push('return function symCanon(s) {');
    for (const d of dead) out.push(`  if (!${constant('live', d.live)}[s[${d.pcAt}]]) s[${d.at}] = 0;`);
    const att = constant('att', attOf);
    out.push('  let cur = 0;');
    for (const k of stale) out.push(`  cur = s[${k.cur}];`, `  if (cur !== ${NIL} && s[${att}[cur]] !== ${k.kernel}) s[${k.cur}] = ${NIL};`);
    if (threadGroups) out.push('  checkThreads(s);');
    plans.forEach((_, gi) => out.push(`  symGroup${gi}(s);`));
    out.push('};');
    return new Function('sigma', 'tmp', 'checkThreads', ...names, out.join('\n'))(sigma, tmp, checkThreads, ...values) as (s: Int32Array) => void;
  };
  const compiled = compileCanon();

  return {
    canon: compiled,
    canonReference: canon,
    bounds: () => plans.flatMap((g) => g.refs.map((r) => ({ at: r.at, max: r.base + g.members - 1 }))),
    describe: () => plans.map((g) => g.name),
    matches,
    transpositions,
  };
}
