import type { Logger } from 'pino';
import type { Profile } from '../config/schema.js';
import type { Clock } from '../drivers/bus/clock.js';
import type { GpioBus } from '../drivers/bus/gpio.js';
import { openGpioBus } from '../drivers/bus/gpio-open.js';
import type { I2cBus } from '../drivers/bus/i2c.js';
import { SerialHub } from '../drivers/bus/serial-hub.js';
import { toDeviceError } from '../drivers/errors.js';
import { devicePart } from '../drivers/parts.js';
import type { Ticker } from '../drivers/sim/serial-mock.js';
import type { Drivable } from '../drivers/sim/world.js';
import type { BusProvider } from '../drivers/types.js';
import type { FaultSink } from './diagnostics/registry.js';

export interface OpenBuses {
  readonly provider: BusProvider;
  readonly i2c: ReadonlyMap<string, I2cBus>;
  /** serial ports by path; simulated ones carry their simulator */
  readonly serial: SerialHub;
  /** simulators the world model drives, by device id (empty unless the profile simulates) */
  readonly simulators: ReadonlyMap<string, Drivable>;
  /** demo world parts that drive simulated lines from world time (doors, passers-by) */
  readonly scenes: readonly { update(tS: number): void }[];
  /** the world model over every simulator and scene, if the profile simulates anything */
  readonly world: { update(tS: number): void } | undefined;
  close(): Promise<void>;
}

/** Does the profile simulate anything (a bus, a serial part, a Firmata board)? */
export function profileSimulates(profile: Profile): boolean {
  return (
    profile.buses.i2c.some((b) => b.simulated) ||
    profile.buses.gpio.some((b) => b.simulated) ||
    profile.devices.some((d) => d.enabled && (d as { simulated?: boolean }).simulated === true)
  );
}

/**
 * Open every bus the profile declares. A real bus that is missing is a fault on the bus, not a
 * crash: its devices fail their probe and are retried with backoff. Backends load on demand:
 * i2c-bus only for a real I²C bus, onoff for a real GPIO header, serialport's native binding
 * at the first real port, and the simulator layer (firmware/simulation.ts) only when something
 * is simulated.
 */
export async function openBuses(profile: Profile, clock: Clock, faults: FaultSink, log: Logger, ticker?: Ticker): Promise<OpenBuses> {
  const sim = profileSimulates(profile) ? await (await import('./simulation.js')).Simulation.create(profile, clock, ticker) : undefined;
  const i2c = new Map<string, I2cBus>();
  for (const b of profile.buses.i2c) {
    if (b.simulated && sim) {
      i2c.set(b.name, sim.i2cBus(b.name, (type, d) => devicePart(type)?.i2c?.address(d)));
      continue;
    }
    const { RealI2cBus } = await import('../drivers/bus/i2c-real.js');
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
  for (const b of profile.buses.gpio) {
    const bus = await openGpioBus(b);
    gpio.set(b.name, bus);
    sim?.gpio(bus);
  }
  // Serial devices name their port. `simulated: true` puts the part's simulator behind
  // serialport's mock binding at that path (no port opened, no socat needed); RS-485 slaves
  // simulated on one path share one line.
  const serial = new SerialHub(sim?.serialPorts);
  sim?.serial(serial);
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
      serial: (spec, simulated) => serial.link(spec, simulated),
    },
    i2c,
    serial,
    simulators: sim?.simulators ?? new Map(),
    scenes: sim?.scenes ?? [],
    world: sim?.world(),
    async close() {
      for (const bus of i2c.values()) await bus.close();
      for (const bus of gpio.values()) await bus.close();
      sim?.close();
      await serial.close();
    },
  };
}
