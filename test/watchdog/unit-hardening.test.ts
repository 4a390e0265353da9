import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const UNIT = 'tools/systemd/edgefw.service';

/** systemd-analyze on PATH or in /usr/bin; the test fails (never skips) without it: .ci/run installs systemd. */
function systemdAnalyze(): string {
  for (const bin of ['systemd-analyze', '/usr/bin/systemd-analyze']) {
    try {
      execFileSync(bin, ['--version'], { stdio: 'ignore' });
      return bin;
    } catch {
      /* next */
    }
  }
  throw new Error('systemd-analyze is missing: install systemd (.ci/run does) to check the unit hardening');
}

/**
 * The shipped unit is hardened: systemd's own exposure score, offline (the unit file alone, as
 * systemd 252+ can), at most 3.5 — and still the service the runtime expects (test/watchdog/unit-file.test.ts).
 */
describe('tools/systemd/edgefw.service hardening', () => {
  it('scores at most 3.5 in `systemd-analyze security --offline=true`', () => {
    const out = execFileSync(systemdAnalyze(), ['security', '--offline=true', '--no-pager', UNIT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /Overall exposure level for edgefw\.service: (\d+(?:\.\d+)?)/.exec(out);
    if (!m?.[1]) throw new Error(`no exposure level in:\n${out}`);
    expect(Number(m[1])).toBeLessThanOrEqual(3.5);
    // what each setting buys, line by line: these must be among the passed checks
    for (const s of ['NoNewPrivileges=', 'PrivateTmp=', 'ProtectSystem=', 'ProtectHome=', 'RestrictSUIDSGID=', 'LockPersonality=', 'SystemCallArchitectures=']) {
      expect(out.split('\n').some((l) => l.startsWith('✓') && l.includes(s)), s).toBe(true);
    }
  });

  it('allows only I²C, serial, GPIO and the VideoCore mailbox devices, and keeps the notify socket reachable', () => {
    const unit = readFileSync(UNIT, 'utf8');
    const all = (key: string): string[] => unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
    expect(all('DevicePolicy')).toEqual(['closed']);
    expect(all('DeviceAllow').sort()).toEqual(['/dev/vchiq rw', '/dev/vcio rw', 'char-gpiochip rw', 'char-i2c rw', 'char-ttyACM rw', 'char-ttyAMA rw', 'char-ttyS rw', 'char-ttyUSB rw']);
    expect(all('PrivateDevices')).toEqual([]); // would hide /dev/i2c-* and the UARTs
    expect(all('RestrictAddressFamilies')).toEqual(['AF_UNIX AF_INET AF_INET6']); // AF_UNIX: sd_notify
    expect(all('PrivateNetwork')).toEqual([]);
    expect(all('MemoryDenyWriteExecute')).toEqual([]); // V8 JIT
    expect(all('ProtectKernelTunables')).toEqual([]); // sysfs GPIO export
    expect(all('UMask')).toEqual(['0027']);
    expect(all('StateDirectoryMode')).toEqual(['0750']);
    expect(all('SupplementaryGroups')).toEqual(['i2c dialout gpio video']);
  });
});
