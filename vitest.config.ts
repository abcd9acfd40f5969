import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: on the 2-core CI machine that is one file at a time
    maxWorkers: 2,
  },
});
