/** `virtuos verify`: random exploration of the model with fast-check, checking the chosen properties. */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { anchorConfig, BUGS, COMPOSED_EXHAUSTIVE_DEPTH, composedExhaustiveConfig, CONFIG_DOC, ConfigError, DEFAULT_CONFIG, parseConfig, shownConfig, type Bug, type Config } from '../../../model/kit/config.ts';
import { VARIANTS } from '../../../model/variants.ts';
import { LAYERS, layerConfig, LayerError, PROPERTIES, propertiesFor, propertyByName, withLayersFor, type Layer } from '../../../properties/index.ts';
import type { Property } from '../../../properties/property.ts';
import { intOption, numberOption, parse, UsageError } from '../args.ts';
import { checkCombination, CombinationError, exhaustive, type ExhaustiveProgress, type ExhaustiveSummary, type LivenessMode } from '../../verifier/exhaustive/exhaustive.ts';
import { PorError } from '../../verifier/exhaustive/por.ts';
import { fmtBytes, STORE_CAPACITY, type StoreKind } from '../../verifier/exhaustive/store.ts';
import { SYMMETRY_GROUPS, SymmetryError, type SymmetryGroup } from '../../verifier/exhaustive/symmetry.ts';
import { chunkRunner, partitionRunner, sharedRunner } from '../../verifier/workers/pool.ts';
import { partitionable, partitionedExhaustive } from '../../verifier/exhaustive/partitioned.ts';
import { sharable, sharedExhaustive } from '../../verifier/exhaustive/shared.ts';
import { BATCH_RUNS, batchCount, verifyBatched, type BatchedSummary } from '../../verifier/random/batches.ts';
import { defaultMaxPicks, verify, type SystemCounts, type VerifySummary } from '../../verifier/random/verify.ts';
import { MIX, STRATEGY_CHOICES, type StrategyChoice } from '../../verifier/random/search/strategy.ts';
import { DIFFERENCES } from '../../../model/posix/differences.ts';
import { makeSystem } from '../../../model/kit/system.ts';
import { runScenario, scenarioByName, SCRIPTED_SCENARIOS } from '../../verifier/scenarios.ts';
import { scenarioLines } from './scenario.ts';

export const DEFAULT_RUNS = 15000;
/** The composed system's default: a run is about fifty times a dispatch run's work; this finishes in under a minute on two cores. */
export const DEFAULT_SYSTEM_RUNS = 2000;

/** The default --max-memory: half this machine's memory, for the search's tables (the rest of the process comes on top). */
export const defaultMaxBytes = () => Math.floor(totalmem() / 2);

