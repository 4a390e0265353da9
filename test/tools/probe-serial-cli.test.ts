/**
 * The built command line as a technician uses it: `edgefw simulate serial` speaking a part's
 * protocol on one end of a pty pair, `edgefw probe serial` naming it from the other end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { finished, runCli, startCli } from '../helpers/cli.js';
import { PtyPair } from '../helpers/pty.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

describe('edgefw probe serial / simulate serial', () => {
  it('probe names the part a simulator speaks on the other end of a pty; the simulator stops on SIGTERM', async () => {
    const pty = await PtyPair.open();
    cleanup.push(() => pty.stop());
    const sim = startCli(['simulate', 'serial', '--type', 'sds011', '--path', pty.devicePath]);
    cleanup.push(async () => {
      sim.kill('SIGKILL');
    });
    const end = performance.now() + 10_000;
    while (!sim.out.stderr.includes('simulator on') && performance.now() < end) await new Promise((r) => setTimeout(r, 50));
    const r = await runCli(['probe', 'serial', '--path', pty.hostPath, '--seconds', '2', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { likely: { type: string }; bytes: number };
    expect(report.likely.type).toBe('sds011');
    expect(report.bytes).toBeGreaterThan(0);
    sim.kill('SIGTERM');
    const done = await finished(sim);
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/\d+ bytes sent/);
  });

  it('probe exits 2 naming the port it cannot open, and refuses a bad --baud', async () => {
    const missing = await runCli(['probe', 'serial', '--path', '/dev/serial/by-id/usb-gone-if00', '--seconds', '0.2']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('cannot open /dev/serial/by-id/usb-gone-if00');
    const bad = await runCli(['probe', 'serial', '--path', '/dev/ttyUSB0', '--baud', 'fast']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--baud fast is not a baud rate');
  });

  it('simulate refuses an unknown type and bad options', async () => {
    const r = await runCli(['simulate', 'serial', '--type', 'bme280', '--path', '/tmp/x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--type bme280 is not a serial device type (pms5003, sds011, mhz19b, nmea-gps, modbus-rtu)');
    const m = await runCli(['simulate', 'serial', '--type', 'modbus-rtu', '--path', '/tmp/x', '--options', '{"registers":[]}']);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain('registers: a Modbus device needs at least one register');
  });
});
