import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_CONFIG } from '../model/kit/config.ts';
import type { CostParam } from '../scripts/perf/costs.ts';
import type { Component } from '../model/kit/kit.ts';
import { COMPONENTS, makeSystem } from '../model/kit/system.ts';
import { VARIANTS } from '../model/variants.ts';
import { PROPERTIES } from '../properties/index.ts';
import { listing } from '../scripts/cli/commands/list.ts';
import { writeItf } from '../scripts/traces/itf.ts';
import {
  anchor,
  cell,
  firstDifference,
  keptTraces,
  loadSources,
  mermaidDiagram,
  mermaidId,
  mermaidLabel,
  missingDescriptions,
  renderSpec,
  REPO_ROOT,
  SpecSourceError,
  trackedTraceFiles,
  type SpecSources,
} from '../scripts/spec/spec.ts';
import { buildTrace, type TraceMeta } from '../scripts/traces/trace.ts';
import { cli } from './lib/cli.ts';

let src: SpecSources;
let text: string;
let tmp: string;

beforeAll(async () => {
  src = await loadSources();
  text = renderSpec(src);
  tmp = mkdtempSync(join(tmpdir(), 'virtuos-spec-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The lines of the section that starts at `heading`, up to the next heading of the same or a higher level. */
function sectionOf(doc: string, heading: string): string {
  const lines = doc.split('\n');
  const start = lines.indexOf(heading);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const level = heading.match(/^#+/)![0].length;
  let end = start + 1;
  while (end < lines.length && !(lines[end].match(/^#+ /) && lines[end].match(/^#+/)![0].length <= level)) end++;
  return lines.slice(start, end).join('\n');
}

describe('the generated text', () => {
  test('is the same on every generation, in this process and in a fresh one', async () => {
    expect(renderSpec(await loadSources())).toBe(text);
    const file = join(tmp, 'stable.md');
    writeFileSync(file, text);
    // A separate node process with its own module instances: nothing may depend on run-time state.
    const r = execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/virtuos.mjs'), 'spec', '--check', '--out', file], { encoding: 'utf8' });
    expect(r).toContain('is up to date');
  });

  test('has no clock time and ends with exactly one newline', () => {
    expect(text).not.toMatch(/\b20\d\d-\d\d-\d\d\b|\d\d:\d\d:\d\d/);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
  });

  test('every machine has a diagram with every state and every branch, and an events table with every event', () => {
    for (const c of COMPONENTS) {
      const sec = sectionOf(text, `### Machine \`${c.spec.id}\``);
      expect(sec).toContain(c.spec.description);
      expect(sec).toContain(`"${c.spec.section}"`);
      const diagram = sec.match(/```mermaid\n([\s\S]*?)\n```/)?.[1];
      expect(diagram, c.spec.id).toBe(mermaidDiagram(c));
      const edges = diagram!.split('\n').filter((l) => l.includes('-->'));
      const branches = c.states.flatMap((st) => st.events.flatMap((ev) => ev.branches.map((b) => `${st.name} --> ${b.targetName} : ${ev.name}`)));
      const finals = c.states.filter((st) => st.events.length === 0).length;
      expect(edges.length).toBe(branches.length + 1 + finals);
      for (const b of branches) expect(edges.some((e) => e.trim().startsWith(b)), b).toBe(true);
      for (const st of c.states) expect(sec).toContain(`| \`${st.name}\` | ${cell(st.description)} |`);
      for (const [ev, doc] of Object.entries(c.spec.events)) expect(sec, ev).toContain(`| \`${ev}\` | ${cell(`${doc.from} → ${doc.to}`)} |`);
      for (const g of Object.keys(c.spec.guards)) expect(sec).toContain(`| \`${g}\` | ${cell(c.spec.guardDocs[g])} |`);
    }
  });

  test('every property and variant that `virtuos list` reports has an entry', () => {
    const l = listing();
    expect(l.properties.length).toBeGreaterThan(0);
    for (const p of l.properties) {
      const sec = sectionOf(text, `### Property \`${p.name}\``);
      expect(sec).toContain(p.description);
      expect(sec).toMatch(new RegExp(`Kind: [^;]*${p.kind === 'history' ? 'linearizability' : p.kind}`));
      for (const k of p.clauses) expect(sec).toContain(`| \`${k}\` |`);
      for (const v of l.variants.filter((x) => x.breaks.includes(p.name))) expect(sec).toContain(`- [${v.name}](#variant-${v.name})`);
    }
    for (const v of l.variants) {
      const sec = sectionOf(text, `### Variant \`${v.name}\``);
      expect(sec).toContain(v.description);
      for (const b of v.breaks) expect(sec).toContain(`[${b}](#property-${b})`);
    }
  });

  test('every link inside the file leads to a heading of the file', () => {
    const anchors = new Set(text.split('\n').filter((l) => /^#+ /.test(l)).map((l) => anchor(l.replace(/^#+ /, ''))));
    const links = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(20);
    for (const a of links) expect(anchors.has(a), a).toBe(true);
  });

  test('the configuration, cost, recovery and scope sections come from their registries', () => {
    const cfg = sectionOf(text, '## Configuration');
    for (const k of Object.keys(DEFAULT_CONFIG)) expect(cfg).toContain(`| \`${k}\` |`);
    expect(cfg).toContain('| `processes` | ' + cell(src.config.doc.processes) + ' | `1` | 1..3 |');
    expect(sectionOf(text, '## Cost parameters')).toContain(src.costs.length === 0 ? 'not yet present' : `| \`${src.costs[0].name}\` |`);
    expect(sectionOf(text, '## Recovery semantics')).toContain(src.recovery === null ? 'not modelled yet' : '| Situation |');
    for (const l of src.leftOut) expect(sectionOf(text, '## What the model leaves out')).toContain(cell(l.why));
  });

  test('cost parameters and recovery rules are rendered when the registries hold them', () => {
    const cost: CostParam = { name: 'hypercall', value: 1500, unit: 'cycles', source: 'VIRTUOS.md, Performance claims', range: [1000, 2000], description: 'a VM exit or hypercall round trip' };
    const t = renderSpec({ ...src, costs: [cost], recovery: [{ situation: 'a call is pending when its service domain fails', outcome: 'the call returns an error' }] });
    expect(sectionOf(t, '## Cost parameters')).toContain('| `hypercall` | 1500 | cycles | 1000..2000 | VIRTUOS.md, Performance claims | a VM exit or hypercall round trip |');
    expect(sectionOf(t, '## Recovery semantics')).toContain('| a call is pending when its service domain fails | the call returns an error |');
  });
});

describe('the description rule', () => {
  test('holds for the code as it is', () => {
    expect(missingDescriptions(src)).toEqual([]);
  });

  const withComponent = (c: Component): SpecSources => ({ ...src, components: src.components.map((x) => (x === COMPONENTS[0] ? c : x)) });
  const base = COMPONENTS[0];
  const state = base.states[1];
  const [eventName, eventDoc] = Object.entries(base.spec.events)[0];
  const guardName = Object.keys(base.spec.guards)[0];

  test.each([
    ['a machine without description', () => withComponent({ ...base, spec: { ...base.spec, description: ' ' } }), `machine ${base.spec.id}: no description`],
    ['a machine without section', () => withComponent({ ...base, spec: { ...base.spec, section: '' } }), `machine ${base.spec.id}: no section of VIRTUOS.md`],
    [
      'a state without description',
      () => withComponent({ ...base, states: base.states.map((s) => (s === state ? { ...s, description: '' } : s)) }),
      `machine ${base.spec.id}: state ${state.name} has no description`,
    ],
    [
      'an event without description',
      () => withComponent({ ...base, spec: { ...base.spec, events: { ...base.spec.events, [eventName]: { ...eventDoc, description: '' } } } }),
      `machine ${base.spec.id}: event ${eventName} has no description`,
    ],
    [
      'an event without its sender',
      () => withComponent({ ...base, spec: { ...base.spec, events: { ...base.spec.events, [eventName]: { ...eventDoc, from: '' } } } }),
      `machine ${base.spec.id}: event ${eventName} does not say who sends it to whom`,
    ],
    [
      'a guard without description',
      () => withComponent({ ...base, spec: { ...base.spec, guardDocs: Object.fromEntries(Object.entries(base.spec.guardDocs).filter(([g]) => g !== guardName)) } }),
      `machine ${base.spec.id}: guard ${guardName} has no description`,
    ],
    ['a property without description', () => ({ ...src, properties: src.properties.map((p, i) => (i === 0 ? { ...p, description: '' } : p)) }), `property ${PROPERTIES[0].name}: no description`],
    [
      'a clause without description',
      () => ({ ...src, properties: src.properties.map((p, i) => (i === 0 ? { ...p, clauses: { ...p.clauses, extra: '' } } : p)) }),
      `property ${PROPERTIES[0].name}: clause extra has no description`,
    ],
    ['a variant without description', () => ({ ...src, variants: [{ ...src.variants[0], description: '' }] }), `variant ${VARIANTS[0].name}: no description`],
    ['a variant breaking an unknown property', () => ({ ...src, variants: [{ ...src.variants[0], breaks: ['no-such-property'] }] }), `variant ${VARIANTS[0].name}: breaks unknown property no-such-property`],
    [
      'a cost parameter without description',
      () => ({ ...src, costs: [{ name: 'hypercall', value: 1500, unit: 'cycles' as const, source: 'assumed', range: [1000, 2000] as [number, number], description: '' }] }),
      'cost parameter hypercall: no description',
    ],
    [
      'a cost parameter without source',
      () => ({ ...src, costs: [{ name: 'hypercall', value: 1500, unit: 'cycles' as const, source: '', range: [1000, 2000] as [number, number], description: 'a hypercall' }] }),
      'cost parameter hypercall: no source',
    ],
  ])('finds %s', (_what, broken, message) => {
    expect(missingDescriptions(broken())).toEqual([message]);
  });
});

describe('kept traces', () => {
  const meta = (variant: string, property: string | null): Omit<TraceMeta, 'steps' | 'config'> => ({
    variant,
    seed: 7,
    checked: ['no-lost-wakeup'],
    verdict: property === null ? { status: 'holds', property: null, clause: null, message: null, step: 0 } : { status: 'violated', property, clause: 'all-calls-complete', message: 'fixture', step: 0 },
    end: { quiescent: false, hitBound: false, bound: 1 },
  });
  /** A zero-step trace file: enough for the links, which read only the `#meta`. */
  function writeTrace(root: string, path: string, variant: string, property: string | null): void {
    const sys = makeSystem(DEFAULT_CONFIG);
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), writeItf(buildTrace(sys, [], sys.init, meta(variant, property))));
  }

  test('link each variant to its traces, in sorted order, and show a trace of an unlisted variant', () => {
    const root = join(tmp, 'links');
    writeTrace(root, 'traces/no-lost-wakeup/lostwake-2.itf.json', 'lostwake', 'no-lost-wakeup');
    writeTrace(root, 'traces/no-lost-wakeup/lostwake-10.itf.json', 'lostwake', 'no-lost-wakeup');
    writeTrace(root, 'traces/no-lost-wakeup/free-early-1.itf.json', 'free-early', 'no-lost-wakeup');
    writeTrace(root, 'traces/no-lost-wakeup/correct-3.itf.json', 'correct', null);
    const traces = keptTraces(root, trackedTraceFiles(root));
    expect(traces.map((t) => t.path)).toEqual([
      'traces/no-lost-wakeup/correct-3.itf.json',
      'traces/no-lost-wakeup/free-early-1.itf.json',
      'traces/no-lost-wakeup/lostwake-10.itf.json',
      'traces/no-lost-wakeup/lostwake-2.itf.json',
    ]);
    const t = renderSpec({ ...src, traces });
    const prop = sectionOf(t, '### Property `no-lost-wakeup`');
    expect(prop).toContain(
      '- [lostwake](#variant-lostwake): [traces/no-lost-wakeup/lostwake-10.itf.json](traces/no-lost-wakeup/lostwake-10.itf.json) (all-calls-complete at step 0, 0 steps; [page](docs/traces/no-lost-wakeup/lostwake-10.html)); ' +
        '[traces/no-lost-wakeup/lostwake-2.itf.json](traces/no-lost-wakeup/lostwake-2.itf.json) (all-calls-complete at step 0, 0 steps; [page](docs/traces/no-lost-wakeup/lostwake-2.html))',
    );
    expect(prop).toContain('- [free-early](#variant-free-early) (not listed as breaking it): [traces/no-lost-wakeup/free-early-1.itf.json]');
    expect(prop).toContain('- [waiters-early](#variant-waiters-early): no kept trace yet');
    expect(prop).not.toContain('correct-3');
    expect(sectionOf(t, '### Variant `free-early`')).toContain('(no-lost-wakeup violated: all-calls-complete at step 0, 0 steps; [page](docs/traces/no-lost-wakeup/free-early-1.html))');
    expect(sectionOf(t, '## Kept traces')).toContain('| [traces/no-lost-wakeup/correct-3.itf.json](traces/no-lost-wakeup/correct-3.itf.json) | correct | 7 | holds | 0 | [page](docs/traces/no-lost-wakeup/correct-3.html) |');
  });

  test('in a git clone, only the traces git tracks count', () => {
    const root = join(tmp, 'clone');
    mkdirSync(root);
    execFileSync('git', ['init', '-q', root]);
    writeTrace(root, 'traces/no-lost-wakeup/lostwake-1.itf.json', 'lostwake', 'no-lost-wakeup');
    writeTrace(root, 'traces/no-lost-wakeup/lostwake-2.itf.json', 'lostwake', 'no-lost-wakeup');
    execFileSync('git', ['-C', root, 'add', 'traces/no-lost-wakeup/lostwake-1.itf.json']);
    expect(trackedTraceFiles(root)).toEqual(['traces/no-lost-wakeup/lostwake-1.itf.json']);
  });

  test('a damaged trace stops the generation, naming the file', () => {
    const root = join(tmp, 'damaged');
    mkdirSync(join(root, 'traces/x'), { recursive: true });
    writeFileSync(join(root, 'traces/x/bad-1.itf.json'), '{"#meta": {}');
    expect(() => keptTraces(root, ['traces/x/bad-1.itf.json'])).toThrow(/bad-1\.itf\.json/);
  });
});

describe('the recovery hook', () => {
  test('renders RECOVERY_SEMANTICS from model/recovery/semantics.ts when that module exists', async () => {
    const root = join(tmp, 'recovery');
    mkdirSync(join(root, 'model/recovery'), { recursive: true });
    writeFileSync(join(root, 'model/recovery/semantics.ts'), "export const RECOVERY_SEMANTICS = [{ situation: 'a call is pending', outcome: 'it returns EIO' }];\n");
    const s = await loadSources(root);
    expect(s.recovery).toEqual([{ situation: 'a call is pending', outcome: 'it returns EIO' }]);
    expect(sectionOf(renderSpec(s), '## Recovery semantics')).toContain('| a call is pending | it returns EIO |');
  });

  test('a recovery module without the list is reported, not skipped', async () => {
    const root = join(tmp, 'recovery-bad');
    mkdirSync(join(root, 'model/recovery'), { recursive: true });
    writeFileSync(join(root, 'model/recovery/semantics.ts'), 'export const RECOVERY_RULES = [];\n');
    await expect(loadSources(root)).rejects.toThrow(SpecSourceError);
  });
});

describe('the spec command', () => {
  test('--check passes on a fresh copy and names the section and line of a change', async () => {
    const file = join(tmp, 'SPEC.md');
    expect((await cli('spec', '--out', file)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect((await cli('spec', '--check', '--out', file)).code).toBe(0);

    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('| `at-most-once` |'));
    lines[at] = '| `at-most-once` | edited by hand |';
    writeFileSync(file, lines.join('\n'));
    const r = await cli('spec', '--check', '--out', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`first difference at line ${at + 1}, in section "Properties > Property \`exactly-once\`"`);
    expect(r.err).toContain('in file:   "| `at-most-once` | edited by hand |"');

    writeFileSync(file, text.slice(0, -1));
    expect((await cli('spec', '--check', '--out', file)).code).toBe(1);
  });

  test('--check on a missing file exits 1; bad usage exits 2 and writes nothing', async () => {
    const missing = join(tmp, 'nothing-here.md');
    const r = await cli('spec', '--check', '--out', missing);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot be read (ENOENT)');
    expect((await cli('spec', '--bogus', '--out', missing)).code).toBe(2);
    expect((await cli('spec', 'extra', '--out', missing)).code).toBe(2);
    expect(existsSync(missing)).toBe(false);
  });

  test('firstDifference reports the end of a shorter file', () => {
    expect(firstDifference('a\nb\n', 'a\nb\n')).toBeNull();
    expect(firstDifference('## A\nx\ny\n', '## A\nx\n')).toEqual({ line: 3, section: 'A', expected: 'y', actual: '' });
    expect(firstDifference('a\n', 'a')).toEqual({ line: 2, section: '(top)', expected: '', actual: null });
  });
});

describe('Mermaid and Markdown escaping', () => {
  test('state ids avoid Mermaid keywords and odd characters; labels encode what Mermaid would parse', () => {
    expect(mermaidId('loadFreeTop')).toBe('loadFreeTop');
    expect(mermaidId('end')).toBe('s_end');
    expect(mermaidId('a-b')).toBe('a_b');
    expect(mermaidLabel('Ev [g]: x; #1')).toBe('Ev [g]#58; x#59; #35;1');
    expect(cell('ID|RQUEUE\nnext <b>')).toBe('ID\\|RQUEUE next &lt;b>');
  });

  test('a machine with a state named like a keyword gets a declared id', () => {
    const c = COMPONENTS[3];
    const renamed: Component = { ...c, states: c.states.map((s, i) => (i === 0 ? { ...s, name: 'end' } : s)) };
    const d = mermaidDiagram(renamed);
    expect(d).toContain('state "end" as s_end');
    expect(d).toMatch(/^ {2}s_end --> /m);
  });
});

/** VIRTUOS.md sits beside the clone (shared/); a worktree is one level deeper. */
const virtuosMd = [join(REPO_ROOT, '../shared/VIRTUOS.md'), join(REPO_ROOT, '../../shared/VIRTUOS.md')].find(existsSync);

describe.skipIf(virtuosMd === undefined)('sections of VIRTUOS.md', () => {
  test('every machine and property names a section heading that exists', () => {
    const headings = readFileSync(virtuosMd!, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('## '))
      .map((l) => l.slice(3));
    // A heading may go on after the section's name: "Components (one row, ...)", "The dispatch protocol *(code, ...)*".
    for (const s of [...src.components.map((c) => c.spec.section), ...src.properties.map((p) => p.section)])
      expect(headings.some((h) => h === s || h.startsWith(`${s} `)), `"${s}" is not a section of ${virtuosMd}`).toBe(true);
  });
});
