/**
 * More than one core and more than one machine: worker threads give the same result as one thread
 * (random and exhaustive mode, down to the bytes of the traces), shards merged by `virtuos merge` give
 * the verdict of a single run, and the command line refuses what it cannot do soundly (exit 2, one
 * line naming the problem).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { anchorConfig } from '../model/kit/config.ts';
import { propertiesFor, propertyByName } from '../properties/index.ts';
import { main } from '../scripts/cli/main.ts';
import { printExhaustive } from '../scripts/cli/commands/verify.ts';
import { exhaustive, withResults, type ExhaustiveOptions, type ExhaustiveSummary } from '../scripts/verifier/exhaustive/exhaustive.ts';
import { chunkRunner, partitionRunner, sharedRunner, spareWorkers } from '../scripts/verifier/workers/pool.ts';
import { grownCap, growInPlace, lostViolations, sharable, sharedExhaustive, TABLE_MIN_SLOTS } from '../scripts/verifier/exhaustive/shared.ts';
import { spawnSync } from 'node:child_process';
import { partitionable, partitionedExhaustive, partitionMemory, PartitionWorker, type LevelReport } from '../scripts/verifier/exhaustive/partitioned.ts';
import { loadTrace, replay } from '../scripts/traces/trace.ts';
import type { Config } from '../model/kit/config.ts';
import { SymmetryError } from '../scripts/verifier/exhaustive/symmetry.ts';

const dir = mkdtempSync(join(tmpdir(), 'virtuos-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the CLI in this process; its stdout lines and exit status. */
async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/**
 * The anchor sizes up to 2x2 the searches on worker threads are held to one thread's result on. 2x2
 * with 2 workers is 5.9M states (`npm run bench` compares it): here 2x2 with 1 worker and symmetry,
 * 39,879 states.
 */
const ANCHOR_SIZES: [Config, Partial<ExhaustiveOptions>][] = [
  [anchorConfig(1, 1), {}],
  [anchorConfig(1, 2), {}],
  [anchorConfig(2, 1), {}],
  [anchorConfig(2, 2, 2, 1), { symmetry: ['threads', 'kernels', 'workers', 'entries'] }],
];

/** The correct model and each seeded dispatch bug (but woken-unchecked) in a configuration that shows it. */
const SHOWING: [string, Config][] = [
  ['correct', anchorConfig(2, 1, 2, 1, 1, null)],
  ['nostamp', anchorConfig(1, 2, 2, 2, 1, 'nostamp')],
  ['lostwake', anchorConfig(2, 1, 2, 1, 1, 'lostwake')],
  ['waiters-early', anchorConfig(2, 1, 2, 1, 1, 'waiters-early')],
  ['free-early', anchorConfig(2, 1, 2, 1, 1, 'free-early')],
];

/** What a search found, with its depth, terminal states and completeness. */
const pick = (s: ExhaustiveSummary) => [s.states, s.transitions, s.depth, s.terminalStates, s.complete, s.results.map((r) => [r.property, r.status, r.clause, r.traceSteps])];

/** What a search found: counts and each property's verdict and counterexample length. */
const verdicts = (s: ExhaustiveSummary) => [s.states, s.transitions, s.results.map((r) => [r.property, r.status, r.clause, r.traceSteps])];

/**
 * One thread's result for these options (their output folder aside), computed once for the whole
 * file: several tests hold different searches to the same one-thread search.
 */
const oneThreadRuns = new Map<string, Promise<ExhaustiveSummary>>();
function oneThread(opts: ExhaustiveOptions): Promise<ExhaustiveSummary> {
  const key = JSON.stringify({ ...opts, props: opts.props.map((p) => p.name), outDir: null });
  if (!oneThreadRuns.has(key)) oneThreadRuns.set(key, exhaustive(opts));
  return oneThreadRuns.get(key)!;
}

/** A search on two worker threads of the correct model at each size: one thread's result, PROVED (outputs under `tag`). */
async function provesAsOneThread(search: (opts: ExhaustiveOptions, n: number) => Promise<ExhaustiveSummary>, sizes: [Config, Partial<ExhaustiveOptions>][], tag: string): Promise<void> {
  for (const [cfg, extra] of sizes) {
    const one = await oneThread(searchOptions(cfg, 'correct', `${tag}1`, extra));
    const two = await search(searchOptions(cfg, 'correct', `${tag}2`, extra), 2);
    expect(pick(two)).toEqual(pick(one));
    expect(two.statement).toMatch(/^PROVED: /);
  }
}

