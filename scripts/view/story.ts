/**
 * A trace as the viewer page tells it: the steps replay re-executed, each with the state the model
 * decodes after it, what it changed, and where every actor stands; the messages between actors; and
 * the verdict with the statement of the property it names.
 *
 * Nothing here reads the trace's states: the steps come from `replay`'s observer, so a page shows the
 * execution that replay judged, decoded by `model/kit/view.ts`, and a trace that does not replay is told
 * as replay tells it (the steps that reproduced, then the divergence).
 *
 * A message is a reads-from edge, measured with the model's step footprints: a step of one actor
 * reads a word that another actor's step wrote last. Shared memory is how the actors of VirtuOS talk
 * (request entries, stacks, the ready queue, the wake word, event-channel bits), so these edges are
 * the arrows of its message-sequence chart. Each write is drawn once per reader, to the reader's first
 * step that reads it; ghost counters are left out, since only the properties read them.
 */
import { footprint, regionMap, type Region } from '../../model/kit/footprint.ts';
import { COMPONENTS, label, makeSystem, pcName, type System } from '../../model/kit/system.ts';
import { changes, flatten, type Plain } from '../../model/kit/view.ts';
import { propertyByName } from '../../properties/index.ts';
import type { Property } from '../../properties/property.ts';
import { replay, type LoadedTrace, type ReplayResult, type TraceStep } from '../traces/trace.ts';

export interface Lane {
  /** the actor's name, as steps and labels use it (T1, K2, XS, FI...) */
  name: string;
  /** the machine it runs (user-thread, hypervisor-storage, fault-injector...) */
  machine: string;
}

export interface StoryStep {
  /** 0 for the initial state */
  n: number;
  /** index into `lanes`; -1 for the initial state */
  lane: number;
  event: string;
  label: string;
  phase: TraceStep['phase'];
  decoded: Record<string, Plain>;
  /** "path: old -> new", the lines replay prints under the step */
  changes: string[];
  /** the flattened paths (model/kit/view.ts `flatten`) whose value the step changed */
  changed: string[];
  /** every lane's control state after the step */
  pcs: string[];
}

/** Step `to`'s actor read words that step `from`'s actor wrote last. */
export interface Message {
  from: number;
  to: number;
  words: string[];
}

export interface ShownVerdict {
  property: string;
  clause: string;
  message: string;
  step: number;
  kind: Property['kind'];
  /** the property's informal statement */
  statement: string;
  /** the statement of the clause that broke */
  clauseText: string;
}

/** Above this many actors, those that neither take a step nor change state in the trace get no lane. */
export const LANE_LIMIT = 16;

export interface Story {
  trace: LoadedTrace;
  lanes: Lane[];
  /** actors left without a lane: they neither take a step nor change control state in the trace (only when there are more than LANE_LIMIT) */
  hidden: string[];
  steps: StoryStep[];
  messages: Message[];
  replay: ReplayResult;
  /** the verdict replay reached; when replay diverges, the recorded one (which it did not reproduce) */
  verdict: ShownVerdict | null;
  /** when replay diverges: the step it stops at, the recorded label of that step when it could not be re-executed, and why */
  divergence: { step: number; recorded: string | null; why: string } | null;
}

function wordName(r: Region, processes: number): string {
  // a POSIX kernel's words are numbered cells of one structure: the kernel is what a reader can name
  if (r.kind === 'domain-kernel') return `the ${r.field.replace(/\[\d+\]$/, '')} kernel`;
  // a stamped pointer is two words read together: index and stamp
  const field = r.field.replace(/^(free_top|alloc_top|head|tail|pool_top)\[[01]\]$/, '$1');
  return processes > 1 && r.proc >= 0 ? `P${r.proc + 1} ${field}` : field;
}

function shownVerdict(v: { property: string | null; clause: string | null; message: string | null; step: number } | null): ShownVerdict | null {
  const p = v?.property ? propertyByName(v.property) : undefined;
  if (!v || !p || v.clause === null) return null;
  return { property: p.name, clause: v.clause, message: v.message ?? '', step: v.step, kind: p.kind, statement: p.description, clauseText: p.clauses[v.clause] ?? '' };
}

