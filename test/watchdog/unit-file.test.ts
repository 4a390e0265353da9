import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAST_EXIT_FILE } from '../../firmware/watchdog/run-record.js';

/** The shipped unit must match what the runtime expects from systemd. */
describe('tools/systemd/edgefw.service', () => {
  const unit = readFileSync('tools/systemd/edgefw.service', 'utf8');
  const keys = new Map(unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

  it('is Type=notify with a watchdog, restarts always, and lets only the main process notify', () => {
    expect(keys.get('Type')).toBe('notify');
    expect(keys.get('WatchdogSec')).toMatch(/^\d+s$/);
    expect(keys.get('NotifyAccess')).toBe('main');
    expect(keys.get('Restart')).toBe('always');
    expect(keys.get('ExecStart')).toMatch(/edgefw(\.js)? run --profile/);
  });

  it('records systemd\'s verdict where the run record reads it', () => {
    expect(keys.get('StateDirectory')).toBe('edgefw');
    expect(keys.get('ExecStopPost')).toContain(`"$SERVICE_RESULT $EXIT_CODE $EXIT_STATUS" > /var/lib/edgefw/${LAST_EXIT_FILE}`);
  });
});
