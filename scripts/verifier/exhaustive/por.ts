/**
 * Partial-order reduction for the exhaustive search: ample sets of independent steps.
 *
 * Where the independence is. Every step of this model is one access to shared memory, and within a
 * process every actor's step touches words that other actors of that process also use (the stacks,
 * the entries, the ready queue, a thread's `att` and control word). Measured over the reachable
 * states, no step of a one-process configuration is independent of all the others' futures; this is
 * also what SPIN's reduction finds on the Promela model of the same protocol (shared/anchors). What
 * is independent is two processes: each has its own request area, ready queue, shadow process and
 * actors, and they meet only in the service domain's words (wake word, event channels, notify ring)
 * and through the frontend and backend actors. So the reduction works per process.
 *
 * The ample set at a state s is the enabled steps of the actors of one process p, when
 * - C0: there is at least one, and there are enabled steps outside p (otherwise nothing is saved);
 * - C1: none of those steps reads or writes a word that an actor outside p can access (the shared
 *   service-domain words, another process's words, and the words of p's actors that the frontend or
 *   the backend touch), and no actor of p has a guard that reads such a word (an outsider could
 *   otherwise enable a step of p that is not in the set). The steps' read and write sets are measured
 *   on s (model/kit/footprint.ts, and a recorder for the guards of every event of every actor of p),
 *   once per distinct view of the words they read, and found again after that (footprints.ts). Which
 *   words each kind of actor can access at all is declared below from the layout and checked by a
 *   test over every reachable state of two-process configurations of every variant;
 * - C2: the properties are conjunctions of per-process clauses (entry-safety, exactly-once,
 *   right-thread, no-lost-wakeup are), so a violation shows in the words of one process, whose every
 *   local state the reduced search still reaches; a property not known to be so is refused;
 * - C3: the search expands s fully when a step of the ample set leads to a state already visited (the
 *   breadth-first form of the cycle proviso), so no step is postponed round a cycle for ever.
 * Terminal states are kept (an ample set is empty only when nothing is enabled), so deadlocks and lost
 * wakeups are found; the shortest counterexample is shortest in the reduced graph, which can be longer
 * than the shortest one. Fair-cycle liveness is refused with --por (see exhaustive.ts).
 */
import { COMPONENTS, fastStepper, type System } from '../../../model/kit/system.ts';
import type { Branch, Ctx } from '../../../model/kit/kit.ts';
import { recordingView, regionMap } from '../../../model/kit/footprint.ts';
import { FootprintCache } from './footprints.ts';

export class PorError extends Error {}

/** Properties whose violations are visible in the words of a single process. */
export const POR_PROPERTIES = ['entry-safety', 'exactly-once', 'right-thread', 'no-lost-wakeup'];

const DECLARED = ['user-thread', 'kernel-thread', 'worker', 'frontend', 'backend-wake'];

export interface Por {
  /** Move an ample subset of the n enabled steps to the front and return its size (n if none applies). */
  ample(s: Int32Array, n: number, actors: Int32Array, branches: Branch[]): number;
}

/** The words each actor may access at all, by the layout: the basis of the reduction and of its test. */
export interface AccessMap {
  /** cluster of each actor: its process, or -1 for actors shared by all processes (frontend, backend) */
  clusterOf: Int32Array;
  clusters: number;
  /** per cluster p: 1 for every word an actor outside p may access */
  outside: Uint8Array[];
  /** per actor: 1 for every word it may access */
  allowed: Uint8Array[];
}

export function accessMap(sys: System): AccessMap {
  const { L, cfg } = sys;
  const regions = regionMap(sys);
  const size = L.size;
  const perProcess = cfg.threads * cfg.calls;
  // The process a word belongs to, or -1 for the service domain's words and global ghosts.
  const procOfWord = new Int32Array(size).fill(-1);
  const names = new Map(sys.actors.map((a, i) => [a.name, i]));
  const clusterOf = new Int32Array(sys.actors.length);
  sys.actors.forEach((a, i) => {
    const id = COMPONENTS[a.comp].spec.id;
    clusterOf[i] = id === 'user-thread' ? Math.floor(a.me / cfg.threads) : id === 'kernel-thread' ? Math.floor(a.me / cfg.kernelThreads) : id === 'worker' ? Math.floor(a.me / cfg.workers) : -1;
  });
  for (let w = 0; w < size; w++) {
    const r = regions[w];
    if (r.kind === 'request-area' || r.kind === 'ready-queue' || r.kind === 'shadow-process') procOfWord[w] = r.proc;
    else if (r.kind === 'actor') procOfWord[w] = clusterOf[names.get(r.actor)!];
    else if (r.kind === 'ghost' && w >= L.execd && w < L.execd + L.requests) procOfWord[w] = Math.floor((w - L.execd) / perProcess);
    else if (r.kind === 'ghost' && w >= L.seen && w < L.seen + L.requests) procOfWord[w] = Math.floor((w - L.seen) / perProcess);
  }
  const shared: number[] = [L.wake, L.evtToService, L.evtToPrimary, L.ringLen, L.fault];
  for (let i = 0; i < cfg.ringCapacity; i++) shared.push(L.ring + i);
  const frontendWords = [L.frontend.pc, L.frontend.rec, L.evtToPrimary, L.ringLen, ...Array.from({ length: cfg.ringCapacity }, (_, i) => L.ring + i), ...L.kernel.flatMap((k) => [k.reg, k.pend])];
  const backendWords = [L.backend.pc, L.backend.wl, L.evtToService, L.wake, ...L.worker.flatMap((w) => [w.pc, w.woken])];
  const hasFrontend = sys.actors.some((a) => COMPONENTS[a.comp].spec.id === 'frontend');
  const hasBackend = sys.actors.some((a) => COMPONENTS[a.comp].spec.id === 'backend-wake');
  const allowed = sys.actors.map((a, i) => {
    const m = new Uint8Array(size);
    const id = COMPONENTS[a.comp].spec.id;
    if (id === 'frontend') for (const w of frontendWords) m[w] = 1;
    else if (id === 'backend-wake') for (const w of backendWords) m[w] = 1;
    else {
      for (let w = 0; w < size; w++) if (procOfWord[w] === clusterOf[i]) m[w] = 1;
      for (const w of shared) m[w] = 1;
    }
    return m;
  });
  const clusters = cfg.processes;
  const outside = Array.from({ length: clusters }, (_, p) => {
    const m = new Uint8Array(size);
    sys.actors.forEach((_, i) => {
      if (clusterOf[i] === p) return;
      if (clusterOf[i] === -1 && !((COMPONENTS[sys.actors[i].comp].spec.id === 'frontend' && hasFrontend) || (COMPONENTS[sys.actors[i].comp].spec.id === 'backend-wake' && hasBackend))) return;
      const a = allowed[i];
      for (let w = 0; w < size; w++) if (a[w]) m[w] = 1;
    });
    return m;
  });
  return { clusterOf, clusters, outside, allowed };
}

