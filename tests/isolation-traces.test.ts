/**
 * The kept counterexamples of the isolation layer's seeded bugs (traces/<property>/<variant>-<seed>.itf.json,
 * written by `virtuos verify --variant V --seed 1`): every one replays to its recorded verdict, names a
 * property its variant is documented to break, and every isolation variant has at least one.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ISOLATION_BUGS } from '../model/kit/config.ts';
import { variantByName } from '../model/variants.ts';
import { loadTrace, replay } from '../scripts/traces/trace.ts';

const DIR = 'traces';
const files: string[] = [];
for (const prop of readdirSync(DIR, { withFileTypes: true }))
  if (prop.isDirectory()) for (const f of readdirSync(join(DIR, prop.name))) if (ISOLATION_BUGS.some((b) => f.startsWith(`${b}-`))) files.push(join(DIR, prop.name, f));

describe('kept traces of the isolation variants', () => {
  test('every isolation variant has a kept trace', () => {
    for (const bug of ISOLATION_BUGS) expect(files.some((f) => f.includes(`/${bug}-`)), bug).toBe(true);
  });

  test.each(files)('%s replays to its recorded verdict', (file) => {
    const t = loadTrace(file);
    expect(t.meta.verdict.status).toBe('violated');
    expect(variantByName(t.meta.variant)!.breaks).toContain(t.meta.verdict.property);
    const r = replay(t);
    expect(r.divergence).toBeNull();
    expect(r.outcome).toBe('reproduced');
    expect(r.verdict?.clause).toBe(t.meta.verdict.clause);
  });
});
