/**
 * Cache lines of the shared state, and which cores hold each one: what decides whether a memory
 * operation of a step is a local hit or a cache-line transfer between cores.
 *
 * The line map groups the words of the state as VirtuOS lays them out in memory: a request entry is
 * one 64-byte line (call id, sequence number, arguments, handle; its `next` link is counted in the same
 * line), each stamped top pointer (free_top, alloc_top, head, tail, the node pool's top) and the
 * `waiters` counter sit on lines of their own, a ready-queue node is one line, the wake word is one
 * line of the wake page, the notify ring is one line (its lock and records), and the shadow process's
 * worker counters share one line. Event-channel pending bits are not memory the protocol touches (the
 * hypervisor sets them inside the hypercall, whose cost covers it). An actor's registers and the
 * ghost variables of the properties are private and free. Words another layer adds later fall back
 * to a line per field, by the region map.
 *
 * The tracker is a small MESI-like directory: per line, the set of cores holding a copy. A read by a
 * core without a copy is a transfer; a write by a core that is not the only holder is a transfer (an
 * invalidation or a fetch for ownership); after a write the writer is the only holder. Each vCPU is
 * taken to run on a core of its own.
 */
import type { Layout } from '../../model/kit/layout.ts';
import { regionMap } from '../../model/kit/footprint.ts';
import type { System } from '../../model/kit/system.ts';

export interface LineMap {
  /** line of each word of the state, or -1 for a private or ghost word */
  lineOf: Int32Array;
  /** name of each line, for reports */
  names: string[];
}

const SHARED = new Set(['request-area', 'ready-queue', 'shadow-process', 'wake-page', 'notify-ring']);

export function lineMap(sys: System): LineMap {
  const L: Layout = sys.L;
  const regions = regionMap(sys);
  const lineOf = new Int32Array(L.size).fill(-1);
  const names: string[] = [];
  const byName = new Map<string, number>();
  const put = (word: number, name: string) => {
    // a word the configuration does not lay out (the lock-free queue's with the atomic queue: ABSENT)
    if (word < 0) return;
    let id = byName.get(name);
    if (id === undefined) {
      id = names.length;
      names.push(name);
      byName.set(name, id);
    }
    lineOf[word] = id;
  };
  // Fallback first (a line per field), then the layout's own grouping overrides it.
  regions.forEach((r, w) => {
    if (SHARED.has(r.kind)) put(w, `${r.proc >= 0 ? `p${r.proc}.` : ''}${r.field.replace(/\[\d+\]$/, '')}`);
  });
  L.proc.forEach((p, pi) => {
    const at = (n: string) => `p${pi}.${n}`;
    for (let e = 0; e < L.cfg.entries; e++) for (const base of [p.next, p.id, p.seq, p.arg, p.owner]) put(base + e, at(`entry${e}`));
    for (const w of [p.freeTop, p.freeTop + 1]) put(w, at('free_top'));
    for (const w of [p.allocTop, p.allocTop + 1]) put(w, at('alloc_top'));
    put(p.waiters, at('waiters'));
    for (const w of [p.head, p.head + 1]) put(w, at('head'));
    for (const w of [p.tail, p.tail + 1]) put(w, at('tail'));
    for (const w of [p.poolTop, p.poolTop + 1]) put(w, at('pool_top'));
    for (let n = 0; n < L.nodes; n++) for (const w of [p.nodeValue + n, p.nodeNext + 2 * n, p.nodeNext + 2 * n + 1, p.poolNext + n]) put(w, at(`node${n}`));
    put(p.rqLen, at('rq'));
    for (let i = 0; i <= L.cfg.threads; i++) put(p.rq + i, at('rq'));
    for (const w of [p.tokens, p.liveWorkers, p.idleWorkers]) put(w, at('shadow'));
  });
  put(L.wake, 'wake');
  put(L.ringLen, 'ring');
  for (let i = 0; i < L.cfg.ringCapacity; i++) put(L.ring + i, 'ring');
  return { lineOf, names };
}

/** What one step's memory operations cost, by line. */
export interface LineAccess {
  /** distinct lines touched */
  lines: number;
  /** of those, lines that had to come from another core */
  transfers: number;
}

export class LineTracker {
  /** holders[line * cores + core] = 1 when that core holds a copy */
  private readonly holders: Uint8Array;
  private readonly seen: Int32Array;
  private epoch = 0;

  constructor(
    readonly map: LineMap,
    readonly cores: number,
  ) {
    this.holders = new Uint8Array(map.names.length * cores);
    this.seen = new Int32Array(map.names.length);
  }

  /**
   * Apply one step's accesses by `core`: `reads` and `writes` are word offsets (a footprint). A line
   * both read and written counts once, as a write.
   */
  access(core: number, reads: Iterable<number>, writes: Iterable<number>): LineAccess {
    const { lineOf } = this.map;
    const C = this.cores;
    this.epoch++;
    let lines = 0;
    let transfers = 0;
    const written: number[] = [];
    for (const w of writes) {
      const l = lineOf[w];
      if (l < 0 || this.seen[l] === this.epoch) continue;
      this.seen[l] = this.epoch;
      written.push(l);
    }
    for (const l of written) {
      lines++;
      let others = false;
      for (let c = 0; c < C; c++) if (c !== core && this.holders[l * C + c]) others = true;
      if (others || !this.holders[l * C + core]) transfers++;
      this.holders.fill(0, l * C, l * C + C);
      this.holders[l * C + core] = 1;
    }
    for (const w of reads) {
      const l = lineOf[w];
      if (l < 0 || this.seen[l] === this.epoch) continue;
      this.seen[l] = this.epoch;
      lines++;
      if (!this.holders[l * C + core]) {
        transfers++;
        this.holders[l * C + core] = 1;
      }
    }
    return { lines, transfers };
  }
}