/** A search on worker threads under a depth bound, a state limit and a memory limit, against one thread's (outputs under `tag`). */
async function limitsHold(search: (opts: ExhaustiveOptions, n: number) => Promise<ExhaustiveSummary>, tag: string): Promise<void> {
  const cfg = anchorConfig(2, 1);
  const one = await oneThread(searchOptions(cfg, 'correct', `${tag}1`, { maxDepth: 30 }));
  const two = await search(searchOptions(cfg, 'correct', `${tag}2`, { maxDepth: 30 }), 2);
  expect(pick(two)).toEqual(pick(one));
  expect(two.limit).toBe('max-depth');
  const lim = await search(searchOptions(cfg, 'correct', `${tag}3`, { maxStates: 5000 }), 2);
  expect(lim.limit).toBe('max-states');
  expect(lim.states).toBeGreaterThanOrEqual(5000);
  expect(lim.statement).toMatch(/NOT a proof/);
  const upTo = await oneThread(searchOptions(cfg, 'correct', `${tag}4`, { maxDepth: lim.fullDepth + 1 }));
  expect(lim.states).toBe(upTo.states);
  // a memory limit, too, is judged at a level's end, on the workers' table sizes
  const mem = await search(searchOptions(cfg, 'correct', `${tag}5`, { maxBytes: 8 * 2 ** 20 }), 2);
  expect([mem.limit, mem.complete]).toEqual(['max-memory', false]);
  expect(mem.statement).toMatch(/the memory limit \(8 MB of tables, --max-memory; the tables, [0-9.]+ MB, and their next growth would pass it\) was hit/);
  const upToMem = await oneThread(searchOptions(cfg, 'correct', `${tag}6`, { maxDepth: mem.fullDepth + 1 }));
  expect(mem.states).toBe(upToMem.states);
}

/** A seeded bug found by a search on 1, 2 and 3 worker threads: one thread's verdicts, one trace, and it replays (outputs under `tag`). */
async function sameCounterexample(search: (opts: ExhaustiveOptions, n: number) => Promise<ExhaustiveSummary>, tag: string): Promise<void> {
  const cfg = anchorConfig(2, 1, 2, 1, 1, 'lostwake');
  const one = await oneThread(searchOptions(cfg, 'lostwake', `${tag}0`));
  const runs = [];
  for (const n of [1, 2, 3]) runs.push(await search(searchOptions(cfg, 'lostwake', `${tag}${n}`), n));
  for (const r of runs) expect(pick(r)).toEqual(pick(one));
  const traces = runs.map((r) => readFileSync(r.results.find((x) => x.trace)!.trace!, 'utf8'));
  expect(traces[1]).toBe(traces[0]);
  expect(traces[2]).toBe(traces[0]);
  expect(replay(loadTrace(runs[1].results.find((x) => x.trace)!.trace!)).outcome).toBe('reproduced');
}

/** An exhaustive search of a configuration's state properties, full store, terminal liveness, traces under `out`. */
function searchOptions(cfg: Config, variant: string, out: string, extra: Partial<ExhaustiveOptions> = {}): ExhaustiveOptions {
  return {
    cfg,
    variant,
    props: propertiesFor(cfg).filter((p) => p.invariant || p.final),
    maxStates: 10_000_000,
    maxDepth: null,
    store: 'full',
    symmetry: [],
    por: false,
    liveness: 'terminal',
    outDir: join(dir, out),
    ...extra,
  };
}

