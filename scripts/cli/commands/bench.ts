/**
 * `virtuos bench` (also `npm run bench`): the verifier measured against SPIN on the same model sizes,
 * in one run, and the random explorer's own figures: its throughput, and its time to the first
 * counterexample of every seeded variant under each search strategy (`--strategies` runs only those).
 *
 * SPIN checks shared/anchors/virtuos_dispatch.pml, an independent Promela model of the dispatch
 * protocol with the same seeded bugs; our side checks `anchorConfig` (model/kit/config.ts), the
 * configuration of our model that describes the same system (1:1 threads, atomic ready queue, direct
 * notification, no wake path). Both tools run as a user runs them: SPIN through run.sh (spin -a, gcc,
 * pan), ours as a `virtuos verify --exhaustive` process, so start-up and compilation are counted.
 * Times are wall-clock seconds on whatever else the machine is doing, which is why the ratios (both
 * tools measured in the same run) are the figures to compare, not the absolute numbers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG } from '../../../model/kit/config.ts';
import { fastStepper, makeSystem } from '../../../model/kit/system.ts';
import { VARIANTS, type Variant } from '../../../model/variants.ts';
import { propertiesFor } from '../../../properties/index.ts';
import type { Property } from '../../../properties/property.ts';
import { intOption, parse, UsageError } from '../args.ts';
import fc from 'fast-check';
import { runSchedule, type Pick } from '../../verifier/explore.ts';
import { defaultMaxPicks, scheduleArb, verify } from '../../verifier/random/verify.ts';
import { STRATEGY_CHOICES, type StrategyChoice } from '../../verifier/random/search/strategy.ts';
import { ALL_VARIANTS, medianTime, timeToBug, variantConfig, type TimeToBug } from '../../verifier/random/search/time-to-bug.ts';
import { DEFAULT_RUNS, DEFAULT_SYSTEM_RUNS, memoryOption, parseAnchor } from './verify.ts';
import { measureFloor } from '../../verifier/exhaustive/floor.ts';
import { layerConfig, type Layer } from '../../../properties/index.ts';
import { programArb } from '../../verifier/random/posix-programs.ts';
import type { Program } from '../../../model/posix/program.ts';

export const help = `usage: virtuos bench [--sizes LIST] [--bug-size SIZE] [--reps N] [--quick] [--no-spin] [--layers] [--floor] [--json]
                    [--strategies | --no-strategies] [--search LIST] [--variants LIST] [--seeds LIST] [--budget N]

Runs SPIN (on shared/anchors/virtuos_dispatch.pml) and this verifier on the same model sizes in one
run and prints, per size and seeded bug, the ratios: states per second, states stored, time to the
first counterexample (SPIN's compile and our start-up included) and counterexample length; then the
random explorer's steps per second (warm: one unmeasured pass, then the median of three) and its time
to the first counterexample of each seeded variant;
then, per search strategy, the time to the first counterexample of every seeded variant of every
layer, in the variant's own configuration, on several seeds (long: an hour or more on two cores).

  --strategies     only the per-strategy rows
  --no-strategies  everything but the per-strategy rows (the SPIN comparison, the larger sizes, the
                   random explorer and the layers: about 15 minutes instead of more than an hour)
  --search LIST    the strategies measured (default uniform,pct,pos,swarm,feedback,mix)
  --variants LIST  the variants measured (default all of 'virtuos list')
  --seeds LIST     the seeds (default 1,2,3,4,5)
  --budget N       runs before a variant counts as not found (default: as 'virtuos verify' in the
                   variant's configuration, ${DEFAULT_RUNS}, or ${DEFAULT_SYSTEM_RUNS} for the composed system's)

  --sizes LIST     sizes for the correct model, NCxNR[xNENT[xNW[xSPINS]]] (default 2x1,2x2)
  --bug-size SIZE  size for the seeded bugs (default 2x2)
  --reps N         repeat every measurement N times and report medians (default 1); the two-worker
                   speed-up is measured in max(N, 5) pairs of runs (N with --quick), one worker then
                   two, and is the median of the pairs' ratios
  --quick          only 2x1, bugs at 2x1, a shorter random phase (a smoke run: about 30 s before its per-strategy rows, about 4 min with them)
  --no-spin        skip SPIN (also skipped, with a note, when spin or gcc is not installed)
  --big LIST       larger sizes (default 3x2,4x1; none with --quick): SPIN stopped after
                   --spin-timeout S (default 150), ours with --symmetry up to --big-states N
                   (default 60000000: enough for 3x2's 37.8M and 4x1's 11.7M states, so their rows
                   can say PROVED) and --big-memory SIZE of tables (default 6G, or half this
                   machine's memory if less: --max-memory of 'virtuos verify') on --big-workers N
                   threads (default 2: one shared store)
  --random         only the random explorer's row on the dispatch layer's default configuration: steps per second
                   stepping alone and checking every property (fixed schedules, warm), and
                   'virtuos verify --layer dispatch' as a user runs it (its search strategies,
                   coverage and distinct-state statistics included); a full run measures this row
                   in a process of its own, so the exhaustive rows' heap does not weigh on it
  --layers         only the random explorer's steps per second on each layer alone and on the
                   composed system (also the last part of a full run)
  --floor          only where one worker's time per state goes, per size of --sizes: the one-thread
                   search run in this process, then its parts timed again alone over every state it
                   stored (unpacking, stepping, packing, looking up in the table, invariants),
                   against SPIN's time a state; unpacking, stepping and packing bound how fast the
                   search could be if the rest cost nothing
  --json           one JSON object per line: {size, bug, tool, states, states_per_s, time_to_bug_s,
                   trace_len, ...} (bug null for the correct model; the strategy rows have tool
                   virtuos-STRATEGY, size 'own config', seed, runs, found_by)

SPIN: apt-get install -y spin. Its runs use shared/anchors/run.sh (found next to the checkout, or at
$VIRTUOS_ANCHORS) (gcc -O2; DFS for the correct model;
DFS and BFS for the bugs, BFS giving its shortest trail); build files go to a temporary directory.`;

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const SPIN_FLAGS: Record<string, string> = { nostamp: 'NOSTAMP', lostwake: 'LOSTWAKE', 'waiters-early': 'WAITERS_EARLY', 'free-early': 'FREE_EARLY' };

export interface Row {
  size: string;
  bug: string | null;
  tool: string;
  states: number | null;
  states_per_s: number | null;
  time_to_bug_s: number | null;
  trace_len: number | null;
  [extra: string]: unknown;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

/** shared/anchors: $VIRTUOS_ANCHORS, or a `shared` folder next to the checkout or one level up (worktrees). */
function anchorDir(): string | null {
  const candidates = [process.env.VIRTUOS_ANCHORS, join(ROOT, '..', 'shared', 'anchors'), join(ROOT, '..', '..', 'shared', 'anchors')];
  return candidates.find((d) => d && existsSync(join(d, 'run.sh'))) ?? null;
}

