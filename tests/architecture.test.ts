/**
 * The house plan (docs/architecture.md), checked: no import cycles; the model imports nothing from
 * the properties or the scripts; the properties import only the model (and themselves); only the CLI
 * prints; the model and the scripts are folders by part.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { cycles, importGraph, type Graph } from './lib/imports.ts';

const ROOT = join(import.meta.dirname, '..');
const graph = importGraph(ROOT, ['model', 'properties', 'scripts']);

const edges = (g: Graph) => [...g].flatMap(([from, tos]) => tos.map((to) => ({ from, to })));

test('the import graph is read (a sanity check of the reader the other tests rely on)', () => {
  expect(graph.size).toBeGreaterThan(100);
  expect(graph.get('model/kit/components.ts')).toContain('model/dispatch/index.ts');
  // a literal import() counts too
  expect(edges(graph).some((e) => e.from.startsWith('scripts/') && e.to.startsWith('scripts/'))).toBe(true);
});

test('no import cycles under model/, properties/ and scripts/', () => {
  expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
});

test('the cycle finder finds a cycle when there is one', () => {
  const g: Graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['d.ts']],
    ['e.ts', ['a.ts']],
  ]);
  expect(cycles(g).map((c) => [...c].sort())).toEqual(expect.arrayContaining([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]));
  expect(cycles(g)).toHaveLength(2);
});

test('model/ imports nothing from properties/ or scripts/', () => {
  expect(edges(graph).filter((e) => e.from.startsWith('model/') && !e.to.startsWith('model/'))).toEqual([]);
});

test('properties/ imports only model/ and properties/', () => {
  expect(edges(graph).filter((e) => e.from.startsWith('properties/') && !e.to.startsWith('model/') && !e.to.startsWith('properties/'))).toEqual([]);
});

test('only the CLI (scripts/cli/) prints', () => {
  const prints = /\bconsole\.(log|error|warn|info|debug|table)\b|process\.(stdout|stderr)\.write/;
  const offenders = [...graph.keys()].filter((f) => !f.startsWith('scripts/cli/') && prints.test(readFileSync(join(ROOT, f), 'utf8')));
  expect(offenders).toEqual([]);
});

test('model/ is folders by layer with a handful of files; each layer folder opens with an index.ts; scripts/lib is gone', () => {
  const entries = readdirSync(join(ROOT, 'model'));
  const dirs = entries.filter((e) => statSync(join(ROOT, 'model', e)).isDirectory()).sort();
  expect(dirs).toEqual(['dispatch', 'isolation', 'kit', 'posix', 'recovery', 'system']);
  expect(entries.length - dirs.length).toBeLessThanOrEqual(3);
  for (const d of dirs.filter((x) => x !== 'kit')) {
    const text = readFileSync(join(ROOT, 'model', d, 'index.ts'), 'utf8');
    expect(text, `model/${d}/index.ts says which VIRTUOS.md section it models`).toMatch(/VIRTUOS\.md/);
  }
  expect(existsSync(join(ROOT, 'scripts', 'lib'))).toBe(false);
  for (const part of ['cli', 'verifier', 'traces', 'spec', 'perf', 'view']) expect(statSync(join(ROOT, 'scripts', part)).isDirectory()).toBe(true);
});