describe('worker threads', () => {
  test('a closed pool leaves its idle workers to the next one, and they keep no process alive', async () => {
    const spec = { cfg: anchorConfig(1, 1), props: propertiesFor(anchorConfig(1, 1)).filter((p) => p.invariant || p.final).map((p) => p.name), symmetry: [], por: false };
    const a = await chunkRunner(spec, 2);
    await a.close();
    const left = spareWorkers();
    expect(left).toBeGreaterThanOrEqual(2);
    const b = await chunkRunner(spec, 2);
    expect(spareWorkers()).toBe(left - 2);
    await b.close();
    expect(spareWorkers()).toBe(left);
    // a worker whose start failed is not kept (it is terminated with its pool)
    await expect(partitionRunner({ cfg: anchorConfig(4, 2), props: spec.props, symmetry: ['threads'], por: false }, 'full', 2)).rejects.toBeInstanceOf(SymmetryError);
    expect(spareWorkers()).toBeLessThanOrEqual(left);
    // a process whose search used workers ends by itself (the kept workers are unref'd)
    const r = spawnSync(process.execPath, [join(__dirname, '..', 'scripts', 'virtuos.mjs'), 'verify', '--exhaustive', '--anchor', '1x1', '--workers', '2', '--liveness', 'terminal', '--out', join(dir, 'exit')], { encoding: 'utf8', timeout: 30_000 });
    expect([r.status, r.signal]).toEqual([0, null]);
  }, 40_000);

  test('random mode: two workers give the summary and the trace one thread gives (batches)', async () => {
    const run = async (w: number) => {
      const r = await cli('verify', '--variant', 'lostwake', '--runs', '600', '--seed', '3', '--workers', String(w), '--json', '--out', join(dir, `rw${w}`));
      const last = JSON.parse(r.out.at(-1)!);
      delete last.timeS;
      delete last.workers;
      return { code: r.code, summary: JSON.stringify(last).replaceAll(join(dir, `rw${w}`), 'OUT'), trace: readFileSync(last.results.find((x: { status: string }) => x.status === 'violated').trace, 'utf8') };
    };
    const one = await run(1);
    const two = await run(2);
    expect(one.code).toBe(1);
    expect(two.summary).toBe(one.summary);
    expect(two.trace).toBe(one.trace);
  });

  test('random mode: the recovery layer\'s crash points and the POSIX counters are merged over the batches, the same for any number of workers', async () => {
    const summary = async (...argv: string[]) => {
      const r = await cli('verify', ...argv, '--json', '--out', join(dir, 'merge-counts'));
      expect(r.code).toBe(0);
      return JSON.parse(r.out.at(-1)!);
    };
    // and `virtuos merge` of two shards' summaries gives the same counts
    const merged = async (...argv: string[]) => {
      const files = [1, 2].map((k) => join(dir, `counts-${argv[0]}-${k}.json`));
      for (const [i, f] of files.entries()) writeFileSync(f, JSON.stringify(await summary(...argv, '--shard', `${i + 1}/2`)));
      const r = await cli('merge', ...files, '--json');
      expect(r.code).toBe(0);
      return JSON.parse(r.out.at(-1)!);
    };
    const c1 = await summary('--recovery', '--runs', '600', '--seed', '2', '--workers', '1', '--shard', '1/1');
    const c2 = await summary('--recovery', '--runs', '600', '--seed', '2', '--workers', '2');
    expect(c1.crashes.runs).toBe(600);
    expect(c1.crashes.points).toBeGreaterThan(0);
    expect(c2.crashes).toEqual(c1.crashes);
    expect((await merged('--recovery', '--runs', '600', '--seed', '2')).crashes).toEqual(c1.crashes);
    const p1 = await summary('--layer', 'posix', '--property', 'compatibility', '--runs', '600', '--seed', '2', '--workers', '1', '--shard', '1/1');
    const p2 = await summary('--layer', 'posix', '--property', 'compatibility', '--runs', '600', '--seed', '2', '--workers', '2');
    expect(p1.posix.runs).toBe(600);
    expect(p2.posix).toEqual(p1.posix);
    expect((await merged('--layer', 'posix', '--property', 'compatibility', '--runs', '600', '--seed', '2')).posix).toEqual(p1.posix);
  });

  test('exhaustive mode: two workers expand the levels, the numbering and so the result and traces are the same', async () => {
    const o = (out: string) => searchOptions(anchorConfig(2, 1, 2, 1, 1, 'free-early'), 'free-early', out, { maxStates: 1_000_000 });
    const one = await exhaustive(o('e1'));
    const runner = await chunkRunner({ cfg: o('').cfg, props: o('').props.map((p) => p.name), symmetry: [], por: false }, 2);
    const two = await exhaustive(o('e2'), runner).finally(() => runner.close());
    const pick = (s: typeof one) => [s.states, s.transitions, s.depth, s.terminalStates, s.results.map((r) => [r.property, r.status, r.clause, r.traceSteps])];
    expect(pick(two)).toEqual(pick(one));
    for (const r of one.results.filter((x) => x.trace)) expect(readFileSync(r.trace!.replace('/e1/', '/e2/'), 'utf8')).toBe(readFileSync(r.trace!, 'utf8'));
    // With a state limit the stored but unexpanded states are still checked: same verdicts.
    const lim = await exhaustive({ ...o('e3'), maxStates: 3000 });
    const runner2 = await chunkRunner({ cfg: o('').cfg, props: o('').props.map((p) => p.name), symmetry: [], por: false }, 2);
    const lim2 = await exhaustive({ ...o('e4'), maxStates: 3000 }, runner2).finally(() => runner2.close());
    expect(pick(lim2)).toEqual(pick(lim));
  });
});

/** The partitioned search of a seeded variant on two workers, run once for the file. */
const partedRuns = new Map<string, Promise<ExhaustiveSummary>>();
function partedOnce(cfg: Config, v: string): Promise<ExhaustiveSummary> {
  if (!partedRuns.has(v)) {
    const opts = searchOptions(cfg, v, `pc-${v}`);
    partedRuns.set(v, partitionedExhaustive(opts, () => partitionRunner({ cfg, props: opts.props.map((p) => p.name), symmetry: [], por: false }, 'full', 2)));
  }
  return partedRuns.get(v)!;
}