export const help = `usage: virtuos verify [--property P]... [--variant V] [--config FILE | --anchor SIZE] [--json] [--out DIR]
                      [--system | --layer L | --isolation | --recovery] [--scenario NAME]
                      [--seed N] [--runs N | --time S] [--max-picks N] [--strategy S]   (random mode)
                      --exhaustive [--max-states N] [--max-memory SIZE] [--max-depth D] [--symmetry] [--por]
                                   [--store full|hashcompact|bitstate] [--liveness cycles|terminal]
                      [--workers N] [--shard K/N]                                      (both)

What is checked: by default the composed system (every layer at once: POSIX programs whose calls the
dispatch machines of the storage and the network domain carry, on the hypervisor with the compromised
network domain, crashes and restarts; docs/system.md), with every property of every group. A
configuration (--config, --anchor), a layer (--layer, --isolation, --recovery), a scenario or a
variant's own configuration (--variant without --system) says otherwise.

Random mode (the default) explores random interleavings of the model (fast-check generates and
shrinks the schedules) and checks the properties on every run. A violation is shrunk and written as
a replayable trace to DIR/<property>/<variant>-<seed>.itf.json. This samples runs; it does not prove
anything.

Exhaustive mode (--exhaustive) explores every reachable state of the configuration breadth-first,
checks every invariant on every state and the terminal-state checks on every state where nothing is
enabled, looks for weakly fair cycles (livelocks), and writes a shortest counterexample for each
violated property to DIR/<property>/<variant>-exhaustive.itf.json. Its summary says exactly what was
proved and up to which bound. History properties (linearizable) are left to random mode.

  --property P   check only P (repeatable; default: all that apply to the configuration).
                 See 'virtuos list'. On a layer alone, naming a property switches its layer on,
                 the same way for every group: posix the POSIX layer with its default bounds
                 (programs are then generated for every run), isolation as --isolation, recovery as
                 --recovery, system the composed system. Outside the composed system, groups that
                 cannot share a run are refused with the reason (posix with any other group;
                 dispatch with recovery).
  --variant V    run a seeded-bug variant: ${BUGS.join(', ')} (default: the correct model);
                 the variant's own configuration applies unless --config, --anchor or --system
                 is given (with --system every variant runs on the composed system)
  --config FILE  JSON object overriding configuration fields (see below)
  --anchor SIZE  the configuration of the SPIN model in shared/anchors: NCxNR[xNENT[xNW[xSPINS]]]
                 (callers x calls x entries x workers x DONE checks; 1:1 threads, atomic ready
                 queue, direct notification, no wake path)
  --isolation    switch the isolation layer on, with the adversary (see docs/isolation.md)
  --recovery     switch the failure-and-recovery layer on, over the isolation layer's hypervisor
                 (with --isolation as well: and the adversary); see docs/recovery.md
  --system       the composed system (the default when no configuration, layer, scenario or
                 variant says otherwise); see docs/system.md
  --layer L      system (as --system), or one layer alone: dispatch (the foundation, every other
                 layer off), posix, isolation (with the adversary) or recovery (over the isolation
                 layer's hypervisor)
  --scenario S   run the named scenario first (see 'virtuos list'), then verify its configuration
  --json         NDJSON events on stdout: start, progress, result (one per property), summary
                 (and note: what a long exhaustive search should say as it happens, e.g. a restart)
  --out DIR      where traces are written (default traces)
 random mode:
  --seed N       seed of every random choice (default: a fresh one, printed)
  --runs N       number of runs (default ${DEFAULT_SYSTEM_RUNS} for the composed system, ${DEFAULT_RUNS} otherwise)
  --time S       run for S seconds instead of a run count (the count then varies)
  --max-picks N  most schedule picks per run (default 20 x processes x threads x calls)
  --strategy S   how runs are drawn (default mix; see docs/search.md):
                 uniform   random [actor, burst] picks
                 pct       random actor priorities with up to 5 change points (PCT)
                 pos       partial-order sampling: racing steps get fresh priorities
                 swarm     a narrowed configuration and favoured actors per run
                 feedback  mutations of a corpus of runs that reached new step coverage
                 mix       the runs take turns: ${mixText()}
 exhaustive mode:
  --max-states N stop after N states (default: as many as the store can hold, ${STORE_CAPACITY.full.toLocaleString('en-US')} full,
                 ${STORE_CAPACITY.hashcompact.toLocaleString('en-US')} hashcompact); the summary then says what was covered
  --max-memory SIZE stop when the search's own tables (visited set, queues, parents) take SIZE
                 bytes (a number with K, M, G or T; default half this machine's memory, ${fmtBytes(defaultMaxBytes())});
                 judged on the tables' sizes, not on timing, so a limited search stops at the same
                 state every time; the process takes more than this (the model, the heap)
  --max-depth D  explore only states within D steps of the initial state (a bounded proof; the
                 composed system: ${COMPOSED_EXHAUSTIVE_DEPTH} by default, on a one-thread program)
  --symmetry     reduce by interchangeable kernel threads, workers and request entries, and user
                 threads when there are as many kernel threads as threads; --symmetry-groups LIST
                 chooses among ${SYMMETRY_GROUPS.join(', ')}. User threads are interchangeable only
                 while the M:N scheduler picks between threads alike: a search that meets a pick
                 between threads that differ stops with exit 2 and says so
  --por          partial-order reduction: ample sets of one process's steps (needs processes >= 2
                 to reduce anything; see docs/exhaustive.md)
  --store K      visited set: full (exact, default), hashcompact (8 bytes a state; prints the
                 probability of a missed state) or bitstate (--bitstate-bits B, default 30: 2^B bits)
  --liveness M   cycles: also look for weakly fair cycles (default when no reduction is on);
                 terminal: judge liveness on terminal states only (required with --symmetry/--por)
  --stop-at-first stop at the first violation of any property
 both:
  --workers N    worker threads (default 1); the result is the same as with one. In random mode the
                 runs are then cut into batches of ${BATCH_RUNS} with seeds derived from --seed (a different
                 sample than one campaign with the same seed, the same for any N). In exhaustive
                 mode the workers share one store, each expanding any state of the level and
                 storing what it finds first (with --store hashcompact: each owns the states whose
                 hash falls in its part); the counts and verdicts are one thread's, a counterexample
                 is as short and the same for any N. A shared store keeps no parents at first (less
                 memory a state); a violation found that way starts the search again keeping them,
                 saying so on stderr (a 'note' event with --json). With --liveness cycles, --por or --shard the
                 workers expand chunks and one thread stores (the same result, and no faster)
  --shard K/N    run part K of N (random: the batches b with b mod N = K-1; exhaustive: the states
                 below a root level split by hash); combine the parts' --json output with 'virtuos merge'

Exit status: 0 all checked properties hold (in the runs made, or within the stated bound),
1 a property is violated, 2 bad usage or input (including a combination of options that cannot be
checked soundly, with the reason).

Configuration fields (default):
${Object.entries(CONFIG_DOC)
  .map(([k, d]) => `  ${k.padEnd(15)} ${d} (${JSON.stringify(DEFAULT_CONFIG[k as keyof Config] ?? null)})`)
  .join('\n')}`;

