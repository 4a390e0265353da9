import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceError } from '../errors.js';
import type { EdgeListener, GpioBus, GpioLine, InputOptions, Level, OutputOptions } from './gpio.js';
import { DEFAULT_SYSFS_GPIO, GPIO_SYSFS_REMEDY, type GpioChipInfo, headerChip, sysfsExportable, sysfsNumber } from './gpio-sysfs.js';

/** The part of onoff's Gpio we use (onoff 6, sysfs). */
interface OnoffGpio {
  read(): Promise<number>;
  write(value: number): Promise<void>;
  watch(cb: (err: Error | null | undefined, value: number) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
type OnoffCtor = new (gpio: number, direction: string, edge?: string, options?: { activeLow?: boolean; reconfigureDirection?: boolean }) => OnoffGpio;

const require = createRequire(import.meta.url);

/** Turn whatever onoff or fs threw while opening a line into GPIO_UNAVAILABLE with what to do. */
export function translateGpioOpenError(e: unknown, bcm: number, sysfs: number): DeviceError {
  const errno = (e as { code?: string } | null)?.code ?? '';
  const where = `GPIO${bcm} (sysfs ${sysfs})`;
  const why =
    errno === 'ENOENT'
      ? `sysfs GPIO is absent: ${GPIO_SYSFS_REMEDY}`
      : errno === 'EBUSY'
        ? 'the line is claimed by a kernel driver or overlay (check dtoverlay= lines in config.txt, e.g. w1-gpio, and other services)'
        : errno === 'EACCES' || errno === 'EPERM'
          ? 'permission denied: run edgefw as a member of the "gpio" group'
          : errno === 'EINVAL'
            ? 'the kernel refused this line number; check the line numbering (docs/devices.md "GPIO line numbering")'
            : `open failed (${errno || 'error'})`;
  return new DeviceError('GPIO_UNAVAILABLE', `${where}: ${why}`, { cause: e, retryable: errno === 'EBUSY', details: { bcm, sysfs, errno } });
}

class OnoffLine implements GpioLine {
  private listener: EdgeListener | undefined;
  private watching = false;

  constructor(
    readonly bcm: number,
    readonly name: string,
    private readonly gpio: OnoffGpio,
    private readonly isOutput: boolean,
    private readonly onRelease: () => void,
  ) {}

  async read(): Promise<Level> {
    try {
      return (await this.gpio.read()) ? 1 : 0;
    } catch (e) {
      throw new DeviceError('DEVICE_FAULT', `${this.name}: read failed: ${(e as Error).message}`, { cause: e, retryable: true });
    }
  }

  async write(level: Level): Promise<void> {
    if (!this.isOutput) throw new DeviceError('DEVICE_FAULT', `${this.name} is an input; it cannot be written`);
    try {
      await this.gpio.write(level);
    } catch (e) {
      throw new DeviceError('DEVICE_FAULT', `${this.name}: write failed: ${(e as Error).message}`, { cause: e, retryable: true });
    }
  }

  watch(listener: EdgeListener): void {
    this.listener = listener;
    if (this.watching) return;
    this.watching = true;
    // onoff reads the value file after each interrupt (epoll POLLPRI) and passes it here
    this.gpio.watch((err, value) => {
      if (!err) this.listener?.(value ? 1 : 0);
    });
  }

  unwatch(): void {
    this.listener = undefined;
    if (this.watching) this.gpio.unwatchAll();
    this.watching = false;
  }

  async release(): Promise<void> {
    this.unwatch();
    this.gpio.unexport();
    this.onRelease();
  }
}

/**
 * Real backend: the Raspberry Pi header through onoff (sysfs). Loaded only when a profile names
 * a real GPIO bus. onoff always uses /sys/class/gpio; `root` only moves where the chip list is
 * read from (tests point it at test/fixtures/sysfs/…).
 */
export class RealGpioBus implements GpioBus {
  private readonly open = new Set<number>();
  private chipInfo: GpioChipInfo | undefined;

  constructor(
    readonly name: string,
    private readonly options: { readonly root?: string; readonly chip?: string } = {},
    private readonly Gpio: OnoffCtor = require('onoff').Gpio as OnoffCtor,
  ) {}

  private get root(): string {
    return this.options.root ?? DEFAULT_SYSFS_GPIO;
  }

  /** The header chip, read once; throws GPIO_UNAVAILABLE when sysfs GPIO is absent. */
  chip(): GpioChipInfo {
    this.chipInfo ??= headerChip(this.root, this.options.chip);
    return this.chipInfo;
  }

  private openLine(bcm: number, direction: string, edge: string | undefined, activeLow: boolean): { gpio: OnoffGpio; name: string } {
    const n = sysfsNumber(bcm, this.chip());
    if (!sysfsExportable(this.root)) {
      throw new DeviceError('GPIO_UNAVAILABLE', `GPIO${bcm}: ${join(this.root, 'export')} is missing; ${GPIO_SYSFS_REMEDY}`, { details: { bcm } });
    }
    if (this.open.has(bcm)) throw new DeviceError('GPIO_UNAVAILABLE', `GPIO${bcm} is already open on ${this.name}; two devices in the profile use it`);
    let gpio: OnoffGpio;
    try {
      // onoff throws synchronously (ENOENT on …/export when sysfs GPIO is absent)
      gpio = new this.Gpio(n, direction, edge, { activeLow });
    } catch (e) {
      throw translateGpioOpenError(e, bcm, n);
    }
    this.open.add(bcm);
    return { gpio, name: n === bcm ? `GPIO${bcm}` : `GPIO${bcm} (sysfs ${n})` };
  }

  openInput(bcm: number, options: InputOptions): GpioLine {
    const { gpio, name } = this.openLine(bcm, 'in', options.edge, options.activeLow);
    return new OnoffLine(bcm, name, gpio, false, () => this.open.delete(bcm));
  }

  openOutput(bcm: number, options: OutputOptions): GpioLine {
    // "high"/"low" set direction and level in one write: the line never glitches through the
    // other level. With active_low the physical level is the inverse, so ask for the physical one.
    const physical = options.activeLow ? 1 - options.initial : options.initial;
    const { gpio, name } = this.openLine(bcm, physical ? 'high' : 'low', undefined, options.activeLow);
    return new OnoffLine(bcm, name, gpio, true, () => this.open.delete(bcm));
  }

  peekOutput(bcm: number, activeLow: boolean): Level | undefined {
    try {
      const dir = join(this.root, `gpio${sysfsNumber(bcm, this.chip())}`);
      if (!existsSync(join(dir, 'value'))) return undefined;
      // value is the logical level under the line's current active_low; convert to ours
      const raw = readFileSync(join(dir, 'value'), 'utf8').trim() === '1' ? 1 : 0;
      const lineActiveLow = readFileSync(join(dir, 'active_low'), 'utf8').trim() === '1';
      const physical = lineActiveLow ? 1 - raw : raw;
      return (activeLow ? 1 - physical : physical) as Level;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.open.clear();
  }
}