describe('partitioned store', () => {
  const o = searchOptions;
  const parted = (opts: ExhaustiveOptions, n: number) =>
    partitionedExhaustive(opts, () => partitionRunner({ cfg: opts.cfg, props: opts.props.map((p) => p.name), symmetry: [...opts.symmetry], por: opts.por }, opts.store === 'full' ? 'full' : 'hashcompact', n));

  test('two workers owning half the states each find what one thread finds, with either store', async () => {
    // the command line partitions only with hash compaction (the full store is shared: below); the
    // full store here is 2x1's alone (298k states: with hash compaction about four times as long)
    const sizes: [Config, Partial<ExhaustiveOptions>][] = [
      [anchorConfig(1, 2), { store: 'hashcompact' }],
      [anchorConfig(2, 2, 2, 1), { store: 'hashcompact', symmetry: ['threads', 'kernels', 'workers', 'entries'] }],
      [anchorConfig(2, 1), {}],
    ];
    await provesAsOneThread(parted, sizes, 'p');
  }, 60_000);

  test('every seeded dispatch bug: the verdicts and counterexample lengths of checking every invariant on every state in one thread', async () => {
    // A worker checks a new state only for the invariants its step may have broken: worked out from
    // the parent where it has it, sent along with the state where the parent is another worker's.
    for (const [v, cfg] of SHOWING) {
      const full = await exhaustive(o(cfg, v, `fc-${v}`, { fullChecks: true }));
      const two = await partedOnce(cfg, v);
      expect(verdicts(two), v).toEqual(verdicts(full));
      if (v !== 'correct') expect(full.results.filter((r) => r.status === 'violated').length, v).toBeGreaterThan(0);
    }
  }, 60_000);

  test('a packing the sample walk did not settle: states cross whole and the owners widen their own, with the same result', async () => {
    const cfg = anchorConfig(1, 2);
    for (const store of ['full', 'hashcompact'] as const) {
      const opts = o(cfg, 'correct', `w-${store}`, { store });
      const one = await exhaustive(opts);
      const two = await partitionedExhaustive(opts, () => partitionRunner({ cfg, props: opts.props.map((p) => p.name), symmetry: [], por: false }, store, 2, 0));
      expect(pick(two)).toEqual(pick(one));
    }
  }, 30_000);

  test("a worker's tables grow with its states and its largest level, not with the number of levels", () => {
    // one worker in this thread, level by level, as the coordinator drives it
    const cfg = anchorConfig(2, 1);
    const names = propertiesFor(cfg).filter((p) => p.invariant || p.final).map((p) => p.name);
    const { rings, counters } = partitionMemory(1);
    const w = new PartitionWorker({ spec: { cfg, props: names, symmetry: [], por: false }, store: 'full', k: 0, n: 1, rings, counters }, (n) => propertyByName(n)!);
    let largest = 0;
    let last: LevelReport | null = null;
    for (let d = 0; !last || last.added > 0; d++) {
      last = w.level(d, false);
      largest = Math.max(largest, last.added);
    }
    expect(last.states).toBe(298_277);
    // the level-local keys: two words a state of a level, grown by doubling (nextParentKey once
    // doubled whenever nextKey grew, level after level: 4 GB of 10 at 3x2x2x2)
    const keys = w as unknown as Record<'curKey' | 'nextKey' | 'nextParentKey', Uint32Array>;
    for (const k of ['curKey', 'nextKey', 'nextParentKey'] as const) expect(keys[k].length, k).toBeLessThanOrEqual(4 * largest);
    expect(last.bytes).toBeLessThan(2 * w.stats().bytes);
  });

  test('a seeded bug: the same shortest counterexample for any number of workers, as long as one thread\'s, and it replays', () => sameCounterexample(parted, 'q'), 30_000);

  test('a depth bound covers the same states; a state or memory limit stops at the end of a level and says it is no proof', () => limitsHold(parted, 'd'), 30_000);

  test('a symmetry the workers find not to hold is refused as bad usage, and no worker is left running', async () => {
    const cfg = anchorConfig(4, 2);
    const props = propertiesFor(cfg).filter((p) => p.invariant || p.final);
    // the workers refuse it while starting (their sample walk meets the M:N scheduler's choice)
    await expect(partitionRunner({ cfg, props: props.map((p) => p.name), symmetry: ['threads'], por: false }, 'full', 2)).rejects.toBeInstanceOf(SymmetryError);
    const r = await cli('verify', '--exhaustive', '--anchor', '4x2', '--symmetry', '--liveness', 'terminal', '--workers', '2', '--out', join(dir, 's4'));
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/thread symmetry does not hold/);
    // the rerun it advises is accepted
    const advice = /rerun with (--symmetry-groups) (\S+)/.exec(r.err.join('\n'))!;
    const again = await cli('verify', '--exhaustive', '--anchor', '4x2', advice[1], advice[2], '--liveness', 'terminal', '--workers', '2', '--max-states', '3000', '--out', join(dir, 's4'));
    expect(again.code).toBe(0);
  }, 30_000);

  test('the command line partitions when the search allows it and says which way it runs', async () => {
    expect(partitionable({ store: 'full', por: false, liveness: 'terminal', props: propertiesFor(anchorConfig(1, 1)), shard: null })).toBe(true);
    expect(partitionable({ store: 'full', por: false, liveness: 'cycles', props: propertiesFor(anchorConfig(1, 1)), shard: null })).toBe(false);
    const p = await cli('verify', '--exhaustive', '--anchor', '1x2', '--workers', '2', '--liveness', 'terminal', '--store', 'hashcompact', '--out', join(dir, 'c1'));
    expect(p.code).toBe(0);
    expect(p.out[0]).toMatch(/2 worker threads \(partitioned store\)/);
    const c = await cli('verify', '--exhaustive', '--anchor', '1x2', '--workers', '2', '--out', join(dir, 'c2'));
    expect(c.code).toBe(0);
    expect(c.out[0]).toMatch(/2 worker threads \(expanding chunks/);
    const states = (r: { out: string[] }) => r.out.find((l) => l.startsWith('states: '))!.split(',')[0];
    expect(states(p)).toBe(states(c));
  }, 30_000);
});