export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--config ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config ${file}: not valid JSON (${(e as Error).message})`);
  }
  try {
    return parseConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`--config ${file}: ${e.message}`);
    throw e;
  }
}

const fmtCount = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(n));

export function printSummary(s: VerifySummary, checkedNames: string[]): void {
  const w = Math.max(...checkedNames.map((n) => n.length), 8);
  console.log(`${'property'.padEnd(w)}  status    runs    steps    result`);
  for (const r of s.results) {
    const status = r.status === 'holds' ? 'holds   ' : 'VIOLATED';
    const tail =
      r.status === 'holds'
        ? `holds in ${r.runs} runs${r.inconclusive ? ` (${r.inconclusive} history checks inconclusive: budget)` : ''}`
        : `${r.clause}: ${r.message}\n${' '.repeat(w + 2)}trace ${r.trace ?? '(not written)'} (${r.traceSteps} steps; replay with: virtuos replay ${r.trace ?? ''})`;
    console.log(`${r.property.padEnd(w)}  ${status}  ${String(r.runs).padStart(6)}  ${fmtCount(r.steps).padStart(7)}    ${tail}`);
  }
  console.log(`distinct states seen: ${s.distinctStates.toLocaleString('en-US')}${s.distinctCapped ? ' (count capped)' : ''} (by 53-bit state hash)`);
  console.log('coverage of each machine (visited/total; some states belong to other configurations or seeded bugs):');
  for (const c of s.coverage) {
    const miss = c.unvisitedStates.length ? `  unvisited: ${c.unvisitedStates.join(', ')}` : '';
    console.log(`  ${c.machine.padEnd(14)} states ${c.states[0]}/${c.states[1]}, transitions ${c.transitions[0]}/${c.transitions[1]}${miss}`);
  }
  if (s.posix) printPosixSummary(s);
  if (s.adversary) {
    const kinds = Object.entries(s.adversary.byEvent)
      .sort((a, b) => b[1] - a[1])
      .map(([e, n]) => `${e} ${n}${e.startsWith('AdversaryPicks') ? '' : ` (${s.adversary!.accepted[e] ?? 0} accepted)`}`)
      .join(', ');
    const per = (n: number) => (n / Math.max(s.adversary!.runs, 1)).toFixed(1);
    console.log(
      `adversary: ${s.adversary.steps} steps in ${s.adversary.runs} runs (${per(s.adversary.steps)} per run, ${per(s.adversary.scheduled)} of them picked by the schedule, the rest by the drain)${kinds ? `: ${kinds}` : ''}`,
    );
  }
  if (s.crashes) console.log(crashLine(s.crashes));
  if (s.system) console.log(systemLine(s.system));
  printStrategies(s);
  console.log(`time: ${s.timeS.toFixed(1)} s, ${fmtCount(Math.round(s.steps / Math.max(s.timeS, 1e-3)))} steps/s`);
  const bad = s.results.filter((r) => r.status === 'violated').length;
  console.log(
    bad
      ? `result: ${bad} of ${s.results.length} properties VIOLATED (variant ${s.variant}, seed ${s.seed})`
      : `result: ${s.results.length === 1 ? `${s.results[0].property} holds` : `all ${s.results.length} properties hold`} in ${s.runs} random runs (variant ${s.variant}, seed ${s.seed}); sampled, not proved`,
  );
}

/** The composed system's layers at work, one line: the dispatch machines per domain, restarts. */
export function systemLine(x: SystemCounts): string {
  const per = (o: Record<string, number>) => `storage ${o.storage ?? 0}, network ${o.network ?? 0}`;
  return `composed system: POSIX requests carried by the dispatch machines: ${per(x.carried)}; failed with their domain: ${per(x.failed)}; restarts: ${per(x.restarts)}; reconnections: ${per(x.reconnects)}`;
}

/** Per strategy: runs, counterexamples found, step coverage. */
export function printStrategies(s: Pick<VerifySummary, 'strategies' | 'signatures'>): void {
  console.log(`search strategies (coverage: distinct step signatures, transition x shared words changed x their last writer; ${s.signatures.toLocaleString('en-US')} in all):`);
  for (const x of s.strategies)
    console.log(`  ${x.strategy.padEnd(9)} ${String(x.runs).padStart(7)} runs, ${x.found} counterexample${x.found === 1 ? '' : 's'} found${x.properties.length ? ` (reported: ${x.properties.join(', ')})` : ''}, coverage ${x.coverage.toLocaleString('en-US')}`);
}

/** The recovery layer's crash counts, one line. */
export function crashLine(c: NonNullable<VerifySummary['crashes']>): string {
  const kinds = Object.entries(c.byEvent).map(([e, n]) => `${e} ${n}`).join(', ');
  return `crashes: ${c.steps} in ${c.runs} runs (${c.runsWithCrash} runs crashed at least once); ${c.points} distinct crash points (state crashed in, and domain), ${c.perRun} per run${kinds ? `: ${kinds}` : ''}`;
}

export function printPosixSummary(s: Pick<VerifySummary, 'posix'>): void {
  const p = s.posix!;
  const line = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`POSIX programs run: ${p.runs}; calls made, by call: ${line(p.calls)}`);
  console.log(`calls made, by routing target: ${line(p.routes)}`);
  const counted = DIFFERENCES.filter((d) => d.treatment !== 'generator' && d.treatment !== 'liveness');
  const times = (d: (typeof counted)[number]) => (d.treatment === 'cut' ? `${p.cut[d.name] ?? 0} runs cut` : `${p.applied[d.name] ?? 0} calls`);
  console.log(`documented differences excepted: ${counted.map((d) => `${d.name} (${times(d)})`).join(', ')}`);
  if (p.inconclusive) console.log(`reference searches out of budget (not counted as holding): ${p.inconclusive}`);
  console.log(`situations reached (runs or calls): ${line(p.reached)}`);
}

const posixConfigText = (cfg: Config) =>
  cfg.posix ? `; posix layer: threads=${cfg.posix.threads} forks=${cfg.posix.forks} calls=${cfg.posix.calls} descriptors=${cfg.posix.descriptors} fileBytes=${cfg.posix.fileBytes} program=${cfg.posix.program ? 'given' : 'generated per run'}` : '';

/** "K/N" with 1 <= K <= N. */
export function parseShard(text: string): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--shard must be K/N (for example 2/4), got '${text}'`);
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || n > 10_000 || k < 1 || k > n) throw new UsageError(`--shard ${text}: K must be between 1 and N, and N between 1 and 10000`);
  return { k, n };
}

