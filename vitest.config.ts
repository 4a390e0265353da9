import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // every file: temp dirs and child processes made through test/helpers/scratch.ts are removed
    // and killed when their test (or file) ends, whatever the outcome
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // integration suites start brokers and ptys; two cores here
    maxWorkers: 2,
  },
});
