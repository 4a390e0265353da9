import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceError } from '../errors.js';
import { type EdgeListener, type GpioBus, type GpioLine, HEADER_LINES, type InputOptions, type Level, type OutputOptions, type Pull } from '../bus/gpio.js';

interface PinState {
  /** physical level something outside drives onto the pin (a switch, a PIR); undefined = floating */
  external: Level | undefined;
  pull: Pull;
  /** set while a line is open */
  open?: { dir: 'in' | 'out'; activeLow: boolean; edge: InputOptions['edge']; listener?: EdgeListener };
  /** physical level an output drives (latched: a pin keeps it after release, like the SoC does) */
  driven: Level | undefined;
}

/**
 * A simulated 40-pin header. Two faces:
 * - bus face (GpioBus): what a driver sees through the seam, with the refusals of the kernel:
 *   a line opened twice is busy, a line off the header does not exist, an input cannot be written;
 * - test face: `drive(17, 0)` puts a physical level on a pin (a door contact closing to ground),
 *   `float(17)` leaves it to the pull, `bounce(17, 1, 5)` chatters like a mechanical contact,
 *   `physical(18)` tells what an output drives (what a relay coil would see).
 *
 * With `stateDir`, output levels are kept in one file per pin (`gpio18` holding "0"/"1"), so
 * they survive the process like the SoC's output latch does: after a kill -9 a relay stays
 * energised until the next start drives it to its safe state. Tests read those files.
 */
export class SimulatedGpioChip implements GpioBus {
  private readonly pins = new Map<number, PinState>();
  /** pretend sysfs GPIO is absent (Pi 5 images without CONFIG_GPIO_SYSFS) */
  unavailable = false;
  /** edges delivered to watchers, for tests */
  edges = 0;

  constructor(
    readonly name: string,
    private readonly stateDir?: string,
  ) {
    if (stateDir) mkdirSync(stateDir, { recursive: true });
  }

  private pin(bcm: number): PinState {
    let p = this.pins.get(bcm);
    if (!p) {
      p = { external: undefined, pull: 'none', driven: this.latched(bcm) };
      this.pins.set(bcm, p);
    }
    return p;
  }

  private latched(bcm: number): Level | undefined {
    if (!this.stateDir) return undefined;
    const f = join(this.stateDir, `gpio${bcm}`);
    return existsSync(f) ? (readFileSync(f, 'utf8').trim() === '1' ? 1 : 0) : undefined;
  }

  private latch(bcm: number, level: Level): void {
    if (this.stateDir) writeFileSync(join(this.stateDir, `gpio${bcm}`), String(level));
  }

  /** Physical level on the pin: an output's drive, else what is connected, else the pull. */
  physical(bcm: number): Level | undefined {
    const p = this.pin(bcm);
    if (p.open?.dir === 'out' || (p.open === undefined && p.driven !== undefined)) return p.driven;
    if (p.external !== undefined) return p.external;
    return p.pull === 'up' ? 1 : p.pull === 'down' ? 0 : undefined;
  }

  private logical(bcm: number): Level {
    const p = this.pin(bcm);
    // a floating input with no pull reads whatever the pin picked up last; call it 0
    const phys = this.physical(bcm) ?? 0;
    return (p.open?.activeLow ? 1 - phys : phys) as Level;
  }

  private check(bcm: number): void {
    if (this.unavailable) {
      throw new DeviceError('GPIO_UNAVAILABLE', `GPIO${bcm}: sysfs GPIO is absent (simulated)`, { details: { bcm } });
    }
    if (!Number.isInteger(bcm) || bcm < 0 || bcm >= HEADER_LINES) {
      throw new DeviceError('GPIO_UNAVAILABLE', `GPIO${bcm} is not on the header (GPIO0..${HEADER_LINES - 1})`, { details: { bcm } });
    }
    if (this.pin(bcm).open) throw new DeviceError('GPIO_UNAVAILABLE', `GPIO${bcm} is already open on ${this.name} (EBUSY)`, { retryable: true, details: { bcm } });
  }

  openInput(bcm: number, options: InputOptions): GpioLine {
    this.check(bcm);
    const p = this.pin(bcm);
    p.open = { dir: 'in', activeLow: options.activeLow, edge: options.edge };
    p.pull = options.pull;
    p.driven = undefined;
    return this.line(bcm);
  }

  openOutput(bcm: number, options: OutputOptions): GpioLine {
    this.check(bcm);
    const p = this.pin(bcm);
    p.open = { dir: 'out', activeLow: options.activeLow, edge: 'none' };
    const phys = (options.activeLow ? 1 - options.initial : options.initial) as Level;
    p.driven = phys;
    this.latch(bcm, phys);
    return this.line(bcm);
  }

  peekOutput(bcm: number, activeLow: boolean): Level | undefined {
    const d = this.pin(bcm).driven;
    return d === undefined ? undefined : ((activeLow ? 1 - d : d) as Level);
  }

  private line(bcm: number): GpioLine {
    const chip = this;
    const p = this.pin(bcm);
    const state = p.open;
    const alive = (): void => {
      if (p.open !== state || !state) throw new DeviceError('DEVICE_FAULT', `GPIO${bcm}: line used after release`);
    };
    return {
      bcm,
      name: `GPIO${bcm}`,
      async read(): Promise<Level> {
        alive();
        return chip.logical(bcm);
      },
      async write(level: Level): Promise<void> {
        alive();
        if (state?.dir !== 'out') throw new DeviceError('DEVICE_FAULT', `GPIO${bcm} is an input; it cannot be written`);
        const phys = (state.activeLow ? 1 - level : level) as Level;
        p.driven = phys;
        chip.latch(bcm, phys);
      },
      watch(listener: EdgeListener): void {
        alive();
        if (state) state.listener = listener;
      },
      unwatch(): void {
        if (state) state.listener = undefined;
      },
      async release(): Promise<void> {
        if (p.open === state) p.open = undefined;
      },
    };
  }

  private deliver(bcm: number, before: Level | undefined): void {
    const p = this.pin(bcm);
    const after = this.physical(bcm);
    if (!p.open || p.open.dir !== 'in' || after === before || after === undefined) return;
    const level = this.logical(bcm);
    const rising = level === 1;
    const e = p.open.edge;
    if (e === 'both' || (e === 'rising' && rising) || (e === 'falling' && !rising)) {
      this.edges++;
      p.open.listener?.(level);
    }
  }

  async close(): Promise<void> {
    for (const p of this.pins.values()) p.open = undefined;
  }

  // ---- test face ----

  /** Put a physical level on an input pin (what the switch, PIR or meter does). */
  drive(bcm: number, level: Level): void {
    const before = this.physical(bcm);
    this.pin(bcm).external = level;
    this.deliver(bcm, before);
  }

  /** Disconnect whatever drives the pin; it reads its pull. */
  float(bcm: number): void {
    const before = this.physical(bcm);
    this.pin(bcm).external = undefined;
    this.deliver(bcm, before);
  }

  /** A mechanical contact settling on `final`: `chatter` alternating edges, then the final level. */
  bounce(bcm: number, final: Level, chatter: number): void {
    for (let i = 0; i < chatter; i++) this.drive(bcm, (i % 2 === 0 ? final : 1 - final) as Level);
    this.drive(bcm, final);
  }
}
