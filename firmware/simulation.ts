import type { Profile } from '../config/schema.js';
import type { Clock } from '../drivers/bus/clock.js';
import type { GpioBus } from '../drivers/bus/gpio.js';
import type { SerialHub } from '../drivers/bus/serial-hub.js';
import type { FirmataOptions } from '../drivers/firmata/schema.js';
import type { FirmataScene } from '../drivers/firmata/sim-scene.js';
import { SimulatedGpioChip } from '../drivers/sim/gpio-chip.js';
import { GpioScene } from '../drivers/sim/gpio-scene.js';
import { SimulatedI2cBus } from '../drivers/sim/i2c-bus.js';
import { i2cSimulator, serialSimulator } from '../drivers/sim/registry.js';
import { SimulatedSerialPorts, type Ticker } from '../drivers/sim/serial-mock.js';
import { type Drivable, World } from '../drivers/sim/world.js';

/**
 * The simulated side of a profile's buses: register-level simulators on simulated I²C buses,
 * protocol simulators on the paths of `simulated: true` serial parts, simulated Firmata boards,
 * scenes for simulated GPIO headers, and the world model that drives them all.
 *
 * Part of the composition root, loaded by firmware/buses.ts with a dynamic import only when the
 * profile simulates something, so the simulator layer (drivers/sim/, every simulator.ts) stays
 * out of a real box's memory.
 */
export class Simulation {
  /** simulators the world model drives, by device id */
  readonly simulators = new Map<string, Drivable>();
  /** demo world parts that drive simulated lines from world time (doors, passers-by, boards) */
  readonly scenes: { update(tS: number): void }[] = [];
  readonly serialPorts: SimulatedSerialPorts;
  private readonly boards: FirmataScene[] = [];

  private constructor(
    private readonly profile: Profile,
    private readonly clock: Clock,
    ticker?: Ticker,
  ) {
    this.serialPorts = new SimulatedSerialPorts(undefined, ticker);
  }

  static async create(profile: Profile, clock: Clock, ticker?: Ticker): Promise<Simulation> {
    const sim = new Simulation(profile, clock, ticker);
    // a simulated Firmata board answers on its device's path; the world task is its loop() clock.
    // Its link needs all of serialport: loaded only when a board is simulated.
    const boards = profile.devices.filter((d) => d.type === 'firmata' && d.enabled && (d as { simulated?: boolean }).simulated);
    if (boards.length > 0) {
      const { FirmataScene } = await import('../drivers/firmata/sim-scene.js');
      for (const d of boards) sim.boards.push(new FirmataScene(d as unknown as FirmataOptions));
      sim.scenes.push(...sim.boards);
    }
    return sim;
  }

  /** A simulated I²C bus with each enabled device's register simulator at its address. */
  i2cBus(name: string, address: (type: string, entry: Profile['devices'][number]) => number | undefined): SimulatedI2cBus {
    const bus = new SimulatedI2cBus(name);
    for (const d of this.profile.devices) {
      const sim = i2cSimulator(d.type);
      if (!sim || d.bus !== name || !d.enabled) continue;
      const at = address(d.type, d);
      if (at === undefined) continue;
      const part = sim.create(d, this.clock);
      bus.attach(at, part);
      this.simulators.set(d.id, part);
    }
    return bus;
  }

  /** A scene for a simulated GPIO header: the devices' idle levels, driven by world time. */
  gpio(bus: GpioBus): void {
    if (!(bus instanceof SimulatedGpioChip)) return;
    const scene = new GpioScene(bus);
    for (const d of this.profile.devices) {
      const dev = d as { bus?: string; line?: number; kind?: string };
      if (d.type !== 'gpio-input' || dev.bus !== bus.name || !d.enabled || dev.line === undefined) continue;
      const kind = dev.kind as 'switch' | 'motion' | 'button' | 'counter';
      // idle physical level: a closed door pulls its line low, a released button floats high
      scene.add(dev.line, kind, kind === 'button' ? 1 : 0);
    }
    this.scenes.push(scene);
  }

  /** Put each `simulated: true` serial part's simulator on its path (RS-485 slaves share one line). */
  serial(hub: SerialHub): void {
    for (const d of this.profile.devices) {
      const sim = serialSimulator(d.type);
      const o = d as { port?: string; simulated?: boolean };
      if (!sim || !d.enabled || !o.simulated || typeof o.port !== 'string') continue;
      const part = sim.create(d, this.clock);
      hub.simulate(o.port, d.id, () => part);
      if (!sim.stationary) this.simulators.set(d.id, part);
    }
  }

  /** The world model over every simulator and scene: call update(tS) with seconds since start. */
  world(): { update(tS: number): void } | undefined {
    if (this.simulators.size === 0 && this.scenes.length === 0) return undefined;
    const world = new World();
    for (const sim of this.simulators.values()) world.add(sim);
    return {
      update: (tS) => {
        world.update(tS);
        for (const scene of this.scenes) scene.update(tS);
      },
    };
  }

  close(): void {
    for (const b of this.boards) b.close();
  }
}
