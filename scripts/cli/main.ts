/**
 * The `virtuos` command. Exit status: 0 everything checked holds, 1 a violation or a divergence,
 * 2 bad usage or input (one line on stderr naming the problem; nothing written), 3 an internal error.
 */
import { ConfigError } from '../../model/kit/config.ts';
import { UsageError } from './args.ts';
import { TraceFormatError } from '../traces/itf.ts';

type Command = { help: string; run: (argv: string[]) => Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  list: { summary: 'list properties, seeded-bug variants and scenarios', load: () => import('./commands/list.ts') },
  verify: { summary: 'explore random interleavings, or every state (--exhaustive), and check properties', load: () => import('./commands/verify.ts') },
  replay: { summary: 're-execute a counterexample trace', load: () => import('./commands/replay.ts') },
  view: { summary: 'write a trace as a self-contained HTML page: swimlanes, shared objects, verdict', load: () => import('./commands/view.ts') },
  spec: { summary: 'generate SPEC.md from the code, or --check that it is current', load: () => import('./commands/spec.ts') },
  perf: { summary: 'performance estimates from the cycle-cost model (VirtuOS, Linux, driver domain)', load: () => import('./commands/perf.ts') },
  scenario: { summary: 'run a named scenario phase by phase and keep its trace', load: () => import('./commands/scenario.ts') },
  merge: { summary: 'combine the --json summaries of verification shards into one verdict', load: () => import('./commands/merge.ts') },
  bench: { summary: 'measure the verifier and compare it with SPIN on the same model sizes', load: () => import('./commands/bench.ts') },
};

const HELP = `usage: virtuos <command> [options]

An executable model of VirtuOS (the dispatch protocol; isolation, POSIX, failure-and-recovery
layers; a cycle-cost model) and a verifier for it.

commands:
${Object.entries(COMMANDS)
  .map(([n, c]) => `  ${n.padEnd(8)} ${c.summary}`)
  .join('\n')}

'virtuos <command> --help' describes a command.
Exit status: 0 all holds, 1 a violation or divergence, 2 bad usage or input, 3 an internal error.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`virtuos: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; see 'virtuos --help')`);
    return 2;
  }
  try {
    return await (await cmd.load()).run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`virtuos ${name}: ${e.message} (see 'virtuos ${name} --help')`);
      return 2;
    }
    if (e instanceof TraceFormatError || e instanceof ConfigError) {
      console.error(`virtuos ${name}: ${e.message}`);
      return 2;
    }
    console.error(`virtuos ${name}: internal error: ${(e as Error).stack ?? e}`);
    return 3;
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''));
if (isMain) main(process.argv.slice(2)).then((code) => process.exit(code));
