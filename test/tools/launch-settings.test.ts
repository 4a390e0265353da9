import { describe, expect, it } from 'vitest';
import { launcherFlags, shippedLaunch } from '../../bench/footprint/edgefw.js';

describe('V8 settings a box runs with (docs/footprint.md)', () => {
  it('the systemd unit and the launcher both give a small young generation; the footprint benchmark runs edgefw with what the unit gives', () => {
    expect(launcherFlags()).toContain('--max-semi-space-size=1');
    const launch = shippedLaunch();
    expect(launch.env.NODE_ENV).toBe('production');
    // whether ExecStart names node (flags on its command line) or the installed command (the
    // shebang's flags), NODE_OPTIONS carries the setting to every process the unit starts
    const effective = [...launch.nodeArgs, ...(launch.env.NODE_OPTIONS ?? '').split(/\s+/)];
    expect(effective).toContain('--max-semi-space-size=1');
  });
});
