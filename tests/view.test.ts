import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { flatten } from '../model/kit/view.ts';
import { tracePage } from '../scripts/spec/spec.ts';
import { loadTrace, replay } from '../scripts/traces/trace.ts';
import { drawObjects } from '../scripts/view/objects.ts';
import { tell } from '../scripts/view/story.ts';
import { makeSystem } from '../model/kit/system.ts';
import { cli } from './lib/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'virtuos-view-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One kept trace of every layer. */
const LAYERS = {
  dispatch: 'traces/no-lost-wakeup/lostwake-1.itf.json',
  isolation: 'traces/memory-isolation/wake-writable-1.itf.json',
  recovery: 'traces/restoration/stale-completion-1.itf.json',
  posix: 'traces/poll-correctness/lost-kick-1.itf.json',
};

/** A kept trace with one edit to its JSON, written under tmp. */
function edited(name: string, from: string, edit: (t: { '#meta': { steps: { event: string; actor: string }[] } }) => void): string {
  const t = JSON.parse(readFileSync(from, 'utf8'));
  edit(t);
  const file = join(tmp, name);
  writeFileSync(file, JSON.stringify(t));
  return file;
}

describe('the story a page tells is the execution replay judges', () => {
  test.each(Object.entries(LAYERS))('%s: every step, every actor, the verdict with its statement', (_layer, file) => {
    const t = loadTrace(file);
    const story = tell(t);
    const r = replay(loadTrace(file));
    expect(story.replay.outcome).toBe('reproduced');
    expect(story.steps.map((s) => s.n)).toEqual(Array.from({ length: t.meta.steps.length + 1 }, (_, i) => i));
    expect(story.steps.slice(1).map((s) => s.label)).toEqual(t.meta.steps.map((s) => s.label));
    expect(story.steps.map((s) => s.decoded)).toEqual(t.itf.states);
    // what the page lists under a step is what replay prints under it
    const printed = r.lines.filter((l) => l.startsWith('        ')).map((l) => l.trim());
    expect(story.steps.flatMap((s) => s.changes)).toEqual(printed);
    expect(story.verdict).toMatchObject({ property: t.meta.verdict.property, clause: t.meta.verdict.clause, step: t.meta.verdict.step });
    expect(story.verdict!.statement.length).toBeGreaterThan(20);
    expect(story.verdict!.clauseText.length).toBeGreaterThan(10);
    for (const m of story.messages) {
      expect(m.from).toBeLessThan(m.to);
      expect(story.steps[m.from].lane).not.toBe(story.steps[m.to].lane);
    }
  });

  test.each(Object.entries(LAYERS))('%s: every highlighted word of the drawn objects is a path replay names', (_layer, file) => {
    const story = tell(loadTrace(file));
    for (const s of [story.steps[0], story.steps.at(-1)!]) {
      const keys = new Set(flatten(s.decoded).keys());
      const paths = drawObjects(s.decoded).flatMap((d) => [...d.html.matchAll(/data-path="([^"]*)"/g)].map((m) => m[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')));
      expect(paths.length).toBeGreaterThan(5);
      for (const p of paths) expect(keys, p).toContain(p);
    }
  });

  test('the dispatch objects: entries with their call-id bits, the stacks walked from their tops, the wake word', () => {
    const story = tell(loadTrace(LAYERS.dispatch));
    const html = drawObjects(story.steps.at(-1)!.decoded).map((d) => d.html).join('');
    expect(html).toContain('>DONE</span>');
    expect(html).toMatch(/free_top <span class="w" data-path="processes\[0\].free_top">\{nil, 2\}<\/span><\/div><div class="box empty">empty/);
    expect(html).toContain('data-path="service_domain.wake.WAKE_REQUESTED"');
    const step8 = drawObjects(story.steps[8].decoded).map((d) => d.html).join('');
    expect(step8).toMatch(/alloc_top <span class="w" data-path="processes\[0\].alloc_top">\{0, 1\}<\/span><\/div><div class="box">entry 0/);
    expect(story.steps[9].label).toBe('W1 loads alloc_top = {0, 1}');
    expect(story.messages).toContainEqual({ from: 8, to: 9, words: ['alloc_top'] });
  });
});

describe('virtuos view', () => {
  test('writes one self-contained page: every step, every lane, the violation marked; the same bytes twice', async () => {
    const out = join(tmp, 'v.html');
    const r = await cli('view', LAYERS.dispatch, '--out', out);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(`wrote ${out}: 32 steps, 9 lanes, 15 messages; no-lost-wakeup violated (completed-call-in-flight) at step 32`);
    const html = readFileSync(out, 'utf8');
    expect(html.match(/<g class="row[^"]*" data-step="\d+"/g)).toHaveLength(33);
    expect([...html.matchAll(/<g class="lane-head[^"]*" data-lane="([^"]+)"/g)].map((m) => m[1])).toEqual(['T1', 'T2', 'T3', 'K1', 'K2', 'W1', 'W2', 'F', 'B']);
    expect(html).toMatch(/<g class="row violation" data-step="32"/);
    expect(html).toContain('The clause <code>completed-call-in-flight</code>:');
    // nothing is fetched: no external script, style, image or font, and a policy that forbids it
    expect(html).not.toMatch(/<(script|img|link|iframe)[^>]+(src|href)=/);
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).toContain(`content="default-src 'none'`);
    expect(html).toContain(`href="${relative(tmp, resolve(LAYERS.dispatch))}"`);
    await cli('view', LAYERS.dispatch, '--out', join(tmp, 'v2.html'));
    expect(readFileSync(join(tmp, 'v2.html'), 'utf8').replace(/href="[^"]*itf\.json"/g, '')).toBe(html.replace(/href="[^"]*itf\.json"/g, ''));
  });

  test('without --out a kept trace goes under docs/traces, where SPEC.md links it', () => {
    expect(tracePage('traces/no-lost-wakeup/lostwake-1.itf.json')).toBe('docs/traces/no-lost-wakeup/lostwake-1.html');
    expect(readFileSync('SPEC.md', 'utf8')).toContain('[page](docs/traces/no-lost-wakeup/lostwake-1.html)');
  });

  test('a malformed trace: exit 2, one line naming the file and the field, nothing written', async () => {
    const bad = edited('bad.itf.json', LAYERS.dispatch, (t) => void ((t['#meta'].steps[3] as unknown as { actor: number }).actor = 5));
    const out = join(tmp, 'bad.html');
    const r = await cli('view', bad, '--out', out);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toBe(`virtuos view: ${bad}: #meta.steps[3].actor: must be a string`);
    expect(existsSync(out)).toBe(false);
    const syntax = join(tmp, 'syntax.itf.json');
    writeFileSync(syntax, '{\n  "#meta": {,\n}');
    expect((await cli('view', syntax, '--out', out)).err).toBe(`virtuos view: ${syntax}:2:13: expected a string key but found ','`);
    expect((await cli('view', join(tmp, 'missing.itf.json'))).err).toMatch(/missing\.itf\.json: cannot read: ENOENT$/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a trace that does not replay: exit 1 as for replay, the page shows where it diverges', async () => {
    const bad = edited('diverges.itf.json', LAYERS.dispatch, (t) => void (t['#meta'].steps[9].event = 'WorkerSpawnsWorker'));
    const out = join(tmp, 'diverges.html');
    const r = await cli('view', bad, '--out', out);
    const rep = replay(loadTrace(bad));
    expect(rep.outcome).toBe('diverged');
    expect(r.code).toBe(1);
    expect(r.out).toBe(`wrote ${out}: 9 steps, 9 lanes, 1 message; replay DIVERGES at step 10: ${rep.divergence}`);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/<g class="row diverged" data-step="10"/);
    expect(html).toContain('Replay diverges at step 10</b>: W1 WorkerSpawnsWorker is not enabled');
    expect(html).not.toMatch(/class="row violation"/);
    const initial = join(tmp, 'initial.itf.json');
    writeFileSync(initial, readFileSync(LAYERS.dispatch, 'utf8').replace('"waiters": { "#bigint": "0" }', '"waiters": { "#bigint": "7" }'));
    const r0 = await cli('view', initial, '--out', join(tmp, 'initial.html'));
    expect(r0.code).toBe(1);
    expect(r0.out).toMatch(/0 steps, 9 lanes, 0 messages; replay DIVERGES at step 0: the initial state differs from the recorded one \(processes\[0\]\.ready_queue\.waiters: 7 -> 0\)$/);
  });

  test('usage: --help, a missing TRACE, --all with a TRACE, an unwritable --out', async () => {
    const help = await cli('view', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: virtuos view TRACE \[--out FILE\.html\]/);
    expect(await cli('view')).toMatchObject({ code: 2, err: "virtuos view: missing the trace FILE (see 'virtuos view --help')" });
    expect((await cli('view', '--all', LAYERS.dispatch)).err).toMatch(/--all takes no TRACE and no --out/);
    const blocked = join(tmp, 'v.html', 'x.html');
    const r = await cli('view', LAYERS.dispatch, '--out', blocked);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^virtuos view: --out ${blocked}: cannot write \\((EEXIST|ENOTDIR)\\)`));
  });
});

describe('a composed-system trace', () => {
  test('draws a lane for every actor that moves or changes state, and names the rest', () => {
    const t = loadTrace('traces/crash-containment/crash-fails-all-domains-1.itf.json');
    const story = tell(t);
    const actors = makeSystem(t.meta.config).actors.map((a) => a.name);
    expect(actors.length).toBeGreaterThan(16);
    // every actor is either drawn or named as not drawn, in the system's order
    expect([...story.lanes.map((l) => l.name), ...story.hidden].sort()).toEqual([...actors].sort());
    expect(story.lanes.length).toBeLessThan(actors.length);
    expect(story.lanes.map((l) => l.name)).toEqual(actors.filter((a) => !story.hidden.includes(a)));
    // every step's actor has its lane
    for (const s of story.steps.slice(1)) expect(s.lane).toBeGreaterThanOrEqual(0);
    for (const name of t.meta.steps.map((s) => s.actor)) expect(story.hidden).not.toContain(name);
    // a small system keeps every lane, idle or not
    expect(tell(loadTrace('traces/no-lost-wakeup/lostwake-1.itf.json')).hidden).toEqual([]);
  });
});
