/**
 * Recording which words of the state a guard or an action touches, cheaply enough to do it for every
 * step of a run: the cycle-cost model's timed runs (scripts/perf) and the isolation properties, which
 * judge every step of a checked run by its footprint (properties/isolation/lib.ts).
 *
 * `footprint()` in footprint.ts measures a step by running its guards and actions on arrays that
 * record every index touched; it builds new recording proxies and sets on every call. A run
 * measures every one of its steps, so here one proxy is made per system and
 * pointed at the array of the moment, and the touched indices are kept in reused buffers. `StepMeter`
 * gives exactly what `footprint()` gives (a test compares them on whole runs).
 */
import type { Ctx } from './kit.ts';
import { COMPONENTS, type Choice, type System } from './system.ts';

const noEmit = () => {};

/** One reusable recording view of a state array. */
export class WordRecorder {
  /** the recording view: read and write it as the state */
  readonly view: Int32Array;
  private cur: Int32Array = new Int32Array(0);
  private writable = false;
  private readMark: Int32Array;
  private writeMark: Int32Array;
  private epoch = 1;
  reads: number[] = [];
  writes: number[] = [];

  constructor(size: number) {
    this.readMark = new Int32Array(size);
    this.writeMark = new Int32Array(size);
    const self = this;
    this.view = new Proxy(new Int32Array(size), {
      get(_t, key) {
        if (typeof key === 'string') {
          const i = Number(key);
          if (Number.isInteger(i)) {
            if (i < 0) throw new Error(`recorder: a read of a word the configuration does not lay out (index ${i})`);
            if (self.readMark[i] !== self.epoch) {
              self.readMark[i] = self.epoch;
              self.reads.push(i);
            }
            return self.cur[i];
          }
        }
        const v = Reflect.get(self.cur, key, self.cur);
        return typeof v === 'function' ? v.bind(self.cur) : v;
      },
      set(_t, key, value) {
        const i = Number(key);
        if (!self.writable || !Number.isInteger(i)) throw new Error(`recorder: unexpected write to ${String(key)}`);
        // clearing a register the configuration does not lay out (its index is ABSENT, layout.ts): no word is written
        if (i < 0) return true;
        if (self.writeMark[i] !== self.epoch) {
          self.writeMark[i] = self.epoch;
          self.writes.push(i);
        }
        self.cur[i] = value;
        return true;
      },
    }) as Int32Array;
  }

  /** Start a new recording over `s` (written through the view only if `writable`). */
  begin(s: Int32Array, writable: boolean): void {
    this.cur = s;
    this.writable = writable;
    this.epoch++;
    this.reads = [];
    this.writes = [];
  }

  /** Continue the same recording over another array (the copy an action writes). */
  retarget(s: Int32Array, writable: boolean): void {
    this.cur = s;
    this.writable = writable;
  }

  /** Count a word as read without going through the view (a control word read directly). */
  noteRead(i: number): void {
    if (this.readMark[i] !== this.epoch) {
      this.readMark[i] = this.epoch;
      this.reads.push(i);
    }
  }
}

/** The words a step reads and writes, each once, in the order first touched. */
export interface StepWords {
  reads: readonly number[];
  writes: readonly number[];
}

/** What `footprint()` measures, with one recorder reused for every step of a system. */
export class StepMeter {
  private readonly rec: WordRecorder;
  /** the copy the actions write, reused (its contents are thrown away) */
  private readonly scratch: Int32Array;

  constructor(private readonly sys: System) {
    this.rec = new WordRecorder(sys.L.size);
    this.scratch = new Int32Array(sys.L.size);
  }

  /** The words step `ch` reads and writes in state `s`, as `footprint(sys, s, ch)` gives them. */
  of(s: Int32Array, ch: Choice): StepWords {
    const { sys, rec } = this;
    const actor = sys.actors[ch.actor];
    const comp = COMPONENTS[actor.comp];
    rec.begin(s, false);
    const ctx: Ctx = { s: rec.view, me: actor.me, L: sys.L, emit: noEmit };
    comp.spec.runnable?.(ctx);
    rec.noteRead(actor.pcAt);
    for (const br of ch.event.branches) {
      if (br.guard) br.guard(ctx);
      if (br === ch.branch) break;
    }
    this.scratch.set(s);
    rec.retarget(this.scratch, true);
    for (const act of ch.branch.actions) act(ctx);
    const writes = rec.writes;
    if (!writes.includes(actor.pcAt)) writes.push(actor.pcAt);
    return { reads: rec.reads, writes };
  }
}
