/**
 * The first enabled step of every actor, kept up to date step by step instead of recomputed for the
 * whole system: a timed run needs to know after each step which actors can move, and `enabled` over
 * a hundred actors for every step would be most of a run's time.
 *
 * Dependency tracking, exact and without knowledge of the machines: when an actor's choice is
 * evaluated, the words its guards read are recorded. A guard is a function of the state, so its
 * result can only change when one of the words it read changes; after a step, only the actors that
 * read a word the step wrote (and the actor that stepped) are evaluated again. The evaluation of one
 * actor is the one `enabled` makes (the first branch whose guard holds, for each event of the actor's
 * state, in order), and a test checks on whole timed runs that the kept choices equal `enabled`'s.
 */
import type { Ctx } from '../../model/kit/kit.ts';
import { COMPONENTS, enabled, type Choice, type System } from '../../model/kit/system.ts';
import { WordRecorder } from '../../model/kit/recorder.ts';

export class Choices {
  private readonly choices: (Choice | null)[];
  /** words each actor's last evaluation read */
  private readonly readsOf: number[][];
  /** actors whose last evaluation read each word (entries may be stale; `readsOf` is the truth) */
  private readonly readers: Set<number>[];
  private readonly rec: WordRecorder;
  private readonly ctx: Ctx;

  constructor(
    private readonly sys: System,
    s: Int32Array,
  ) {
    this.rec = new WordRecorder(sys.L.size);
    this.ctx = { s: this.rec.view, me: 0, L: sys.L, emit: () => {} };
    this.readers = Array.from({ length: sys.L.size }, () => new Set<number>());
    this.readsOf = sys.actors.map(() => []);
    this.choices = sys.actors.map(() => null);
    for (let a = 0; a < sys.actors.length; a++) this.evaluate(s, a);
  }

  private evaluate(s: Int32Array, actor: number): void {
    const { sys, rec, ctx } = this;
    const a = sys.actors[actor];
    const comp = COMPONENTS[a.comp];
    rec.begin(s, false);
    ctx.me = a.me;
    let choice: Choice | null = null;
    rec.noteRead(a.pcAt);
    if (!comp.spec.runnable || comp.spec.runnable(ctx)) {
      outer: for (const ev of comp.states[s[a.pcAt]].events) {
        for (const br of ev.branches) {
          if (br.guard === null || br.guard(ctx)) {
            choice = { actor, event: ev, branch: br };
            break outer;
          }
        }
      }
    }
    this.choices[actor] = choice;
    const before = this.readsOf[actor];
    const now = rec.reads;
    // Most evaluations read the same words as the last one (same state, same branch): keep the index.
    if (now.length === before.length && now.every((w, i) => w === before[i])) return;
    for (const w of before) this.readers[w].delete(actor);
    this.readsOf[actor] = now;
    for (const w of now) this.readers[w].add(actor);
  }

  get(actor: number): Choice | null {
    return this.choices[actor];
  }

  /** After `stepper` took a step that wrote `writes`, giving state `s`: returns the actors evaluated again. */
  update(s: Int32Array, stepper: number, writes: Iterable<number>): Set<number> {
    const redo = new Set<number>([stepper]);
    for (const w of writes) for (const a of this.readers[w]) redo.add(a);
    for (const a of redo) this.evaluate(s, a);
    return redo;
  }

  /** Actors whose kept choice differs from a full `enabled` in state `s` (none, always; for tests). */
  check(s: Int32Array): number[] {
    const full: (Choice | null)[] = this.sys.actors.map(() => null);
    for (const ch of enabled(this.sys, s)) if (!full[ch.actor]) full[ch.actor] = ch;
    const out: number[] = [];
    full.forEach((c, i) => {
      const k = this.choices[i];
      if ((c === null) !== (k === null) || (c && k && (c.event !== k.event || c.branch !== k.branch))) out.push(i);
    });
    return out;
  }
}
