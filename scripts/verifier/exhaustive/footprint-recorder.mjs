// Entry point of the recorder thread (footprint-thread.ts): load the TypeScript sources as
// scripts/virtuos.mjs does for the main thread (a cached bundle, or tsx: scripts/launch.mjs).
import { load } from '../../launch.mjs';

await load('scripts/verifier/exhaustive/footprint-recorder.ts');
