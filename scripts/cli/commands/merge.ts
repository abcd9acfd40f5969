/** `virtuos merge FILES`: combine the --json summaries of the shards of one verification into one verdict. */
import { readFileSync } from 'node:fs';
import { parse, UsageError } from '../args.ts';
import { sumPosixSummaries, type PosixSummary } from '../../verifier/random/posix-stats.ts';
import { sumCrashCounts, type CrashCounts, type PropertyResult, type StrategyStats } from '../../verifier/random/verify.ts';
import { sumStrategies } from '../../verifier/random/batches.ts';
import { crashLine, printPosixSummary, printStrategies } from './verify.ts';

export const help = `usage: virtuos merge FILE... [--json]

Combines the summaries that the shards of one verification wrote (each FILE is the --json output of
'virtuos verify --shard K/N ...', or just its last line) into one verdict.

Random mode: a property is violated if any shard found a violation; its counterexample is the one
of the earliest batch, which is the one a single run over all batches reports. The run and step
counts are summed over the shards (a shard keeps checking a property after an earlier batch of
another shard broke it, so for a violated property they can exceed a single run's).
Exhaustive mode: a property is violated if any shard found a violation, with the shortest
counterexample among the shards; it is proved only if every shard explored its part completely.
States are summed over the shards; the parts overlap, so the sum counts visits, not distinct states.
The recovery layer's crash counts and the POSIX layer's counters are summed over random shards, and
the crash points united (each shard's --json summary carries its own); so are the search strategies'
runs and counterexamples, with their step signatures united.

All files must come from the same verification (mode, variant, configuration, properties, seed and
run budget) and name different shards of the same N.

  --json   one JSON object {type: "summary", ok, results: [{property, status, runs, steps, trace}], ...}

Exit status: 0 every property holds in all shards (all N present; within each shard's bound, as
its summary says), 1 a property is violated in some shard, 2 a file is missing or malformed, the files do not belong together, or
shards are missing and nothing is violated (no verdict can be given).`;

type Json = Record<string, unknown>;

interface Shard {
  file: string;
  s: Json;
}

