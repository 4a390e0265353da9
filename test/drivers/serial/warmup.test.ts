/**
 * Warming-up particulate and CO₂ sensors send well-formed all-zero frames: the checksum verifies
 * but there is no measurement yet. They must never be published as readings of 0; the device
 * says `warmingUp`, and WARMUP_TOO_LONG is raised when the zeros last longer than the part ever
 * needs. The frames are the captured ones from PyPMS's tests (shared reference-data, pypms/), and
 * real captured frames from the same parts must still read as measurements.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SystemClock } from '../../../drivers/bus/clock.js';
import { mhz19b } from '../../../drivers/serial/mhz19b/index.js';
import { Mhz19bSimulator } from '../../../drivers/serial/mhz19b/simulator.js';
import { pms5003 } from '../../../drivers/serial/pms5003/index.js';
import { Pms5003Simulator } from '../../../drivers/serial/pms5003/simulator.js';
import { sds011 } from '../../../drivers/serial/sds011/index.js';
import { Sds011Simulator } from '../../../drivers/serial/sds011/simulator.js';
import type { SerialSimDevice } from '../../../drivers/sim/serial-device.js';
import type { Driver } from '../../../drivers/types.js';
import { referenceData } from '../../helpers/reference-data.js';
import { mockSerialRig, readRealtime, readUntilValues, until } from '../../helpers/serial.js';

/** A system clock a test can move forward (the warm-up limit is minutes). */
class SteppedClock extends SystemClock {
  ahead = 0;
  override monoMs(): number {
    return super.monoMs() + this.ahead;
  }
}

const cases = (JSON.parse(readFileSync(referenceData('pypms', 'decode-errors.json'), 'utf8')) as { cases: { sensor: string; hex: string; pypms_error: string }[] }).cases;
const empty = (sensor: string): Uint8Array => {
  const c = cases.find((x) => x.sensor === sensor && x.pypms_error.includes('warming up'));
  if (!c) throw new Error(`no captured warm-up frame for ${sensor}`);
  return Uint8Array.from(Buffer.from(c.hex, 'hex'));
};
/** The first captured frame of a hexdump (PyPMS tests/captured_data). */
const captured = (file: string, size: number): Uint8Array => {
  const hex = readFileSync(referenceData('pypms', file), 'utf8')
    .split('\n')
    .map((l) => /^[0-9a-f]+: ((?:[0-9a-f]{2} )+)/.exec(l)?.[1] ?? '')
    .join('')
    .replace(/\s/g, '');
  return Uint8Array.from(Buffer.from(hex.slice(0, size * 2), 'hex'));
};
const inject = (sim: SerialSimDevice, bytes: Uint8Array): void => (sim as unknown as { send(b: Uint8Array): void }).send(bytes.slice());
const info = (d: Driver) => d.describe() as { warmingUp?: boolean; zeroFramesDropped?: number };

