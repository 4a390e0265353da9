/**
 * The contract every I²C driver meets, run over every registered I²C device type (a new driver
 * joins by its line in drivers/registry.ts). Modelled on Zephyr's generic emulator sensor test:
 * values across each channel's range (both ends included) are set on the simulator in SI units and must come
 * back through the real driver within the simulator's stated tolerance; every injected bus
 * fault must surface as a typed DeviceError, never as a crash or a wrong value.
 */
import { describe, expect, it } from 'vitest';
import { DeviceError } from '../../../drivers/errors.js';
import { DEVICE_TYPES } from '../../../drivers/registry.js';
import { i2cRig, readToEnd } from '../../helpers/drivers.js';
import { SWEEP_FRACTIONS, sweepI2c } from '../../helpers/i2c-sweep.js';

const I2C_TYPES = DEVICE_TYPES.filter((d) => d.i2c);

describe.each(I2C_TYPES.map((d) => [d.type, d] as const))('I²C contract: %s', (_type, def) => {
  it('reads back values across each channel range, both ends included, within tolerance', async () => {
    const { sim, driver } = i2cRig(def);
    expect(driver.channels.map((c) => c.name).sort()).toEqual([...sim.channels].sort());
    const { misses, violations, checked } = await sweepI2c(def);
    expect(checked).toBe(SWEEP_FRACTIONS.length * sim.channels.length);
    expect(misses).toEqual([]);
    expect(violations).toEqual([]);
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
