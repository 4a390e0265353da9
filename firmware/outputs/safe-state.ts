import type { Logger } from 'pino';
import { toDeviceError } from '../../drivers/errors.js';
import type { Driver } from '../../drivers/types.js';

export interface SafeStateTarget {
  readonly id: string;
  readonly driver: Driver;
}

/**
 * Drive every output to its declared safe state. The runtime calls this twice:
 * - at start, before any device's init(): a relay left energised by a crash (kill -9, power
 *   glitch of the Pi alone, OOM kill) drops before anything else happens;
 * - at shutdown (SIGTERM/SIGINT), after the loop stopped and before the process exits.
 * One output failing (its line busy, its board unplugged) is logged and does not stop the others.
 * Returns the ids that failed.
 */
export async function applySafeStates(targets: readonly SafeStateTarget[], log: Logger, when: 'start' | 'shutdown'): Promise<string[]> {
  const failed: string[] = [];
  for (const t of targets) {
    if (!t.driver.safeState) continue;
    try {
      await t.driver.safeState();
    } catch (e) {
      failed.push(t.id);
      // a typed error is a message for a technician, not a stack trace
      const err = toDeviceError(e);
      log.error({ device: t.id, code: err.code, when }, `safe state at ${when} failed for ${t.id}: ${err.message}`);
    }
  }
  return failed;
}
