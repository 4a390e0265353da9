import { ProfileError, loadProfile } from '../../config/load.js';

/** The problems `edgefw config check` lists for a profile file; fails the test if it is accepted. */
export function problems(file: string): readonly string[] {
  try {
    loadProfile(file);
  } catch (e) {
    if (e instanceof ProfileError) return e.problems;
    throw e;
  }
  throw new Error(`${file} was accepted`);
}
