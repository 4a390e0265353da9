import type { GpioBus, GpioLine, Level } from '../../bus/gpio.js';
import { DeviceError, toDeviceError } from '../../errors.js';
import type { ChannelSpec, ChannelValue, DeviceCondition, DeviceContext, DevicePart, Driver, ReadResult } from '../../types.js';
import { type Change, Debouncer } from './debounce.js';
import { type InputKindLogic, inputChannels, kindLogic } from './kinds.js';
import type { GpioInputOptions } from './schema.js';
import { KIND_DEFAULTS } from './values.js';

/** The GPIO controller a device names, from the runtime's bus provider. */
export function gpioBus(ctx: DeviceContext, name: string): GpioBus {
  if (!ctx.buses.gpio) throw new DeviceError('GPIO_UNAVAILABLE', `no GPIO controllers are configured (buses.gpio is empty); "${name}" is unknown`);
  return ctx.buses.gpio(name);
}

/**
 * A digital input on a header line. Edges arrive through the line's watch callback, pass the
 * stability debounce (debounce.ts) timed by the injected clock, and are pushed with ctx.emit
 * the moment they are confirmed; each scheduled read() settles what the edges left pending,
 * re-reads the line (an edge can be missed) and closes the reporting interval.
 */
export class GpioInputDriver implements Driver {
  readonly channels: readonly ChannelSpec[];
  private line: GpioLine | undefined;
  private debouncer: Debouncer | undefined;
  private logic: InputKindLogic | undefined;
  private readonly debounceMs: number;
  private readonly activeLow: boolean;
  private openSinceMs: number | undefined;

  constructor(
    private readonly options: GpioInputOptions,
    private readonly ctx: DeviceContext,
  ) {
    this.channels = inputChannels(options);
    const d = KIND_DEFAULTS[options.kind];
    this.debounceMs = options.debounce ?? d.debounceMs;
    this.activeLow = options.activeLow ?? d.activeLow;
  }

  async init(): Promise<void> {
    await this.close();
    const d = KIND_DEFAULTS[this.options.kind];
    const line = gpioBus(this.ctx, this.options.bus).openInput(this.options.line, {
      edge: 'both',
      activeLow: this.activeLow,
      pull: this.options.pull ?? d.pull,
    });
    try {
      const now = this.ctx.clock.monoMs();
      const initial = await line.read();
      this.debouncer = new Debouncer(initial, this.debounceMs);
      this.logic = kindLogic(this.options.kind, this.options, now, initial);
      this.openSinceMs = initial === 1 ? now : undefined;
      this.line = line;
      line.watch((level) => this.onEdge(level));
    } catch (e) {
      await line.release();
      throw toDeviceError(e);
    }
  }

  private onEdge(level: Level): void {
    if (!this.debouncer) return;
    try {
      const now = this.ctx.clock.monoMs();
      this.push(this.debouncer.edge(level, now));
    } catch (e) {
      // an edge callback must never throw into the backend's poller
      this.ctx.log.warn({ err: e, line: this.options.line }, 'gpio edge handling failed');
    }
  }

  private push(changes: readonly Change[]): void {
    const logic = this.logic;
    if (!logic) return;
    for (const c of changes) {
      this.openSinceMs = c.level === 1 ? c.atMs : undefined;
      const values = logic.onChange(c);
      if (values.length > 0) this.ctx.emit(values);
    }
  }

  async read(): Promise<ReadResult> {
    const line = this.line;
    const deb = this.debouncer;
    const logic = this.logic;
    if (!line || !deb || !logic) throw new DeviceError('DEVICE_FAULT', `GPIO${this.options.line}: read before init`);
    const level = await line.read();
    const now = this.ctx.clock.monoMs();
    this.push(deb.observe(level, now));
    return { values: logic.close(deb.level, now) };
  }

  conditions(): readonly DeviceCondition[] {
    if (this.options.kind !== 'switch' || !this.options.tamper || this.openSinceMs === undefined) return [];
    const secs = Math.round((this.ctx.clock.monoMs() - this.openSinceMs) / 1000);
    return [{ code: 'TAMPER_OPEN', message: `tamper switch on GPIO${this.options.line} open for ${secs} s` }];
  }

  async close(): Promise<void> {
    const line = this.line;
    this.line = undefined;
    this.debouncer = undefined;
    this.logic = undefined;
    if (line) await line.release();
  }

  describe(): Readonly<Record<string, string | number | boolean>> {
    return {
      part: `GPIO ${this.options.kind}`,
      line: this.line?.name ?? `GPIO${this.options.line}`,
      bus: this.options.bus,
      activeLow: this.activeLow,
      debounceMs: this.debounceMs,
    };
  }

  /** Level after debounce (tests and diagnostics). */
  get level(): Level | undefined {
    return this.debouncer?.level;
  }
}

export const gpioInputPart: DevicePart<GpioInputOptions> = {
  type: 'gpio-input',
  title: 'GPIO input: door/tamper switch, PIR motion, button, pulse counter',
  bus: 'gpio',
  example: { type: 'gpio-input', line: 17, kind: 'switch', interval: '1s' },
  channels: (o) => inputChannels(o),
  create: (o, ctx) => new GpioInputDriver(o, ctx),
  check: (o) => (o.tamper && o.kind !== 'switch' ? [{ path: ['tamper'], message: `tamper applies to a switch, not a ${o.kind}` }] : []),
};
