import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The shared folder of real captures recorded by other projects (GPS receiver logs, sensor frames:
 * its README names every source and licence). In CI it sits beside the clone, so it is looked for
 * at `<repo>/../shared/reference-data`, then at /work/shared/reference-data. Missing data fails
 * the test that needs it with this message: a test that silently skipped would claim coverage
 * it does not have.
 */
export function referenceData(...parts: string[]): string {
  for (const base of [join(REPO, '..', 'shared', 'reference-data'), '/work/shared/reference-data']) {
    if (existsSync(base)) return join(base, ...parts);
  }
  throw new Error(`reference data not found at ${join(REPO, '..', 'shared', 'reference-data')} or /work/shared/reference-data: put the shared folder beside the clone`);
}
