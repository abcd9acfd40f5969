/**
 * Footprints measured once and found again: what partial-order reduction asks of every state.
 *
 * `footprint()` (model/kit/footprint.ts) measures a step by running its guards and actions on a
 * recording proxy, a few microseconds a step; por.ts needs the footprints of a process's enabled
 * steps and the words its actors' guards read at every state it expands. Those are functions of the
 * values the code reads: the steps are deterministic, so from the same values they read the same
 * words in the same order, branch the same way and write the same words. So each measurement is
 * filed in a tree per actor and step (or per actor, for its guards): a node reads one word and has a
 * child per value met there, a leaf holds the footprint. Finding it again reads the same words of
 * the state, in order, without running any of the model's code. A test checks on random walks of
 * every variant that what is found equals what `footprint()` and `guardReads()` measure.
 *
 * Words are bits: footprint f's reads are bits f * mw .. (f + 1) * mw - 1 of `reads`, its writes the
 * same bits of `writes` (a guard footprint writes nothing).
 */
import type { Branch, Ctx } from '../../../model/kit/kit.ts';
import { recordingView } from '../../../model/kit/footprint.ts';
import { actorContexts } from '../../../model/kit/stepper.ts';
import { COMPONENTS, type System } from '../../../model/kit/system.ts';
import { recorderThread, type Recorder } from './footprint-thread.ts';

/** A node's word until it is first read past. */
const UNSET = 0x7fffffff;

export class FootprintCache {
  /** 32-bit words of one footprint's bit set */
  readonly mw: number;
  /** the bits of every footprint's reads and writes */
  reads: Int32Array = new Int32Array(0);
  writes: Int32Array = new Int32Array(0);
  /** footprints measured (each one a run of the model's code on a recording view) */
  measured = 0;
  private readonly nBranches: number;
  /** per actor and (branch number + 1, or 0 for the actor's guards): its tree's root node, or -1 */
  private readonly roots: Int32Array;
  /** per node: the word it reads, or ~footprint for a leaf */
  private at: Int32Array = new Int32Array(1024);
  /** per node: the value of its first child and that child (-1: none yet), tried before the table (most nodes have one child) */
  private firstVal: Int32Array = new Int32Array(1024);
  private firstKid: Int32Array = new Int32Array(1024);
  private nodes = 0;
  /** children: (node, value, child) in three words a slot, open addressing; node -1: empty */
  private kids = new Int32Array(3 * 1024).fill(-1);
  private kidMask = 1023;
  private kidCount = 0;
  private readonly ctxs: Ctx[];

  /**
   * With `useThread` (the default) the footprints are measured in a thread of their own (the
   * recorder): the model's functions that run on a recording proxy here would keep that in their
   * type feedback, and the search's own steps, which run the same functions, would then go about a
   * third slower for the rest of the process.
   */
  constructor(readonly sys: System, nBranches: number, private readonly useThread = true) {
    this.mw = bitWords(sys);
    this.nBranches = nBranches;
    this.roots = new Int32Array(sys.actors.length * (nBranches + 1)).fill(-1);
    this.ctxs = actorContexts(sys);
    this.reads = new Int32Array(64 * this.mw);
    this.writes = new Int32Array(64 * this.mw);
  }

  /** The footprint of actor a taking branch br (enabled at s), as footprint() measures it. */
  step(s: Int32Array, a: number, br: Branch): number {
    const f = this.find(s, a * (this.nBranches + 1) + br.id + 1);
    return f >= 0 ? f : this.measure(s, a, br);
  }

  /** The words actor a's guards read at s, as guardReads() (por.ts) marks them: runnable, its control word, every guard of its control state. */
  guards(s: Int32Array, a: number): number {
    const f = this.find(s, a * (this.nBranches + 1));
    return f >= 0 ? f : this.measure(s, a, null);
  }

  /** Does footprint f read or write a word whose bit is set in `mask` (mw words)? */
  touches(f: number, mask: Int32Array): boolean {
    const r = this.reads;
    const w = this.writes;
    const o = f * this.mw;
    for (let k = 0; k < this.mw; k++) if (((r[o + k] | w[o + k]) & mask[k]) !== 0) return true;
    return false;
  }

  /** The words of footprint f: read, written. */
  words(f: number): { reads: number[]; writes: number[] } {
    const bits = (a: Int32Array) => {
      const out: number[] = [];
      for (let i = 0; i < this.mw * 32; i++) if (a[f * this.mw + (i >>> 5)] & (1 << (i & 31))) out.push(i);
      return out;
    };
    return { reads: bits(this.reads), writes: bits(this.writes) };
  }

  private find(s: Int32Array, root: number): number {
    let x = this.roots[root];
    if (x < 0) return -1;
    const at = this.at;
    const firstVal = this.firstVal;
    const firstKid = this.firstKid;
    for (;;) {
      const w = at[x];
      if (w < 0) return ~w;
      const v = s[w];
      x = firstVal[x] === v && firstKid[x] >= 0 ? firstKid[x] : this.kidOf(x, v);
      if (x < 0) return -1;
    }
  }

  /** Measure (in the recorder thread, or here without one) and file the footprint of the guards of actor a, or of its step br. */
  private measure(s: Int32Array, a: number, br: Branch | null): number {
    const mw = this.mw;
    const f = this.measured++;
    if (this.reads.length < this.measured * mw) {
      this.reads = grown(this.reads);
      this.writes = grown(this.writes);
    }
    const keys: number[] = [];
    const vals: number[] = [];
    const remote = this.remote();
    if (remote) remote.measure(this.sysId, s, a, br === null ? -1 : br.id, this.reads, this.writes, f * mw, mw, keys, vals);
    else measureOn(this.sys, this.ctxs[a], s, a, br, this.reads, this.writes, f * mw, keys, vals);
    this.file(a * (this.nBranches + 1) + (br === null ? 0 : br.id + 1), keys, vals, f);
    return f;
  }

