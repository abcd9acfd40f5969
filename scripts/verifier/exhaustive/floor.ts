/**
 * Where one worker's time per state goes (`virtuos bench --floor`): the search's own parts measured
 * apart.
 *
 * The one-thread search runs first, in this process, as `virtuos verify --exhaustive --liveness
 * terminal` runs it (full store, every invariant and terminal check of the dispatch properties). Its
 * store then holds every reachable state, and each part of the work the search did on them is timed
 * again on its own, over all of them, once the JIT has compiled it (one pass unmeasured, then the
 * median of three; a pass goes over a small configuration's states several times, MIN_VISITS in
 * all). The states go by in chunks, and each part is timed over a chunk whose inputs untimed work
 * prepared, so that no part is the difference of two timings:
 *
 * - `decode`: unpacking each state from its packed record;
 * - `step`: its enabled steps found and every successor computed;
 * - `pack`: every successor packed and hashed, as the store does before it probes its table;
 * - `table`: every successor looked up in the store's table, in batches whose slots are brought into
 *   the cache together, as the search does. Each is found there (the search stored them all), so
 *   this is a search's lookup of a state met before, at the table's final size;
 * - `invariants`: every invariant evaluated on the state. The search evaluates only those whose
 *   words the step changed (docs/search.md), so this is at most what it spends.
 *
 * What the parts leave of the whole search is the storing of new states, the table's growth, the
 * search's bookkeeping and the JIT's warm-up. No part measured here can be cheaper than zero, so
 * unpacking, stepping and packing say how fast the search could at best be if the rest cost nothing.
 */
import type { Config } from '../../../model/kit/config.ts';
import type { Property } from '../../../properties/property.ts';
import { Search } from './exhaustive.ts';
import type { FullStore } from './store.ts';

/** States a timed pass goes over at least (a small configuration's, several times). */
const MIN_VISITS = 50_000;
/** States unpacked, stepped and checked together; each part is timed over a chunk. */
const CHUNK = 256;
/** Successors given to the store's table at once (the search gives it a group of 32 states' successors). */
const TABLE_BATCH = 128;

export interface Floor {
  states: number;
  transitions: number;
  /** the search itself, seconds (set-up excluded, as in its summary) */
  searchS: number;
  /** nanoseconds a state stored */
  ns: { search: number; decode: number; step: number; pack: number; table: number; invariants: number };
}

export async function measureFloor(cfg: Config, props: readonly Property[], outDir: string): Promise<Floor> {
  const search = new Search({ cfg, variant: 'correct', props, maxStates: 1 << 28, maxDepth: null, store: 'full', symmetry: [], por: false, liveness: 'terminal', outDir, writeTraces: false });
  await search.run(null);
  const searchS = search.elapsedS();
  const ex = search.ex;
  const store = search.store as FullStore;
  const n = store.size;
  const w = ex.words;
  // a difference of two timings, which the machine's noise can make zero or less, measures nothing:
  // each part is timed over a chunk whose inputs (its states unpacked, its successors) are ready
  const chunk = new Int32Array(CHUNK * w);
  const views = Array.from({ length: CHUNK }, (_, j) => chunk.subarray(w * j, w * (j + 1)));
  const succ = new Int32Array(CHUNK * ex.st.maxEnabled * w);
  const codec = store.codec;
  const pw = codec.stride >>> 2;
  const packedAll = new Int32Array(CHUNK * ex.st.maxEnabled * pw);
  // the packing writes a successor's words at the start of its output: one view a successor's place
  const packedAt = Array.from({ length: CHUNK * ex.st.maxEnabled }, (_, k) => packedAll.subarray(k * pw, (k + 1) * pw));
  const offs = new Int32Array(TABLE_BATCH);
  let sink = 0;
  /** one pass over every state: milliseconds in each part */
  const pass = () => {
    const ms = { decode: 0, step: 0, pack: 0, table: 0, invariants: 0 };
    for (let lo = 0; lo < n; lo += CHUNK) {
      const m = Math.min(CHUNK, n - lo);
      const t0 = performance.now();
      for (let j = 0; j < m; j++) store.get(lo + j, views[j]);
      const t1 = performance.now();
      for (let j = 0; j < m; j++) ex.expand(views[j], true, false, 0);
      const t2 = performance.now();
      let count = 0;
      for (let j = 0; j < m; j++) {
        ex.expand(views[j], true, false, 0);
        succ.set(ex.succ.subarray(0, ex.n * w), count * w);
        count += ex.n;
      }
      const t3 = performance.now();
      for (let k = 0; k < count; k++) sink ^= codec.encodeHash(succ, packedAt[k], k * w);
      const t4 = performance.now();
      // every successor looked up in batches, as the search gives them to the store (each is there)
      for (let b = 0; b < count; b += TABLE_BATCH) {
        const c = Math.min(TABLE_BATCH, count - b);
        for (let q = 0; q < c; q++) offs[q] = (b + q) * pw;
        store.preparePacked(packedAll, offs, c);
        for (let q = 0; q < c; q++) if (store.addPackedPrepared(q, packedAll, offs[q]) >= 0) throw new Error('internal: a successor the search stored is not in its store');
      }
      const t5 = performance.now();
      for (let j = 0; j < m; j++) sink += ex.check(views[j], null, 0, false, -1).length;
      const t6 = performance.now();
      ms.decode += t1 - t0;
      ms.step += t2 - t1;
      ms.pack += t4 - t3;
      ms.table += t5 - t4;
      ms.invariants += t6 - t5;
    }
    return ms;
  };
  // a small configuration's states are gone over several times a pass, so that a pass takes long
  // enough to stand clear of the timer and of the machine's noise
  const rounds = Math.max(1, Math.ceil(MIN_VISITS / n));
  const measured = () => {
    const sum = { decode: 0, step: 0, pack: 0, table: 0, invariants: 0 };
    for (let r = 0; r < rounds; r++) {
      const ms = pass();
      sum.decode += ms.decode;
      sum.step += ms.step;
      sum.pack += ms.pack;
      sum.table += ms.table;
      sum.invariants += ms.invariants;
    }
    return sum;
  };
  measured();
  const runs = [measured(), measured(), measured()];
  /** nanoseconds a state: the median of the three passes */
  const ns = (part: keyof ReturnType<typeof pass>) => (runs.map((r) => r[part]).sort((a, b) => a - b)[1] * 1e6) / (n * rounds);
  if (sink === 0.5) throw new Error('unreachable'); // keeps the packing's results alive
  return {
    states: n,
    transitions: search.transitions,
    searchS,
    ns: { search: (searchS * 1e9) / n, decode: ns('decode'), step: ns('step'), pack: ns('pack'), table: ns('table'), invariants: ns('invariants') },
  };
}
