/**
 * The contract every serial driver meets, run over every registered serial device type through
 * serialport's mock binding with the type's simulator behind it (the `simulated: true` path):
 * values set on the simulator come back through the real driver; a line full of garbage and
 * corrupted frames never yields a wrong value; a silent part, an unplugged port and a port that
 * returns all end as typed DeviceErrors and then readings again, without a new driver.
 *
 * A new serial type joins by its line in drivers/registry.ts and one entry in FAST below (how to
 * make its simulator quick enough for a unit test); the first test fails until it has one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { SystemClock } from '../../../drivers/bus/clock.js';
import { DeviceError } from '../../../drivers/errors.js';
import { DEVICE_TYPES } from '../../../drivers/registry.js';
import { Mhz19bSimulator } from '../../../drivers/serial/mhz19b/simulator.js';
import { NmeaGpsSimulator } from '../../../drivers/serial/nmea-gps/simulator.js';
import { Pms5003Simulator } from '../../../drivers/serial/pms5003/simulator.js';
import { Sds011Simulator } from '../../../drivers/serial/sds011/simulator.js';
import type { SerialSimDevice } from '../../../drivers/sim/serial-device.js';
import type { ChannelValue, DeviceCommon, DeviceDefinition } from '../../../drivers/types.js';
import { mockSerialRig, readRealtime, readUntilValues, until } from '../../helpers/serial.js';

interface Fast {
  readonly entry: Record<string, unknown>;
  readonly sim?: (clock: SystemClock) => SerialSimDevice;
  /** the fault a silent part raises */
  readonly silence: 'SERIAL_NO_DATA' | 'DEVICE_TIMEOUT';
}

const FAST: Record<string, Fast> = {
  pms5003: { entry: { warmup: 0, staleAfter: 400 }, sim: (c) => new Pms5003Simulator(c, 40, true), silence: 'SERIAL_NO_DATA' },
  sds011: { entry: { staleAfter: 400 }, sim: (c) => new Sds011Simulator(c, 40), silence: 'SERIAL_NO_DATA' },
  mhz19b: { entry: { warmup: 0, responseTimeout: 100, retries: 1 }, sim: (c) => new Mhz19bSimulator(c), silence: 'DEVICE_TIMEOUT' },
  'nmea-gps': { entry: { staleAfter: 400 }, sim: (c) => new NmeaGpsSimulator(c, 40, 0), silence: 'SERIAL_NO_DATA' },
  'modbus-rtu': {
    entry: {
      responseTimeout: 100,
      retries: 1,
      registers: [
        { name: 'voltage', function: 4, address: 0, type: 'float32', unit: 'V', min: 0, max: 300 },
        { name: 'frequency', function: 4, address: 2, type: 'uint16', scale: 0.01, unit: 'Hz', min: 45, max: 65 },
        { name: 'power', function: 3, address: 10, type: 'int32', order: 'CDAB', scale: 0.1, unit: 'W', min: -5000, max: 5000 },
      ],
    },
    silence: 'DEVICE_TIMEOUT',
  },
};

const SERIAL_TYPES = DEVICE_TYPES.filter((d) => d.serial);
const SERIAL_SWEEP = [0.0123, 0.2345, 0.5017, 0.7531, 1] as const;

function rig(def: DeviceDefinition<DeviceCommon>): ReturnType<typeof mockSerialRig> {
  const f = FAST[def.type] as Fast;
  return mockSerialRig(def, f.entry, f.sim);
}

function matches(values: readonly ChannelValue[], expected: ReadonlyMap<string, number>, tolerance: (ch: string) => number): boolean {
  for (const [ch, v] of expected) {
    const got = values.find((x) => x.channel === ch);
    if (!got || Math.abs(got.value - v) > tolerance(ch)) return false;
  }
  return true;
}

it('every registered serial type has a contract entry', () => {
  expect(SERIAL_TYPES.map((d) => d.type).sort()).toEqual(Object.keys(FAST).sort());
});

