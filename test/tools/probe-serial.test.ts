/**
 * `edgefw probe serial` against the device simulators on the far end of a socat pty pair: the
 * probe opens the near end with the real native binding, exactly as on a box.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../drivers/bus/clock.js';
import { openRealSerialLink } from '../../drivers/bus/serial-real.js';
import { Mhz19bSimulator } from '../../drivers/serial/mhz19b/simulator.js';
import { ModbusSlaveSimulator } from '../../drivers/serial/modbus-rtu/simulator.js';
import { NmeaGpsSimulator } from '../../drivers/serial/nmea-gps/simulator.js';
import { Pms5003Simulator } from '../../drivers/serial/pms5003/simulator.js';
import { Sds011Simulator } from '../../drivers/serial/sds011/simulator.js';
import type { SerialSimDevice } from '../../drivers/sim/serial-device.js';
import { SerialPortSimHost } from '../../drivers/sim/serial-port-host.js';
import { formatProbeReport, probeSerial } from '../../tools/commands/probe-serial.js';
import { PtyPair } from '../helpers/pty.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function simOnPty(sim: SerialSimDevice, baud = 9600): Promise<PtyPair> {
  const pty = await PtyPair.open();
  const host = new SerialPortSimHost(sim, openRealSerialLink({ path: pty.devicePath, baudRate: baud, owner: 'sim' }));
  await host.start();
  cleanup.push(() => pty.stop(), () => host.stop());
  return pty;
}

const clock = new SystemClock();

describe('probe serial over a pty', () => {
  it.each([
    ['pms5003', () => new Pms5003Simulator(clock, 100, true)],
    ['sds011', () => new Sds011Simulator(clock, 100)],
    ['nmea-gps', () => new NmeaGpsSimulator(clock, 100, 0)],
  ] as const)('names a streaming %s from its frames without sending anything', async (type, make) => {
    const pty = await simOnPty(make());
    const r = await probeSerial({ path: pty.hostPath, baud: 9600, seconds: 1, send: false });
    expect(r.sent).toEqual([]);
    expect(r.likely?.type).toBe(type);
    expect(r.bytes).toBeGreaterThan(0);
    const p = r.protocols.find((x) => x.type === type);
    expect(p?.frames).toBeGreaterThanOrEqual(3);
    expect(p?.checksumErrors).toBe(0);
    expect(formatProbeReport(r)).toContain(`profile type "${type}"`);
  });

  it('finds an MH-Z19B, which only answers, by sending the safe queries', async () => {
    const pty = await simOnPty(new Mhz19bSimulator(clock));
    const listen = await probeSerial({ path: pty.hostPath, baud: 9600, seconds: 0.6, send: false });
    expect(listen.bytes).toBe(0);
    expect(listen.likely).toBeUndefined();
    expect(listen.verdict).toMatch(/nothing received/);
    const r = await probeSerial({ path: pty.hostPath, baud: 9600, seconds: 1.5, send: true });
    expect(r.sent.some((s) => s.startsWith('mhz19b: ff 01 86 00 00 00 00 00 79'))).toBe(true);
    expect(r.likely?.type).toBe('mhz19b');
  });

  it('finds a Modbus slave at unit 1 by reading one holding register', async () => {
    const pty = await simOnPty(new ModbusSlaveSimulator(clock, 1, [{ name: 'v', function: 3, address: 0, type: 'uint16', order: 'ABCD', scale: 1, offset: 0, unit: '' }]));
    const r = await probeSerial({ path: pty.hostPath, baud: 9600, seconds: 1.5, send: true });
    expect(r.likely?.type).toBe('modbus-rtu');
  });

  it('counts checksum errors on a noisy line and still names the part', async () => {
    const sim = new Pms5003Simulator(clock, 50, true);
    sim.faults.garbage = true;
    sim.faults.corruptNext = 5;
    const pty = await simOnPty(sim);
    const r = await probeSerial({ path: pty.hostPath, baud: 9600, seconds: 1.2, send: false });
    expect(r.likely?.type).toBe('pms5003');
    expect(r.protocols.find((p) => p.type === 'pms5003')?.checksumErrors).toBeGreaterThanOrEqual(5);
  });

  it('reports a missing port as an error a technician can act on', async () => {
    const r = await probeSerial({ path: '/dev/serial/by-id/usb-nothing-here', baud: 9600, seconds: 0.2, send: true });
    expect(r.error).toMatch(/ENOENT/);
    expect(r.verdict).toMatch(/cannot open \/dev\/serial\/by-id\/usb-nothing-here/);
    expect(r.likely).toBeUndefined();
  });
});

describe('probe serial over the mock binding', () => {
  it('at the wrong baud rate sees bytes but no protocol, and says to change the baud', async () => {
    const { SimulatedSerialPorts } = await import('../../drivers/sim/serial-mock.js');
    const ports = new SimulatedSerialPorts(5);
    ports.add('/dev/ttyUSB7', new Pms5003Simulator(clock, 20, true));
    const r = await probeSerial({ path: '/dev/ttyUSB7', baud: 115200, seconds: 0.5, send: false }, (spec) => ports.link(spec));
    expect(r.bytes).toBeGreaterThan(100);
    expect(r.likely).toBeUndefined();
    expect(r.verdict).toMatch(/wrong baud rate|failing checksums/);
    const ok = await probeSerial({ path: '/dev/ttyUSB7', baud: 9600, seconds: 0.5, send: false }, (spec) => ports.link(spec));
    expect(ok.likely?.type).toBe('pms5003');
  });
});
