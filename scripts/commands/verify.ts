/** `virtuos verify`: random exploration of the model with fast-check, checking the chosen properties. */
import { readFileSync } from 'node:fs';
import { BUGS, CONFIG_DOC, ConfigError, DEFAULT_CONFIG, parseConfig, shownConfig, type Bug, type Config } from '../../model/config.ts';
import { VARIANTS } from '../../model/variants.ts';
import { PROPERTIES, propertiesFor, propertyByName } from '../../properties/index.ts';
import type { Property } from '../../properties/property.ts';
import { intOption, numberOption, parse, UsageError } from '../lib/args.ts';
import { defaultMaxPicks, verify, type VerifySummary } from '../lib/verify.ts';
import { DEFAULT_POSIX } from '../../model/posix/config.ts';
import { DIFFERENCES } from '../../model/posix/differences.ts';
import { makeSystem } from '../../model/system.ts';
import { runScenario, scenarioByName, SCRIPTED_SCENARIOS } from '../lib/scenarios.ts';
import { scenarioLines } from './scenario.ts';

export const DEFAULT_RUNS = 15000;

export const help = `usage: virtuos verify [--property P]... [--variant V] [--seed N] [--runs N | --time S]
                      [--config FILE] [--isolation] [--recovery] [--scenario NAME] [--max-picks N] [--json] [--out DIR]

Explores random interleavings of the model (fast-check generates and shrinks the schedules) and
checks the properties on every run. A violation is shrunk and written as a replayable trace to
DIR/<property>/<variant>-<seed>.itf.json. This samples runs; it does not prove anything.

  --property P   check only P (repeatable; default: all that apply to the configuration:
                 the isolation group needs the isolation layer on). See 'virtuos list'.
                 Naming a property of group posix switches the POSIX layer on with its
                 default bounds (programs are then generated for every run).
  --variant V    run a seeded-bug variant: ${BUGS.join(', ')} (default: the correct model);
                 the variant's own configuration applies unless --config is given
  --seed N       seed of every random choice (default: a fresh one, printed)
  --runs N       number of runs (default ${DEFAULT_RUNS})
  --time S       run for S seconds instead of a run count (the count then varies)
  --config FILE  JSON object overriding configuration fields (see below)
  --isolation    switch the isolation layer on with the adversary (isolation and adversary true)
  --recovery     switch the failure-and-recovery layer on (recovery true; crashes and chunks from the config)
  --scenario NAME  run the named scenario first (phases checked, see 'virtuos scenario'), then the random
                 campaign on the scenario's configuration; exit 1 if either fails
  --max-picks N  most schedule picks per run (default 20 x processes x threads x calls)
  --json         NDJSON events on stdout: start, progress, result (one per property), summary
  --out DIR      where traces are written (default traces)

Exit status: 0 all checked properties hold in the runs made, 1 a property is violated,
2 bad usage or input.

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
  if (s.crashes) {
    const c = s.crashes;
    const kinds = Object.entries(c.byEvent).map(([e, n]) => `${e} ${n}`).join(', ');
    console.log(
      `crashes: ${c.steps} in ${c.runs} runs (${c.runsWithCrash} runs crashed at least once); ${c.points} distinct crash points (state crashed in, and domain), ${c.perRun} per run${kinds ? `: ${kinds}` : ''}`,
    );
  }
  console.log(`time: ${s.timeS.toFixed(1)} s, ${fmtCount(Math.round(s.steps / Math.max(s.timeS, 1e-3)))} steps/s`);
  const bad = s.results.filter((r) => r.status === 'violated').length;
  console.log(
    bad
      ? `result: ${bad} of ${s.results.length} properties VIOLATED (variant ${s.variant}, seed ${s.seed})`
      : `result: all ${s.results.length} properties hold in ${s.runs} random runs (variant ${s.variant}, seed ${s.seed}); sampled, not proved`,
  );
}

function printPosixSummary(s: VerifySummary): void {
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
      isolation: { type: 'boolean' },
      recovery: { type: 'boolean' },
      scenario: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
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
    const posixProps = props.filter((p) => p.group === 'posix');
    if (posixProps.length > 0 && posixProps.length < props.length)
      throw new UsageError(`properties of group posix (${posixProps.map((p) => p.name).join(', ')}) and of the dispatch model cannot be checked in one run`);
  }
  let cfg: Config = values.config ? loadConfigFile(values.config) : { ...DEFAULT_CONFIG };
  if (values.isolation) cfg = { ...cfg, isolation: true, adversary: true };
  if (values.recovery) cfg = parseConfig({ ...cfg, recovery: true });
  let scenarioOk = true;
  if (values.scenario !== undefined) {
    const sc = scenarioByName(values.scenario);
    if (!sc) throw new UsageError(`unknown scenario '${values.scenario}' (known: ${SCRIPTED_SCENARIOS.map((s) => s.name).join(', ')})`);
    cfg = parseConfig({ ...sc.config, ...(values.config ? cfg : {}), recovery: true });
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
    const needs = VARIANTS.find((v) => v.name === variant)?.config ?? {};
    try {
      cfg = parseConfig({ ...cfg, ...(values.config ? {} : needs), bug: variant === 'correct' ? null : (variant as Bug) });
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(`--variant ${variant}: ${e.message}`);
      throw e;
    }
  }
  if (props && props[0].group === 'posix' && !cfg.posix) cfg = { ...cfg, posix: { ...DEFAULT_POSIX } };
  if (props && props[0].group !== 'posix' && cfg.posix)
    throw new UsageError(`property ${props[0].name} checks the dispatch model, but the configuration switches the POSIX layer on (posix is not null)`);
  for (const p of props ?? [])
    if (p.applies && !p.applies(cfg)) throw new UsageError(`property '${p.name}' says nothing about this configuration (the ${p.group} group needs its layer on: try --${p.group})`);
  if (!props) props = propertiesFor(cfg);
  if (values.runs !== undefined && values.time !== undefined) throw new UsageError('give --runs or --time, not both');
  const seed = intOption(values, 'seed', -(2 ** 31), 2 ** 31 - 1, null) ?? ((Date.now() ^ (process.pid << 16)) | 0);
  const runs = intOption(values, 'runs', 1, 100_000_000, DEFAULT_RUNS);
  const timeS = numberOption(values, 'time', 0.1, 86_400);
  const maxPicks = intOption(values, 'max-picks', 0, 100_000, defaultMaxPicks(cfg));
  const outDir = values.out ?? 'traces';
  const json = values.json === true;
  const names = props.map((p) => p.name);
  const budget = timeS !== null ? `${timeS} s` : `${runs} runs`;
  if (json) console.log(JSON.stringify({ type: 'start', variant, seed, runs: timeS === null ? runs : null, time: timeS, properties: names, config: shownConfig(cfg), maxPicks }));
  else {
    console.log(`virtuos verify: variant ${variant}, seed ${seed} (repeat with --seed ${seed}), ${budget}, properties: ${names.join(', ')}`);
    console.log(`config: ${Object.entries(shownConfig(cfg)).filter(([k]) => k !== 'posix').map(([k, v]) => `${k}=${v}`).join(' ')}${posixConfigText(cfg)}; schedules of up to ${maxPicks} picks`);
  }
  const tty = !json && process.stderr.isTTY;
  let lastJsonProgress = 0;
  const summary = verify({
    cfg,
    variant,
    props,
    seed,
    runs,
    timeS,
    outDir,
    maxPicks,
    onProgress: (p) => {
      if (json) {
        if (p.runs % 1000 === 0 && p.runs !== lastJsonProgress) {
          lastJsonProgress = p.runs;
          console.log(JSON.stringify({ type: 'progress', runs: p.runs, steps: p.steps, violated: p.violated }));
        }
      } else if (tty) {
        const of = timeS === null ? `/${runs}` : '';
        process.stderr.write(`\r  ${p.runs}${of} runs, ${fmtCount(p.steps)} steps, ${p.elapsedS.toFixed(1)} s${p.violated.length ? `, violated: ${p.violated.join(', ')}` : ''}   `);
      }
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (json) {
    for (const r of summary.results) console.log(JSON.stringify({ type: 'result', ...r }));
    console.log(
      JSON.stringify({
        type: 'summary',
        ok: summary.ok,
        results: summary.results.map((r) => ({ property: r.property, status: r.status, runs: r.runs, steps: r.steps, trace: r.trace })),
        variant,
        seed,
        runs: summary.runs,
        steps: summary.steps,
        distinctStates: summary.distinctStates,
        drainBound: summary.drainBound,
        coverage: summary.coverage,
        ...(summary.posix ? { posix: summary.posix } : {}),
        ...(summary.adversary ? { adversary: summary.adversary } : {}),
        ...(summary.crashes ? { crashes: summary.crashes } : {}),
        timeS: Number(summary.timeS.toFixed(3)),
      }),
    );
  } else {
    console.log(`fair drain bound: ${summary.drainBound} steps after each schedule`);
    printSummary(summary, names);
  }
  return summary.ok && scenarioOk ? 0 : 1;
}
