/**
 * The project's import graph, read with the TypeScript compiler's own pre-processor (static imports,
 * `export ... from`, and `import()` of a literal path), for the architecture tests: every relative
 * import of a .ts file under the given folders, resolved to a path relative to the repository root.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

export type Graph = Map<string, string[]>;

function files(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...files(root, rel));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Every .ts file under `dirs` and the project files it imports. */
export function importGraph(root: string, dirs: readonly string[]): Graph {
  const g: Graph = new Map();
  for (const file of dirs.flatMap((d) => files(root, d))) {
    const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    const deps = info.importedFiles
      .map((f) => f.fileName)
      .filter((f) => f.startsWith('.'))
      .map((f) => normalize(join(dirname(file), f)))
      .filter((f) => f.endsWith('.ts'));
    g.set(file, [...new Set(deps)].map((d) => relative('.', d)));
  }
  return g;
}

/** The strongly connected components with more than one file, or a file importing itself: the import cycles. */
export function cycles(g: Graph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}
