import { ProfileError, loadProfile } from '../config/load.js';
import type { Profile } from '../config/schema.js';
import { brokerTransport } from '../config/secrets.js';
import type { BrokerTransport } from '../firmware/uplink/transport.js';

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

/**
 * The broker a command connects to for this profile, with its password and TLS files read now
 * (`urlOverride`: a --url option). A missing or bad file prints its problems with their profile
 * paths, prefixed by the command, and sets exit code 2 (undefined is returned).
 */
export function transportOrExit(profile: Profile, command: string, urlOverride?: string): BrokerTransport | undefined {
  try {
    return brokerTransport(profile, urlOverride);
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    console.error(`${command}: ${e.message}`);
    process.exitCode = 2;
    return undefined;
  }
}
