import type { GpioLine, Level } from '../../bus/gpio.js';
import { DeviceError } from '../../errors.js';
import { type OutputControl, type OutputDriver, outputValue } from '../../outputs.js';
import type { ChannelSpec, DeviceContext, DevicePart, ReadResult } from '../../types.js';
import { gpioBus } from '../input/driver.js';
import type { GpioOutputOptions } from './schema.js';

const CHANNELS: readonly ChannelSpec[] = [{ name: 'state', unit: 'state', min: 0, max: 1, decimals: 3 }];

/**
 * A relay or backlight on a header line, with a declared safe state.
 *
 * The safe state is driven before anything else: safeState() opens the line with the safe level
 * as its initial level (one sysfs write of "high"/"low", so the coil never clicks through the
 * other state) and is called by the runtime at start before any device's init(), and at
 * shutdown. A box killed with -9 leaves the pin latched where it was — a relay stays energised —
 * so the next start reads the latched level first and logs that it found the output on.
 */
export class GpioOutputDriver implements OutputDriver {
  readonly channels = CHANNELS;
  private line: GpioLine | undefined;
  private value: Level | undefined;
  private onSinceMs: number | undefined;
  private readonly safe: Level;
  private readonly control: OutputControl;

  constructor(
    private readonly options: GpioOutputOptions,
    private readonly ctx: DeviceContext,
  ) {
    this.safe = options.safe === 'on' ? 1 : 0;
    const self = this;
    this.control = {
      name: 'state',
      safe: this.safe,
      pwm: false,
      get: () => self.value,
      set: (v, reason) => self.set(v, reason),
    };
  }

  private get where(): string {
    return this.line?.name ?? `GPIO${this.options.line}`;
  }

  outputs(): readonly OutputControl[] {
    return [this.control];
  }

  async safeState(): Promise<void> {
    if (!this.line) {
      const bus = gpioBus(this.ctx, this.options.bus);
      const found = bus.peekOutput(this.options.line, this.options.activeLow);
      this.line = bus.openOutput(this.options.line, { activeLow: this.options.activeLow, initial: this.safe });
      if (found !== undefined && found !== this.safe) {
        this.ctx.log.warn(
          { line: this.options.line, kind: this.options.kind, found, safe: this.safe },
          `${this.where} ${this.options.kind} was ${found ? 'on' : 'off'} at start (unclean shutdown or another program); driven to its safe state`,
        );
      }
      this.changed(this.safe, 'safe state at start');
      return;
    }
    await this.line.write(this.safe);
    this.changed(this.safe, 'safe state');
  }

  async init(): Promise<void> {
    if (!this.line) await this.safeState();
  }

  async set(value: number | 'on' | 'off', reason: string): Promise<void> {
    const v = outputValue(value, false);
    if (v === undefined) throw new DeviceError('DEVICE_FAULT', `${this.where}: ${String(value)} is not a state of a ${this.options.kind} (on, off, 1, 0)`);
    if (!this.line) throw new DeviceError('GPIO_UNAVAILABLE', `${this.where}: ${this.options.kind} is not open yet`, { retryable: true });
    await this.line.write(v as Level);
    this.changed(v as Level, reason);
  }

  private changed(v: Level, reason: string): void {
    const was = this.value;
    this.value = v;
    this.onSinceMs = v === 1 ? (was === 1 ? this.onSinceMs : this.ctx.clock.monoMs()) : undefined;
    if (was !== v) {
      this.ctx.log.info({ line: this.options.line, kind: this.options.kind, state: v, reason }, `${this.where} ${this.options.kind} ${v ? 'on' : 'off'}: ${reason}`);
      this.ctx.emit([{ channel: 'state', value: v }]);
    }
  }

  async read(): Promise<ReadResult> {
    if (!this.line || this.value === undefined) throw new DeviceError('DEVICE_FAULT', `${this.where}: read before init`);
    const max = this.options.maxOn;
    if (max !== undefined && this.onSinceMs !== undefined && this.ctx.clock.monoMs() - this.onSinceMs >= max) {
      await this.set(0, `max on-time ${max / 1000} s reached`);
    }
    return { values: [{ channel: 'state', value: this.value }] };
  }

  async close(): Promise<void> {
    const line = this.line;
    this.line = undefined;
    if (line) await line.release();
  }

  describe(): Readonly<Record<string, string | number | boolean>> {
    return { part: `GPIO ${this.options.kind}`, line: this.where, bus: this.options.bus, safe: this.options.safe, activeLow: this.options.activeLow };
  }
}

export const gpioOutputPart: DevicePart<GpioOutputOptions> = {
  type: 'gpio-output',
  title: 'GPIO output: relay or backlight with a safe state and a maximum on-time',
  bus: 'gpio',
  example: { type: 'gpio-output', line: 18, kind: 'relay', safe: 'off', interval: '1s' },
  channels: () => CHANNELS,
  create: (o, ctx) => new GpioOutputDriver(o, ctx),
};
