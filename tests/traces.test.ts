import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { TraceFormatError } from '../scripts/traces/itf.ts';
import { loadTrace, replay } from '../scripts/traces/trace.ts';

const kept = readdirSync('traces', { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.itf.json'))
  .sort()
  .map((f) => join('traces', f));

const tmp = mkdtempSync(join(tmpdir(), 'virtuos-traces-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('every kept trace replays to its recorded verdict', () => {
  test('there is one kept trace per dispatch variant at least', () => {
    expect(kept.length).toBeGreaterThanOrEqual(5);
  });
  test.each(kept)('%s', (file) => {
    const t = loadTrace(file);
    const r = replay(t);
    expect(r.outcome).toBe('reproduced');
    expect(r.verdict?.property ?? null).toBe(t.meta.verdict.property);
    expect(r.verdict?.clause ?? null).toBe(t.meta.verdict.clause);
    // a counterexample sits under the property it violates (a scenario's run, which holds, under scenarios/)
    if (t.meta.verdict.status === 'violated') expect(file.split('/')[1]).toBe(t.meta.verdict.property);
  });
  test('replay output is the same on every run', () => {
    const t = loadTrace(kept[0]);
    expect(replay(t).lines).toEqual(replay(loadTrace(kept[0])).lines);
  });
});

describe('malformed and diverging traces', () => {
  const base = kept.find((f) => f.includes('free-early'))!;
  const text = readFileSync(base, 'utf8');
  const write = (name: string, body: string) => {
    const f = join(tmp, name);
    writeFileSync(f, body);
    return f;
  };
  const formatError = (file: string): string => {
    try {
      loadTrace(file);
    } catch (e) {
      expect(e).toBeInstanceOf(TraceFormatError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  test('truncated JSON names the line and column', () => {
    const f = write('cut.itf.json', text.slice(0, 500));
    expect(formatError(f)).toMatch(/cut\.itf\.json:\d+:\d+/);
  });
  test('a missing file is named', () => {
    expect(formatError(join(tmp, 'nope.itf.json'))).toMatch(/nope\.itf\.json: cannot read/);
  });
  test('an out-of-range config field is named with its path', () => {
    const j = JSON.parse(text);
    j['#meta'].config.threads = 99;
    expect(formatError(write('cfg.itf.json', JSON.stringify(j)))).toMatch(/#meta\.config\.threads: 99 is out of range/);
  });
  test('a malformed step is named with its index', () => {
    const j = JSON.parse(text);
    j['#meta'].steps[3].phase = 'later';
    expect(formatError(write('step.itf.json', JSON.stringify(j)))).toMatch(/#meta\.steps\[3\]\.phase/);
  });
  test('states and steps must agree in number', () => {
    const j = JSON.parse(text);
    j.states.pop();
    expect(formatError(write('count.itf.json', JSON.stringify(j)))).toMatch(/states: has \d+ states but #meta\.steps has/);
  });
  test('a step that is not enabled makes replay diverge at that step', () => {
    const j = JSON.parse(text);
    j['#meta'].steps[2].actor = 'W2';
    const r = replay(loadTrace(write('div.itf.json', JSON.stringify(j))));
    expect(r.outcome).toBe('diverged');
    expect(r.divergence).toMatch(/W2 .* is not enabled/);
    expect(r.steps).toBe(3);
  });
  test('a recorded state that differs makes replay diverge and names the field', () => {
    const j = JSON.parse(text);
    j.states[4].processes[0].free_top.stamp = { '#bigint': '77' };
    const r = replay(loadTrace(write('state.itf.json', JSON.stringify(j))));
    expect(r.outcome).toBe('diverged');
    expect(r.divergence).toMatch(/processes\[0\]\.free_top/);
    expect(r.steps).toBe(4);
  });
  test('a different recorded verdict makes replay diverge', () => {
    const j = JSON.parse(text);
    j['#meta'].verdict.clause = 'own-result-x';
    const r = replay(loadTrace(write('verdict.itf.json', JSON.stringify(j))));
    expect(r.outcome).toBe('diverged');
    expect(r.divergence).toMatch(/verdict differs/);
  });
});