/** "NCxNR[xNENT[xNW[xSPINS]]]" into the anchor configuration. */
export function parseAnchor(text: string, bug: Bug | null): Config {
  const parts = text.split('x');
  if (parts.length < 2 || parts.length > 5 || parts.some((x) => !/^\d+$/.test(x))) throw new UsageError(`--anchor must be NCxNR[xNENT[xNW[xSPINS]]] (for example 2x2x2x2x1), got '${text}'`);
  const [nc, nr, nent = 2, nw = 2, spins = 1] = parts.map(Number);
  try {
    return parseConfig(anchorConfig(nc, nr, nent, nw, spins, bug));
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`--anchor ${text}: ${e.message}`);
    throw e;
  }
}

/** --max-memory (or another option's SIZE): bytes, from a number with an optional K, M, G or T (powers of 1024). */
export function memoryOption(raw: unknown, option = '--max-memory', fallback = defaultMaxBytes, example = '8G'): number {
  if (raw === undefined) return fallback();
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)B?$/i.exec(String(raw).trim());
  if (!m) throw new UsageError(`${option} must be a size such as ${example}, 500M or 2.5G, got '${raw}'`);
  const bytes = Math.floor(Number(m[1]) * 1024 ** ' KMGT'.indexOf((m[2] || ' ').toUpperCase()));
  if (bytes < 2 ** 20) throw new UsageError(`${option} must be at least 1M, got '${raw}'`);
  if (bytes > totalmem()) throw new UsageError(`${option} ${raw} is more than this machine's memory (${fmtBytes(totalmem())})`);
  return bytes;
}

/** "uniform 3, pct 2, ..." out of the cycle's length. */
function mixText(): string {
  const counts = new Map<string, number>();
  for (const s of MIX) counts.set(s, (counts.get(s) ?? 0) + 1);
  return `${[...counts].map(([s, n]) => `${s} ${n}`).join(', ')} in every ${MIX.length} runs`;
}

