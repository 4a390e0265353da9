import { describe, expect, it } from 'vitest';
import { launcherFlags, shippedLaunch } from '../../bench/footprint/edgefw.js';

describe('V8 settings a box runs with (docs/performance.md)', () => {
  it('the launcher and the systemd unit give the same small young generation; the footprint benchmark reads both', () => {
    const flags = launcherFlags();
    expect(flags).toContain('--max-semi-space-size=1');
    const launch = shippedLaunch();
    expect(launch.env.NODE_OPTIONS?.split(/\s+/)).toContain('--max-semi-space-size=1');
    expect(launch.env.NODE_ENV).toBe('production');
    // the unit starts `edgefw run` through the installed command, so the shebang's flags apply
    expect(launch.nodeArgs).toEqual(flags);
  });
});