describe('shared store', () => {
  const o = searchOptions;
  const spec = (opts: ExhaustiveOptions) => ({ cfg: opts.cfg, props: opts.props.map((p) => p.name), symmetry: [...opts.symmetry], por: opts.por });
  const together = (opts: ExhaustiveOptions, n: number) => sharedExhaustive(opts, (attempt) => sharedRunner(spec(opts), n, attempt, opts.maxBytes));

  test('the table grows in place: every slot is found from its home in the larger table, none lost or doubled, its mark flipped', () => {
    // slots (id + 1, hash | mark) put in by linear probing, as the workers put them, 70% full (so
    // clusters wrap round the end), then grown 2, 4 or 8 times, and again 2 or 4 times (the second
    // growth starts from the marks the first one left)
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 10 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.boolean(), fc.array(fc.integer({ min: 1, max: 0x7fffffff }), { minLength: 720, maxLength: 720 }), (bits, by, by2, marked, hashes) => {
        const oldCap = 1 << bits;
        const mid = oldCap << by;
        const cap = mid << by2;
        const t = new Int32Array(2 * cap);
        const put = hashes.slice(0, Math.floor(0.7 * oldCap));
        const mark0 = marked ? 1 << 31 : 0;
        put.forEach((h, id) => {
          let j = h & (oldCap - 1);
          while (t[2 * j] !== 0) j = (j + 1) & (oldCap - 1);
          t[2 * j] = id + 1;
          t[2 * j + 1] = h | mark0;
        });
        const found = (size: number, mark: number) => {
          const seen = new Set<number>();
          for (let j = 0; j < size; j++) if (t[2 * j] !== 0) seen.add(t[2 * j]);
          expect(seen.size).toBe(put.length);
          // each slot is reached from its home without passing an empty one, and keeps its hash, with the new mark
          const lost = put.filter((h, id) => {
            let j = h & (size - 1);
            while (t[2 * j] !== id + 1) {
              if (t[2 * j] === 0) return true;
              j = (j + 1) & (size - 1);
            }
            return t[2 * j + 1] !== (h | mark);
          });
          expect(lost).toEqual([]);
        };
        const mark1 = growInPlace(t, oldCap, mid, mark0);
        expect(mark1).toBe(mark0 ^ (1 << 31));
        found(mid, mark1);
        const mark2 = growInPlace(t, mid, cap, mark1);
        expect(mark2).toBe(mark0);
        found(cap, mark2);
      }),
      { seed: 11, numRuns: 60 },
    );
  });

  test('a small table grows fourfold, a big one doubles, and one whose reservation has no room stays as it is', () => {
    const mb = 2 ** 20;
    expect(grownCap(TABLE_MIN_SLOTS, 2 ** 31)).toBe(4 * TABLE_MIN_SLOTS);
    expect(grownCap(2 ** 22, 2 ** 31)).toBe(2 ** 24);
    expect(grownCap(2 ** 23, 2 ** 31)).toBe(2 ** 24);
    expect(grownCap(2 ** 26, 2 ** 31)).toBe(2 ** 27);
    // slots of 8 bytes: room to double but not to quadruple, then no room at all
    expect(grownCap(2 ** 16, 1.5 * mb)).toBe(2 ** 17);
    expect(grownCap(2 ** 17, 1 * mb)).toBe(2 ** 17);
    expect(grownCap(2 ** 28, 2 ** 31)).toBe(2 ** 28);
  });

  test('on every anchor size up to 2x2 two workers sharing one store find what one thread finds, the table growing in the middle of levels', async () => {
    // each level's report says the table's capacity at its end; it grows only during levels
    let grewInLevel = 0;
    const watched = (opts: ExhaustiveOptions, n: number) =>
      sharedExhaustive(opts, async (attempt) => {
        const started = await sharedRunner(spec(opts), n, attempt, opts.maxBytes);
        const call = started.runner.call.bind(started.runner);
        let cap = TABLE_MIN_SLOTS;
        started.runner.call = async <T,>(k: number, c: object): Promise<T> => {
          const rep = await call<T>(k, c);
          if (k === 0 && (c as { cmd: string }).cmd === 'level') {
            const end = (rep as { cap: number }).cap;
            if (end > cap) grewInLevel++;
            cap = end;
          }
          return rep;
        };
        return started;
      });
    await provesAsOneThread(watched, ANCHOR_SIZES, 's');
    expect(grewInLevel).toBeGreaterThan(0);
  }, 60_000);

  test('every seeded dispatch bug: the partitioned search\'s verdicts and very traces', async () => {
    const traces = (s: Awaited<ReturnType<typeof exhaustive>>) => s.results.map((r) => (r.trace ? readFileSync(r.trace, 'utf8') : null));
    for (const [v, cfg] of SHOWING.filter(([v]) => v !== 'correct')) {
      // the partitioned search's verdicts are one thread's checking everything (tested above)
      const two = await together(o(cfg, v, `ss-${v}`), 2);
      const part = await partedOnce(cfg, v);
      expect(verdicts(two), v).toEqual(verdicts(part));
      expect(traces(two), v).toEqual(traces(part));
      if (v !== 'correct') expect(traces(two).filter(Boolean).length, v).toBeGreaterThan(0);
    }
  }, 60_000);

  test('a seeded bug: the same shortest counterexample for any number of workers, as long as one thread\'s, and it replays', () => sameCounterexample(together, 't'), 30_000);

  test('a packing the sample walk did not settle: the search starts again with it widened, with the same result and traces', async () => {
    const cfg = anchorConfig(2, 1, 2, 1, 1, 'lostwake');
    const opts = o(cfg, 'lostwake', 'sw');
    // a walk of 100 steps leaves a few fields too narrow (an empty one, 43 restarts: each widens for
    // the states that stopped it)
    const walk = 100;
    let starts = 0;
    const widened: number[] = [];
    const notes: string[] = [];
    const kept: boolean[] = [];
    const two = await sharedExhaustive({ ...opts, onNote: (m) => notes.push(m) }, (attempt) => {
      starts++;
      widened.push(attempt.widen.length);
      kept.push(attempt.parents);
      return sharedRunner(spec(opts), 2, attempt, undefined, walk);
    });
    expect(starts).toBeGreaterThan(2);
    // each restart is told as it happens, and counted in the summary: the packing's while no parents
    // are kept, then one when the violation is found, then the packing's again if any
    expect(notes.length).toBe(starts - 1);
    const again = kept.indexOf(true);
    expect(again).toBeGreaterThan(1);
    expect(kept.slice(again).every(Boolean)).toBe(true);
    expect(notes[again - 1]).toMatch(/^no-lost-wakeup violated at depth \d+ \([\d,]+ states\): starting the search again keeping each state's parent/);
    // naming the words that did not fit
    expect(notes[0]).toMatch(/did not fit the packing the sample walk settled \([A-Za-z_0-9.[\]]+ = -?\d+ \(a (\d+-bit field|word constant until then)\).*\): starting the search again with it widened \(restart 1\)/);
    expect(two.store.widenings).toBe(starts - 2);
    expect(widened[0]).toBe(0);
    expect(widened[widened.length - 1]).toBeGreaterThan(0);
    const one = await oneThread(o(cfg, 'lostwake', 'sw1'));
    expect(pick(two)).toEqual(pick(one));
    // keys come from the sample walk's packing, not from the widened one, so the counterexample is
    // the one the partitioned search picks with the same walk
    const part = await partitionedExhaustive(o(cfg, 'lostwake', 'sw2'), () => partitionRunner(spec(opts), 'full', 2, walk));
    expect(readFileSync(two.results.find((x) => x.trace)!.trace!, 'utf8')).toBe(readFileSync(part.results.find((x) => x.trace)!.trace!, 'utf8'));
  }, 60_000);

  test('a depth bound covers the same states; a state or memory limit stops at the end of a level and says it is no proof', () => limitsHold(together, 'e'), 30_000);

  test('a reservation at its largest (here the table of a 2 MB budget, with no --max-memory) stops the search in its level, which says which and that it is no proof', async () => {
    const opts = o(anchorConfig(2, 1), 'correct', 'res');
    const s = await sharedExhaustive(opts, (attempt) => sharedRunner(spec(opts), 2, attempt, 2 * 2 ** 20));
    expect(s.limit).toBe('max-memory');
    expect(s.complete).toBe(false);
    expect(s.limitWhy).toMatch(/^the visited table is at the most slots it may have \(131,072, 0\.0 GB\) and 90% full$/);
    // stopped in the level that filled it: 90% of 131,072 slots, give or take one group's successors a worker
    expect(s.states).toBeGreaterThan(0.9 * 131_072 - 1000);
    expect(s.states).toBeLessThan(0.95 * 131_072);
    expect(s.statement).toContain('(the visited table is at the most slots it may have (131,072, 0.0 GB) and 90% full, so the search stopped as at a memory limit: every state within');
    expect(s.statement).toContain('NOT a proof');
    expect(s.statement).not.toMatch(/PROVED/);
  }, 30_000);

  test('a proof keeps no parents (a record is the packed state alone); a violation starts the search again keeping them', async () => {
    const attempts = (opts: ExhaustiveOptions, force?: boolean) => {
      const kept: boolean[] = [];
      const notes: string[] = [];
      const run = sharedExhaustive({ ...opts, onNote: (m) => notes.push(m) }, (attempt) => {
        kept.push(attempt.parents);
        return sharedRunner(spec(opts), 2, { ...attempt, parents: force ?? attempt.parents }, undefined);
      });
      return run.then((summary) => ({ summary, kept, notes }));
    };
    const [, cfg] = SHOWING.find(([v]) => v === 'correct')!;
    const proof = await attempts(o(cfg, 'correct', 'lp1'));
    expect(proof.kept).toEqual([false]);
    expect(proof.notes).toEqual([]);
    expect(proof.summary.statement).toMatch(/^PROVED: /);
    // the same search with parents kept: two more words a record (the parent's number and the step's)
    const withParents = await attempts(o(cfg, 'correct', 'lp2'), true);
    expect(pick(withParents.summary)).toEqual(pick(proof.summary));
    expect(withParents.summary.store.bytesPerState).toBe(proof.summary.store.bytesPerState + 8);
    // a violation: found without parents, then again with them; the result is the one-thread search's
    // (every seeded bug goes this way in the test of their traces above)
    for (const [v, bug] of SHOWING.filter(([x]) => x === 'lostwake' || x === 'waiters-early')) {
      const found = await attempts(o(bug, v, `lp-${v}`));
      // (either attempt may find states its packing does not fit: more restarts, each told, parents kept as before)
      const again = found.kept.indexOf(true);
      expect(again, v).toBeGreaterThan(0);
      expect(found.kept.slice(0, again).some(Boolean) || !found.kept.slice(again).every(Boolean), v).toBe(false);
      expect(found.notes, v).toHaveLength(found.kept.length - 1);
      const told = found.notes.filter((m) => /violated at depth \d+ \([\d,]+ states\): starting the search again keeping each state's parent, for the shortest counterexample$/.test(m));
      expect(told, v).toHaveLength(1);
      expect(found.notes.indexOf(told[0]), v).toBe(again - 1);
      expect(pick(found.summary), v).toEqual(pick(await oneThread(o(bug, v, `lp1-${v}`))));
    }
  }, 60_000);

  test('a violation found without parents that the search keeping them stops short of is still reported violated, with no counterexample', async () => {
    // the search keeping parents needs more memory a state, so a memory limit can stop it before the
    // depth at which the first attempt found a violation: here a depth bound stands in for that limit
    const [, bug] = SHOWING.find(([v]) => v === 'lostwake')!;
    const opts = o(bug, 'lostwake', 'lv', { maxDepth: 5 });
    const short = await together(opts, 2);
    expect(short.limit).toBe('max-depth');
    expect(short.ok).toBe(true);
    const found = [{ property: 'no-lost-wakeup', clause: 'completed-call-in-flight', message: 'T1 is parked', depth: 17, atStates: 919, atS: 0.25 }];
    const lost = lostViolations(short, found);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ property: 'no-lost-wakeup', status: 'violated', clause: 'completed-call-in-flight', trace: null, traceSteps: null, foundAfterStates: 919 });
    expect(lost[0].message).toMatch(/^T1 is parked \(at depth 17, found by the search's first attempt, which keeps no parents; the attempt keeping them stopped at its depth bound within 5 steps/);
    const told = withResults(short, opts, short.results.map((r) => lost.find((x) => x.property === r.property) ?? r));
    expect(told.ok).toBe(false);
    expect(told.statement).toMatch(/VIOLATED: no-lost-wakeup \(no counterexample written: see its result\)/);
    expect(told.statement).not.toMatch(/shortest counterexamples written/);
    // a property the search keeping parents did find violated keeps its own result
    const full = await together(o(bug, 'lostwake', 'lv2'), 2);
    expect(lostViolations(full, found)).toEqual([]);
    // as it happens: 12 MB of tables take waiters-early's 2x2 search without parents to its violation
    // at depth 42, and the search keeping them (28 bytes a state, not 20, and level arrays) only to depth 40
    const r = await cli('verify', '--exhaustive', '--anchor', '2x2x2x2', '--variant', 'waiters-early', '--workers', '2', '--liveness', 'terminal', '--max-memory', '12M', '--json', '--out', join(dir, 'lv3'));
    expect(r.code).toBe(1);
    const events = r.out.map((l) => JSON.parse(l));
    const notes = events.filter((e) => e.type === 'note').map((e) => e.message);
    expect(notes[0]).toMatch(/^no-lost-wakeup violated at depth 42 .*starting the search again keeping each state's parent/);
    expect(notes[1]).toMatch(/^the search keeping parents stopped at its limit within 40 steps, before no-lost-wakeup \(found violated at depth 42 without them\): no counterexample written/);
    const result = events.at(-1).results.find((x: { property: string }) => x.property === 'no-lost-wakeup');
    expect(result).toMatchObject({ status: 'violated', trace: null, traceSteps: null });
    // and in text: the result says why there is no trace
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a) => void printed.push(a.join(' ')));
    try {
      printExhaustive(told, opts.props.map((p) => p.name));
    } finally {
      log.mockRestore();
    }
    expect(printed.join('\n')).toMatch(/no-lost-wakeup +VIOLATED {2}completed-call-in-flight: T1 is parked \(at depth 17, .*\n +\(no counterexample written; found after 919 states, 0.25 s\)/);
  }, 30_000);

  test('the command line shares the store when the search allows it and says so', async () => {
    expect(sharable({ store: 'full', por: false, liveness: 'terminal', props: propertiesFor(anchorConfig(1, 1)), shard: null })).toBe(true);
    expect(sharable({ store: 'hashcompact', por: false, liveness: 'terminal', props: propertiesFor(anchorConfig(1, 1)), shard: null })).toBe(false);
    const p = await cli('verify', '--exhaustive', '--anchor', '1x2', '--workers', '2', '--liveness', 'terminal', '--out', join(dir, 'x1'));
    expect(p.code).toBe(0);
    expect(p.out[0]).toMatch(/2 worker threads \(one shared store\)/);
    const j = await cli('verify', '--exhaustive', '--anchor', '1x2', '--workers', '2', '--liveness', 'terminal', '--json', '--out', join(dir, 'x2'));
    expect(JSON.parse(j.out[0]).parallel).toBe('shared');
    const one = await cli('verify', '--exhaustive', '--anchor', '1x2', '--liveness', 'terminal', '--out', join(dir, 'x3'));
    const states = (r: { out: string[] }) => r.out.find((l) => l.startsWith('states: '))!.split(',')[0];
    expect(states(p)).toBe(states(one));
  }, 30_000);
});