const EXHAUSTIVE_ONLY = ['max-states', 'max-memory', 'max-depth', 'symmetry', 'symmetry-groups', 'por', 'store', 'bitstate-bits', 'liveness', 'stop-at-first'] as const;
const RANDOM_ONLY = ['seed', 'runs', 'time', 'max-picks', 'strategy'] as const;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      property: { type: 'string', multiple: true },
      variant: { type: 'string' },
      seed: { type: 'string' },
      runs: { type: 'string' },
      time: { type: 'string' },
      config: { type: 'string' },
      'max-picks': { type: 'string' },
      strategy: { type: 'string' },
      isolation: { type: 'boolean' },
      recovery: { type: 'boolean' },
      system: { type: 'boolean' },
      layer: { type: 'string' },
      scenario: { type: 'string' },
      anchor: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      exhaustive: { type: 'boolean' },
      'max-states': { type: 'string' },
      'max-memory': { type: 'string' },
      'max-depth': { type: 'string' },
      symmetry: { type: 'boolean' },
      'symmetry-groups': { type: 'string' },
      por: { type: 'boolean' },
      store: { type: 'string' },
      'bitstate-bits': { type: 'string' },
      liveness: { type: 'string' },
      'stop-at-first': { type: 'boolean' },
      workers: { type: 'string' },
      shard: { type: 'string' },
    },
    { min: 0, max: 0, names: '' },
  );
  if (values.help) {
    console.log(help);
    return 0;
  }
  let props: Property[] | null = null;
  if (values.property) {
    const named = values.property.map((name) => {
      const p = propertyByName(name);
      if (!p) throw new UsageError(`unknown property '${name}' (known: ${PROPERTIES.map((x) => x.name).join(', ')})`);
      return p;
    });
    props = named.filter((p, i) => named.indexOf(p) === i);
  }
  const exhaustiveMode = values.exhaustive === true;
  for (const k of exhaustiveMode ? RANDOM_ONLY : EXHAUSTIVE_ONLY)
    if (values[k] !== undefined) throw new UsageError(exhaustiveMode ? `--${k} belongs to random mode and has no meaning with --exhaustive` : `--${k} needs --exhaustive`);
  // worker threads and shards are implemented for the exhaustive search; random mode runs in one thread
  if (values.config !== undefined && values.anchor !== undefined) throw new UsageError('give --config or --anchor, not both');
  let cfg: Config = values.config ? loadConfigFile(values.config) : values.anchor ? parseAnchor(values.anchor, null) : { ...DEFAULT_CONFIG };
  const layerFlags = ['layer', 'isolation', 'recovery', 'system'].filter((k) => values[k as 'layer'] !== undefined);
  if (layerFlags.length > 1) throw new UsageError(`give one of --system, --layer, --isolation/--recovery, not ${layerFlags.map((k) => `--${k}`).join(' and ')}`.replace('--isolation and --recovery', '--isolation with --recovery'));
  if (values.layer !== undefined) {
    if (!(LAYERS as readonly string[]).includes(values.layer)) throw new UsageError(`--layer: unknown layer '${values.layer}' (known: ${LAYERS.join(', ')})`);
    cfg = layerConfig(cfg, values.layer as Layer);
  }
  if (values.isolation) cfg = { ...cfg, isolation: true, adversary: true };
  if (values.recovery) cfg = parseConfig({ ...cfg, recovery: true, isolation: true });
  // The composed system is the default: every layer at once, unless a configuration, a size, a layer,
  // a scenario or a variant's own configuration says otherwise.
  const composedByDefault = [values.config, values.anchor, values.layer, values.isolation, values.recovery, values.scenario, values.variant].every((v) => v === undefined);
  if (values.system || composedByDefault) cfg = layerConfig(cfg, 'system');
  let scenarioOk = true;
  if (values.scenario !== undefined) {
    const sc = scenarioByName(values.scenario);
    if (!sc) throw new UsageError(`unknown scenario '${values.scenario}' (known: ${SCRIPTED_SCENARIOS.map((s) => s.name).join(', ')})`);
    cfg = parseConfig({ ...sc.config, ...(values.config ? cfg : {}), recovery: true, isolation: true });
    const r = runScenario(makeSystem(cfg), sc);
    scenarioOk = r.ok;
    if (!values.json) for (const line of scenarioLines(r, false)) console.log(line);
    else console.log(JSON.stringify({ type: 'scenario', scenario: sc.name, ok: r.ok, phases: r.phases, violation: r.violation, steps: r.executed.length }));
  }
  let variant = cfg.bug ?? 'correct';
  if (values.variant !== undefined) {
    if (values.variant !== 'correct' && !VARIANTS.some((v) => v.name === values.variant))
      throw new UsageError(`unknown variant '${values.variant}' (known: correct, ${VARIANTS.map((v) => v.name).join(', ')})`);
    variant = values.variant;
    const v = VARIANTS.find((x) => x.name === variant);
    if (v?.notInComposedSystem && (values.system || cfg.system)) throw new UsageError(`--variant ${variant} cannot be observed in the composed system: ${v.notInComposedSystem}`);
    const needs = v?.config ?? {};
    try {
      // with --system every variant runs on the composed system; otherwise on its own layer's configuration
      const own = values.config || values.anchor || values.system ? {} : needs;
      cfg = own.system ? layerConfig({ ...cfg, bug: variant === 'correct' ? null : (variant as Bug) }, 'system') : parseConfig({ ...cfg, ...own, bug: variant === 'correct' ? null : (variant as Bug) });
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(`--variant ${variant}: ${e.message}`);
      throw e;
    }
  }
  if (props) {
    try {
      cfg = withLayersFor(cfg, props);
    } catch (e) {
      if (e instanceof LayerError) throw new UsageError(`--property ${props.map((p) => p.name).join(', ')}: ${e.message}`);
      if (e instanceof ConfigError) throw new UsageError(`--property ${props.map((p) => p.name).join(', ')} switches its layer on, but then ${e.message}`);
      throw e;
    }
  }
  for (const p of props ?? [])
    if (p.applies && !p.applies(cfg)) throw new UsageError(`property '${p.name}' says nothing about this configuration (the ${p.group} group needs its layer on: try --${p.group})`);
  if (exhaustiveMode && cfg.posix && cfg.posix.program === null) {
    // an exhaustive search needs a fixed program; the composed system has a small one of its own
    if (!cfg.system) throw new UsageError('--exhaustive with the POSIX layer needs a fixed program (posix.program in --config); random mode generates one per run');
    cfg = parseConfig(composedExhaustiveConfig(cfg));
  }
  if (!props) props = exhaustiveMode ? propertiesFor(cfg).filter((p) => p.invariant || p.final) : propertiesFor(cfg);
  if (exhaustiveMode) {
    const workers = intOption(values, 'workers', 1, 64, 1);
    const shard = values.shard !== undefined ? parseShard(values.shard) : null;
    return runExhaustive(values, { cfg, variant, props, workers, shard, outDir: values.out ?? 'traces', json: values.json === true });
  }
  if (values.runs !== undefined && values.time !== undefined) throw new UsageError('give --runs or --time, not both');
  const seed = intOption(values, 'seed', -(2 ** 31), 2 ** 31 - 1, null) ?? ((Date.now() ^ (process.pid << 16)) | 0);
  const runs = intOption(values, 'runs', 1, 100_000_000, cfg.system ? DEFAULT_SYSTEM_RUNS : DEFAULT_RUNS);
  const timeS = numberOption(values, 'time', 0.1, 86_400);
  const maxPicks = intOption(values, 'max-picks', 0, 100_000, defaultMaxPicks(cfg));
  const strategy = (values.strategy ?? 'mix') as StrategyChoice;
  if (!STRATEGY_CHOICES.includes(strategy)) throw new UsageError(`--strategy must be one of ${STRATEGY_CHOICES.join(', ')}, got '${values.strategy}'`);
  const outDir = values.out ?? 'traces';
  const json = values.json === true;
  const names = props.map((p) => p.name);
  const budget = timeS !== null ? `${timeS} s` : `${runs} runs`;
  if (json) console.log(JSON.stringify({ type: 'start', variant, seed, runs: timeS === null ? runs : null, time: timeS, properties: names, config: shownConfig(cfg), maxPicks, strategy }));
  else {
    console.log(`virtuos verify: variant ${variant}, seed ${seed} (repeat with --seed ${seed}), ${budget}, strategy ${strategy}${strategy === 'mix' ? ` (${mixText()})` : ''}, properties: ${names.join(', ')}`);
    console.log(`config: ${Object.entries(shownConfig(cfg)).filter(([k]) => k !== 'posix').map(([k, v]) => `${k}=${v}`).join(' ')}${posixConfigText(cfg)}; schedules of up to ${maxPicks} picks`);
  }
  const tty = !json && process.stderr.isTTY;
  let lastJsonProgress = 0;
  let lastTextProgress = 0;
  const batchStart = performance.now();
  const workers = intOption(values, 'workers', 1, 64, 1);
  const shard = values.shard !== undefined ? parseShard(values.shard) : null;
  const batched = values.workers !== undefined || shard !== null;
  if (batched && timeS !== null) throw new UsageError('--workers and --shard need a run count (--runs), not --time: the batches must be the same whoever runs them');
  if (batched && !json) console.log(`batched: ${batchCount(runs)} batches of up to ${BATCH_RUNS} runs, seeds derived from ${seed}${shard ? `; this is shard ${shard.k}/${shard.n}` : ''}${workers > 1 ? `; ${workers} worker threads` : ''} (the result is the same for any number of workers)`);
  const options = {
    cfg,
    variant,
    props,
    seed,
    runs,
    timeS,
    outDir,
    maxPicks,
    strategy,
    onProgress: (p: { runs: number; steps: number; elapsedS: number; violated: string[] }) => {
      if (json) {
        if (p.runs % 1000 === 0 && p.runs !== lastJsonProgress) {
          lastJsonProgress = p.runs;
          console.log(JSON.stringify({ type: 'progress', runs: p.runs, steps: p.steps, violated: p.violated }));
        }
      } else if (tty || p.elapsedS - lastTextProgress >= 5) {
        // a terminal: one line rewritten in place; a pipe or a file: a line every 5 s
        lastTextProgress = p.elapsedS;
        const of = timeS === null ? `/${runs}` : '';
        const line = `  ${p.runs}${of} runs, ${fmtCount(p.steps)} steps, ${p.elapsedS.toFixed(1)} s${p.violated.length ? `, violated: ${p.violated.join(', ')}` : ''}`;
        process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      }
    },
  };
  const summary: VerifySummary & Partial<BatchedSummary> = batched
    ? await verifyBatched(options, workers, shard, (done, of) => {
        if (tty) process.stderr.write(`\r  batch ${done}/${of}   `);
        else if (!json) process.stderr.write(`  batch ${done}/${of} done, ${((performance.now() - batchStart) / 1000).toFixed(1)} s\n`);
      })
    : verify(options);
  if (tty) process.stderr.write('\r\x1b[K');
  if (json) {
    for (const r of summary.results) console.log(JSON.stringify({ type: 'result', ...r }));
    console.log(
      JSON.stringify({
        type: 'summary',
        ok: summary.ok,
        results: summary.results.map((r) => ({
          property: r.property,
          status: r.status,
          runs: r.runs,
          steps: r.steps,
          trace: r.trace,
          ...(batched ? { clause: r.clause, traceSteps: r.traceSteps, batch: summary.firstBatch?.[r.property] ?? null, strategy: r.strategy } : {}),
        })),
        variant,
        seed,
        ...(batched ? { mode: 'random', requested: runs, properties: names, config: shownConfig(cfg), shard, batches: summary.batches, workers } : {}),
        strategy,
        strategies: summary.strategies,
        signatures: summary.signatures,
        runs: summary.runs,
        steps: summary.steps,
        distinctStates: summary.distinctStates,
        drainBound: summary.drainBound,
        coverage: summary.coverage,
        ...(summary.posix ? { posix: summary.posix } : {}),
        ...(summary.adversary ? { adversary: summary.adversary } : {}),
        ...(summary.crashes ? { crashes: summary.crashes } : {}),
        // a shard's crash points themselves, which 'virtuos merge' unites
        ...(shard && summary.crashPointSet ? { crashPointSet: summary.crashPointSet } : {}),
        // and its step signatures per strategy, which 'virtuos merge' unites
        ...(shard && summary.signatureSets ? { signatureSets: summary.signatureSets } : {}),
        timeS: Number(summary.timeS.toFixed(3)),
      }),
    );
  } else {
    console.log(`fair drain bound: ${summary.drainBound} steps after each schedule`);
    printSummary(summary, names);
    if (shard) console.log(`this was shard ${shard.k}/${shard.n} (${summary.batches?.length ?? 0} batches); combine the shards' --json output with 'virtuos merge'`);
  }
  return summary.ok && scenarioOk ? 0 : 1;
}