function spinAvailable(): string | null {
  if (spawnSync('spin', ['-V']).status !== 0) return 'spin is not installed (apt-get install -y spin)';
  if (spawnSync('gcc', ['--version']).status !== 0) return 'gcc is not installed';
  if (!anchorDir()) return 'shared/anchors/run.sh was not found';
  return null;
}

/** One run.sh call; its summary line as key=value pairs. */
function spinRun(size: string, flag: string, mode: 'dfs' | 'bfs', out: string, reps: number, timeoutS: number | null = null): Record<string, string> {
  const env = { ...process.env, ANCHOR_OUT: out, REPS: String(reps), ...(timeoutS !== null ? { PANTIMEOUT: String(timeoutS) } : {}) };
  const r = spawnSync(join(anchorDir()!, 'run.sh'), [size, flag, mode], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`run.sh ${size} ${flag} ${mode} failed: ${r.stderr || r.stdout}`);
  const line = r.stdout.trim().split('\n').pop()!;
  const kv: Record<string, string> = {};
  for (const m of line.matchAll(/(\w[\w/]*)=(\S+)/g)) kv[m[1]] = m[2];
  return kv;
}

class OursError extends Error {
  constructor(message: string, readonly status: number | null, readonly stderr: string) {
    super(message);
  }
}

/** One `virtuos verify` process; its --json summary and the wall time around it. */
function ours(args: string[]): { wall: number; summary: Record<string, unknown>; results: Record<string, unknown>[] } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'virtuos.mjs'), 'verify', ...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28, cwd: ROOT });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new OursError(`virtuos verify ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`, r.status, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { wall, summary: lines[lines.length - 1], results: lines.filter((l) => l.type === 'result') };
}

