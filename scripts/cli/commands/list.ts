/** `virtuos list`: the properties, seeded-bug variants and scenarios the verifier knows. */
import { VARIANTS } from '../../../model/variants.ts';
import { PROPERTIES } from '../../../properties/index.ts';
import { parse } from '../args.ts';
import { SCENARIOS } from '../../verifier/scenarios.ts';

export const help = `usage: virtuos list [--json]

Lists the properties (name, group, kind, statement), the seeded-bug variants (and which properties
each breaks) and the named scenarios.

  --json   one JSON object {properties, variants, scenarios}`;

export function listing() {
  return {
    properties: PROPERTIES.map((p) => ({ name: p.name, group: p.group, kind: p.kind, description: p.description, clauses: Object.keys(p.clauses) })),
    variants: VARIANTS.map((v) => ({ name: v.name, description: v.description, breaks: v.breaks })),
    scenarios: SCENARIOS.map((s) => ({ name: s.name, description: s.description })),
  };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const l = listing();
  if (values.json) {
    console.log(JSON.stringify(l));
    return 0;
  }
  const w = Math.max(...l.properties.map((p) => p.name.length), ...l.variants.map((v) => v.name.length));
  console.log('properties:');
  for (const p of l.properties) console.log(`  ${p.name.padEnd(w)}  ${p.group}/${p.kind.padEnd(8)}  ${p.description}`);
  console.log('variants (seeded bugs):');
  for (const v of l.variants) console.log(`  ${v.name.padEnd(w)}  breaks ${v.breaks.join(', ')}: ${v.description}`);
  console.log('scenarios:');
  if (l.scenarios.length === 0) console.log('  (none yet)');
  for (const s of l.scenarios) console.log(`  ${s.name.padEnd(w)}  ${s.description}`);
  return 0;
}
