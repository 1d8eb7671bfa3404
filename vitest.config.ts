import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/build.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two shared cores: the process-heavy suites (crash, concurrency) run their own children.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
