/** `virtuos spec`: write SPEC.md from the code, or check that the committed one is current. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from '../args.ts';
import { writeFileAtomic } from '../../traces/itf.ts';
import { firstDifference, loadSources, missingDescriptions, renderSpec, REPO_ROOT, SpecSourceError, type SpecSources } from '../../spec/spec.ts';

export const help = `usage: virtuos spec [--check] [--out FILE]

Generates SPEC.md from the model: every machine (description, Mermaid state diagram, events table),
every property (statement, clauses, kind, the seeded bugs that break it with their kept traces),
every variant, the configuration bounds, the recovery semantics, the cost parameters and what the
model leaves out. The output depends only on the code and on the traces git tracks under traces/
(a trace becomes part of the spec once it is added to git), so the same code gives the same bytes.

  --check      do not write; exit 1 if FILE differs from what would be generated, naming the
               section and the first differing line
  --out FILE   the file to write or check (default SPEC.md at the top of the clone; links inside
               are relative to the top of the clone)

Exit status: 0 written or up to date; 1 stale (with --check), or a description is missing or a source
(model/recovery/semantics.ts) is malformed, and nothing is written; 2 bad usage or a damaged kept trace.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { check: { type: 'boolean' }, out: { type: 'string' } }, { min: 0, max: 0, names: '' });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const file = values.out !== undefined ? resolve(values.out) : join(REPO_ROOT, 'SPEC.md');
  const shown = values.out ?? 'SPEC.md';
  let src: SpecSources;
  try {
    src = await loadSources();
  } catch (e) {
    if (!(e instanceof SpecSourceError)) throw e;
    console.error(`virtuos spec: ${e.message}`);
    return 1;
  }
  const missing = missingDescriptions(src);
  if (missing.length) {
    console.error(`virtuos spec: ${missing.length} description(s) missing; every machine, state, event, guard, property, clause, variant and cost parameter needs one:`);
    for (const m of missing) console.error(`  ${m}`);
    return 1;
  }
  const text = renderSpec(src);
  if (values.check) {
    let current: string;
    try {
      current = readFileSync(file, 'utf8');
    } catch (e) {
      console.error(`virtuos spec: ${shown} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); generate it with 'npm run spec'`);
      return 1;
    }
    const d = firstDifference(text, current);
    if (d === null) {
      console.log(`${shown} is up to date`);
      return 0;
    }
    const show = (l: string | null) => (l === null ? '(end of file)' : JSON.stringify(l));
    console.error(`virtuos spec: ${shown} is stale: first difference at line ${d.line}, in section "${d.section}"`);
    console.error(`  generated: ${show(d.expected)}`);
    console.error(`  in file:   ${show(d.actual)}`);
    console.error("regenerate it with 'npm run spec' and commit it");
    return 1;
  }
  writeFileAtomic(file, text);
  console.log(
    `wrote ${shown}: ${text.split('\n').length - 1} lines; ${src.components.length} machines, ${src.properties.length} properties, ${src.variants.length} variants, ${src.traces.length} kept traces`,
  );
  return 0;
}
