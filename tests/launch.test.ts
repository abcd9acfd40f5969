/**
 * The CLI's loader (scripts/launch.mjs): a cached bundle of the sources, named by what it is built
 * from, that runs the same program as tsx does.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain ES module without type declarations
import { bundleKey } from '../scripts/launch.mjs';

const ROOT = join(__dirname, '..');

function virtuos(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'virtuos.mjs'), ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the bundle loader', () => {
  it('names a bundle by every source file, tsconfig.json and package-lock.json: an edit, a new file, a new install or a new esbuild gives a new name', () => {
    const root = mkdtempSync(join(tmpdir(), 'launch-'));
    try {
      mkdirSync(join(root, 'model'));
      mkdirSync(join(root, 'scripts', 'cli'), { recursive: true });
      writeFileSync(join(root, 'model', 'a.ts'), 'export const a = 1;\n');
      writeFileSync(join(root, 'scripts', 'cli', 'main.ts'), 'export const main = 1;\n');
      writeFileSync(join(root, 'model', 'notes.md'), 'not a source\n');
      const k0 = bundleKey(root, 'scripts/cli/main.ts', '0.28.2');
      expect(k0).toMatch(/^main-[0-9a-f]{16}$/);
      expect(bundleKey(root, 'scripts/cli/main.ts', '0.28.2')).toBe(k0);
      expect(bundleKey(root, 'scripts/cli/main.ts', '0.28.3')).not.toBe(k0);
      // a file that is not TypeScript does not matter
      writeFileSync(join(root, 'model', 'notes.md'), 'still not a source, longer\n');
      expect(bundleKey(root, 'scripts/cli/main.ts', '0.28.2')).toBe(k0);
      // the same size, another modification time
      const t = statSync(join(root, 'model', 'a.ts')).mtime;
      writeFileSync(join(root, 'model', 'a.ts'), 'export const a = 2;\n');
      utimesSync(join(root, 'model', 'a.ts'), t, new Date(t.getTime() + 5000));
      const k1 = bundleKey(root, 'scripts/cli/main.ts', '0.28.2');
      expect(k1).not.toBe(k0);
      writeFileSync(join(root, 'model', 'b.ts'), 'export const b = 1;\n');
      const k2 = bundleKey(root, 'scripts/cli/main.ts', '0.28.2');
      expect(k2).not.toBe(k1);
      // esbuild reads tsconfig.json as well
      writeFileSync(join(root, 'tsconfig.json'), '{}\n');
      const k3 = bundleKey(root, 'scripts/cli/main.ts', '0.28.2');
      expect(k3).not.toBe(k2);
      // and the bundle imports the installed packages' files by path: another install, another bundle
      writeFileSync(join(root, 'package-lock.json'), '{}\n');
      expect(bundleKey(root, 'scripts/cli/main.ts', '0.28.2')).not.toBe(k3);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('builds the bundle once, reuses it, and runs the same program as tsx', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundles-'));
    try {
      const args = ['verify', '--exhaustive', '--anchor', '1x1', '--variant', 'lostwake', '--stop-at-first', '--out', join(dir, 'out')];
      // VIRTUOS_REQUIRE_BUNDLE: the bundle itself runs (a bundle that cannot load is an error, not tsx);
      // it is kept outside the checkout, so its packages must be imported by their resolved paths
      const bundled = { VIRTUOS_BUNDLE_DIR: dir, VIRTUOS_REQUIRE_BUNDLE: '1' };
      const first = virtuos(args, bundled);
      expect(first.code).toBe(1);
      const built = readdirSync(dir).filter((f) => f.endsWith('.mjs'));
      expect(built).toHaveLength(1);
      expect(built[0]).toMatch(/^main-[0-9a-f]{16}\.mjs$/);
      const mtime = statSync(join(dir, built[0])).mtimeMs;
      const again = virtuos(args, bundled);
      expect(statSync(join(dir, built[0])).mtimeMs).toBe(mtime);
      expect(readdirSync(dir).filter((f) => f.endsWith('.mjs') || f.endsWith('.tmp'))).toEqual(built);
      const viaTsx = virtuos(args, { VIRTUOS_NO_BUNDLE: '1' });
      // the same verdicts, states and trace; only timings and memory differ
      const stable = (s: string) => s.replace(/[\d.]+ ?(s|ms|MB)\b/g, '#').replace(/[\d.]+k? (states|steps)\/s/g, '#');
      expect(viaTsx.code).toBe(1);
      expect(stable(again.out)).toBe(stable(viaTsx.out));
      expect(again.out).toMatch(/no-lost-wakeup/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
