import pino from 'pino';
import { z } from 'zod';
import { type Clock, ManualClock } from '../../drivers/bus/clock.js';
import type { GpioBus } from '../../drivers/bus/gpio.js';
import type { SerialHub } from '../../drivers/bus/serial-hub.js';
import type { I2cBus } from '../../drivers/bus/i2c.js';
import { SimulatedI2cBus } from '../../drivers/sim/i2c-bus.js';
import type { I2cSimDevice } from '../../drivers/sim/i2c-target.js';
import type { ChannelValue, DeviceCommon, DeviceContext, DeviceDefinition, Driver, ReadResult } from '../../drivers/types.js';
import { deviceCommon } from '../../config/schema.js';
import { simulatorFor } from '../../drivers/sim/registry.js';

export const silentLog = pino({ level: 'silent' });

/** Validate a profile entry for one device type exactly as the profile loader does. */
export function deviceOptions<O extends DeviceCommon>(def: DeviceDefinition<O>, entry: Record<string, unknown>): O {
  return z.strictObject({ ...deviceCommon, ...def.options }).parse({ id: 'dut', type: def.type, ...entry }) as unknown as O;
}

export function deviceContext(clock: Clock, buses: { i2c?: I2cBus; gpio?: GpioBus; serial?: SerialHub } = {}, emitted: ChannelValue[][] = [], id = 'dut'): DeviceContext {
  return {
    id,
    clock,
    log: silentLog,
    buses: {
      i2c: (name) => {
        if (!buses.i2c || buses.i2c.name !== name) throw new Error(`test has no I²C bus ${name}`);
        return buses.i2c;
      },
      gpio: (name) => {
        if (!buses.gpio || buses.gpio.name !== name) throw new Error(`test has no GPIO bus ${name}`);
        return buses.gpio;
      },
      serial: (spec, simulated) => {
        if (!buses.serial) throw new Error(`test has no serial hub for ${spec.path}`);
        return buses.serial.link(spec, simulated);
      },
    },
    emit: (v) => emitted.push([...v]),
  };
}

/** Run a read to completion, advancing the manual clock by each wait the driver asks for. */
export async function readToEnd(driver: Driver, clock: ManualClock): Promise<readonly ChannelValue[]> {
  let r: ReadResult = await driver.read();
  let steps = 0;
  while ('waitMs' in r) {
    if (++steps > 100) throw new Error('driver asked to wait more than 100 times');
    clock.advance(r.waitMs);
    r = await r.next();
  }
  return r.values;
}

export interface I2cRig<O extends DeviceCommon> {
  readonly clock: ManualClock;
  readonly bus: SimulatedI2cBus;
  readonly sim: I2cSimDevice;
  readonly driver: Driver;
  readonly options: O;
}

/** A simulated bus with the device type's simulator at its address and the real driver on top. */
export function i2cRig<O extends DeviceCommon>(def: DeviceDefinition<O>, entry: Record<string, unknown> = {}): I2cRig<O> {
  if (!def.i2c) throw new Error(`${def.type} is not an I²C device`);
  const clock = new ManualClock();
  const bus = new SimulatedI2cBus('sim0');
  const options = deviceOptions(def, { ...def.example, bus: 'sim0', ...entry });
  const sim = simulatorFor(options, clock) as I2cSimDevice;
  bus.attach(def.i2c.address(options), sim);
  const driver = def.create(options, deviceContext(clock, { i2c: bus }));
  return { clock, bus, sim, driver, options };
}
