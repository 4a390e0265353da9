import { ProfileError, loadProfile, parseProfileText } from '../../config/load.js';

function collect(what: string, parse: () => unknown): readonly string[] {
  try {
    parse();
  } catch (e) {
    if (e instanceof ProfileError) return e.problems;
    throw e;
  }
  throw new Error(`${what} was accepted`);
}

/** The problems `edgefw config check` lists for a profile file; fails the test if it is accepted. */
export function problems(file: string): readonly string[] {
  return collect(file, () => loadProfile(file));
}

/** The same for profile text written in the test. */
export function problemsInText(text: string): readonly string[] {
  return collect('profile', () => parseProfileText(text, 'box.yaml'));
}
