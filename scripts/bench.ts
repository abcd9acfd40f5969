/** `npm run bench`: the benchmark of scripts/cli/commands/bench.ts, run as `virtuos bench ARGS`. */
import { main } from './cli/main.ts';

process.exitCode = await main(['bench', ...process.argv.slice(2)]);