interface Common {
  cfg: Config;
  variant: string;
  props: Property[];
  workers: number;
  shard: { k: number; n: number } | null;
  outDir: string;
  json: boolean;
}

const STORES: StoreKind[] = ['full', 'hashcompact', 'bitstate'];

/** The symmetry groups --symmetry means for a configuration: user threads only when they are 1:1 with kernel threads. */
export function defaultSymmetry(cfg: Config): SymmetryGroup[] {
  return cfg.kernelThreads === cfg.threads ? ['threads', 'kernels', 'workers', 'entries'] : ['kernels', 'workers', 'entries'];
}

async function runExhaustive(values: Record<string, unknown>, c: Common): Promise<number> {
  const { cfg, variant, props, workers, shard, outDir, json } = c;
  const store = (values.store ?? 'full') as StoreKind;
  if (!STORES.includes(store)) throw new UsageError(`--store must be one of ${STORES.join(', ')}, got '${values.store}'`);
  const capacity = STORE_CAPACITY[store];
  const maxStates = intOption(values, 'max-states', 1, 2_000_000_000, capacity);
  if (maxStates > capacity)
    throw new UsageError(`--max-states ${maxStates} is more than the ${store} store can hold (${capacity.toLocaleString('en-US')} states: its tables are typed arrays of at most 4 GB)${store === 'full' ? '; --store hashcompact holds twice as many' : ''}`);
  const maxBytes = memoryOption(values['max-memory']);
  // the composed system is far beyond an exhaustive search: by default it is bounded by depth (a bounded proof, said so)
  const maxDepth = cfg.system ? intOption(values, "max-depth", 0, 1_000_000, COMPOSED_EXHAUSTIVE_DEPTH) : intOption(values, "max-depth", 0, 1_000_000, null);
  if (values['bitstate-bits'] !== undefined && store !== 'bitstate') throw new UsageError('--bitstate-bits needs --store bitstate');
  const bitstateBits = intOption(values, 'bitstate-bits', 16, 34, 30);
  let symmetry: SymmetryGroup[] = [];
  if (values['symmetry-groups'] !== undefined) {
    symmetry = String(values['symmetry-groups'])
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean) as SymmetryGroup[];
    for (const g of symmetry) if (!SYMMETRY_GROUPS.includes(g)) throw new UsageError(`--symmetry-groups: unknown group '${g}' (known: ${SYMMETRY_GROUPS.join(', ')})`);
    if (!symmetry.length) throw new UsageError('--symmetry-groups needs at least one group');
  } else if (values.symmetry) symmetry = defaultSymmetry(cfg);
  const por = values.por === true;
  let liveness: LivenessMode;
  if (values.liveness === undefined) liveness = symmetry.length || por || store === 'bitstate' ? 'terminal' : 'cycles';
  else if (values.liveness === 'cycles' || values.liveness === 'terminal') liveness = values.liveness;
  else throw new UsageError(`--liveness must be cycles or terminal, got '${values.liveness}'`);
  // Refuse an unsound combination before anything is printed or run.
  try {
    checkCombination({ props, symmetry, por, liveness, store });
  } catch (e) {
    if (e instanceof CombinationError) throw new UsageError(e.message);
    throw e;
  }
  const opts = {
    cfg,
    variant,
    props,
    maxStates,
    maxBytes,
    maxDepth,
    store,
    bitstateBits,
    symmetry,
    por,
    liveness,
    stopAtFirst: values['stop-at-first'] === true,
    shard,
    outDir,
  };
  const names = props.map((p) => p.name);
  const notChecked = PROPERTIES.filter((p) => !p.invariant && !p.final && !names.includes(p.name)).map((p) => p.name);
  const tty = !json && process.stderr.isTTY;
  // More than one worker: one store shared by the workers when the search allows it (the full store),
  // a partitioned one (hash compaction), else chunks expanded by the workers.
  const shared = workers > 1 && sharable(opts);
  const partitioned = workers > 1 && partitionable(opts);
  const reductions = [symmetry.length ? `symmetry (${symmetry.join(', ')})` : '', por ? 'partial-order' : ''].filter(Boolean).join(' + ') || 'none';
  if (json)
    console.log(
      JSON.stringify({ type: 'start', mode: 'exhaustive', variant, properties: names, config: cfg, maxStates, maxMemoryBytes: maxBytes, maxDepth, store, symmetry, por, liveness, workers, parallel: workers > 1 ? (shared ? 'shared' : partitioned ? 'partitioned' : 'chunks') : null, shard }),
    );
  else {
    console.log(
      `virtuos verify --exhaustive: variant ${variant}, properties: ${names.join(', ')}; store ${store}, reductions: ${reductions}, liveness: ${liveness === 'cycles' ? 'terminal states and fair cycles' : 'terminal states only'}${workers > 1 ? `, ${workers} worker threads (${shared ? 'one shared store' : partitioned ? 'partitioned store' : 'expanding chunks; one thread stores: --liveness cycles, --por and --shard need that'})` : ''}${shard ? `, shard ${shard.k}/${shard.n}` : ''}`,
    );
    console.log(`config: ${Object.entries(shownConfig(cfg)).filter(([k]) => k !== 'posix').map(([k, v]) => `${k}=${v}`).join(' ')}; limits: ${maxStates === capacity ? `as many states as the store holds (${fmtCount(capacity)})` : `${maxStates.toLocaleString('en-US')} states`}, ${fmtBytes(maxBytes)} of tables${values['max-memory'] === undefined ? ' (half this machine\'s memory)' : ''}${maxDepth !== null ? `, depth ${maxDepth}` : ''}`);
  }
  let summary: ExhaustiveSummary;
  let runner = null;
  try {
    if (workers > 1 && !partitioned) runner = await chunkRunner({ cfg, props: names, symmetry, por }, workers);
    let lastJson = 0;
    let lastLine = 0;
    let lastStates = 0;
    const onProgress = (p: ExhaustiveProgress) => {
      if (json) {
        if (p.elapsedS - lastJson >= 5) {
          lastJson = p.elapsedS;
          console.log(JSON.stringify({ type: 'progress', states: p.states, transitions: p.transitions, depth: p.depth, queued: p.queued, rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20), violated: p.violated }));
        }
        return;
      }
      // text: a line on stderr every 2 s (rewritten in place on a terminal)
      if (p.elapsedS - lastLine < 2) return;
      const rate = (p.states - lastStates) / (p.elapsedS - lastLine);
      lastLine = p.elapsedS;
      lastStates = p.states;
      // the share of whichever limit is nearer
      const byStates = p.states / maxStates;
      const byMemory = p.tableBytes / maxBytes;
      const share = byStates >= byMemory ? `, ${(100 * byStates).toFixed(1)}% of the ${fmtCount(maxStates)}-state limit` : `, tables ${fmtBytes(p.tableBytes)}: ${(100 * byMemory).toFixed(1)}% of the ${fmtBytes(maxBytes)} limit`;
      const line = `  ${p.elapsedS.toFixed(0)} s: ${fmtCount(p.states)} states (${fmtCount(Math.round(rate))}/s), depth ${p.depth}, queue ${fmtCount(p.queued)}, ${fmtCount(Math.round(process.memoryUsage().rss / 2 ** 20))} MB${share}${p.violated.length ? `, violated: ${p.violated.join(', ')}` : ''}`;
      process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    };
    const onNote = (message: string) => {
      if (json) console.log(JSON.stringify({ type: 'note', message }));
      else process.stderr.write(`${tty ? '\r\x1b[K' : ''}  ${message}\n`);
    };
    const spec = { cfg, props: names, symmetry, por };
    summary = shared
      ? await sharedExhaustive({ ...opts, onProgress, onNote }, (attempt) => sharedRunner(spec, workers, attempt, maxBytes))
      : partitioned
      ? await partitionedExhaustive({ ...opts, onProgress }, () => partitionRunner(spec, store === 'full' ? 'full' : 'hashcompact', workers))
      : await exhaustive({ ...opts, onProgress }, runner);
  } catch (e) {
    if (e instanceof CombinationError || e instanceof SymmetryError || e instanceof PorError) throw new UsageError(e.message);
    throw e;
  } finally {
    await runner?.close();
  }
  summary.notChecked = notChecked.map((property) => ({ property, why: 'a property of the operation history, not of the state: checked by random runs only' }));
  if (notChecked.length) summary.statement += ` Not checked here: ${notChecked.join(', ')} (a property of the operation history; checked by random runs only).`;
  if (tty) process.stderr.write('\r\x1b[K');
  if (json) {
    for (const r of summary.results) console.log(JSON.stringify({ type: 'result', ...r }));
    const { results, ok, ...rest } = summary;
    console.log(
      JSON.stringify({
        type: 'summary',
        ok,
        results: results.map((r) => ({ property: r.property, status: r.status, runs: null, steps: summary.transitions, trace: r.trace, clause: r.clause, traceSteps: r.traceSteps, checked: r.checked })),
        mode: 'exhaustive',
        ...rest,
        properties: names,
        config: cfg,
        workers,
        requested: { maxStates, maxMemoryBytes: maxBytes, maxDepth, store, symmetry, por, liveness },
      }),
    );
  } else printExhaustive(summary, names);
  return summary.ok ? 0 : 1;
}

