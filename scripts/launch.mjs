// How the `virtuos` binary and its worker threads load the TypeScript sources: from one bundle of
// them, built by esbuild on first use and kept in node_modules/.cache/virtuos/, or through tsx's
// loader when no bundle can be had.
//
// tsx resolves and transforms every module through loader hooks that run in a thread of their own:
// about 0.3 s for the CLI's ~150 modules, and 0.6 s of CPU for every worker thread, paid by every
// command (a replay, a counterexample search, each CLI call of the test suite). Node loads one
// bundle in a few hundredths of a second. The bundle is named by a hash of every source file's
// path, size and modification time (and tsconfig.json's, package-lock.json's and esbuild's
// version), so an edited source gets a new bundle on the next start, as tsx would have compiled it;
// building takes about 0.4 s. Packages stay outside the bundle, imported by the paths Node resolves
// them to from this checkout (so a bundle runs from any folder, and a new install gets a new
// bundle), and each module's `import.meta.url` is its own source file's URL, so paths relative to a
// source still resolve.
// VIRTUOS_NO_BUNDLE=1 forces the tsx path (the same program, slower to start); VIRTUOS_BUNDLE_DIR
// puts the bundles in another folder (the tests use one of their own); VIRTUOS_REQUIRE_BUNDLE=1 makes
// a bundle that cannot be built or loaded an error instead of a quiet fallback to tsx (the tests
// that measure or compare the bundled program use it).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The folders whose TypeScript the bundles take in. */
const SOURCES = ['model', 'properties', 'scripts'];
/** VIRTUOS_REQUIRE_BUNDLE=1: no quiet fallback to tsx (see above). */
const REQUIRED = process.env.VIRTUOS_REQUIRE_BUNDLE === '1';
/** Bump when the way bundles are built changes, so that older ones are not used. */
const FORMAT = 2;

function sourceFiles(dir, out) {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) sourceFiles(p, out);
    else if (d.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/**
 * The bundle's name for `entry` (a path from `root`): the entry's name and a hash of what the bundle
 * is built from (every .ts file's path, size and modification time under the source folders,
 * tsconfig.json's, which esbuild reads too, and package-lock.json's: the bundle imports packages by
 * the paths of the installed files, which another install may move).
 */
export function bundleKey(root, entry, esbuildVersion) {
  const h = createHash('sha256');
  h.update(`${FORMAT}\0${esbuildVersion}\0${root}\0${entry}\0`);
  const configs = ['tsconfig.json', 'package-lock.json'].map((f) => join(root, f)).filter((f) => existsSync(f));
  const files = [...configs, ...SOURCES.flatMap((d) => (existsSync(join(root, d)) ? sourceFiles(join(root, d), []) : [])).sort()];
  for (const f of files) {
    const st = statSync(f);
    h.update(`${f}\0${st.size}\0${st.mtimeMs}\0`);
  }
  return `${basename(entry, '.ts')}-${h.digest('hex').slice(0, 16)}`;
}

/** esbuild plugin: give every source module its own file's URL as import.meta.url. */
const ownMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
      const text = readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
      return { contents: text, loader: 'ts', resolveDir: dirname(args.path) };
    });
  },
};

/**
 * esbuild plugin: a package is imported by the path Node resolves it to from this checkout, not by
 * its name. By name, Node would look for it in node_modules folders above the bundle, and a bundle
 * kept outside the checkout (VIRTUOS_BUNDLE_DIR) would not find it.
 */
const packagesByPath = {
  name: 'packages-by-path',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      try {
        return { path: fileURLToPath(import.meta.resolve(args.path)), external: true };
      } catch {
        // not installed (an optional package): left to fail, by name, where it is imported
        return { path: args.path, external: true };
      }
    });
  },
};

/** The bundle of `entry`, built now if it is not in the cache; null if it cannot be had. */
async function bundleOf(entry) {
  if (process.env.VIRTUOS_NO_BUNDLE === '1') return null;
  let version;
  try {
    // read, not imported: loading esbuild's API is only worth it when a bundle has to be built
    version = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
  const dir = process.env.VIRTUOS_BUNDLE_DIR || join(ROOT, 'node_modules', '.cache', 'virtuos');
  const name = bundleKey(ROOT, entry, version);
  const file = join(dir, `${name}.mjs`);
  if (existsSync(file)) return file;
  try {
    const esbuild = await import('esbuild');
    const r = await esbuild.build({
      entryPoints: [join(ROOT, entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      plugins: [packagesByPath, ownMetaUrl],
    });
    mkdirSync(dir, { recursive: true });
    // written whole under a name of its own, then renamed: a process starting meanwhile sees no half file
    const tmp = join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    writeFileSync(tmp, r.outputFiles[0].contents);
    renameSync(tmp, file);
    // bundles of older sources of this entry are of no further use
    const stem = `${basename(entry, '.ts')}-`;
    for (const f of readdirSync(dir)) if (f.startsWith(stem) && f.endsWith('.mjs') && f !== `${name}.mjs`) rmSync(join(dir, f), { force: true });
    return file;
  } catch (e) {
    if (REQUIRED) throw e;
    return null;
  }
}

/** Load the module `entry` (a .ts path from the repository's root) from its bundle, or through tsx. */
export async function load(entry) {
  const file = await bundleOf(entry);
  if (REQUIRED && !file) throw new Error(`virtuos: no bundle of ${entry} (VIRTUOS_REQUIRE_BUNDLE=1)`);
  if (file) {
    try {
      return await import(pathToFileURL(file).href);
    } catch (e) {
      // removed by a process that built a newer one between our check and our import: use tsx
      if (REQUIRED || !(e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(basename(file)))) throw e;
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(ROOT, entry)).href);
}
