/** `npm run bench`: the benchmark of scripts/commands/bench.ts, run as `virtuos bench ARGS`. */
import { main } from './cli.ts';

process.exitCode = await main(['bench', ...process.argv.slice(2)]);
