import { ProfileError, loadProfile } from '../config/load.js';
import type { Profile } from '../config/schema.js';

/**
 * Load the profile a command was given. A bad profile prints every problem with its path and
 * sets exit code 2 (undefined is returned); anything else is a bug and is thrown.
 */
export function profileOrExit(file: string): Profile | undefined {
  try {
    return loadProfile(file);
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    console.error(e.message);
    process.exitCode = 2;
    return undefined;
  }
}
