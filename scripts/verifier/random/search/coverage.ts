/**
 * Interleaving coverage: a cheap signature for every step a run takes, so that the search can tell
 * which runs did something new.
 *
 * A step's signature combines the machine transition it took (actor's component, source state,
 * event, branch: symmetric actors share it) with the pattern of shared words it changed: for each
 * such word, the word, how it changed (incremented, decremented, cleared, set to nil, or the
 * highest bit that flipped) and which transition last changed it in this run. The last part is what
 * makes it interleaving coverage rather than branch coverage: a CAS that overwrites what another
 * actor's step wrote, or a flag set again after the wake-up handler cleared it, is a new pair.
 * Values themselves are left out, since stamps and results grow with every run and every run
 * would otherwise look new. Shared words are those of model/kit/footprint.ts's regions other than an
 * actor's own registers and the properties' ghosts, so the signature needs nothing specific to a
 * layer: only the system's layout, the step and the states around it.
 */
import type { Branch } from '../../../../model/kit/kit.ts';
import { regionMap } from '../../../../model/kit/footprint.ts';
import { fastStepper, type System } from '../../../../model/kit/system.ts';

// per shape: the POSIX layer's systems, one per program, share their layout
const shared = new Map<string, Int32Array>();

/** The words of the state that actors share (everything but registers, control words and ghosts). */
export function sharedWords(sys: System): Int32Array {
  let w = shared.get(sys.shape);
  if (!w) {
    if (shared.size >= 64) shared.clear();
    w = Int32Array.from(
      regionMap(sys)
        .map((r, i) => (r.kind === 'actor' || r.kind === 'ghost' ? -1 : i))
        .filter((i) => i >= 0),
    );
    shared.set(sys.shape, w);
  }
  return w;
}

/** How a word changed, in a few classes that do not grow with the values. */
function delta(a: number, b: number): number {
  if (b === a + 1) return 1;
  if (b === a - 1) return 2;
  if (b === 0) return 3;
  if (b === -1) return 4;
  return 5 + Math.clz32(a ^ b);
}

/**
 * Signatures of runs' steps, against everything seen before in this campaign, per strategy (a
 * strategy is a small number, a bit of each signature's mask). Runs may be of different systems
 * (swarm narrows the configuration, the POSIX layer builds one per program): the transitions are
 * numbered the same in all of them, the words are the run's own.
 */
export class StepCoverage {
  private words: Int32Array = new Int32Array(0);
  private lastWriter: Int32Array = new Int32Array(0);
  private branchId: Map<Branch, number> | null = null;
  private bit = 1;
  /** every signature seen so far (up to the cap), with the strategies that reached it as a bit mask */
  readonly seen = new Map<number, number>();
  /** signatures reached, per strategy */
  readonly reached: number[];
  /** signatures the current run was the first of any strategy to reach */
  fresh = 0;

  constructor(
    strategies: number,
    private readonly cap: number,
  ) {
    this.reached = new Array(strategies).fill(0);
  }

  startRun(sys: System, strategy: number): void {
    this.words = sharedWords(sys);
    if (this.lastWriter.length !== sys.init.length) this.lastWriter = new Int32Array(sys.init.length);
    else this.lastWriter.fill(0);
    this.branchId ??= fastStepper(sys).branchId;
    this.bit = 1 << strategy;
    this.fresh = 0;
  }

  /** Count a step, given the states before and after it; returns its signature. */
  step(branch: Branch, before: Int32Array, after: Int32Array): number {
    const id = this.branchId!.get(branch)! + 1;
    let h = Math.imul(id, 0x9e3779b1);
    const words = this.words;
    const last = this.lastWriter;
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      const a = before[w];
      const b = after[w];
      if (a === b) continue;
      h = Math.imul(h ^ w, 0x01000193);
      h = Math.imul(h ^ delta(a, b), 0x85ebca6b);
      h = Math.imul(h ^ last[w], 0xc2b2ae35);
      last[w] = id;
    }
    // 30 bits: small integers keep the map fast
    const sig = (h ^ (h >>> 15)) & 0x3fffffff;
    const mask = this.seen.get(sig);
    if (mask === undefined) {
      if (this.seen.size < this.cap) {
        this.seen.set(sig, this.bit);
        this.reached[31 - Math.clz32(this.bit)]++;
        this.fresh++;
      }
    } else if ((mask & this.bit) === 0) {
      this.seen.set(sig, mask | this.bit);
      this.reached[31 - Math.clz32(this.bit)]++;
    }
    return sig;
  }

  /** The signatures each strategy reached (for merging batches). */
  sets(): number[][] {
    const out = this.reached.map(() => [] as number[]);
    for (const [sig, mask] of this.seen) for (let i = 0; i < out.length; i++) if (mask & (1 << i)) out[i].push(sig);
    return out;
  }
}