/** The packing's widenings after states were stored, in words (nothing when there were none). */
const widened = (n: number) => (n ? `, the packing widened ${n} time${n === 1 ? '' : 's'} after states were stored` : '');

export function printExhaustive(s: ExhaustiveSummary, names: string[]): void {
  const w = Math.max(...names.map((n) => n.length), 8);
  console.log(`${'property'.padEnd(w)}  status    result`);
  for (const r of s.results) {
    if (r.status === 'holds') console.log(`${r.property.padEnd(w)}  ${s.complete && s.store.kind !== 'bitstate' ? 'PROVED  ' : 'holds   '}  checked on ${r.checked}`);
    else
      console.log(
        `${r.property.padEnd(w)}  VIOLATED  ${r.clause}: ${r.message}\n${' '.repeat(w + 12)}${r.traceSteps === null ? '(no counterexample written' : `trace ${r.trace ?? '(not written)'} (${r.traceSteps} steps, a shortest counterexample`}; found after ${fmtCount(r.foundAfterStates ?? 0)} states, ${r.foundAfterS} s)`,
      );
  }
  const mem = s.store.omission;
  console.log(
    `states: ${s.states.toLocaleString('en-US')}, transitions: ${s.transitions.toLocaleString('en-US')}, depth ${s.depth}, terminal states ${s.terminalStates.toLocaleString('en-US')}; ${s.timeS.toFixed(1)} s, ${fmtCount(s.statesPerS)} states/s, peak memory ${s.peakMemoryMB} MB`,
  );
  console.log(
    `store: ${s.store.kind}, ${(s.store.bytes / 1e6).toFixed(0)} MB (${s.store.bytesPerState} bytes a state; all the search's tables: ${fmtBytes(s.tableBytes)})${widened(s.store.widenings)}${mem.kind === 'probability-any-missed' ? `, probability that a state was missed <= ${mem.value.toExponential(2)}` : mem.kind === 'expected-missed' ? `, about ${mem.value.toFixed(1)} states expected missed` : ''}` +
      (s.reductions.symmetry.length ? `; symmetry: ${s.reductions.symmetry.join('; ')}` : '') +
      (s.reductions.por ? `; partial-order reduction cut the steps of ${s.reductions.porReducedStates.toLocaleString('en-US')} states` : '') +
      (s.liveness.mode === 'cycles' && s.liveness.cyclicComponents !== null ? `; cycles: ${s.liveness.cyclicComponents} cyclic components, ${s.liveness.fairComponents} weakly fair` : ''),
  );
  if (s.shard) console.log(`shard ${s.shard.k}/${s.shard.n}: ${s.shard.roots} of the ${s.shard.allRoots} states at depth ${s.shard.rootDepth} are this shard's roots; combine the shards' --json output with 'virtuos merge'`);
  console.log(s.statement);
}
