/**
 * SPEC.md, generated from the code so that what users read cannot drift from what the verifier runs.
 *
 * Every fact in the file is read from a registry: the machines and their transitions from the
 * compiled xstate machines in `COMPONENTS` (not from a hand-written list), the properties from
 * `PROPERTIES`, the seeded bugs from `VARIANTS`, the configuration from `config.ts`, the cost
 * parameters from `COST_PARAMS`, what the model leaves out from `LEFT_OUT`, and the kept
 * counterexamples from the trace files git tracks under `traces/` (their `#meta`). Recovery is not
 * modelled yet; the hook for it is an optional module `model/recovery/semantics.ts` exporting
 * `RECOVERY_SEMANTICS: readonly { situation: string; outcome: string }[]`, rendered when present.
 *
 * The rendering is a pure function of those sources: no clock, no random seed, nothing from the
 * environment except the committed traces, so the same code gives the same bytes. `missingDescriptions`
 * is the rule that every machine, state, event, guard, property, clause, variant, cost parameter and
 * configuration field is described; the `spec` command refuses to write a file with gaps.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BOUNDS, BUGS, CONFIG_DOC, DEFAULT_CONFIG } from '../../model/kit/config.ts';
import { COST_PARAMS, type CostParam } from '../perf/costs.ts';
import type { Component } from '../../model/kit/kit.ts';
import { LEFT_OUT, type LeftOut } from '../../model/kit/scope.ts';
import { COMPONENTS, makeSystem } from '../../model/kit/system.ts';
import { VARIANTS, type Variant } from '../../model/variants.ts';
import { PROPERTIES } from '../../properties/index.ts';
import type { Property } from '../../properties/property.ts';
import { drainBound } from '../verifier/explore.ts';
import { SCENARIOS, type Scenario } from '../verifier/scenarios.ts';
import { loadTrace } from '../traces/trace.ts';
import { defaultMaxPicks } from '../verifier/random/verify.ts';

/** The clone's top directory: links in SPEC.md and the trace paths are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where the recovery model will state what processes see when a service domain fails. */
export const RECOVERY_MODULE = 'model/recovery/semantics.ts';

/** A source of the spec is present but unusable: one line naming the file and what is wrong. */
export class SpecSourceError extends Error {}

/** One rule of the recovery semantics, as `model/recovery/semantics.ts` exports it. */
export interface RecoveryRule {
  /** what happens, e.g. "a call is pending in the crashed domain" */
  situation: string;
  /** what the process sees */
  outcome: string;
}

/** A counterexample trace kept in the repository, as its `#meta` describes it. */
export interface KeptTrace {
  /** relative to the repository, with '/' separators */
  path: string;
  variant: string;
  seed: number | null;
  status: 'violated' | 'holds';
  property: string | null;
  clause: string | null;
  /** the step at which the verdict was reached */
  step: number;
  steps: number;
}

/** Everything SPEC.md is generated from. Tests pass altered copies to exercise the checker. */
export interface SpecSources {
  components: readonly Component[];
  properties: readonly Property[];
  variants: readonly Variant[];
  config: {
    doc: Readonly<Record<string, string>>;
    bounds: Readonly<Record<string, readonly [number, number]>>;
    defaults: Readonly<Record<string, unknown>>;
    bugs: readonly string[];
    /** actor names in the default configuration, per machine id */
    actors: Readonly<Record<string, string[]>>;
    /** the check's own bounds in the default configuration */
    drainBound: number;
    maxPicks: number;
  };
  costs: readonly CostParam[];
  leftOut: readonly LeftOut[];
  scenarios: readonly Scenario[];
  /** null: the recovery model does not exist yet */
  recovery: readonly RecoveryRule[] | null;
  traces: readonly KeptTrace[];
}

/** Where `virtuos view` writes the page of a kept trace: `traces/p/x.itf.json` -> `docs/traces/p/x.html`. */
export function tracePage(path: string): string {
  return `docs/${path.replace(/(\.itf)?\.json$/, '')}.html`;
}

/**
 * The trace files under `traces/` that git tracks (committed or staged): a trace `virtuos verify`
 * just wrote is not evidence yet and must not change SPEC.md. Outside a git clone, every file there.
 */
