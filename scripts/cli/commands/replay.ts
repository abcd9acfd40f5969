/** `virtuos replay FILE`: re-execute a trace and compare it with what was recorded. */
import { parse } from '../args.ts';
import { loadTrace, replay } from '../../traces/trace.ts';

export const help = `usage: virtuos replay FILE [--json]

Re-executes the steps recorded in a trace file (ITF, as written by 'virtuos verify'), prints them as
numbered steps in domain words with what each changed, re-checks the properties and compares the
verdict with the recorded one. The output is the same on every run.

  --json   one JSON object {file, outcome, steps, verdict, divergence}

Exit status: 0 the recorded verdict is reproduced, 1 the replay diverges (the first step that is not
enabled, a state that differs, or a different verdict), 2 the file is missing or malformed.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } }, { min: 1, max: 1, names: 'the trace FILE' });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const t = loadTrace(positionals[0]);
  const r = replay(t);
  if (values.json) console.log(JSON.stringify({ file: t.file, outcome: r.outcome, steps: r.steps, verdict: r.verdict, divergence: r.divergence }));
  else console.log(r.lines.join('\n'));
  return r.outcome === 'reproduced' ? 0 : 1;
}
