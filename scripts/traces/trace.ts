/**
 * Counterexample traces: writing a run as an ITF file, reading one back strictly, and replaying it.
 *
 * A trace's `#meta` holds everything replay needs without the random generator: the configuration,
 * the properties that were checked, and the exact steps taken (actor and event, each with its label);
 * `states` holds the decoded state before the first step and after every step. Replay re-executes
 * the steps through the model, compares every state with the recorded one, re-checks the properties,
 * and compares the verdict with the recorded verdict.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig, shownConfig, type Config } from '../../model/kit/config.ts';
import { enabled, findChoice, label, makeSystem, step, type Choice, type System } from '../../model/kit/system.ts';
import { changes, decode, varsOf } from '../../model/kit/view.ts';
import { programText } from '../../model/posix/program.ts';
import { propertyByName } from '../../properties/index.ts';
import type { Property, RunEnd, TimedEvent } from '../../properties/property.ts';
import { checkEnd, checkPrefix, checkStep, startMonitors, type Executed, type Violation } from '../verifier/explore.ts';
import { metaArray, metaObject, metaString, parseItf, TraceFormatError, writeItf, type ItfTrace, type Plain } from './itf.ts';

export const TOOL = 'virtuos-model 0.1.0';

export interface TraceStep {
  actor: string;
  event: string;
  label: string;
  phase: 'schedule' | 'drain';
}

export interface TraceMeta {
  variant: string;
  seed: number | null;
  config: Config;
  checked: string[];
  steps: TraceStep[];
  verdict: { status: 'violated' | 'holds'; property: string | null; clause: string | null; message: string | null; step: number };
  end: RunEnd;
}

/** Build the ITF trace of an executed run. */
export function buildTrace(sys: System, executed: Executed[], finalState: Int32Array, meta: Omit<TraceMeta, 'steps' | 'config'>, extra: Record<string, unknown> = {}): ItfTrace {
  const steps: TraceStep[] = executed.map((x) => ({
    actor: sys.actors[x.choice.actor].name,
    event: x.choice.event.name,
    label: label(sys, x.before, x.choice),
    phase: x.phase,
  }));
  const states = executed.map((x) => decode(sys, x.before));
  states.push(decode(sys, finalState));
  const v = meta.verdict;
  return {
    meta: {
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source: 'virtuos-model',
      description: v.status === 'violated' ? `${v.property} violated (${v.clause}) after ${v.step} steps: ${v.message}` : 'a run in which the checked properties hold',
      tool: TOOL,
      ...extra,
      variant: meta.variant,
      seed: meta.seed,
      config: shownConfig(sys.cfg),
      checked: meta.checked,
      verdict: meta.verdict,
      end: meta.end,
      steps,
    },
    vars: varsOf(sys),
    states: states as Record<string, Plain>[],
  };
}

export function traceText(t: ItfTrace): string {
  return writeItf(t);
}

export interface LoadedTrace {
  file: string;
  itf: ItfTrace;
  meta: TraceMeta;
}

function field<T>(file: string, path: string, ok: boolean, problem: string, value: T): T {
  if (!ok) throw new TraceFormatError(`${file}: ${path}`, problem);
  return value;
}

