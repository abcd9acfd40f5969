#!/usr/bin/env node
// The `virtuos` binary: loads the TypeScript CLI (from a cached bundle, or through tsx: launch.mjs).
import { load } from './launch.mjs';

const { main } = await load('scripts/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
