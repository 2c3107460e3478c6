import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Tests spawn real child processes and git; forks isolate native modules (better-sqlite3).
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