function fmt(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  if (Math.abs(x) >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (Math.abs(x) >= 1e4) return `${(x / 1e3).toFixed(0)}k`;
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}
const ratio = (a: number | null, b: number | null) => (a && b ? a / b : null);

/**
 * The random explorer on each layer alone and on the composed system: steps per second stepping alone
 * (fixed schedules and programs drawn from seed 1), and with every property of the configuration
 * checked (a `verify` campaign of the same size, seed 1, no traces written).
 */
function layerThroughput(runs: number): { layer: Layer; raw: number; checked: number; runs: number; properties: number }[] {
  return (['dispatch', 'posix', 'isolation', 'recovery', 'system'] as const).map((layer) => {
    const cfg = layerConfig({ ...DEFAULT_CONFIG }, layer);
    const base = makeSystem(cfg);
    const programs = cfg.posix ? (fc.sample(programArb(cfg.posix), { seed: 1, numRuns: runs }) as Program[]) : [];
    const systems = programs.map((program) => makeSystem({ ...cfg, posix: { ...cfg.posix!, program } }));
    const scheds = fc.sample(scheduleArb(base.actors.length, defaultMaxPicks(cfg)), { seed: 1, numRuns: runs }) as Pick[][];
    let steps = 0;
    const t = performance.now();
    scheds.forEach((sched, i) => (steps += runSchedule(systems[i] ?? base, sched, { props: [] }).steps));
    const raw = steps / ((performance.now() - t) / 1000);
    const props = propertiesFor(cfg);
    const v = verify({ cfg, variant: 'correct', props, seed: 1, runs, timeS: null, outDir: tmpdir(), writeTraces: false });
    return { layer, raw, checked: v.steps / Math.max(v.timeS, 1e-3), runs, properties: props.length };
  });
}

/**
 * Random explorer on the dispatch layer's default configuration (DEFAULT_CONFIG, what `verify --layer
 * dispatch` runs; `verify` alone runs the composed system): raw stepping, stepping with every property checked.
 * Each is measured as a campaign runs, warm: one pass over the schedules first (the JIT compiles the
 * stepper and the checks), then the median of three timed passes.
 */
function randomThroughput(runs: number): { raw: number; withProps: number; runs: number } {
  const sys = makeSystem({ ...DEFAULT_CONFIG });
  fastStepper(sys);
  const scheds = fc.sample(scheduleArb(sys.actors.length, defaultMaxPicks(sys.cfg)), { seed: 1, numRuns: runs }) as Pick[][];
  const props = propertiesFor(sys.cfg);
  const pass = (checked: readonly Property[]) => {
    let steps = 0;
    const t = performance.now();
    for (const s of scheds) steps += runSchedule(sys, s, { props: checked }).steps;
    return steps / ((performance.now() - t) / 1000);
  };
  pass([]);
  pass(props);
  const median = (checked: readonly Property[]) => [pass(checked), pass(checked), pass(checked)].sort((a, b) => a - b)[1];
  return { raw: median([]), withProps: median(props), runs };
}

/**
 * The random explorer's row: `randomThroughput` on the dispatch layer's default configuration, and the steps per
 * second of a `virtuos verify --layer dispatch` process (the same configuration, as a user runs it).
 */
function randomRow(quick: boolean): Row {
  const th = randomThroughput(quick ? 300 : 1500);
  const verifyArgs = ['--layer', 'dispatch', '--seed', '1', '--runs', quick ? '4000' : '20000', '--out', tmpdir()];
  const v = ours(verifyArgs);
  const verifyRate = Number(v.summary.steps) / Math.max(Number(v.summary.timeS), 1e-3);
  return {
    size: 'default',
    bug: null,
    tool: 'virtuos-random',
    states: null,
    states_per_s: null,
    time_to_bug_s: null,
    trace_len: null,
    steps_per_s_raw: Math.round(th.raw),
    steps_per_s_checked: Math.round(th.withProps),
    runs: th.runs,
    steps_per_s_verify: Math.round(verifyRate),
    verify_args: `verify ${verifyArgs.slice(0, 6).join(' ')}`,
  };
}

/** The random row measured by `virtuos bench --random` in a process of its own. */
function randomRowApart(quick: boolean): Row {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'virtuos.mjs'), 'bench', '--random', '--json', ...(quick ? ['--quick'] : [])], { encoding: 'utf8', maxBuffer: 1 << 26, cwd: ROOT });
  if (r.status !== 0) throw new Error(`virtuos bench --random failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Row;
}

function sayRandomRow(row: Row, say: (line: string) => void): void {
  say(`\nrandom explorer, the dispatch layer's default configuration (what 'virtuos verify --layer dispatch' runs; the composed system, which\n'virtuos verify' runs with no options, is in the last table), ${row.runs} fixed schedules (seed 1; one warm-up pass, median of three): ${fmt(row.steps_per_s_raw as number)} steps/s stepping alone, ${fmt(row.steps_per_s_checked as number)} steps/s checking every property`);
  say(`  virtuos ${row.verify_args} (search strategies and statistics included): ${fmt(row.steps_per_s_verify as number)} steps/s`);
}

/**
 * `--floor`: per size, SPIN's whole search time a state, and ours split into its parts
 * (scripts/verifier/exhaustive/floor.ts).
 */
