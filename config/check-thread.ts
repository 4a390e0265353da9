import { startWorker } from '../firmware/worker-thread.js';
import { ProfileError } from './errors.js';
import type { Profile } from './schema.js';

export type CheckReply =
  | { readonly ok: true; readonly profile: Profile }
  | { readonly ok: false; readonly file: string; readonly problems: readonly string[] }
  | { readonly ok: false; readonly error: string };

/**
 * Read and check a profile in a thread of its own (config/check-worker.ts) and resolve with the
 * checked profile; a bad profile rejects with the same ProfileError `loadProfile` throws.
 * `edgefw run` checks its profile this way at start and on SIGHUP, so the sampling thread never
 * holds the YAML parser, zod and the option schemas (~6 MB of heap and ~160 modules on a box,
 * docs/footprint.md); the thread ends with the check and its memory goes with it.
 */
export function checkProfileOffThread(file: string): Promise<Profile> {
  return new Promise<Profile>((resolve, reject) => {
    let settled = false;
    const w = startWorker(import.meta.url, 'check-worker', { workerData: { file } });
    w.once('message', (r: CheckReply) => {
      settled = true;
      if (r.ok) resolve(r.profile);
      else if ('problems' in r) reject(new ProfileError(r.file, r.problems));
      else reject(new Error(r.error));
    });
    w.once('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    w.once('exit', (code) => {
      if (!settled) reject(new Error(`the profile check thread ended (exit ${code}) without an answer`));
      settled = true;
    });
  });
}
