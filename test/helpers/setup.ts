import { afterAll, afterEach, beforeEach } from 'vitest';
import { fileEnded, killOnExit, testEnded, testStarted } from './scratch.js';

// Runs in every test file (vitest.config.ts setupFiles). Root-level after-hooks run after the
// file's own ones, so a test's own clean-up (a graceful stop) goes first and this one removes
// and kills whatever is left, also when the test failed or timed out.
beforeEach(() => testStarted());
afterEach(async () => {
  await testEnded();
});
afterAll(async () => {
  await fileEnded();
});
killOnExit();