/** Read and validate a trace file; every problem names the file and the field. */
export function loadTrace(file: string): LoadedTrace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TraceFormatError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const itf = parseItf(text, file);
  const tool = metaString(itf, file, 'tool');
  if (!tool.startsWith('virtuos-model')) throw new TraceFormatError(`${file}: #meta.tool`, `not a virtuos-model trace (tool ${JSON.stringify(tool)})`);
  const variant = metaString(itf, file, 'variant');
  const seedRaw = itf.meta.seed;
  const seed = field(file, '#meta.seed', seedRaw === null || (typeof seedRaw === 'number' && Number.isInteger(seedRaw)), 'must be an integer or null', seedRaw as number | null);
  let config: Config;
  try {
    config = parseConfig(metaObject(itf, file, 'config'));
  } catch (e) {
    if (e instanceof ConfigError) throw new TraceFormatError(`${file}: #meta.config.${e.field}`, e.problem);
    throw e;
  }
  const checked = metaArray(itf, file, 'checked').map((p, i) => {
    const ok = typeof p === 'string' && propertyByName(p) !== undefined;
    return field(file, `#meta.checked[${i}]`, ok, `unknown property ${JSON.stringify(p)}`, p as string);
  });
  const steps = metaArray(itf, file, 'steps').map((raw, i) => {
    const at = `#meta.steps[${i}]`;
    field(file, at, typeof raw === 'object' && raw !== null && !Array.isArray(raw), 'must be an object {actor, event, label, phase}', null);
    const r = raw as Record<string, unknown>;
    for (const k of ['actor', 'event', 'label']) field(file, `${at}.${k}`, typeof r[k] === 'string', 'must be a string', null);
    field(file, `${at}.phase`, r.phase === 'schedule' || r.phase === 'drain', 'must be "schedule" or "drain"', null);
    return { actor: r.actor as string, event: r.event as string, label: r.label as string, phase: r.phase as TraceStep['phase'] };
  });
  const verdictRaw = metaObject(itf, file, 'verdict');
  const status = field(file, '#meta.verdict.status', verdictRaw.status === 'violated' || verdictRaw.status === 'holds', 'must be "violated" or "holds"', verdictRaw.status as 'violated' | 'holds');
  const strOrNull = (k: string) => field(file, `#meta.verdict.${k}`, verdictRaw[k] === null || typeof verdictRaw[k] === 'string', 'must be a string or null', verdictRaw[k] as string | null);
  const property = strOrNull('property');
  if (status === 'violated') field(file, '#meta.verdict.property', property !== null && propertyByName(property) !== undefined, `unknown property ${JSON.stringify(property)}`, null);
  const vstep = field(file, '#meta.verdict.step', Number.isInteger(verdictRaw.step) && (verdictRaw.step as number) >= 0, 'must be a non-negative integer', verdictRaw.step as number);
  const endRaw = metaObject(itf, file, 'end');
  const end: RunEnd = {
    quiescent: field(file, '#meta.end.quiescent', typeof endRaw.quiescent === 'boolean', 'must be true or false', endRaw.quiescent as boolean),
    hitBound: field(file, '#meta.end.hitBound', typeof endRaw.hitBound === 'boolean', 'must be true or false', endRaw.hitBound as boolean),
    bound: field(file, '#meta.end.bound', Number.isInteger(endRaw.bound), 'must be an integer', endRaw.bound as number),
  };
  field(file, 'states', itf.states.length === steps.length + 1, `has ${itf.states.length} states but #meta.steps has ${steps.length} steps (expected ${steps.length + 1} states)`, null);
  const meta: TraceMeta = {
    variant,
    seed,
    config,
    checked,
    steps,
    verdict: { status, property, clause: strOrNull('clause'), message: strOrNull('message'), step: vstep },
    end,
  };
  return { file, itf, meta };
}