describe.each(SERIAL_TYPES.map((d) => [d.type, d] as const))('serial contract: %s', (_type, def) => {
  it('reads back values across each channel range, up to its top end, within tolerance', async () => {
    const { sim, driver } = rig(def);
    await driver.init();
    // fractions that give values with fractional parts (GPS minutes, 0.1 µg/m³ steps): round
    // values would hide a conversion bug. The bottom end (0 on particulate and CO₂ parts) is an
    // all-zero frame, which means "warming up" and is covered by warmup.test.ts.
    for (const f of SERIAL_SWEEP) {
      const expected = new Map<string, number>();
      for (const ch of sim.channels) {
        const r = sim.sampleRange(ch);
        const v = f === 1 ? r.max : r.min + (r.max - r.min) * f;
        sim.setChannel(ch, v);
        expected.set(ch, v);
      }
      await readUntilValues(driver, (v) => matches(v, expected, (ch) => sim.sampleRange(ch).tolerance), 3000, 20);
    }
    expect(sim.violations).toEqual([]);
    await driver.close?.();
  });

  it('garbage and corrupted frames never become a reading: only the true value or a typed error', async () => {
    const { sim, driver } = rig(def);
    await driver.init();
    const expected = new Map<string, number>();
    for (const ch of sim.channels) {
      const r = sim.sampleRange(ch);
      expected.set(ch, r.min + (r.max - r.min) * 0.37);
      sim.setChannel(ch, expected.get(ch) as number);
    }
    const tol = (ch: string): number => sim.sampleRange(ch).tolerance;
    await readUntilValues(driver, (v) => matches(v, expected, tol), 3000, 20);
    sim.faults.garbage = true;
    sim.faults.corruptNext = 20;
    sim.faults.truncateNext = 5;
    const end = performance.now() + 1200;
    while (performance.now() < end) {
      try {
        const v = await readRealtime(driver);
        if (v.length === 0) continue;
        expect(matches(v, expected, tol), JSON.stringify(v)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(DeviceError);
      }
      await sleep(15);
    }
    expect(sim.faults.injected).toBeGreaterThan(0);
    sim.faults.clear();
    await readUntilValues(driver, (v) => matches(v, expected, tol), 3000, 20);
    await driver.close?.();
  });

  it(`a part that stops talking raises ${FAST[def.type]?.silence}, and readings resume when it talks again`, async () => {
    const { sim, driver } = rig(def);
    await driver.init();
    await readUntilValues(driver, () => true, 3000, 20);
    sim.faults.silent = true;
    const err = await (async (): Promise<unknown> => {
      const end = performance.now() + 3000;
      while (performance.now() < end) {
        try {
          await readRealtime(driver);
        } catch (e) {
          return e;
        }
        await sleep(50);
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ code: FAST[def.type]?.silence, retryable: true });
    sim.faults.silent = false;
    await readUntilValues(driver, () => true, 3000, 20);
    await driver.close?.();
  });

  it('an unplugged port gives SERIAL_PORT_LOST at read and at init; after replug init reopens and readings resume', async () => {
    const { hub, driver, path } = rig(def);
    await driver.init();
    await readUntilValues(driver, () => true, 3000, 20);
    hub.simulated?.unplug(path);
    // the loss reaches the link with serialport's close event (disconnected: true)
    await until(() => hub.linkAt(path)?.lost !== undefined, 2000, 'the port loss');
    await expect(readRealtime(driver)).rejects.toMatchObject({ code: 'SERIAL_PORT_LOST', retryable: true });
    await expect(driver.init()).rejects.toMatchObject({ code: 'SERIAL_PORT_LOST', details: { errno: 'ENOENT' } });
    hub.simulated?.replug(path);
    await driver.init();
    await readUntilValues(driver, () => true, 3000, 20);
    await driver.close?.();
  });
});
