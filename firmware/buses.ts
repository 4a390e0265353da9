import type { Logger } from 'pino';
import type { Profile } from '../config/schema.js';
import type { Clock } from '../drivers/bus/clock.js';
import type { GpioBus } from '../drivers/bus/gpio.js';
import { openGpioBus } from '../drivers/bus/gpio-open.js';
import type { I2cBus } from '../drivers/bus/i2c.js';
import { RealI2cBus } from '../drivers/bus/i2c-real.js';
import { SerialHub } from '../drivers/bus/serial-hub.js';
import { toDeviceError } from '../drivers/errors.js';
import { deviceType } from '../drivers/registry.js';
import { FirmataScene } from '../drivers/firmata/sim-scene.js';
import type { FirmataOptions } from '../drivers/firmata/schema.js';
import { SimulatedGpioChip } from '../drivers/sim/gpio-chip.js';
import { GpioScene } from '../drivers/sim/gpio-scene.js';
import { SimulatedI2cBus } from '../drivers/sim/i2c-bus.js';
import { SimulatedSerialPorts, type Ticker } from '../drivers/sim/serial-mock.js';
import type { Drivable } from '../drivers/sim/world.js';
import type { BusProvider } from '../drivers/types.js';
import type { FaultSink } from './diagnostics/registry.js';

export interface OpenBuses {
  readonly provider: BusProvider;
  readonly i2c: ReadonlyMap<string, I2cBus>;
  /** serial ports by path; simulated ones carry their simulator */
  readonly serial: SerialHub;
  /** simulators the world model drives, by device id */
  readonly simulators: ReadonlyMap<string, Drivable>;
  /** demo world parts that drive simulated lines from world time (doors, passers-by) */
  readonly scenes: readonly { update(tS: number): void }[];
  close(): Promise<void>;
}

/**
 * Open every bus the profile declares. A simulated I²C bus gets each of its devices' register
 * simulators at the device's address. A real bus that is missing is a fault on the bus, not a
 * crash: its devices fail their probe and are retried with backoff.
 */
export async function openBuses(profile: Profile, clock: Clock, faults: FaultSink, log: Logger, ticker?: Ticker): Promise<OpenBuses> {
  const i2c = new Map<string, I2cBus>();
  const simulators = new Map<string, Drivable>();
  for (const b of profile.buses.i2c) {
    if (b.simulated) {
      const bus = new SimulatedI2cBus(b.name);
      for (const d of profile.devices) {
        const def = deviceType(d.type);
        if (!def?.i2c || d.bus !== b.name || !d.enabled) continue;
        const sim = def.i2c.simulator(d, clock);
        bus.attach(def.i2c.address(d), sim);
        simulators.set(d.id, sim);
      }
      i2c.set(b.name, bus);
      continue;
    }
    const bus = await RealI2cBus.open(b.name, b.bus ?? 1);
    try {
      await bus.check();
    } catch (e) {
      const err = toDeviceError(e);
      log.error({ bus: b.name, code: err.code }, err.message);
      faults.raise({ code: err.code === 'I2C_BUS_MISSING' ? 'I2C_BUS_MISSING' : 'I2C_BUS_ERROR', subject: b.name, message: err.message });
    }
    i2c.set(b.name, bus);
  }
  const gpio = new Map<string, GpioBus>();
  const scenes: { update(tS: number): void }[] = [];
  // a simulated Firmata board answers on its device's path; the world task is its loop() clock
  const boards: FirmataScene[] = [];
  for (const d of profile.devices) {
    if (d.type === 'firmata' && d.enabled && (d as { simulated?: boolean }).simulated) boards.push(new FirmataScene(d as unknown as FirmataOptions));
  }
  scenes.push(...boards);
  for (const b of profile.buses.gpio) {
    const bus = await openGpioBus(b);
    gpio.set(b.name, bus);
    if (bus instanceof SimulatedGpioChip) {
      const scene = new GpioScene(bus);
      for (const d of profile.devices) {
        const dev = d as { bus?: string; line?: number; kind?: string; activeLow?: boolean };
        if (d.type !== 'gpio-input' || dev.bus !== b.name || !d.enabled || dev.line === undefined) continue;
        const kind = dev.kind as 'switch' | 'motion' | 'button' | 'counter';
        // idle physical level: a closed door pulls its line low, a released button floats high
        scene.add(dev.line, kind, kind === 'button' ? 1 : 0);
      }
      scenes.push(scene);
    }
  }
  // Serial devices name their port. `simulated: true` puts the part's simulator behind
  // serialport's mock binding at that path (no port opened, no socat needed); RS-485 slaves
  // simulated on one path share one line.
  const serial = new SerialHub(new SimulatedSerialPorts(undefined, ticker));
  for (const d of profile.devices) {
    const def = deviceType(d.type);
    const o = d as { port?: string; simulated?: boolean };
    if (!def?.serial || !d.enabled || !o.simulated || typeof o.port !== 'string') continue;
    const sim = def.serial.simulator(d, clock);
    serial.simulate(o.port, d.id, () => sim);
    if (!def.serial.stationary) simulators.set(d.id, sim);
  }
  return {
    provider: {
      i2c: (name) => {
        const bus = i2c.get(name);
        if (!bus) throw new Error(`no I²C bus named ${name}`);
        return bus;
      },
      gpio: (name) => {
        const bus = gpio.get(name);
        if (!bus) throw new Error(`no GPIO controller named ${name}`);
        return bus;
      },
      serial: (spec, simulate) => serial.link(spec, simulate),
    },
    i2c,
    serial,
    simulators,
    scenes,
    async close() {
      for (const bus of i2c.values()) await bus.close();
      for (const bus of gpio.values()) await bus.close();
      for (const b of boards) b.close();
      await serial.close();
    },
  };
}