describe('shards and merge', () => {
  const save = (name: string, lines: string[]) => {
    const f = join(dir, name);
    writeFileSync(f, lines.join('\n') + '\n');
    return f;
  };

  test('exhaustive mode: shards merged prove what one run proves and find the same shortest counterexample', async () => {
    const args = ['verify', '--exhaustive', '--anchor', '1x2x2x2', '--variant', 'nostamp', '--json', '--out', join(dir, 'es')];
    const whole = await cli(...args);
    const files = [];
    for (const k of [1, 2]) files.push(save(`e${k}.json`, (await cli(...args, '--shard', `${k}/2`)).out));
    const m = await cli('merge', ...files, '--json');
    const merged = JSON.parse(m.out[0]);
    const single = JSON.parse(whole.out[whole.out.length - 1]);
    expect(m.code).toBe(whole.code);
    expect(merged.results.map((r: { property: string; status: string; traceSteps: number | null }) => [r.property, r.status, r.traceSteps])).toEqual(
      single.results.map((r: { property: string; status: string; traceSteps: number | null }) => [r.property, r.status, r.traceSteps]),
    );
    expect(merged.statement).toMatch(/PROVED over 2 shard\(s\) covering every reachable state: exactly-once, right-thread, no-lost-wakeup/);
  });

  test('random mode: shards merged report what one batched run reports', async () => {
    const whole = JSON.parse((await cli('verify', '--variant', 'lostwake', '--runs', '1200', '--seed', '3', '--workers', '1', '--json', '--out', join(dir, 'rs'))).out.at(-1)!);
    const files: string[] = [];
    for (const k of [1, 2, 3]) files.push(save(`rs${k}.json`, (await cli('verify', '--variant', 'lostwake', '--runs', '1200', '--seed', '3', '--shard', `${k}/3`, '--json', '--out', join(dir, 'rs'))).out));
    const r = await cli('merge', ...files);
    expect(r.code).toBe(1);
    const violated = whole.results.filter((x: { status: string }) => x.status === 'violated').map((x: { property: string }) => x.property);
    for (const p of violated) expect(r.out.join('\n')).toMatch(new RegExp(`${p} +VIOLATED`));
    expect(r.out.join('\n')).toMatch(/1200 random runs/);
  });

  test('merge refuses files that are not shards of one verification, naming the file and field', async () => {
    const a = save('a.json', (await cli('verify', '--exhaustive', '--anchor', '1x1x1x1', '--shard', '1/2', '--json', '--out', join(dir, 'm'))).out);
    const b = save('b.json', (await cli('verify', '--exhaustive', '--anchor', '1x1x1x1', '--variant', 'lostwake', '--shard', '2/2', '--json', '--out', join(dir, 'm'))).out);
    const r = await cli('merge', a, b);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/not shards of one verification/);
    const junk = save('junk.json', ['not json']);
    expect((await cli('merge', junk)).err[0]).toMatch(new RegExp(`^virtuos merge: ${junk}: line 1: not JSON \\(`));
  });
});

describe('the command line refuses what it cannot do soundly', () => {
  test.each([
    [['--exhaustive', '--runs', '5'], '--runs belongs to random mode and has no meaning with --exhaustive'],
    [['--max-states', '5'], '--max-states needs --exhaustive'],
    [['--exhaustive', '--property', 'linearizable'], 'linearizable is a property of the operation history, which is not part of the state'],
    [['--exhaustive', '--anchor', '2x1', '--symmetry', '--liveness', 'cycles'], 'fair-cycle liveness cannot be combined with symmetry reduction'],
    [['--exhaustive', '--anchor', '2x1', '--por', '--liveness', 'cycles'], 'fair-cycle liveness cannot be combined with partial-order reduction'],
    [['--exhaustive', '--store', 'bogus'], "--store must be one of full, hashcompact, bitstate, got 'bogus'"],
    [['--exhaustive', '--shard', '3/2'], '--shard 3/2: K must be between 1 and N'],
    [['--anchor', '2y1'], "--anchor must be NCxNR[xNENT[xNW[xSPINS]]] (for example 2x2x2x2x1), got '2y1'"],
  ])('verify %j', async (argv, message) => {
    const r = await cli('verify', ...argv);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(message);
    expect(r.out).toEqual([]);
  });
});