describe('all-zero frames mean "warming up", never a reading of 0', () => {
  it('PMS5003: the captured empty frame is dropped, the captured real frame is a reading; WARMUP_TOO_LONG after 2 min', async () => {
    const clock = new SteppedClock();
    const { driver, sim } = mockSerialRig(pms5003, { warmup: 0, staleAfter: 1000 }, (c) => new Pms5003Simulator(c, 1e9, true), clock);
    await driver.init();
    await readUntilValues(driver); // the simulator's one frame at start; it then stays quiet
    inject(sim, empty('pmsx003'));
    await until(() => info(driver).zeroFramesDropped === 1, 2000, 'the empty frame');
    expect(await readRealtime(driver)).toEqual([]);
    expect(info(driver).warmingUp).toBe(true);
    expect(driver.conditions?.()).toEqual([]);
    clock.ahead += 121_000;
    inject(sim, empty('pmsx003'));
    await until(() => info(driver).zeroFramesDropped === 2, 2000, 'the second empty frame');
    expect(await readRealtime(driver)).toEqual([]);
    expect(driver.conditions?.()).toEqual([{ code: 'WARMUP_TOO_LONG', message: expect.stringContaining('PMS5003 has sent only all-zero frames (warming up) for 121 s') }]);
    inject(sim, captured('PMSx003.hexdump', 32)); // 42 4d 00 1c … PM2.5 8 µg/m³
    await until(() => info(driver).warmingUp === false, 2000, 'the real frame');
    const v = await readRealtime(driver);
    expect(v.find((x) => x.channel === 'pm2_5')?.value).toBe(8);
    expect(driver.conditions?.()).toEqual([]);
    await driver.close?.();
  });

  it('SDS011: the captured empty frame (id 0000 too) is dropped; the captured real frame reads 0.6 µg/m³', async () => {
    const clock = new SteppedClock();
    const { driver, sim } = mockSerialRig(sds011, { staleAfter: 1000 }, (c) => new Sds011Simulator(c, 1e9), clock);
    await driver.init();
    await readUntilValues(driver); // the simulator's one frame at start; it then stays quiet
    inject(sim, empty('sds01x'));
    await until(() => info(driver).zeroFramesDropped === 1, 2000, 'the empty frame');
    expect(await readRealtime(driver)).toEqual([]);
    expect(info(driver).warmingUp).toBe(true);
    clock.ahead += 121_000;
    inject(sim, empty('sds01x'));
    await until(() => info(driver).zeroFramesDropped === 2, 2000, 'the second empty frame');
    expect(driver.conditions?.().map((c) => c.code)).toEqual(['WARMUP_TOO_LONG']);
    inject(sim, captured('SDS01x.hexdump', 10)); // aa c0 06 00 06 00 58 d9 3d ab
    await until(() => info(driver).warmingUp === false, 2000, 'the real frame');
    expect(await readRealtime(driver)).toEqual([
      { channel: 'pm2_5', value: 0.6 },
      { channel: 'pm10', value: 0.6 },
    ]);
    expect(driver.conditions?.()).toEqual([]);
    await driver.close?.();
  });

  it('MH-Z19B: the preheat answer FF 86 00 … 7A (PyPMS capture) gives no reading; 10 min of it is WARMUP_TOO_LONG', async () => {
    const clock = new SteppedClock();
    const { driver, sim } = mockSerialRig(mhz19b, { warmup: 0, responseTimeout: 200, retries: 1 }, (c) => new Mhz19bSimulator(c), clock);
    await driver.init();
    const m = sim as Mhz19bSimulator;
    m.zeroFrames = true;
    expect(await readRealtime(driver)).toEqual([]);
    expect(info(driver)).toMatchObject({ warmingUp: true, zeroFramesDropped: 1 });
    // the simulator's preheat answer is byte for byte the captured one
    expect(empty('mhz19b')).toEqual(Uint8Array.of(0xff, 0x86, 0, 0, 0, 0, 0, 0, 0x7a));
    clock.ahead += 601_000;
    expect(await readRealtime(driver)).toEqual([]);
    expect(driver.conditions?.().map((c) => c.code)).toEqual(['WARMUP_TOO_LONG']);
    m.zeroFrames = false;
    m.setChannel('co2', 636); // the captured ff 86 02 7c: 636 ppm
    expect(await readRealtime(driver)).toEqual([{ channel: 'co2', value: 636 }]);
    expect(info(driver).warmingUp).toBe(false);
    expect(driver.conditions?.()).toEqual([]);
    expect(sim.violations).toEqual([]);
    await driver.close?.();
  });

  it('the PMS5003 simulator warms up as the part does: all-zero frames in its first seconds, none published', async () => {
    const { driver } = mockSerialRig(pms5003, { warmup: 0, staleAfter: 1000 }, (c) => new Pms5003Simulator(c, 40, false));
    await driver.init();
    await until(() => (info(driver).zeroFramesDropped ?? 0) > 3, 3000, 'warm-up frames');
    for (let i = 0; i < 5; i++) for (const v of await readRealtime(driver)) expect(v.value).not.toBe(0);
    await driver.close?.();
  });
});
