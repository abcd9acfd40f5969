/** `virtuos scenario NAME`: run a named scenario phase by phase, check each phase, keep its trace. */
import { join } from 'node:path';
import { makeSystem, label } from '../../../model/kit/system.ts';
import { parse, UsageError } from '../args.ts';
import { writeFileAtomic } from '../../traces/itf.ts';
import { runScenario, SCRIPTED_SCENARIOS, scenarioByName, type ScenarioRun } from '../../verifier/scenarios.ts';
import { buildTrace, traceText } from '../../traces/trace.ts';

export const help = `usage: virtuos scenario NAME [--out DIR] [--steps] [--json]

Runs a named scenario (see 'virtuos list'): a fixed program under a deterministic scheduler, phase by
phase. After each phase it checks what the paper says should hold then; every step is also checked
against the recovery properties. The run is written as a trace, DIR/scenarios/NAME.itf.json (DIR
defaults to traces), which 'virtuos replay' re-executes. The output is the same on every run.

  --out DIR   where the trace goes (default traces)
  --steps     print every step, numbered, in domain words
  --json      one JSON object {scenario, ok, phases, violation, steps, trace}

Exit status: 0 every phase's check and every property holds, 1 one does not, 2 unknown scenario.`;

/** The scenario's run as a trace; its phases go into #meta.phases. */
export function scenarioTrace(r: ScenarioRun) {
  const v = r.violation;
  return buildTrace(
    r.sys,
    r.executed,
    r.final,
    {
      variant: r.sys.cfg.bug ?? 'correct',
      seed: null,
      checked: ['containment', 'no-hang', 'no-leak-after-crash', 'restoration', 'durability'],
      verdict: v ? { status: 'violated', property: v.property, clause: v.clause, message: v.message, step: v.step } : { status: 'holds', property: null, clause: null, message: null, step: r.executed.length },
      end: r.end,
    },
    { scenario: r.scenario.name, phases: r.phases.map((p) => ({ name: p.name, from: p.from, to: p.to, expect: p.expect, problem: p.problem })) },
  );
}

export function scenarioLines(r: ScenarioRun, steps: boolean): string[] {
  const out = [`scenario ${r.scenario.name}: ${r.scenario.description}`, `config: ${Object.entries(r.sys.cfg).filter(([k]) => ['isolation', 'recovery', 'crashes', 'chunks', 'bug'].includes(k)).map(([k, x]) => `${k}=${x}`).join(' ')}`];
  r.phases.forEach((p, i) => {
    out.push(`phase ${i + 1}: ${p.name} (steps ${p.from}-${p.to})`);
    if (steps) for (let n = p.from; n <= p.to; n++) out.push(`  ${String(n).padStart(4)}. ${label(r.sys, r.executed[n - 1].before, r.executed[n - 1].choice)}`);
    out.push(`  expect: ${p.expect}`);
    out.push(`  ${p.problem ? `FAILED: ${p.problem}` : 'holds'}`);
  });
  if (r.phases.length < r.scenario.phases.length) out.push(`stopped: ${r.scenario.phases.length - r.phases.length} phase(s) not run`);
  out.push(r.violation ? `VIOLATION at step ${r.violation.step}: ${r.violation.property} (${r.violation.clause}): ${r.violation.message}` : `recovery properties hold on all ${r.executed.length} steps${r.end.quiescent ? ' and at the end (nothing left to run)' : ''}`);
  out.push(r.ok ? 'result: every phase holds' : 'result: the scenario FAILED');
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string' }, steps: { type: 'boolean' }, json: { type: 'boolean' } }, { min: 1, max: 1, names: 'the scenario NAME' });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const sc = scenarioByName(positionals[0]);
  if (!sc) throw new UsageError(`unknown scenario '${positionals[0]}' (known: ${SCRIPTED_SCENARIOS.map((s) => s.name).join(', ')})`);
  const r = runScenario(makeSystem(sc.config), sc);
  const path = join(values.out ?? 'traces', 'scenarios', `${sc.name}.itf.json`);
  writeFileAtomic(path, traceText(scenarioTrace(r)));
  if (values.json) console.log(JSON.stringify({ scenario: sc.name, ok: r.ok, phases: r.phases, violation: r.violation, steps: r.executed.length, trace: path }));
  else console.log([...scenarioLines(r, values.steps === true), `trace: ${path}`].join('\n'));
  return r.ok ? 0 : 1;
}
