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
    // In CI only, a failed test runs again (at most twice) and vitest reports the retry. Known
    // load-sensitive suites that start real brokers and processes (runtime-mqtt outage delivery,
    // commands-mqtt, lifecycle update, the command flood's tick bound) failed now and then on a
    // shared 2-core machine and passed alone; locally `npm test` stays strict so they stay visible.
    retry: process.env.CI ? 2 : 0,
  },
});
