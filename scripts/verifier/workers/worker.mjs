// Entry point of a worker thread (see pool.ts): load the TypeScript sources as scripts/virtuos.mjs
// does for the main thread (a cached bundle, or tsx: scripts/launch.mjs), then serve tasks.
import { load } from '../../launch.mjs';

await load('scripts/verifier/workers/worker.ts');