function load(file: string): Shard {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (!lines.length) throw new UsageError(`${file}: empty (expected the --json output of 'virtuos verify')`);
  const last = lines[lines.length - 1];
  let s: Json;
  try {
    s = JSON.parse(last) as Json;
  } catch (e) {
    throw new UsageError(`${file}: line ${lines.length}: not JSON (${(e as Error).message})`);
  }
  if (typeof s !== 'object' || s === null || s.type !== 'summary') throw new UsageError(`${file}: line ${lines.length}: not a summary (expected the last line of 'virtuos verify --json', with "type":"summary")`);
  if (!Array.isArray(s.results)) throw new UsageError(`${file}: summary.results: missing or not an array`);
  s.results.forEach((r, i) => {
    const x = r as Json;
    if (typeof x.property !== 'string') throw new UsageError(`${file}: summary.results[${i}].property: must be a string`);
    if (x.status !== 'holds' && x.status !== 'violated') throw new UsageError(`${file}: summary.results[${i}].status: must be "holds" or "violated", got ${JSON.stringify(x.status)}`);
  });
  if (s.mode === undefined) s.mode = 'random';
  if (s.mode !== 'random' && s.mode !== 'exhaustive') throw new UsageError(`${file}: summary.mode: must be "random" or "exhaustive", got ${JSON.stringify(s.mode)}`);
  return { file, s };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export interface Merged {
  ok: boolean;
  mode: 'random' | 'exhaustive';
  /** every shard present and, in exhaustive mode, complete */
  complete: boolean;
  missing: number[];
  results: { property: string; status: 'holds' | 'violated'; runs: number | null; steps: number; trace: string | null; clause: string | null; traceSteps: number | null; from: string | null; strategy?: string | null }[];
  shards: number;
  files: string[];
  states: number | null;
  /** random mode with the recovery layer: crash counts summed, crash points united */
  crashes: CrashCounts | null;
  /** random mode with the POSIX layer: its counters summed */
  posix: PosixSummary | null;
  /** random mode: the search strategy, its members' shares summed and their signatures united; null unless every shard has them */
  strategies: { strategy: string; strategies: StrategyStats[]; signatures: number } | null;
  statement: string;
}

/** The shards' crash counts, summed, with their crash points united; null unless every shard has them. */
function mergeCrashes(shards: Shard[]): CrashCounts | null {
  if (!shards.every((sh) => sh.s.crashes && Array.isArray(sh.s.crashPointSet))) return null;
  const points = new Set(shards.flatMap((sh) => (sh.s.crashPointSet as unknown[]).map(String)));
  return sumCrashCounts(shards.map((sh) => sh.s.crashes as CrashCounts), points.size);
}

/** The shards' POSIX counters, summed; null unless every shard has them. */
function mergePosix(shards: Shard[]): PosixSummary | null {
  return shards.every((sh) => sh.s.posix) ? sumPosixSummaries(shards.map((sh) => sh.s.posix as PosixSummary)) : null;
}

/** The shards' strategy shares, summed, with their step signatures united; null unless every shard has them. */
function mergeStrategies(shards: Shard[], results: Merged['results']): Merged['strategies'] {
  if (!shards.every((sh) => Array.isArray(sh.s.strategies) && sh.s.signatureSets)) return null;
  const m = sumStrategies(
    shards.map((sh) => sh.s.strategies as StrategyStats[]),
    shards.map((sh) => sh.s.signatureSets as Record<string, number[]>),
    results as unknown as PropertyResult[],
  );
  return { strategy: String(shards[0].s.strategy), strategies: m.strategies, signatures: m.signatures };
}

export function merge(files: string[]): Merged {
  const shards = files.map(load);
  const first = shards[0];
  const mode = first.s.mode as 'random' | 'exhaustive';
  const keys = mode === 'random' ? ['mode', 'variant', 'config', 'properties', 'seed', 'requested', 'strategy'] : ['mode', 'variant', 'config', 'properties', 'requested'];
  for (const sh of shards.slice(1))
    for (const k of keys)
      if (!same(sh.s[k], first.s[k])) throw new UsageError(`${sh.file}: summary.${k} is ${JSON.stringify(sh.s[k])}, but ${first.file} has ${JSON.stringify(first.s[k])}: not shards of one verification`);
  let n = 1;
  const seen = new Map<number, string>();
  for (const sh of shards) {
    const shard = sh.s.shard as { k: number; n: number } | null | undefined;
    if (!shard) {
      if (shards.length > 1) throw new UsageError(`${sh.file}: not a shard (no summary.shard): a whole verification cannot be merged with others`);
      seen.set(1, sh.file);
      continue;
    }
    if (!Number.isInteger(shard.k) || !Number.isInteger(shard.n) || shard.k < 1 || shard.k > shard.n) throw new UsageError(`${sh.file}: summary.shard: must be {k, n} with 1 <= k <= n`);
    if (sh === first) n = shard.n;
    else if (shard.n !== n) throw new UsageError(`${sh.file}: summary.shard.n is ${shard.n}, but ${first.file} has ${n}`);
    const dup = seen.get(shard.k);
    if (dup) throw new UsageError(`${sh.file}: shard ${shard.k}/${n} is also in ${dup}`);
    seen.set(shard.k, sh.file);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !seen.has(k));
  const names = (first.s.results as Json[]).map((r) => r.property as string);
  const results = names.map((property) => {
    let runs: number | null = mode === 'random' ? 0 : null;
    let steps = 0;
    let best: { r: Json; file: string; key: number } | null = null;
    for (const sh of shards) {
      const r = (sh.s.results as Json[]).find((x) => x.property === property);
      if (!r) throw new UsageError(`${sh.file}: summary.results has no entry for ${property}`);
      if (mode === 'random') runs = (runs as number) + Number(r.runs ?? 0);
      steps += Number(r.steps ?? 0);
      if (r.status !== 'violated') continue;
      // Random: the earliest batch wins (what one run over all batches reports); exhaustive: the shortest trace.
      const key = mode === 'random' ? Number(r.batch ?? Infinity) : Number(r.traceSteps ?? Infinity);
      if (!best || key < best.key) best = { r, file: sh.file, key };
    }
    return {
      property,
      status: best ? ('violated' as const) : ('holds' as const),
      runs,
      steps,
      trace: best ? ((best.r.trace as string | null) ?? null) : null,
      clause: best ? ((best.r.clause as string | null) ?? null) : null,
      traceSteps: best ? ((best.r.traceSteps as number | null) ?? null) : null,
      from: best?.file ?? null,
      ...(mode === 'random' ? { strategy: best ? ((best.r.strategy as string | null) ?? null) : null } : {}),
    };
  });
  const violated = results.filter((r) => r.status === 'violated');
  const allComplete = mode === 'random' || shards.every((sh) => sh.s.complete === true && (sh.s.store as { kind?: string } | undefined)?.kind !== 'bitstate');
  const complete = missing.length === 0 && allComplete;
  const states = mode === 'exhaustive' ? shards.reduce((a, sh) => a + Number(sh.s.states ?? 0), 0) : null;
  const parts: string[] = [];
  const what = mode === 'random' ? `${results[0]?.runs ?? 0} random runs (seed ${first.s.seed})` : `${states!.toLocaleString('en-US')} state visits`;
  if (violated.length) parts.push(`VIOLATED: ${violated.map((r) => r.property).join(', ')}.`);
  const held = results.filter((r) => r.status === 'holds').map((r) => r.property);
  if (held.length) {
    if (!complete) parts.push(`Not concluded for ${held.join(', ')}: ${missing.length ? `shards ${missing.join(', ')} of ${n} are missing` : 'a shard hit a limit (see its summary)'}.`);
    else if (mode === 'random') parts.push(`Hold in ${what} over ${n} shard(s); sampled, not proved.`);
    else parts.push(`PROVED over ${n} shard(s) covering every reachable state: ${held.join(', ')} (${what}).`);
  }
  const crashes = mode === 'random' ? mergeCrashes(shards) : null;
  const posix = mode === 'random' ? mergePosix(shards) : null;
  const strategies = mode === 'random' ? mergeStrategies(shards, results) : null;
  return { ok: violated.length === 0 && missing.length === 0, mode, complete, missing, results, shards: n, files, states, crashes, posix, strategies, statement: parts.join(' ') };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } }, { min: 1, max: 10_000, names: 'the summary FILEs to merge' });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const m = merge(positionals);
  const violated = m.results.some((r) => r.status === 'violated');
  if (values.json)
    console.log(
      JSON.stringify({
        type: 'summary',
        ok: m.ok,
        results: m.results,
        mode: m.mode,
        merged: { shards: m.shards, files: m.files, missing: m.missing, complete: m.complete },
        states: m.states,
        ...(m.crashes ? { crashes: m.crashes } : {}),
        ...(m.posix ? { posix: m.posix } : {}),
        ...(m.strategies ?? {}),
        statement: m.statement,
      }),
    );
  else {
    const w = Math.max(8, ...m.results.map((r) => r.property.length));
    console.log(`virtuos merge: ${m.files.length} file(s), ${m.mode} mode, ${m.shards} shard(s)${m.missing.length ? `, missing: ${m.missing.join(', ')}` : ''}`);
    for (const r of m.results)
      console.log(
        `${r.property.padEnd(w)}  ${r.status === 'holds' ? 'holds   ' : 'VIOLATED'}  ${r.status === 'violated' ? `${r.clause}: trace ${r.trace ?? '(not written)'} (${r.traceSteps} steps, from ${r.from})` : m.mode === 'random' ? `${r.runs} runs` : ''}`,
      );
    if (m.posix) printPosixSummary({ posix: m.posix });
    if (m.crashes) console.log(crashLine(m.crashes));
    if (m.strategies) printStrategies(m.strategies);
    console.log(m.statement);
  }
  if (violated) return 1;
  if (m.missing.length) {
    console.error(`virtuos merge: no verdict: shard(s) ${m.missing.join(', ')} of ${m.shards} missing`);
    return 2;
  }
  return 0;
}
