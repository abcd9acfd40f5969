import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: on the 2-core CI machine that is one file at a time
    maxWorkers: 2,
    // A worker process runs its files one after another in one module graph, instead of importing
    // the model afresh for each of the 31 files: 8-10 s less on the 2-core machine. The tests share no
    // mutable module state (no mocked modules or environment; spies are restored; the caches kept
    // across files, such as generated steppers and idle worker threads, are pure or left as found).
    isolate: false,
  },
});