  /** Are the footprints measured in the recorder thread (false: in this one)? */
  get threaded(): boolean {
    return this.remote() !== null;
  }

  /** Start the recorder thread now (the search's set-up), not at the first footprint. */
  start(): void {
    this.remote();
  }

  /** the recorder thread and this system's number there, once asked for (null: measured here) */
  private recorder: Recorder | null | undefined = undefined;
  private sysId = -1;
  private remote(): Recorder | null {
    if (this.recorder === undefined) {
      this.recorder = this.useThread ? recorderThread() : null;
      if (this.recorder) this.sysId = this.recorder.define(this.sys.cfg);
    }
    return this.recorder;
  }

  private file(root: number, keys: number[], vals: number[], f: number): void {
    if (this.roots[root] < 0) this.roots[root] = this.newNode();
    let x = this.roots[root];
    for (let k = 0; k < keys.length; k++) {
      if (this.at[x] < 0) throw new Error('footprints: a step read more words than before from the same values (its code is not deterministic)');
      if (this.at[x] === UNSET) this.at[x] = keys[k];
      else if (this.at[x] !== keys[k]) throw new Error('footprints: a step read other words than before from the same values (its code is not deterministic)');
      let child = this.kidOf(x, vals[k]);
      if (child < 0) {
        child = this.newNode();
        this.addKid(x, vals[k], child);
        if (this.firstKid[x] < 0) {
          this.firstVal[x] = vals[k];
          this.firstKid[x] = child;
        }
      }
      x = child;
    }
    if (this.at[x] !== UNSET) throw new Error('footprints: a step read fewer words than before from the same values (its code is not deterministic)');
    this.at[x] = ~f;
  }

  private newNode(): number {
    if (this.nodes === this.at.length) {
      this.at = grown(this.at);
      this.firstVal = grown(this.firstVal);
      this.firstKid = grown(this.firstKid);
    }
    this.at[this.nodes] = UNSET;
    this.firstKid[this.nodes] = -1;
    return this.nodes++;
  }

  private kidOf(x: number, v: number): number {
    for (let h = hash(x, v) & this.kidMask; ; h = (h + 1) & this.kidMask) {
      const n = this.kids[3 * h];
      if (n === -1) return -1;
      if (n === x && this.kids[3 * h + 1] === v) return this.kids[3 * h + 2];
    }
  }

  private addKid(x: number, v: number, child: number): void {
    if ((this.kidCount + 1) * 2 > this.kidMask + 1) {
      const old = this.kids;
      this.kidMask = this.kidMask * 2 + 1;
      this.kids = new Int32Array(3 * (this.kidMask + 1)).fill(-1);
      this.kidCount = 0;
      for (let j = 0; j < old.length; j += 3) if (old[j] !== -1) this.addKid(old[j], old[j + 1], old[j + 2]);
    }
    let h = hash(x, v) & this.kidMask;
    while (this.kids[3 * h] !== -1) h = (h + 1) & this.kidMask;
    this.kids[3 * h] = x;
    this.kids[3 * h + 1] = v;
    this.kids[3 * h + 2] = child;
    this.kidCount++;
  }
}

/** 32-bit words of a footprint's bit set: one bit a word of the state. */
export const bitWords = (sys: System): number => (sys.L.size + 31) >>> 5;

/**
 * Run actor a's guards (and with br, the step) on a recording view of a copy of s: the words read and
 * written become bits from `at` of R and W, and the words read before the step wrote them, in order,
 * with their values, go to keys and vals (a word read after the step wrote it is read but not a key:
 * its value came from the values read before).
 */
export function measureOn(sys: System, ctx: Ctx, s: Int32Array, a: number, br: Branch | null, R: Int32Array, W: Int32Array, at: number, keys: number[], vals: number[]): void {
  const actor = sys.actors[a];
  const comp = COMPONENTS[actor.comp];
  const written = new Set<number>();
  const copy = s.slice();
  const read = (i: number) => {
    R[at + (i >>> 5)] |= 1 << (i & 31);
    if (!written.has(i)) {
      keys.push(i);
      vals.push(copy[i]);
    }
  };
  const write = (i: number) => {
    written.add(i);
    W[at + (i >>> 5)] |= 1 << (i & 31);
  };
  ctx.s = recordingView(copy, read, null);
  try {
    comp.spec.runnable?.(ctx);
    const events = comp.states[ctx.s[actor.pcAt]].events;
    if (br === null) {
      for (const ev of events) for (const b of ev.branches) b.guard?.(ctx);
    } else {
      const ev = events.find((e) => e.branches.includes(br));
      if (!ev) throw new Error(`footprints: branch ${br.id} is not a step of ${actor.name} in its control state`);
      for (const b of ev.branches) {
        b.guard?.(ctx);
        if (b === br) break;
      }
      ctx.s = recordingView(copy, read, write);
      for (const act of br.actions) act(ctx);
      write(actor.pcAt);
    }
  } finally {
    ctx.s = sys.init;
  }
}

function hash(x: number, v: number): number {
  const h = Math.imul(x, 0x9e3779b1) ^ Math.imul(v, 0x85ebca6b);
  return h ^ (h >>> 15);
}

function grown(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