/** Replay a loaded trace and keep what the page shows of every state it reaches. */
export function tell(trace: LoadedTrace): Story {
  const steps: StoryStep[] = [];
  const messages: Message[] = [];
  const lanesOf = (sys: System): Lane[] => sys.actors.map((a) => ({ name: a.name, machine: COMPONENTS[a.comp].spec.id }));
  let lanes: Lane[] = [];
  let regions: Region[] = [];
  // the last write of each word: by which step, and which lanes have read it since
  const lastWrite = new Map<number, { step: number; lane: number; readBy: Set<number> }>();
  let before: Record<string, Plain> = {};
  const result = replay(trace, (r) => {
    const { sys } = r;
    if (r.choice === null) {
      lanes = lanesOf(sys);
      regions = regionMap(sys);
    }
    const pcs = sys.actors.map((_, i) => pcName(sys, r.after, i));
    if (r.choice === null) {
      steps.push({ n: 0, lane: -1, event: '', label: 'initial state', phase: r.phase, decoded: r.decoded, changes: [], changed: [], pcs });
      before = r.decoded;
      return;
    }
    const lane = r.choice.actor;
    const fp = footprint(sys, r.before, r.choice);
    const read = new Map<number, Set<string>>();
    for (const w of fp.reads) {
      const last = lastWrite.get(w);
      if (!last || last.lane === lane || last.readBy.has(lane) || regions[w].kind === 'ghost') continue;
      last.readBy.add(lane);
      const words = read.get(last.step) ?? new Set<string>();
      words.add(wordName(regions[w], sys.cfg.processes));
      read.set(last.step, words);
    }
    for (const [from, words] of [...read].sort((a, b) => a[0] - b[0])) messages.push({ from, to: r.n, words: [...words] });
    for (const w of fp.writes) lastWrite.set(w, { step: r.n, lane, readBy: new Set() });
    const a = flatten(before);
    const b = flatten(r.decoded);
    const changed = [...b.keys()].filter((k) => a.get(k) !== b.get(k));
    for (const k of a.keys()) if (!b.has(k)) changed.push(k);
    steps.push({ n: r.n, lane, event: r.choice.event.name, label: label(sys, r.before, r.choice), phase: r.phase, decoded: r.decoded, changes: changes(before, r.decoded), changed, pcs });
    before = r.decoded;
  });
  // the initial state did not reproduce, so the observer never saw the system
  if (steps.length === 0) lanes = lanesOf(makeSystem(trace.meta.config));
  let divergence: Story['divergence'] = null;
  if (result.outcome === 'diverged') {
    const stuck = result.steps > 0 && result.steps >= steps.length ? trace.meta.steps[result.steps - 1] : undefined;
    divergence = { step: result.steps, recorded: stuck?.label ?? null, why: result.divergence ?? '' };
  }
  const verdict = shownVerdict(result.outcome === 'diverged' ? trace.meta.verdict : result.verdict);
  // the composed system has some sixty actors, most of which a short trace never touches
  let hidden: string[] = [];
  if (lanes.length > LANE_LIMIT && steps.length > 0) {
    const keep = lanes.map((_, i) => steps.some((st, k) => st.lane === i || (k > 0 && st.pcs[i] !== steps[k - 1].pcs[i])));
    const renumber = new Int32Array(lanes.length).fill(-1);
    let n = 0;
    keep.forEach((k, i) => k && (renumber[i] = n++));
    hidden = lanes.filter((_, i) => !keep[i]).map((l) => l.name);
    lanes = lanes.filter((_, i) => keep[i]);
    for (const st of steps) {
      if (st.lane >= 0) st.lane = renumber[st.lane];
      st.pcs = st.pcs.filter((_, i) => keep[i]);
    }
  }
  return { trace, lanes, hidden, steps, messages, replay: result, verdict, divergence };
}
