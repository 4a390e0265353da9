/**
 * The runtime's bus provider with serial devices from a profile: `simulated: true` puts each
 * part's simulator behind serialport's mock binding at the profile's path (nothing is opened),
 * RS-485 slaves on one path share one simulated line, the world model gets the simulators it may
 * drive (not the GPS), and the drivers read through it.
 */
import { describe, expect, it } from 'vitest';
import { parseProfileText } from '../../config/load.js';
import { SystemClock } from '../../drivers/bus/clock.js';
import { deviceType } from '../../drivers/registry.js';
import { openBuses } from '../../firmware/buses.js';
import { FaultRegistry } from '../../firmware/diagnostics/registry.js';
import { silentLog } from '../helpers/drivers.js';
import { readRealtime, readUntilValues, value } from '../helpers/serial.js';

const PROFILE = `
box: { id: kiosk-7 }
devices:
  - { id: dust, type: pms5003, port: /dev/serial/by-id/usb-dust, simulated: true, warmup: 0s }
  - { id: gps, type: nmea-gps, port: /dev/serial/by-id/usb-gps, simulated: true }
  - id: m1
    type: modbus-rtu
    port: /dev/serial/by-id/usb-rs485
    simulated: true
    unit: 1
    registers: [{ name: voltage, function: 4, address: 0, type: float32, unit: V, min: 200, max: 250 }]
  - id: m2
    type: modbus-rtu
    port: /dev/serial/by-id/usb-rs485
    simulated: true
    unit: 2
    registers: [{ name: flow, function: 3, address: 100, type: uint16, scale: 0.1, unit: m³/h, min: 0, max: 50 }]
`;

describe('serial devices through the runtime bus provider', () => {
  it('simulated devices read through the mock binding; Modbus slaves share one line', async () => {
    const profile = parseProfileText(PROFILE, 'serial.yaml');
    const clock = new SystemClock({ assumeTrusted: true });
    const buses = await openBuses(profile, clock, new FaultRegistry(clock), silentLog);
    try {
      expect([...buses.simulators.keys()].sort()).toEqual(['dust', 'm1', 'm2']); // the GPS stays put
      const drivers = new Map(
        profile.devices.map((d) => [d.id, deviceType(d.type)?.create(d, { id: d.id, clock, log: silentLog, buses: buses.provider, emit: () => {} })]),
      );
      for (const d of drivers.values()) await d?.init();
      buses.simulators.get('m1')?.setChannel('voltage', 231.25);
      buses.simulators.get('m2')?.setChannel('flow', 12.3);
      expect(value(await readRealtime(drivers.get('m1') as never), 'voltage')).toBe(231.25);
      expect(value(await readRealtime(drivers.get('m2') as never), 'flow')).toBeCloseTo(12.3, 6);
      // the simulated PMS5003 is in its 30 s fan warm-up (readings off the set value); it streams
      await readUntilValues(drivers.get('dust') as never, (v) => value(v, 'pm2_5') > 0, 5000);
      await readUntilValues(drivers.get('gps') as never, (v) => v.some((c) => c.channel === 'satellites'), 5000);
      expect(buses.serial.linkAt('/dev/serial/by-id/usb-rs485')).toBe(buses.serial.linkAt('/dev/serial/by-id/usb-rs485'));
      for (const d of drivers.values()) await d?.close?.();
    } finally {
      await buses.close();
    }
  });
});