/** Record the words guards read (every branch of every event of the actor's control state, and `runnable`): the reference the footprints found again (footprints.ts) are tested against. */
export function guardReads(sys: System, s: Int32Array, actor: number, mark: (w: number) => void): void {
  const a = sys.actors[actor];
  const comp = COMPONENTS[a.comp];
  const view = recordingView(s, mark, null);
  const ctx: Ctx = { s: view, me: a.me, L: sys.L, emit: () => {} };
  mark(a.pcAt);
  comp.spec.runnable?.(ctx);
  for (const ev of comp.states[s[a.pcAt]].events) for (const br of ev.branches) br.guard?.(ctx);
}

export function makePor(sys: System, props?: readonly string[]): Por {
  // the components that have actors in this configuration (the layers' have none unless switched on)
  const present = [...new Set(sys.actors.map((a) => COMPONENTS[a.comp].spec.id))];
  const extra = present.filter((id) => !DECLARED.includes(id));
  if (extra.length)
    throw new PorError(`partial-order reduction is declared for the components ${DECLARED.join(', ')}; this configuration also has ${extra.join(', ')}, whose accesses are not declared (exhaustive-por.ts), so --por is refused`);
  const unknown = (props ?? []).filter((p) => !POR_PROPERTIES.includes(p));
  if (unknown.length)
    throw new PorError(`partial-order reduction is sound here only for properties made of per-process clauses (${POR_PROPERTIES.join(', ')}); ${unknown.join(', ')} is not known to be one, so --por is refused for it`);
  const map = accessMap(sys);
  const stepper = fastStepper(sys);
  const nActors = sys.actors.length;
  const byCluster: number[][] = Array.from({ length: map.clusters }, () => []);
  sys.actors.forEach((_, i) => {
    if (map.clusterOf[i] >= 0) byCluster[map.clusterOf[i]].push(i);
  });
  const tmpA = new Int32Array(nActors * 8);
  const tmpB: Branch[] = [];
  // footprints are measured once per distinct view and found again after that (footprints.ts)
  const fps = new FootprintCache(sys, stepper.branches.length);
  if (map.clusters >= 2) fps.start();
  const outside = map.outside.map((m) => {
    const bits = new Int32Array(fps.mw);
    m.forEach((x, w) => {
      if (x) bits[w >>> 5] |= 1 << (w & 31);
    });
    return bits;
  });
  return {
    ample(s, n, actors, branches) {
      if (map.clusters < 2) return n;
      for (let p = 0; p < map.clusters; p++) {
        let inP = 0;
        for (let k = 0; k < n; k++) if (map.clusterOf[actors[k]] === p) inP++;
        if (inP === 0 || inP === n) continue;
        const forbidden = outside[p];
        let bad = false;
        for (const a of byCluster[p])
          if (fps.touches(fps.guards(s, a), forbidden)) {
            bad = true;
            break;
          }
        for (let k = 0; k < n && !bad; k++) {
          if (map.clusterOf[actors[k]] !== p) continue;
          if (fps.touches(fps.step(s, actors[k], branches[k]), forbidden)) bad = true;
        }
        if (bad) continue;
        // The ample set first (in enabled order), then the rest, so that a full expansion keeps numbering.
        let j = 0;
        for (let k = 0; k < n; k++) if (map.clusterOf[actors[k]] === p) {
          tmpA[j] = actors[k];
          tmpB[j++] = branches[k];
        }
        for (let k = 0; k < n; k++) if (map.clusterOf[actors[k]] !== p) {
          tmpA[j] = actors[k];
          tmpB[j++] = branches[k];
        }
        for (let k = 0; k < n; k++) {
          actors[k] = tmpA[k];
          branches[k] = tmpB[k];
        }
        return inP;
      }
      return n;
    },
  };
}