export function trackedTraceFiles(root: string): string[] {
  let files: string[];
  try {
    const out = execFileSync('git', ['-C', root, 'ls-files', '-z', '--', 'traces'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    files = out.split('\0').filter((f) => f !== '');
  } catch {
    files = existsSync(join(root, 'traces')) ? walk(join(root, 'traces')).map((f) => relative(root, f).split(sep).join('/')) : [];
  }
  return files.filter((f) => f.endsWith('.itf.json') && existsSync(join(root, f))).sort();
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
}

/** Read the verdicts of kept traces (strictly: a damaged trace stops the generation, naming the file). */
export function keptTraces(root: string, files: readonly string[]): KeptTrace[] {
  return [...files].sort().map((path) => {
    const { meta } = loadTrace(join(root, path));
    const v = meta.verdict;
    return { path, variant: meta.variant, seed: meta.seed, status: v.status, property: v.property, clause: v.clause, step: v.step, steps: meta.steps.length };
  });
}

/**
 * Import a TypeScript module named at run time. Under tsx or vitest the loader in place takes it;
 * the CLI's bundle (scripts/launch.mjs) runs without one, and then tsx loads this module alone.
 */
async function importTs(href: string): Promise<unknown> {
  try {
    return await import(href);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
  }
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(href, import.meta.url);
}

async function loadRecovery(root: string): Promise<RecoveryRule[] | null> {
  const file = join(root, RECOVERY_MODULE);
  if (!existsSync(file)) return null;
  const mod = (await importTs(pathToFileURL(file).href)) as { RECOVERY_SEMANTICS?: unknown };
  const list = mod.RECOVERY_SEMANTICS;
  if (!Array.isArray(list)) throw new SpecSourceError(`${RECOVERY_MODULE}: must export RECOVERY_SEMANTICS, an array of {situation, outcome}`);
  return list.map((r, i) => {
    const ok = typeof r === 'object' && r !== null && typeof r.situation === 'string' && typeof r.outcome === 'string';
    if (!ok) throw new SpecSourceError(`${RECOVERY_MODULE}: RECOVERY_SEMANTICS[${i}] must be {situation: string, outcome: string}`);
    return { situation: r.situation, outcome: r.outcome };
  });
}

/** The sources of the spec as the code defines them now. */
export async function loadSources(root: string = REPO_ROOT): Promise<SpecSources> {
  const sys = makeSystem(DEFAULT_CONFIG);
  const actors: Record<string, string[]> = {};
  for (const c of COMPONENTS) actors[c.spec.id] = [];
  for (const a of sys.actors) actors[COMPONENTS[a.comp].spec.id].push(a.name);
  return {
    components: COMPONENTS,
    properties: PROPERTIES,
    variants: VARIANTS,
    config: { doc: CONFIG_DOC, bounds: BOUNDS, defaults: DEFAULT_CONFIG as unknown as Record<string, unknown>, bugs: BUGS, actors, drainBound: drainBound(sys), maxPicks: defaultMaxPicks(DEFAULT_CONFIG) },
    costs: COST_PARAMS,
    leftOut: LEFT_OUT,
    scenarios: SCENARIOS,
    recovery: await loadRecovery(root),
    traces: keptTraces(root, trackedTraceFiles(root)),
  };
}

// ---------------------------------------------------------------------------
// The description rule

const blank = (s: string | undefined | null) => s === undefined || s === null || s.trim() === '';

/** Every place a description is missing (or documents something that does not exist), one line each. */
export function missingDescriptions(src: SpecSources): string[] {
  const out: string[] = [];
  const propertyNames = new Set(src.properties.map((p) => p.name));
  for (const c of src.components) {
    const m = `machine ${c.spec.id}`;
    if (blank(c.spec.description)) out.push(`${m}: no description`);
    if (blank(c.spec.section)) out.push(`${m}: no section of VIRTUOS.md`);
    const used = new Set<string>();
    for (const st of c.states) {
      if (blank(st.description)) out.push(`${m}: state ${st.name} has no description`);
      for (const ev of st.events) used.add(ev.name);
    }
    for (const [name, doc] of Object.entries(c.spec.events)) {
      if (!used.has(name)) out.push(`${m}: event ${name} is documented but no state takes it`);
      if (blank(doc.description)) out.push(`${m}: event ${name} has no description`);
      if (blank(doc.from) || blank(doc.to)) out.push(`${m}: event ${name} does not say who sends it to whom`);
    }
    // Every guard a branch names is defined (the compile step in kit.ts checks it), so this covers them.
    for (const g of Object.keys(c.spec.guards)) if (blank(c.spec.guardDocs[g])) out.push(`${m}: guard ${g} has no description`);
    for (const g of Object.keys(c.spec.guardDocs)) if (!(g in c.spec.guards)) out.push(`${m}: guard ${g} is documented but not defined`);
  }
  for (const p of src.properties) {
    const at = `property ${p.name}`;
    if (blank(p.description)) out.push(`${at}: no description`);
    if (blank(p.section)) out.push(`${at}: no section of VIRTUOS.md`);
    if (blank(p.group)) out.push(`${at}: no group`);
    if (Object.keys(p.clauses).length === 0) out.push(`${at}: no clauses`);
    for (const [k, text] of Object.entries(p.clauses)) if (blank(text)) out.push(`${at}: clause ${k} has no description`);
  }
  for (const v of src.variants) {
    const at = `variant ${v.name}`;
    if (blank(v.description)) out.push(`${at}: no description`);
    if (v.breaks.length === 0) out.push(`${at}: names no property it breaks`);
    for (const b of v.breaks) if (!propertyNames.has(b)) out.push(`${at}: breaks unknown property ${b}`);
  }
  for (const c of src.costs) {
    const at = `cost parameter ${c.name}`;
    if (blank(c.description)) out.push(`${at}: no description`);
    if (blank(c.source)) out.push(`${at}: no source`);
  }
  for (const [k, d] of Object.entries(src.config.doc)) if (blank(d)) out.push(`config field ${k}: no description`);
  src.leftOut.forEach((l, i) => {
    if (blank(l.what) || blank(l.why)) out.push(`left-out item ${i + 1}: needs both what and why`);
  });
  src.scenarios.forEach((s) => {
    if (blank(s.description)) out.push(`scenario ${s.name}: no description`);
  });
  src.recovery?.forEach((r, i) => {
    if (blank(r.situation) || blank(r.outcome)) out.push(`recovery rule ${i + 1}: needs both situation and outcome`);
  });
  return out;
}

// ---------------------------------------------------------------------------
// Markdown and Mermaid helpers

/** Text for a table cell: a '|' would end the cell, a newline the row, '<' before a letter an HTML tag. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ').replace(/<(?=[A-Za-z/!])/g, '&lt;');
}

const code = (name: string) => '`' + name + '`';

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const MERMAID_KEYWORDS = new Set(['state', 'note', 'end', 'as', 'direction', 'class', 'classdef', 'style', 'click', 'hide', 'left', 'right', 'of', 'default']);

/** A state id Mermaid accepts: word characters only, and never one of its keywords. */
export function mermaidId(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, '_');
  return MERMAID_KEYWORDS.has(id.toLowerCase()) || /^\d/.test(id) ? `s_${id}` : id;
}

/** A transition label: characters Mermaid gives a meaning to become its #code; entities. */
export function mermaidLabel(text: string): string {
  return text.replace(/[^A-Za-z0-9_ .,()[\]/+-]/g, (ch) => `#${ch.codePointAt(0)};`);
}

/** The guard as a diagram or table shows it: its name, `else` for the fallback of guarded branches. */
function guardShown(branches: Component['states'][number]['events'][number]['branches'], i: number): string | null {
  const b = branches[i];
  if (b.guardName !== null) return b.guardName;
  return i > 0 ? 'else' : null;
}

/** A Mermaid state diagram of one machine: every state, every branch of every transition. */
export function mermaidDiagram(c: Component): string {
  const lines = ['stateDiagram-v2'];
  for (const st of c.states) if (mermaidId(st.name) !== st.name) lines.push(`  state "${mermaidLabel(st.name)}" as ${mermaidId(st.name)}`);
  lines.push(`  [*] --> ${mermaidId(c.spec.initial)}`);
  for (const st of c.states) {
    for (const ev of st.events) {
      ev.branches.forEach((b, i) => {
        const g = guardShown(ev.branches, i);
        lines.push(`  ${mermaidId(st.name)} --> ${mermaidId(b.targetName)} : ${mermaidLabel(g === null ? ev.name : `${ev.name} [${g}]`)}`);
      });
    }
    if (st.events.length === 0) lines.push(`  ${mermaidId(st.name)} --> [*]`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// Rendering

const TRACES_HEADING = 'Kept traces';

/** A link to a kept trace with its verdict; under a property the property's name goes without saying. */
function traceLink(t: KeptTrace, withProperty: boolean): string {
  const what = t.status === 'violated' ? `${withProperty ? `${t.property} violated: ` : ''}${t.clause} at step ${t.step}` : 'holds';
  return `[${t.path}](${encodeURI(t.path)}) (${what}, ${t.steps} steps; [page](${encodeURI(tracePage(t.path))}))`;
}

function configRange(src: SpecSources, key: string): string {
  const b = src.config.bounds[key];
  if (b) return `${b[0]}..${b[1]}`;
  const d = src.config.defaults[key];
  if (typeof d === 'boolean') return 'true, false';
  if (key === 'bug') return ['null', ...src.config.bugs].join(', ');
  return 'as named in the meaning';
}

function renderMachine(c: Component, src: SpecSources): string[] {
  const s = c.spec;
  const actors = src.config.actors[s.id] ?? [];
  const out: string[] = [];
  out.push(`### Machine ${code(s.id)}`, '');
  out.push(s.description, '');
  out.push(`- Models: "${s.section}" in [VIRTUOS.md](../shared/VIRTUOS.md).`);
  out.push(`- Actors: prefix ${code(s.prefix)}; in the default configuration ${actors.length === 0 ? 'none' : actors.join(', ')}.`);
  out.push(`- Initial state: ${code(s.initial)}; ${c.states.length} states, ${new Set(c.states.flatMap((st) => st.events.map((e) => e.name))).size} events.`, '');
  out.push('```mermaid', mermaidDiagram(c), '```', '');
  out.push('| State | Description |', '|---|---|');
  for (const st of c.states) out.push(`| ${code(st.name)} | ${cell(st.description)} |`);
  out.push('');
  out.push('Events, one row per branch, tried in order: the first branch whose guard holds is taken.', '');
  out.push('| Event | Sender → receiver | In state → next state | Guard | Effect | Description |', '|---|---|---|---|---|---|');
  for (const st of c.states) {
    for (const ev of st.events) {
      ev.branches.forEach((b, i) => {
        const g = guardShown(ev.branches, i);
        const first = i === 0;
        const desc = first ? ev.doc.description : b.description !== ev.doc.description ? b.description : '';
        out.push(
          `| ${first ? code(ev.name) : ''} | ${first ? cell(`${ev.doc.from} → ${ev.doc.to}`) : ''} | ${code(st.name)} → ${code(b.targetName)} | ${g === null ? '—' : code(g)} | ${b.actionNames.length ? b.actionNames.map(code).join(', ') : '—'} | ${cell(desc)} |`,
        );
      });
    }
  }
  out.push('');
  const guards = Object.keys(s.guards);
  if (guards.length) {
    out.push('| Guard | Holds when |', '|---|---|');
    for (const g of guards) out.push(`| ${code(g)} | ${cell(s.guardDocs[g] ?? '')} |`);
    out.push('');
  }
  return out;
}

const KIND_TEXT: Record<Property['kind'], string> = {
  safety: 'safety',
  liveness: 'liveness (bounded)',
  history: 'safety of the operation history (linearizability)',
  hyperproperty: 'hyperproperty (a comparison of paired runs)',
};

function howChecked(p: Property, src: SpecSources): string[] {
  const out: string[] = [];
  if (p.invariant) out.push('on every state of every run');
  if (p.final) out.push(`on the last state of each run, after a fair drain of at most ${src.config.drainBound} steps in the default configuration`);
  if (p.history) out.push('over the operation history of each run (a check that runs out of budget is counted inconclusive, not as holding)');
  return out;
}

function renderProperty(p: Property, src: SpecSources): string[] {
  const out: string[] = [];
  out.push(`### Property ${code(p.name)}`, '');
  out.push(p.description, '');
  out.push(`- Kind: ${KIND_TEXT[p.kind]}; group: ${p.group}.`);
  out.push(`- Models: "${p.section}" in [VIRTUOS.md](../shared/VIRTUOS.md).`);
  out.push(`- Checked ${howChecked(p, src).join('; and ')}.`, '');
  out.push('| Clause | Statement |', '|---|---|');
  for (const [k, text] of Object.entries(p.clauses)) out.push(`| ${code(k)} | ${cell(text)} |`);
  out.push('');
  const claimed = src.variants.filter((v) => v.breaks.includes(p.name));
  const kept = (variant: string) => src.traces.filter((t) => t.variant === variant && t.status === 'violated' && t.property === p.name);
  out.push('Seeded bugs that break it:', '');
  if (claimed.length === 0) out.push('- none (no variant shows that this property can fail)');
  for (const v of claimed) {
    const ts = kept(v.name);
    out.push(`- [${v.name}](#${anchor(`Variant ${v.name}`)}): ${ts.length ? ts.map((t) => traceLink(t, false)).join('; ') : 'no kept trace yet'}`);
  }
  const unclaimed = [...new Set(src.traces.filter((t) => t.status === 'violated' && t.property === p.name && !claimed.some((v) => v.name === t.variant)).map((t) => t.variant))];
  for (const name of unclaimed) {
    const shown = src.variants.some((v) => v.name === name) ? `[${name}](#${anchor(`Variant ${name}`)})` : code(name);
    out.push(`- ${shown} (not listed as breaking it): ${kept(name).map((t) => traceLink(t, false)).join('; ')}`);
  }
  out.push('');
  return out;
}

function renderVariant(v: Variant, src: SpecSources): string[] {
  const out: string[] = [];
  out.push(`### Variant ${code(v.name)}`, '');
  out.push(v.description, '');
  out.push(`- Breaks: ${v.breaks.map((b) => `[${b}](#${anchor(`Property ${b}`)})`).join(', ')}.`);
  out.push(`- Configuration: ${v.config && Object.keys(v.config).length ? Object.entries(v.config).map(([k, x]) => `${code(k)} = ${code(JSON.stringify(x))}`).join(', ') + ' over the default' : 'the default'}, with ${code('bug')} = ${code(JSON.stringify(v.name))}.`);
  out.push(`- SPIN anchor flag: ${v.spinFlag === null ? 'none (not in the SPIN model)' : code(v.spinFlag)}.`);
  out.push(`- Run it: ${code(`virtuos verify --variant ${v.name} --seed 1`)}.`);
  const ts = src.traces.filter((t) => t.variant === v.name);
  out.push(`- Kept traces: ${ts.length ? ts.map((t) => traceLink(t, true)).join('; ') : 'none yet'}.`, '');
  return out;
}

/** The whole of SPEC.md. */
export function renderSpec(src: SpecSources): string {
  const out: string[] = [];
  const toc = ['Machines', 'Properties', 'Seeded-bug variants', 'Configuration', 'Recovery semantics', 'Cost parameters', 'Scenarios', 'What the model leaves out', TRACES_HEADING];
  out.push('# VirtuOS model: specification', '');
  out.push(
    '<!-- Generated by `virtuos spec` (npm run spec) from the code: do not edit by hand. `npm run spec -- --check` fails when this file is stale. -->',
    '',
  );
  out.push(
    'This file is generated from the model itself: the machines and their transitions are read out of the compiled xstate machines, ' +
      'the properties, seeded bugs, configuration, cost parameters and scope from their registries, the kept traces from the files git tracks under `traces/`. ' +
      'Sections of the VirtuOS description refer to `VIRTUOS.md` in the `shared/` folder that sits beside the clone.',
    '',
  );
  out.push(
    "What a verdict means: `virtuos verify` samples random schedules (fast-check) on a small configuration and checks every property on each run; " +
      'a property that holds has held in the runs made, for the configuration stated. That is evidence, not a proof.',
    '',
  );
  for (const h of toc) out.push(`- [${h}](#${anchor(h)})`);
  out.push('');

  out.push('## Machines', '');
  out.push('| Machine | Actor prefix | States | Events | Models (VIRTUOS.md) |', '|---|---|---|---|---|');
  for (const c of src.components) {
    const events = new Set(c.states.flatMap((st) => st.events.map((e) => e.name))).size;
    out.push(`| [${c.spec.id}](#${anchor(`Machine ${c.spec.id}`)}) | ${code(c.spec.prefix)} | ${c.states.length} | ${events} | ${cell(c.spec.section)} |`);
  }
  out.push('');
  for (const c of src.components) out.push(...renderMachine(c, src));

  out.push('## Properties', '');
  out.push('| Property | Kind | Group | Clauses | Broken by |', '|---|---|---|---|---|');
  for (const p of src.properties) {
    const by = src.variants.filter((v) => v.breaks.includes(p.name)).map((v) => v.name);
    out.push(`| [${p.name}](#${anchor(`Property ${p.name}`)}) | ${p.kind} | ${p.group} | ${Object.keys(p.clauses).length} | ${by.length ? by.join(', ') : '—'} |`);
  }
  out.push('');
  for (const p of src.properties) out.push(...renderProperty(p, src));

  out.push('## Seeded-bug variants', '');
  out.push('Each variant is the same model with one configuration switch (`bug`) set; it must be caught through the properties it names.', '');
  for (const v of src.variants) out.push(...renderVariant(v, src));

  out.push('## Configuration', '');
  out.push(
    'Every bound of an instance is a named, validated field (`model/kit/config.ts`); a `--config FILE` for `virtuos verify` overrides any of them. ' +
      `In the default configuration a run is a schedule of at most ${src.config.maxPicks} picks followed by a fair drain of at most ${src.config.drainBound} steps.`,
    '',
  );
  out.push('| Field | Meaning | Default | Range |', '|---|---|---|---|');
  for (const [k, d] of Object.entries(src.config.doc)) out.push(`| ${code(k)} | ${cell(d)} | ${code(JSON.stringify(src.config.defaults[k]))} | ${cell(configRange(src, k))} |`);
  out.push('');

  out.push('## Recovery semantics', '');
  if (src.recovery === null) out.push(`Recovery is not modelled yet: no ${code(RECOVERY_MODULE)} exists, so nothing here says what a process sees when a service domain fails.`, '');
  else if (src.recovery.length === 0) out.push(`${code(RECOVERY_MODULE)} states no rule yet.`, '');
  else {
    out.push('| Situation | What the process sees |', '|---|---|');
    for (const r of src.recovery) out.push(`| ${cell(r.situation)} | ${cell(r.outcome)} |`);
    out.push('');
  }

  out.push('## Cost parameters', '');
  if (src.costs.length === 0) out.push('The cost model is not yet present: `COST_PARAMS` in `scripts/perf/costs.ts` is empty, so nothing reports costs.', '');
  else {
    out.push('| Parameter | Value | Unit | Range | Source | Description |', '|---|---|---|---|---|---|');
    for (const c of src.costs) out.push(`| ${code(c.name)} | ${c.value} | ${c.unit} | ${c.range[0]}..${c.range[1]} | ${cell(c.source)} | ${cell(c.description)} |`);
    out.push('');
  }

  out.push('## Scenarios', '');
  if (src.scenarios.length === 0) out.push('No named scenario yet.', '');
  else {
    out.push('| Scenario | Description |', '|---|---|');
    for (const s of src.scenarios) out.push(`| ${code(s.name)} | ${cell(s.description)} |`);
    out.push('');
  }

  out.push('## What the model leaves out', '');
  out.push('| Left out | Why |', '|---|---|');
  for (const l of src.leftOut) out.push(`| ${cell(l.what)} | ${cell(l.why)} |`);
  out.push('');

  out.push(`## ${TRACES_HEADING}`, '');
  if (src.traces.length === 0) out.push('No trace is kept in the repository yet.', '');
  else {
    out.push(
      'Replay any of them with `virtuos replay FILE`. Each page is the trace drawn as swimlanes with the shared objects at every step; ' +
        'pages are generated on demand, not committed: `virtuos view --all` writes them under `docs/traces/`.',
      '',
    );
    out.push('| Trace | Variant | Seed | Verdict | Steps | Page |', '|---|---|---|---|---|---|');
    for (const t of src.traces) {
      const verdict = t.status === 'violated' ? `${t.property} violated (${t.clause}) at step ${t.step}` : 'holds';
      out.push(`| [${t.path}](${encodeURI(t.path)}) | ${t.variant} | ${t.seed ?? '—'} | ${cell(verdict)} | ${t.steps} | [page](${encodeURI(tracePage(t.path))}) |`);
    }
    out.push('');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

// ---------------------------------------------------------------------------
// Comparing

export interface Difference {
  /** 1-based line number */
  line: number;
  /** the headings (## and ###) above that line in the generated text */
  section: string;
  expected: string | null;
  actual: string | null;
}

/** Where a file first differs from the generated text, or null when they are equal. */
export function firstDifference(expected: string, actual: string): Difference | null {
  if (expected === actual) return null;
  const e = expected.split('\n');
  const a = actual.split('\n');
  let i = 0;
  while (i < e.length && i < a.length && e[i] === a[i]) i++;
  let h2 = '';
  let h3 = '';
  for (let j = 0; j <= Math.min(i, e.length - 1); j++) {
    if (e[j].startsWith('## ')) [h2, h3] = [e[j].slice(3), ''];
    else if (e[j].startsWith('### ')) h3 = e[j].slice(4);
  }
  const section = [h2, h3].filter(Boolean).join(' > ') || '(top)';
  return { line: i + 1, section, expected: i < e.length ? e[i] : null, actual: i < a.length ? a[i] : null };
}