async function floorRows(sizes: string[], noSpin: string | null, reps: number, emit: (r: Row) => void, say: (line: string) => void): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'virtuos-bench-'));
  try {
    say(`where one worker's time goes, in ns a state stored (SPIN ${noSpin ? `not run: ${noSpin}` : 'DFS safety run, its whole search'}; ours: the one-thread search in this`);
    say('process, then each part timed again alone over every state it stored, warm, the median of three passes; docs/exhaustive.md, stop 35)');
    say(`  ${'size'.padEnd(11)} ${'states'.padStart(8)} ${'SPIN'.padStart(6)} ${'ours'.padStart(6)} ${'unpack'.padStart(7)} ${'step'.padStart(6)} ${'pack'.padStart(6)} ${'table'.padStart(6)} ${'invariants'.padStart(10)} ${'the rest'.padStart(9)}  at best (unpack + step + pack only)`);
    for (const size of sizes) {
      const spin = noSpin ? null : spinRun(size, 'OK', 'dfs', work, reps);
      const spinNs = spin ? 1e9 / Number(spin['states/s']) : null;
      const cfg = parseAnchor(size, null);
      const f = await measureFloor(cfg, propertiesFor(cfg).filter((p) => p.invariant || p.final), join(work, 'traces'));
      const r1 = (x: number) => Math.round(x);
      const ns = { search: r1(f.ns.search), decode: r1(f.ns.decode), step: r1(f.ns.step), pack: r1(f.ns.pack), table: r1(f.ns.table), invariants: r1(f.ns.invariants) };
      const rest = ns.search - ns.decode - ns.step - ns.pack - ns.table - ns.invariants;
      const best = 1e9 / (f.ns.decode + f.ns.step + f.ns.pack);
      emit({
        size,
        bug: null,
        tool: 'virtuos-floor',
        states: f.states,
        states_per_s: Math.round(f.states / f.searchS),
        time_to_bug_s: null,
        trace_len: null,
        transitions: f.transitions,
        ns_per_state: { ...ns, rest },
        best_states_per_s: Math.round(best),
        spin_states_per_s: spin ? Number(spin['states/s']) : null,
        spin_ns_per_state: spinNs === null ? null : r1(spinNs),
      });
      say(
        `  ${size.padEnd(11)} ${fmt(f.states).padStart(8)} ${(spinNs === null ? '-' : String(r1(spinNs))).padStart(6)} ${String(ns.search).padStart(6)} ${String(ns.decode).padStart(7)} ${String(ns.step).padStart(6)} ${String(ns.pack).padStart(6)} ${String(ns.table).padStart(6)} ${String(ns.invariants).padStart(10)} ${String(rest).padStart(9)}  ${fmt(best)} states/s${spin ? ` (SPIN ${fmt(Number(spin['states/s']))})` : ''}`,
      );
    }
    say('  (step: the enabled steps and every successor; pack: every successor packed and hashed; table: every successor looked up');
    say('   in the full table, as a state met before; invariants: every invariant on every state, more than the search evaluates;');
    say('   the rest: storing the new states, the table\'s growth, the search\'s bookkeeping, the JIT\'s warm-up)');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      sizes: { type: 'string' },
      'bug-size': { type: 'string' },
      big: { type: 'string' },
      'big-states': { type: 'string' },
      'big-workers': { type: 'string' },
      'big-memory': { type: 'string' },
      'spin-timeout': { type: 'string' },
      reps: { type: 'string' },
      quick: { type: 'boolean' },
      'no-spin': { type: 'boolean' },
      layers: { type: 'boolean' },
      floor: { type: 'boolean' },
      random: { type: 'boolean' },
      json: { type: 'boolean' },
      strategies: { type: 'boolean' },
      'no-strategies': { type: 'boolean' },
      search: { type: 'string' },
      variants: { type: 'string' },
      seeds: { type: 'string' },
      budget: { type: 'string' },
    },
    { min: 0, max: 0, names: '' },
  );
  if (values.help) {
    console.log(help);
    return 0;
  }
  const quick = values.quick === true;
  const sizes = (values.sizes ?? (quick ? '2x1' : '2x1,2x2')).split(',').filter(Boolean);
  const bugSize = values['bug-size'] ?? (quick ? '2x1' : '2x2');
  const reps = intOption(values, 'reps', 1, 20, 1);
  const big = (values.big ?? (quick ? '' : '3x2,4x1')).split(',').filter(Boolean);
  // a size that is not one, or that our model cannot take, is refused before anything runs, naming the option it came from
  const sizeOptions: [string, string[]][] = [['--sizes', sizes], ['--bug-size', [bugSize]], ['--big', big]];
  for (const [option, list] of sizeOptions)
    for (const s of list) {
      if (!/^\d+x\d+(x\d+){0,3}$/.test(s)) throw new UsageError(`${option}: a size must be NCxNR[xNENT[xNW[xSPINS]]], got '${s}'`);
      try {
        parseAnchor(s, null);
      } catch (e) {
        if (e instanceof UsageError) throw new UsageError(`${option} ${s}: ${e.message.replace(/^--anchor \S+: /, '')}`);
        throw e;
      }
    }
  const bigStates = intOption(values, 'big-states', 1000, 2_000_000_000, 60_000_000);
  const spinTimeout = intOption(values, 'spin-timeout', 1, 86_400, 150);
  const bigWorkers = intOption(values, 'big-workers', 1, 64, 2);
  // passed on to verify's --max-memory in whole megabytes
  const bigMemory = `${Math.floor(memoryOption(values['big-memory'], '--big-memory', () => Math.min(6 * 2 ** 30, totalmem() / 2), '6G') / 2 ** 20)}M`;
  const json = values.json === true;
  const list = (text: string) => text.split(',').map((x) => x.trim()).filter(Boolean);
  const search = list(values.search ?? STRATEGY_CHOICES.join(',')) as StrategyChoice[];
  for (const x of search) if (!STRATEGY_CHOICES.includes(x)) throw new UsageError(`--search: unknown strategy '${x}' (known: ${STRATEGY_CHOICES.join(', ')})`);
  const variants = list(values.variants ?? ALL_VARIANTS.join(','));
  for (const x of variants) if (!ALL_VARIANTS.includes(x)) throw new UsageError(`--variants: unknown variant '${x}' (known: ${ALL_VARIANTS.join(', ')})`);
  const seeds = list(values.seeds ?? (quick ? '1' : '1,2,3,4,5')).map((x) => {
    if (!/^-?\d+$/.test(x)) throw new UsageError(`--seeds must be a list of integers, got '${x}'`);
    return Number(x);
  });
  const budget = intOption(values, 'budget', 1, 10_000_000, null) ?? (quick ? 2000 : null);
  const noSpin = values['no-spin'] === true ? 'skipped (--no-spin)' : spinAvailable();
  const rows: Row[] = [];
  const emit = (r: Row) => {
    rows.push(r);
    if (json) console.log(JSON.stringify(r));
  };
  const say = (line: string) => {
    if (!json) console.log(line);
  };
  const layers = () => {
    const rowsL = layerThroughput(quick ? 60 : 300);
    say(`\nrandom explorer on each layer alone and on the composed system (${rowsL[0].runs} runs each, seed 1): steps per second`);
    say(`  ${'layer'.padEnd(10)} ${'stepping'.padStart(9)} ${'checking'.padStart(9)}  properties`);
    for (const r of rowsL) {
      emit({ size: r.layer, bug: null, tool: 'virtuos-random-layer', states: null, states_per_s: null, time_to_bug_s: null, trace_len: null, layer: r.layer, steps_per_s_raw: Math.round(r.raw), steps_per_s_checked: Math.round(r.checked), runs: r.runs, properties: r.properties });
      say(`  ${r.layer.padEnd(10)} ${fmt(Math.round(r.raw)).padStart(9)} ${fmt(Math.round(r.checked)).padStart(9)}  ${r.properties}`);
    }
  };
  const strategyRows = () => timeToBugRows({ search, variants, seeds, budget }, emit, say);
  if (values.layers) {
    layers();
    return 0;
  }
  if (values.floor) {
    await floorRows(sizes, noSpin, reps, emit, say);
    return 0;
  }
  if (values.random) {
    const row = randomRow(quick);
    emit(row);
    sayRandomRow(row, say);
    return 0;
  }
  if (values.strategies && values['no-strategies']) throw new UsageError('--strategies and --no-strategies ask for opposite things: give one');
  if (values.strategies) {
    strategyRows();
    return 0;
  }
  const work = mkdtempSync(join(tmpdir(), 'virtuos-bench-'));
  const traces = join(work, 'traces');
  say(`virtuos bench: SPIN ${noSpin ? `not run: ${noSpin}` : 'vs virtuos'}; sizes ${sizes.join(', ')}, bugs at ${bugSize}, ${reps} rep(s)`);
  say('(size = callers x calls x entries x workers x DONE checks; ours: virtuos verify --exhaustive --anchor SIZE, breadth-first, full store)');
  try {
    // 1. The correct model: every reachable state.
    say('\ncorrect model, every reachable state (SPIN: DFS safety run; ours: BFS, invariants and terminal states):');
    say(`  ${'size'.padEnd(11)} ${'SPIN states'.padStart(11)} ${'our states'.padStart(11)} ${'SPIN st/s'.padStart(10)} ${'our st/s'.padStart(10)} ${'ratio st/s'.padStart(10)} ${'SPIN MB'.padStart(8)} ${'our MB'.padStart(8)} ${'SPIN s'.padStart(7)} ${'our s'.padStart(7)}`);
    for (const size of sizes) {
      let spin: Row | null = null;
      if (!noSpin) {
        const kv = spinRun(size, 'OK', 'dfs', work, reps);
        spin = { size, bug: null, tool: 'spin', states: Number(kv.states), states_per_s: Number(kv['states/s']), time_to_bug_s: null, trace_len: null, memory_mb: Number(kv.maxRSS_MB), search_s: Number(kv.search_s), compile_s: Number(kv.compile_s?.split('(')[0]), result: kv.result };
        emit(spin);
      }
      const runs = Array.from({ length: reps }, () => ours(['--exhaustive', '--anchor', size, '--liveness', 'terminal', '--out', traces]));
      const s = runs[Math.floor((reps - 1) / 2)].summary;
      const mine: Row = {
        size,
        bug: null,
        tool: 'virtuos',
        states: Number(s.states),
        states_per_s: median(runs.map((r) => Number(r.summary.statesPerS))),
        time_to_bug_s: null,
        trace_len: null,
        memory_mb: Number(s.peakMemoryMB),
        search_s: median(runs.map((r) => Number(r.summary.timeS))),
        wall_s: median(runs.map((r) => r.wall)),
        proved: s.ok === true && s.complete === true,
        transitions: Number(s.transitions),
      };
      emit(mine);
      say(
        `  ${size.padEnd(11)} ${fmt(spin?.states).padStart(11)} ${fmt(mine.states).padStart(11)} ${fmt(spin?.states_per_s).padStart(10)} ${fmt(mine.states_per_s).padStart(10)} ${fmt(ratio(mine.states_per_s, spin?.states_per_s ?? null)).padStart(10)} ${fmt(spin?.memory_mb as number, 0).padStart(8)} ${fmt(mine.memory_mb as number, 0).padStart(8)} ${fmt(spin?.search_s as number).padStart(7)} ${fmt(mine.search_s as number).padStart(7)}`,
      );
    }
    say('  (ratio st/s = ours / SPIN; states are counted differently, see docs/exhaustive.md: SPIN counts distinct');
    say('   state vectors of its processes, we count distinct word arrays of our model; MB = peak resident memory)');

    // 1b. The same searches on two worker threads: the speed-up over one. The machine's speed drifts
    // by 10-15% over minutes (other work shares it), so the speed-up is measured in pairs, a
    // one-worker run right before each two-worker run, and is the median of the pairs' ratios; it
    // is not taken against the one-worker row above, which was run minutes earlier.
    say('\ncorrect model on two worker threads (ours: --workers 2 --liveness terminal, one shared store; the speed-up is the median, over');
    // at least five pairs (one with --quick): a single pair's ratio moves by about 0.1 from run to
    // run (stop 31: 1.67-1.89 at 2x2), and a median of three still moved by about 0.05
    const pairCount = quick ? reps : Math.max(reps, 5);
    say(`  ${pairCount} pair(s) of runs, of 2 workers / 1 worker, the one-worker run made right before each two-worker run):`);
    say(`  ${'size'.padEnd(11)} ${'our states'.padStart(11)} ${'1 worker st/s'.padStart(14)} ${'2 workers st/s'.padStart(15)} ${'speed-up'.padStart(9)}  pairs`);
    for (const size of sizes) {
      const args = ['--exhaustive', '--anchor', size, '--liveness', 'terminal', '--out', traces];
      const pairs = Array.from({ length: pairCount }, () => {
        const one = ours(args);
        const two = ours([...args, '--workers', '2']);
        return { one, two, ratio: Number(two.summary.statesPerS) / Number(one.summary.statesPerS) };
      });
      const s = pairs[Math.floor((pairCount - 1) / 2)].two.summary;
      const twoRates = pairs.map((p) => Number(p.two.summary.statesPerS));
      const two: Row = {
        size,
        bug: null,
        tool: 'virtuos-2-workers',
        states: Number(s.states),
        states_per_s: median(twoRates),
        time_to_bug_s: null,
        trace_len: null,
        memory_mb: Number(s.peakMemoryMB),
        search_s: median(pairs.map((p) => Number(p.two.summary.timeS))),
        workers: 2,
        speedup: median(pairs.map((p) => p.ratio)),
        one_worker_states_per_s: median(pairs.map((p) => Number(p.one.summary.statesPerS))),
        speedup_pairs: pairs.map((p) => Math.round(p.ratio * 1000) / 1000),
      };
      emit(two);
      say(`  ${size.padEnd(11)} ${fmt(two.states).padStart(11)} ${fmt(two.one_worker_states_per_s as number).padStart(14)} ${fmt(two.states_per_s).padStart(15)} ${fmt(two.speedup as number).padStart(9)}  ${(two.speedup_pairs as number[]).map((x) => x.toFixed(2)).join(', ')}`);
    }

    // 1c. Sizes SPIN cannot finish here: SPIN stopped after --spin-timeout, ours with symmetry reduction up to --big-states.
    if (big.length) {
      say(`\nlarger sizes (SPIN: DFS, stopped after ${spinTimeout} s; ours: --symmetry --liveness terminal --workers ${bigWorkers}, at most ${fmt(bigStates)} states and ${bigMemory} of tables):`);
      say(`  ${'size'.padEnd(11)} ${'tool'.padEnd(7)} ${'states'.padStart(9)} ${'st/s'.padStart(8)} ${'s'.padStart(7)} ${'MB'.padStart(7)}  result`);
      for (const size of big) {
        if (!noSpin) {
          const kv = spinRun(size, 'OK', 'dfs', work, 1, spinTimeout);
          const row: Row = { size, bug: null, tool: 'spin', states: Number(kv.states), states_per_s: Number(kv['states/s']), time_to_bug_s: null, trace_len: null, memory_mb: Number(kv.maxRSS_MB), search_s: Number(kv.search_s), result: kv.result, timeout_s: spinTimeout };
          emit(row);
          say(`  ${size.padEnd(11)} ${'SPIN'.padEnd(7)} ${fmt(row.states).padStart(9)} ${fmt(row.states_per_s).padStart(8)} ${fmt(row.search_s as number).padStart(7)} ${fmt(row.memory_mb as number, 0).padStart(7)}  ${kv.result ?? '-'}`);
        }
        // every symmetry group; where the M:N scheduler could pick between runnable threads that are not
        // interchangeable, verify refuses thread symmetry, and the other groups are used
        let groups = 'threads,kernels,workers,entries';
        const run = (g: string) => ours(['--exhaustive', '--anchor', size, '--symmetry', '--symmetry-groups', g, '--liveness', 'terminal', '--max-states', String(bigStates), '--max-memory', bigMemory, '--workers', String(bigWorkers), '--out', traces]);
        let r: ReturnType<typeof ours>;
        try {
          r = run(groups);
        } catch (e) {
          if (!(e instanceof OursError) || !/thread symmetry does not hold/.test(e.stderr)) throw e;
          groups = 'kernels,workers,entries';
          r = run(groups);
        }
        const s = r.summary;
        const proved = s.ok === true && s.complete === true;
        const row: Row = { size, bug: null, tool: 'virtuos-symmetry', states: Number(s.states), states_per_s: Number(s.statesPerS), time_to_bug_s: null, trace_len: null, memory_mb: Number(s.peakMemoryMB), search_s: Number(s.timeS), proved, max_states: bigStates, max_memory: bigMemory, limit: s.limit ?? null, symmetry_groups: groups, workers: bigWorkers };
        emit(row);
        say(`  ${size.padEnd(11)} ${'ours'.padEnd(7)} ${fmt(row.states).padStart(9)} ${fmt(row.states_per_s).padStart(8)} ${fmt(row.search_s as number).padStart(7)} ${fmt(row.memory_mb as number, 0).padStart(7)}  ${proved ? 'PROVED' : s.ok === true ? `not finished: ${s.limit === 'max-memory' ? `the ${bigMemory} memory limit` : `the ${fmt(bigStates)}-state limit`}` : 'VIOLATED'} (symmetry: ${groups})`);
      }
    }

    // 2. The seeded bugs.
    say(`\nseeded bugs at ${bugSize}: time to the first counterexample (SPIN: compile + search; ours: process start + search) and its length in protocol steps:`);
    say(`  ${'bug'.padEnd(14)} ${'SPIN DFS s'.padStart(10)} ${'len'.padStart(4)} ${'SPIN BFS s'.padStart(10)} ${'len'.padStart(4)} ${'ours s'.padStart(7)} ${'len'.padStart(4)} ${'states'.padStart(7)} ${'vs DFS'.padStart(7)} ${'vs BFS'.padStart(7)}  found by`);
    for (const v of VARIANTS.filter((x) => SPIN_FLAGS[x.name])) {
      let dfs: Row | null = null;
      let bfs: Row | null = null;
      if (!noSpin) {
        for (const mode of ['dfs', 'bfs'] as const) {
          const kv = spinRun(bugSize, SPIN_FLAGS[v.name], mode, work, reps);
          const compile = Number(kv.compile_s?.split('(')[0]);
          const row: Row = {
            size: bugSize,
            bug: v.name,
            tool: `spin-${mode}`,
            states: Number(kv.states),
            states_per_s: Number(kv['states/s']) || null,
            time_to_bug_s: compile + Number(kv.wall_s),
            trace_len: Number(kv.protocol_steps),
            compile_s: compile,
            search_s: Number(kv.search_s),
            result: kv.result,
          };
          emit(row);
          if (mode === 'dfs') dfs = row;
          else bfs = row;
        }
      }
      const runs = Array.from({ length: reps }, () => ours(['--exhaustive', '--anchor', bugSize, '--variant', v.name, '--stop-at-first', '--out', traces]));
      const r = runs[Math.floor((reps - 1) / 2)];
      const hit = r.results.find((x) => x.status === 'violated');
      const mine: Row = {
        size: bugSize,
        bug: v.name,
        tool: 'virtuos',
        states: Number(r.summary.states),
        states_per_s: Number(r.summary.statesPerS),
        time_to_bug_s: median(runs.map((x) => x.wall)),
        trace_len: hit ? Number(hit.traceSteps) : null,
        property: hit ? `${hit.property}/${hit.clause}` : null,
        search_s: hit ? Number(hit.foundAfterS) : null,
      };
      emit(mine);
      say(
        `  ${v.name.padEnd(14)} ${fmt(dfs?.time_to_bug_s).padStart(10)} ${fmt(dfs?.trace_len).padStart(4)} ${fmt(bfs?.time_to_bug_s).padStart(10)} ${fmt(bfs?.trace_len).padStart(4)} ${fmt(mine.time_to_bug_s).padStart(7)} ${fmt(mine.trace_len).padStart(4)} ${fmt(mine.states).padStart(7)} ${fmt(ratio(dfs?.time_to_bug_s ?? null, mine.time_to_bug_s)).padStart(7)} ${fmt(ratio(bfs?.time_to_bug_s ?? null, mine.time_to_bug_s)).padStart(7)}  ${mine.property ?? 'NOT FOUND'}`,
      );
    }
    say('  (vs DFS / vs BFS = SPIN time / our time: above 1 means we were faster; len = protocol steps: SPIN counts');
    say('   the trail steps of its Caller and Worker processes, we count model steps; our counterexamples are shortest)');

    // 3. The random explorer (the foundation issue's line).
    const row = randomRowApart(quick);
    emit(row);
    sayRandomRow(row, say);
    say('  time to the first counterexample of each seeded variant (virtuos verify --variant V --seed 1 --property P, process start, shrinking and minimising included):');
    for (const v of VARIANTS.filter((x) => !x.config?.posix && !x.config?.isolation && !x.config?.recovery)) {
      const prop = v.breaks[0];
      const args = ['--variant', v.name, '--seed', '1', '--property', prop, '--runs', quick ? '4000' : '20000', '--out', traces];
      const r = ours(args);
      const res = r.results.find((x) => x.property === prop);
      const row: Row = {
        size: 'default',
        bug: v.name,
        tool: 'virtuos-random',
        states: null,
        states_per_s: null,
        time_to_bug_s: res?.status === 'violated' ? r.wall : null,
        trace_len: res?.status === 'violated' ? Number(res.traceSteps) : null,
        property: prop,
        runs: res ? Number(res.runs) : null,
      };
      emit(row);
      say(`    ${v.name.padEnd(14)} ${prop.padEnd(15)} ${row.time_to_bug_s === null ? `not found in ${args[7]} runs` : `${fmt(row.time_to_bug_s)} s, ${row.runs} runs, trace ${row.trace_len} steps`}`);
    }
    // 4. Each layer alone and the composed system.
    layers();

    // 5. Time to the first counterexample per search strategy (the search issue's rows).
    if (!values['no-strategies']) strategyRows();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return 0;
}

