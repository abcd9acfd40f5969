/**
 * Coverage feedback, in the manner of AFL and of Coyote's feedback strategies: runs that reached a
 * step signature nobody had reached before (coverage.ts) go into a corpus, and new runs are
 * mutations of corpus entries, so that the search keeps working from the interleavings that got
 * somewhere instead of starting every run from nothing.
 *
 * An entry is the executed run itself, schedule and drain, as one-step picks (the actor, and which
 * of its enabled steps it took): replayed as a schedule it is the same run, and any change to it
 * is a nearby run. Mutations, one to four per run: cut the entry somewhere and go on with fresh
 * uniform picks; splice the start of one entry onto the end of another; replace a few picks;
 * delay an actor's picks past a window (its priority dropped for a while, as at a PCT change
 * point) or pull them to the window's start (raised). One run in eight is a fresh uniform schedule,
 * so that the corpus never narrows the search to what it already holds.
 *
 * The corpus belongs to one verification (in a batched run, one batch): it is built only from its
 * runs, in order, so it is a function of the seed like everything else. It holds at
 * most CAPACITY entries, each at most MAX_ENTRY picks; a full corpus replaces its oldest entry.
 * Runs on a narrowed swarm configuration are not added: their picks mean other actors.
 */
import fc from 'fast-check';
import type { Program } from '../../../../model/posix/program.ts';
import type { Pick } from '../../explore.ts';

export const CAPACITY = 512;
export const MAX_ENTRY = 2000;

export interface FeedbackInput {
  kind: 'feedback';
  picks: Pick[];
  /** how it was made, for the trace's #meta */
  origin: string;
}

interface Entry {
  picks: Pick[];
  program: Program | undefined;
}

export class Corpus {
  readonly entries: Entry[] = [];
  added = 0;

  /** Keep a run that reached new coverage: its executed steps as [actor + n * choice] one-step picks. */
  add(steps: ArrayLike<number>, count: number, program: Program | undefined): void {
    const picks: Pick[] = [];
    for (let i = 0; i < Math.min(count, MAX_ENTRY); i++) picks.push([steps[i], 0]);
    const e = { picks, program };
    if (this.entries.length < CAPACITY) this.entries.push(e);
    else this.entries[this.added % CAPACITY] = e;
    this.added++;
  }
}

/** What a feedback arbitrary produces: the schedule, and the program of the entry it came from (POSIX layer). */
export interface FeedbackValue {
  input: FeedbackInput;
  program: Program | undefined;
}

/**
 * Runs mutated from the corpus. Shrinking offers a bounded number of shorter schedules per step
 * (prefixes, then chunks removed at a few places per chunk size): a corpus entry is a whole run,
 * hundreds of picks, and fast-check's array shrinker would offer quadratically many. The program,
 * if any, stays as it is.
 */
export class FeedbackArbitrary extends fc.Arbitrary<FeedbackValue> {
  constructor(
    private readonly corpus: Corpus,
    private readonly actors: number,
    private readonly maxPicks: number,
    /** a fresh run when there is nothing to mutate: a uniform schedule, with a program if the layer generates them */
    private readonly fresh: fc.Arbitrary<{ picks: Pick[]; program: Program | undefined }>,
  ) {
    super();
  }

  generate(mrng: fc.Random, bias: number | undefined): fc.Value<FeedbackValue> {
    const entries = this.corpus.entries;
    if (entries.length === 0 || mrng.nextInt(0, 7) === 0) {
      const f = this.fresh.generate(mrng, bias).value;
      return new fc.Value({ input: { kind: 'feedback', picks: f.picks, origin: 'a fresh uniform schedule' }, program: f.program }, undefined);
    }
    const choose = () => {
      // half the time one of the latest finds: they have had the fewest mutations yet
      const recent = Math.min(16, entries.length);
      if (mrng.nextInt(0, 1) === 0) return (this.corpus.added - 1 - mrng.nextInt(0, recent - 1)) % Math.min(this.corpus.added, entries.length);
      return mrng.nextInt(0, entries.length - 1);
    };
    const at = choose();
    let picks = [...entries[at].picks];
    const ops: string[] = [];
    const n = this.actors;
    const randomPick = (): Pick => [mrng.nextInt(0, 4 * n - 1), mrng.nextInt(0, 11)];
    for (let m = mrng.nextInt(1, 4); m > 0; m--) {
      const len = picks.length;
      const op = mrng.nextInt(0, 4);
      if (op === 0 || len === 0) {
        const cut = mrng.nextInt(0, len);
        const more = mrng.nextInt(1, Math.max(1, this.maxPicks >> 2));
        picks = [...picks.slice(0, cut), ...Array.from({ length: more }, randomPick)];
        ops.push(`cut at ${cut} + ${more} uniform picks`);
      } else if (op === 1) {
        const other = mrng.nextInt(0, entries.length - 1);
        const cut = mrng.nextInt(0, len);
        const from = mrng.nextInt(0, entries[other].picks.length);
        picks = [...picks.slice(0, cut), ...entries[other].picks.slice(from)];
        ops.push(`splice at ${cut} with entry ${other} from ${from}`);
      } else if (op === 2) {
        const k = mrng.nextInt(1, 4);
        for (let j = 0; j < k; j++) picks[mrng.nextInt(0, len - 1)] = randomPick();
        ops.push(`replace ${k} picks`);
      } else {
        const i = mrng.nextInt(0, len - 1);
        const w = mrng.nextInt(1, 32);
        const actor = picks[i][0] % n;
        const end = Math.min(len, i + w);
        const window = picks.slice(i, end);
        const mine = window.filter((p) => p[0] % n === actor);
        const rest = window.filter((p) => p[0] % n !== actor);
        picks.splice(i, end - i, ...(op === 3 ? [...rest, ...mine] : [...mine, ...rest]));
        ops.push(`${op === 3 ? 'delay' : 'hurry'} actor ${actor} over ${end - i} picks at ${i}`);
      }
    }
    if (picks.length > MAX_ENTRY) picks.length = MAX_ENTRY;
    return new fc.Value({ input: { kind: 'feedback', picks, origin: `corpus entry ${at} of ${entries.length}: ${ops.join('; ')}` }, program: entries[at].program }, undefined);
  }

  canShrinkWithoutContext(value: unknown): value is FeedbackValue {
    return typeof value === 'object' && value !== null && 'input' in value && Array.isArray((value as FeedbackValue).input.picks);
  }

  shrink(value: FeedbackValue, _context: unknown): fc.Stream<fc.Value<FeedbackValue>> {
    const picks = value.input.picks;
    const shorter = function* (): Generator<Pick[]> {
      const len = picks.length;
      for (let keep = len >> 1; keep < len; keep += Math.max(1, (len - keep) >> 1)) yield picks.slice(0, keep);
      for (let chunk = len >> 1; chunk >= 1; chunk >>= 1) {
        const places = Math.floor((len - chunk) / chunk) + 1;
        const stride = Math.max(1, Math.floor(places / SHRINK_PLACES));
        for (let i = 0; i < places; i += stride) yield [...picks.slice(0, i * chunk), ...picks.slice(i * chunk + chunk)];
      }
    };
    return new fc.Stream(shorter()).map((p) => new fc.Value({ input: { ...value.input, picks: p }, program: value.program }, undefined));
  }
}

/** Places per chunk size a shrink step tries removing a chunk at. */
const SHRINK_PLACES = 8;
