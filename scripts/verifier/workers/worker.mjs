// Entry point of a worker thread (see parallel.ts): load the TypeScript sources through tsx, as
// scripts/virtuos.mjs does for the main thread, then serve tasks.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
