/**
 * Where one worker's time per state goes (`virtuos bench --floor`): the search's own parts measured
 * apart, with no table.
 *
 * The one-thread search runs first, in this process, as `virtuos verify --exhaustive --liveness
 * terminal` runs it (full store, every invariant and terminal check of the dispatch properties). Its
 * store then holds every reachable state, and each part of the work the search did on them is timed
 * again on its own, over all of them, once the JIT has compiled it (one pass unmeasured, then the
 * median of three):
 *
 * - `decode`: unpacking each state from its packed record;
 * - `step`: its enabled steps found and every successor computed (decoding taken out);
 * - `pack`: every successor packed and hashed, as the store does before it probes its table;
 * - `invariants`: every invariant evaluated on the state (decoding taken out). The search evaluates
 *   only those whose words the step changed (docs/search.md), so this is at most what it spends.
 *
 * What the parts leave of the whole search is the table (its probes and their cache misses, its
 * growth), the search's bookkeeping and the JIT's warm-up: no part measured here can be cheaper
 * than zero, so the parts say how fast the search could at best be if everything else cost nothing.
 */
import type { Config } from '../../../model/kit/config.ts';
import type { Property } from '../../../properties/property.ts';
import { Search } from './exhaustive.ts';
import type { FullStore } from './store.ts';

export interface Floor {
  states: number;
  transitions: number;
  /** the search itself, seconds (set-up excluded, as in its summary) */
  searchS: number;
  /** nanoseconds a state stored */
  ns: { search: number; decode: number; step: number; pack: number; invariants: number };
}

export async function measureFloor(cfg: Config, props: readonly Property[], outDir: string): Promise<Floor> {
  const search = new Search({ cfg, variant: 'correct', props, maxStates: 1 << 28, maxDepth: null, store: 'full', symmetry: [], por: false, liveness: 'terminal', outDir, writeTraces: false });
  await search.run(null);
  const searchS = search.elapsedS();
  const ex = search.ex;
  const store = search.store as FullStore;
  const n = store.size;
  const s = new Int32Array(ex.words);
  const packed = new Int32Array(store.codec.stride >>> 2);
  let sink = 0;
  const decode = () => {
    for (let i = 0; i < n; i++) store.get(i, s);
  };
  const step = () => {
    for (let i = 0; i < n; i++) {
      store.get(i, s);
      ex.expand(s, true, false, 0);
    }
  };
  const pack = () => {
    const codec = store.codec;
    for (let i = 0; i < n; i++) {
      store.get(i, s);
      ex.expand(s, true, false, 0);
      for (let k = 0; k < ex.n; k++) sink ^= codec.encodeHash(ex.succ, packed, k * ex.words);
    }
  };
  const invariants = () => {
    for (let i = 0; i < n; i++) {
      store.get(i, s);
      sink += ex.check(s, null, 0, false, -1).length;
    }
  };
  /** nanoseconds a state: one pass unmeasured, then the median of three */
  const time = (f: () => void) => {
    f();
    const t: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      f();
      t.push(((performance.now() - t0) * 1e6) / n);
    }
    return t.sort((a, b) => a - b)[1];
  };
  const d = time(decode);
  const e = time(step);
  const p = time(pack);
  const v = time(invariants);
  if (sink === 0.5) throw new Error('unreachable'); // keeps the packing's results alive
  return {
    states: n,
    transitions: search.transitions,
    searchS,
    ns: { search: (searchS * 1e9) / n, decode: d, step: Math.max(0, e - d), pack: Math.max(0, p - e), invariants: Math.max(0, v - d) },
  };
}
