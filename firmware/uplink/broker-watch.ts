import type { FaultRegistry } from '../diagnostics/registry.js';
import type { Scheduler } from '../loop/scheduler.js';
import type { Uplink } from './uplink.js';

/** after this long without a broker connection BROKER_UNREACHABLE is raised, ms */
const UNREACHABLE_AFTER_MS = 10_000;

/** Raise BROKER_UNREACHABLE when the broker has been away for 10 s; clear it on reconnect. */
export function watchBroker(uplink: Uplink, scheduler: Scheduler, faults: FaultRegistry): void {
  let cancel: (() => void) | undefined;
  let since = scheduler.now();
  let wasConnected = false;
  const arm = (): void => {
    cancel = scheduler.after(UNREACHABLE_AFTER_MS, () => {
      faults.raise({ code: 'BROKER_UNREACHABLE', subject: 'uplink', message: `no broker connection for ${Math.round((scheduler.now() - since) / 1000)} s (${uplink.stats().lastError ?? 'no answer'})` });
    });
  };
  arm();
  uplink.onStats((s) => {
    if (s.connected && !wasConnected) {
      cancel?.();
      cancel = undefined;
      faults.clear('BROKER_UNREACHABLE', 'uplink');
    } else if (!s.connected && wasConnected) {
      since = scheduler.now();
      arm();
    }
    wasConnected = s.connected;
  });
}