/**
 * Per seeded variant and search strategy, the time to the first counterexample on each seed; then
 * per strategy the variants it found on at least 4 of 5 seeds (or the same share of the seeds given)
 * and its median time over every variant and seed, not-found counting as never.
 */
function timeToBugRows(o: { search: StrategyChoice[]; variants: string[]; seeds: number[]; budget: number | null }, emit: (r: Row) => void, say: (line: string) => void): void {
  const need = Math.ceil((4 / 5) * o.seeds.length);
  say(`\ntime to the first counterexample per search strategy: each variant in its own configuration, every property it checks, a budget of ${o.budget ?? `${DEFAULT_RUNS} runs (${DEFAULT_SYSTEM_RUNS} for the composed system's variants, as 'virtuos verify')`}${o.budget === null ? '' : ' runs'}, seeds ${o.seeds.join(', ')}`);
  say("  (virtuos verify --variant V --strategy S --seed N in this process, shrinking and minimising included; a cell is: seeds found/seeds, median seconds; '-' not found)");
  const w = 13;
  const nw = Math.max(22, ...o.variants.map((v) => v.length + 1));
  const budgetOf = (v: Variant) => o.budget ?? (variantConfig(v).system ? DEFAULT_SYSTEM_RUNS : DEFAULT_RUNS);
  say(`  ${'variant'.padEnd(nw)}${o.search.map((x) => x.padStart(w)).join('')}`);
  const all: TimeToBug[] = [];
  for (const name of o.variants) {
    const v = VARIANTS.find((x) => x.name === name)!;
    const cells: string[] = [];
    for (const strategy of o.search) {
      const mine: TimeToBug[] = [];
      for (const seed of o.seeds) {
        const r = timeToBug(v, strategy, seed, budgetOf(v));
        mine.push(r);
        all.push(r);
        emit({ size: 'own config', bug: v.name, tool: `virtuos-${strategy}`, states: null, states_per_s: null, time_to_bug_s: r.found ? Number(r.seconds.toFixed(3)) : null, trace_len: r.traceSteps, seed, runs: r.runs, property: r.property, found_by: r.by, budget: budgetOf(v) });
      }
      const found = mine.filter((x) => x.found).length;
      const med = medianTime(mine);
      cells.push(`${found}/${mine.length} ${Number.isFinite(med) ? fmt(med) : '-'}`.padStart(w));
    }
    say(`  ${v.name.padEnd(nw)}${cells.join('')}`);
  }
  say(`  ${'median, all variants'.padEnd(nw)}${o.search.map((x) => fmt(medianTime(all.filter((r) => r.strategy === x))).replace('Infinity', '-').padStart(w)).join('')}`);
  say(`  ${`found on >= ${need}/${o.seeds.length} seeds`.padEnd(nw)}${o.search.map((x) => `${o.variants.filter((v) => all.filter((r) => r.strategy === x && r.variant === v && r.found).length >= need).length}/${o.variants.length}`.padStart(w)).join('')}`);
  for (const strategy of o.search) {
    say(`  ${strategy}, per seed (seconds, runs up to the one that found it${strategy === 'mix' ? ', the member whose run it was' : ''}):`);
    for (const name of o.variants) {
      const mine = all.filter((r) => r.strategy === strategy && r.variant === name);
      say(`    ${name.padEnd(nw)} ${mine.map((r) => `seed ${r.seed}: ${r.found ? `${fmt(r.seconds)} s, ${r.runs} run${r.runs === 1 ? '' : 's'}${strategy === 'mix' ? `, ${r.by}` : ''}` : `not found in ${r.runs} runs (${fmt(r.seconds)} s)`}`).join('; ')}`);
    }
  }
}
