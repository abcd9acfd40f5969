/**
 * More than one core and more than one machine: worker threads give the same result as one thread
 * (random and exhaustive mode, down to the bytes of the traces), shards merged by `virtuos merge` give
 * the verdict of a single run, and the command line refuses what it cannot do soundly (exit 2, one
 * line naming the problem).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { anchorConfig } from '../model/config.ts';
import { PROPERTIES } from '../properties/index.ts';
import { main } from '../scripts/cli.ts';
import { exhaustive, type ExhaustiveOptions } from '../scripts/lib/exhaustive.ts';
import { chunkRunner, verifyParallel } from '../scripts/lib/parallel.ts';
import { verify, type VerifyOptions, type VerifySummary } from '../scripts/lib/verify.ts';

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

const stable = (s: VerifySummary) => ({ ...s, timeS: 0, results: s.results.map((r) => ({ ...r, trace: r.trace?.replace(/^.*\/(w\d)\//, '') ?? null })) });

describe('worker threads', () => {
  test('random mode: two workers give the summary and the trace one thread gives', async () => {
    const base: Omit<VerifyOptions, 'outDir'> = { cfg: { ...anchorConfig(2, 1, 2, 1), bug: 'lostwake' }, variant: 'lostwake', props: PROPERTIES, seed: 1, runs: 700, timeS: null, maxPicks: 40 };
    const one = verify({ ...base, outDir: join(dir, 'w1') });
    const two = await verifyParallel({ ...base, outDir: join(dir, 'w2') }, 2);
    expect(one.batches).toBe(3);
    expect(stable(two)).toEqual(stable(one));
    const bad = one.results.find((r) => r.status === 'violated')!;
    expect(bad.property).toBe('no-lost-wakeup');
    expect(readFileSync(bad.trace!.replace('/w1/', '/w2/'), 'utf8')).toBe(readFileSync(bad.trace!, 'utf8'));
  });

  test('exhaustive mode: two workers expand the levels, the numbering and so the result and traces are the same', async () => {
    const o = (out: string): ExhaustiveOptions => ({
      cfg: anchorConfig(2, 1, 2, 1, 1, 'free-early'),
      variant: 'free-early',
      props: PROPERTIES.filter((p) => p.invariant || p.final),
      maxStates: 1_000_000,
      maxDepth: null,
      store: 'full',
      symmetry: [],
      por: false,
      liveness: 'terminal',
      outDir: join(dir, out),
    });
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

describe('shards and merge', () => {
  const save = (name: string, lines: string[]) => {
    const f = join(dir, name);
    writeFileSync(f, lines.join('\n') + '\n');
    return f;
  };

  test('random mode: shards merged report what one run over all batches reports', async () => {
    const args = ['verify', '--anchor', '2x1x2x1', '--variant', 'lostwake', '--seed', '3', '--runs', '700', '--max-picks', '40', '--json'];
    const whole = await cli(...args, '--out', join(dir, 'rw'));
    expect(whole.code).toBe(1);
    const files = [];
    for (const k of [1, 2, 3]) {
      const r = await cli(...args, '--shard', `${k}/3`, '--out', join(dir, 'rs'));
      files.push(save(`r${k}.json`, r.out));
    }
    const m = await cli('merge', ...files, '--json');
    expect(m.code).toBe(1);
    const merged = JSON.parse(m.out[0]);
    const single = JSON.parse(whole.out[whole.out.length - 1]);
    const verdicts = (rs: { property: string; status: string; traceSteps: number | null }[]) => rs.map((r) => [r.property, r.status, r.traceSteps]);
    expect(verdicts(merged.results)).toEqual(verdicts(single.results));
    // A shard missing: the violation still stands, the rest has no verdict.
    const partial = await cli('merge', files[0], files[2]);
    expect(partial.code).toBe(1);
    expect(partial.out.join('\n')).toMatch(/Not concluded for .*: shards 2 of 3 are missing/);
  });

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

  test('merge refuses files that are not shards of one verification, naming the file and field', async () => {
    const a = save('a.json', (await cli('verify', '--anchor', '1x1x1x1', '--seed', '1', '--runs', '10', '--shard', '1/2', '--json', '--out', join(dir, 'm'))).out);
    const b = save('b.json', (await cli('verify', '--anchor', '1x1x1x1', '--seed', '2', '--runs', '10', '--shard', '2/2', '--json', '--out', join(dir, 'm'))).out);
    const r = await cli('merge', a, b);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`virtuos merge: ${b}: summary.seed is 2, but ${a} has 1: not shards of one verification (see 'virtuos merge --help')`]);
    const missing = await cli('merge', a);
    expect(missing.code).toBe(2);
    expect(missing.err.join('\n')).toContain('no verdict: shard(s) 2 of 2 missing');
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
    [['--shard', '3/2'], '--shard 3/2: K must be between 1 and N'],
    [['--anchor', '2y1'], "--anchor must be NCxNR[xNENT[xNW[xSPINS]]] (for example 2x2x2x2x1), got '2y1'"],
  ])('verify %j', async (argv, message) => {
    const r = await cli('verify', ...argv);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(message);
    expect(r.out).toEqual([]);
  });
});