export interface ReplayResult {
  /** reproduced: same verdict; diverged: a step was not enabled, a state differed, or the verdict differed */
  outcome: 'reproduced' | 'diverged';
  lines: string[];
  verdict: Violation | null;
  divergence: string | null;
  steps: number;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function firstDifference(a: Record<string, Plain>, b: Record<string, Plain>): string {
  const d = changes(b, a);
  return d.length ? d[0] : '(structure)';
}

/**
 * One state replay reached and found equal to the recorded one: the initial state (step 0, no choice)
 * or the state after step `n`. Handed to an observer so that other views of a trace (the HTML page)
 * are built from the very execution replay judges, not from a second reading of the file.
 */
export interface ReplayedState {
  sys: System;
  n: number;
  /** the step taken, null for the initial state */
  choice: Choice | null;
  phase: TraceStep['phase'];
  before: Int32Array;
  after: Int32Array;
  decoded: Record<string, Plain>;
}

/** Re-execute a loaded trace; the printed lines are the same on every run. */
export function replay(t: LoadedTrace, observe: (r: ReplayedState) => void = () => {}): ReplayResult {
  const { meta } = t;
  const sys = makeSystem(meta.config);
  const props: Property[] = meta.checked.map((n) => propertyByName(n)!);
  const lines: string[] = [];
  const v = meta.verdict;
  lines.push(`trace ${t.file}`);
  lines.push(`  variant ${meta.variant}, seed ${meta.seed ?? '-'}, ${meta.steps.length} steps, checks: ${meta.checked.join(', ')}`);
  lines.push(`  recorded verdict: ${v.status === 'violated' ? `${v.property} violated (${v.clause}) at step ${v.step}` : 'all checked properties hold'}`);
  lines.push(`  config: ${Object.entries(shownConfig(meta.config)).filter(([k]) => k !== 'posix').map(([k, x]) => `${k}=${x}`).join(' ')}`);
  const px = meta.config.posix;
  if (px) {
    lines.push(`  posix layer: threads=${px.threads} forks=${px.forks} calls=${px.calls} descriptors=${px.descriptors} fileBytes=${px.fileBytes}`);
    if (px.program) for (const l of programText(px.program, px.threads)) lines.push(`    ${l}`);
  }
  lines.push('');
  let s = sys.init;
  let prev = decode(sys, s);
  const diverge = (why: string, n: number): ReplayResult => {
    lines.push(`DIVERGED at step ${n}: ${why}`);
    return { outcome: 'diverged', lines, verdict: null, divergence: why, steps: n };
  };
  if (!sameJson(prev, t.itf.states[0])) return diverge(`the initial state differs from the recorded one (${firstDifference(prev, t.itf.states[0])})`, 0);
  observe({ sys, n: 0, choice: null, phase: 'schedule', before: s, after: s, decoded: prev });
  const events: TimedEvent[] = [];
  let verdict: Violation | null = null;
  const checkInv = (n: number) => {
    for (const p of props) {
      const b = p.invariant?.(sys, s);
      if (b) return { property: p.name, ...b, step: n };
    }
    return null;
  };
  verdict = checkInv(0);
  let phase: TraceStep['phase'] = 'schedule';
  const monitors = startMonitors(sys, props);
  for (let i = 0; i < meta.steps.length && !verdict; i++) {
    const st = meta.steps[i];
    const n = i + 1;
    const ch = findChoice(sys, s, st.actor, st.event);
    if (!ch) {
      const now = enabled(sys, s).map((c) => `${sys.actors[c.actor].name} ${c.event.name}`);
      return diverge(`${st.actor} ${st.event} is not enabled (enabled: ${now.join(', ') || 'nothing'})`, n);
    }
    if (st.phase !== phase) {
      lines.push('  -- drain: the schedule is over; the run is finished by the lowest-numbered enabled actor (round-robin if that does not quiesce) --');
      phase = st.phase;
    }
    const text = label(sys, s, ch);
    lines.push(`${String(n).padStart(4)}. ${text}`);
    const before = s;
    s = step(sys, s, ch, (e) => events.push({ ...e, time: i, actor: ch.actor }));
    const now = decode(sys, s);
    if (!sameJson(now, t.itf.states[n])) return diverge(`the state after this step differs from the recorded one (${firstDifference(now, t.itf.states[n])})`, n);
    for (const c of changes(prev, now)) lines.push(`        ${c}`);
    observe({ sys, n, choice: ch, phase: st.phase, before, after: s, decoded: now });
    prev = now;
    verdict = checkStep(sys, before, ch, s, props, n, monitors);
  }
  if (!verdict) {
    const quiescent = enabled(sys, s).length === 0;
    if (quiescent || meta.end.hitBound) {
      const end: RunEnd = { quiescent, hitBound: meta.end.hitBound && !quiescent, bound: meta.end.bound };
      verdict = checkEnd(sys, s, end, events, props, meta.steps.length, []);
    } else {
      // a run stopped before its drain was judged on its prefix (explore.ts), so judge the trace the same way
      verdict = checkPrefix(sys, events, props, meta.steps.length);
    }
  }
  lines.push('');
  if (verdict) lines.push(`VIOLATION at step ${verdict.step}: ${verdict.property} (${verdict.clause}): ${verdict.message}`);
  else lines.push('no property is violated in this trace');
  const same = v.status === 'violated' ? verdict !== null && verdict.property === v.property && verdict.clause === v.clause && verdict.step === v.step : verdict === null;
  if (!same) return diverge(`the verdict differs: recorded ${v.status === 'violated' ? `${v.property} (${v.clause}) at step ${v.step}` : 'holds'}, replay gives ${verdict ? `${verdict.property} (${verdict.clause}) at step ${verdict.step}` : 'holds'}`, meta.steps.length);
  lines.push('REPRODUCED: replay gives the recorded verdict');
  return { outcome: 'reproduced', lines, verdict, divergence: null, steps: meta.steps.length };
}
