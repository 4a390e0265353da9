/**
 * The contract every I²C driver meets, run over every registered I²C device type (a new driver
 * joins by its line in drivers/registry.ts). Modelled on Zephyr's generic emulator sensor test:
 * five values across each channel's range are set on the simulator in SI units and must come
 * back through the real driver within the simulator's stated tolerance; every injected bus
 * fault must surface as a typed DeviceError, never as a crash or a wrong value.
 */
import { describe, expect, it } from 'vitest';
import { DeviceError } from '../../../drivers/errors.js';
import { DEVICE_TYPES } from '../../../drivers/registry.js';
import { i2cRig, readToEnd } from '../../helpers/drivers.js';

const I2C_TYPES = DEVICE_TYPES.filter((d) => d.i2c);

describe.each(I2C_TYPES.map((d) => [d.type, d] as const))('I²C contract: %s', (_type, def) => {
  it('reads back five values across each channel range within tolerance', async () => {
    const { sim, driver, clock } = i2cRig(def);
    await driver.init();
    expect(driver.channels.map((c) => c.name).sort()).toEqual([...sim.channels].sort());
    for (let k = 0; k < 5; k++) {
      const expected = new Map<string, number>();
      for (const ch of sim.channels) {
        const r = sim.sampleRange(ch);
        if (r.derived) continue;
        const v = r.min + ((r.max - r.min) * (k + 0.5)) / 5;
        sim.setChannel(ch, v);
        expected.set(ch, v);
      }
      for (const ch of sim.channels) {
        const derive = sim.sampleRange(ch).derived;
        if (derive) expected.set(ch, derive(expected));
      }
      clock.advance(60_000); // let slow parts (SCD4x: 5 s) produce a fresh measurement
      const values = await readToEnd(driver, clock);
      for (const [ch, v] of expected) {
        const got = values.find((x) => x.channel === ch);
        expect(got, `${def.type} ${ch}`).toBeDefined();
        expect(Math.abs((got?.value ?? Number.NaN) - v), `${def.type} ${ch} set ${v} read ${got?.value}`).toBeLessThanOrEqual(sim.sampleRange(ch).tolerance);
      }
    }
    expect(sim.violations).toEqual([]);
  });

  it('unplugged part gives I2C_NACK at init and at read, and recovers when replugged', async () => {
    const { sim, driver, clock } = i2cRig(def);
    sim.faults.unplug();
    await expect(driver.init()).rejects.toMatchObject({ name: 'DeviceError', code: 'I2C_NACK' });
    sim.faults.replug();
    await driver.init();
    sim.faults.unplug();
    await expect(readToEnd(driver, clock)).rejects.toMatchObject({ code: 'I2C_NACK' });
    sim.faults.replug();
    clock.advance(60_000);
    const values = await readToEnd(driver, clock);
    expect(values.length).toBe(driver.channels.length);
  });

  it('bus errors (EREMOTEIO, EIO) become retryable I2C_BUS_ERROR', async () => {
    const { sim, driver, clock } = i2cRig(def);
    await driver.init();
    for (const errno of ['EREMOTEIO', 'EIO']) {
      sim.faults.failNext({ op: 'any', error: errno });
      const err = await readToEnd(driver, clock).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceError);
      expect(err).toMatchObject({ code: 'I2C_BUS_ERROR', retryable: true });
    }
  });

  it('garbage on the bus gives a typed error or finite values, never a crash', async () => {
    const { sim, driver, clock } = i2cRig(def);
    await driver.init();
    sim.faults.garbage = true;
    for (let i = 0; i < 20; i++) {
      clock.advance(60_000);
      try {
        const values = await readToEnd(driver, clock);
        for (const v of values) expect(Number.isFinite(v.value)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(DeviceError);
      }
    }
  });

  it('a stuck part keeps returning the value it froze at', async () => {
    const { sim, driver, clock } = i2cRig(def);
    await driver.init();
    clock.advance(60_000);
    const before = await readToEnd(driver, clock);
    sim.stick();
    for (const ch of sim.channels) sim.setChannel(ch, sim.sampleRange(ch).max);
    clock.advance(60_000);
    const after = await readToEnd(driver, clock);
    expect(after).toEqual(before);
  });
});
