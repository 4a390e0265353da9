import { DeviceError } from '../errors.js';
import { type OutputControl, type OutputDriver, outputValue } from '../outputs.js';
import { decimalsForStep } from '../precision.js';
import type { ChannelSpec, ChannelValue, DeviceContext, DevicePart, ReadResult } from '../types.js';
import { type ConnectionOptions, FirmataConnection, type FirmataIo, load, prepare } from './connection.js';
import { MODE_NAMES } from './protocol.js';
import type { BoardOutput, FirmataOptions } from './schema.js';
import { scaleAnalog } from './values.js';

export function firmataChannels(o: Pick<FirmataOptions, 'analog' | 'digital' | 'outputs' | 'vref'>): ChannelSpec[] {
  return [
    ...o.analog.map((a) => {
      // a scaled input's plausible range is its transducer's (`range`: 4 mA → 0 °C, 20 mA → 100 °C;
      // below 4 mA is a broken loop, not −25 °C); unscaled, what the 10-bit ADC reaches
      const lo = a.range ? a.range[0] : scaleAnalog(0, a, o.vref);
      const hi = a.range ? a.range[1] : scaleAnalog(1023, a, o.vref);
      // one step of the board's 10-bit ADC in the input's unit
      const step = Math.abs(scaleAnalog(1, a, o.vref) - scaleAnalog(0, a, o.vref));
      return { name: a.name, unit: a.unit, min: Math.min(lo, hi), max: Math.max(lo, hi), decimals: decimalsForStep(step) };
    }),
    ...o.digital.map((d) => ({ name: d.name, unit: 'state', min: 0, max: 1, decimals: 0 })),
    // PWM duty in 1/255 steps (analogWrite) → 3 decimals; an on/off output is 0 or 1
    ...o.outputs.map((out) => ({ name: out.name, unit: out.pwm ? 'ratio' : 'state', min: 0, max: 1, decimals: out.pwm ? 3 : 0 })),
  ];
}

function safeValue(out: BoardOutput): number {
  return out.safe === 'on' ? 1 : out.safe === 'off' ? 0 : out.safe;
}

/**
 * A microcontroller board running StandardFirmata on a serial port, through johnny-five over
 * firmata-io. The board is one device: its analog inputs (scaled to engineering units), digital
 * inputs and outputs are its channels.
 *
 * Reconnect: johnny-five cannot recover a board whose port went away. When the port closes the
 * device's reads fail with FIRMATA_LOST; the runtime marks it failed, calls reset() (which closes
 * that connection for good) and re-probes init() with backoff; init() opens the port again and
 * runs the whole handshake with a fresh board object. Other devices are not touched: nothing here
 * blocks, and reads of a lost board fail at once.
 *
 * Outputs go to their safe value first thing after every handshake, so a board that reset (or a
 * USB glitch) never leaves a relay in a state nobody chose. The values reported as readings are
 * the values written, which the board confirms only by accepting the write.
 */
export class FirmataDriver implements OutputDriver {
  readonly channels: readonly ChannelSpec[];
  private conn: FirmataConnection | undefined;
  private readyAtMs = 0;
  private readonly analog = new Map<string, { code: number; atMs: number }>();
  private readonly digital = new Map<string, number>();
  private readonly outValues = new Map<string, number>();
  private readonly controls: OutputControl[];
  /** completed handshakes since start (1 + reconnects) */
  handshakes = 0;

  constructor(
    private readonly options: FirmataOptions,
    private readonly ctx: DeviceContext,
    private readonly connect: (o: ConnectionOptions) => FirmataConnection = (o) => new FirmataConnection(o),
  ) {
    this.channels = firmataChannels(options);
    load(); // the libraries' synchronous load happens now, at start, not in the middle of sampling
    this.controls = options.outputs.map((out) => ({
      name: out.name,
      safe: safeValue(out),
      pwm: out.pwm,
      get: () => this.outValues.get(out.name),
      set: (v, reason) => this.setOutput(out, v, reason),
    }));
  }

  private get path(): string {
    return this.options.path;
  }

  /** The live connection, or FIRMATA_LOST saying why there is none. */
  private live(): FirmataConnection {
    const c = this.conn;
    if (!c || c.lost !== undefined || this.handshakes === 0) {
      throw new DeviceError('FIRMATA_LOST', `${this.path}: ${c?.lost ?? 'board not connected'}`, { retryable: false, details: { path: this.path } });
    }
    return c;
  }

  async init(): Promise<void> {
    await this.drop();
    await prepare(this.options.simulated);
    const conn = this.connect({ path: this.path, baudRate: this.options.baudRate, simulated: this.options.simulated, queryAfterMs: this.options.queryAfter });
    this.conn = conn;
    conn.onLost = (reason) => {
      if (this.conn === conn && this.handshakes > 0) this.ctx.log.warn({ path: this.path, reason }, `${this.path}: board lost: ${reason}`);
    };
    await conn.ready;
    if (this.conn !== conn) throw new DeviceError('FIRMATA_LOST', `${this.path}: superseded by a newer connection attempt`, { retryable: true });
    const io = conn.io;
    this.checkPins(io);
    this.handshakes++;
    this.readyAtMs = this.ctx.clock.monoMs();
    // outputs first: whatever the board did while we were away, it now holds the safe values
    for (const out of this.options.outputs) {
      io.pinMode(out.pin, out.pwm ? io.MODES.PWM : io.MODES.OUTPUT);
      this.write(io, out, safeValue(out), this.handshakes === 1 ? 'safe state at start' : 'safe state after reconnect');
    }
    for (const a of this.options.analog) {
      io.analogRead(a.pin, (code) => {
        if (this.conn === conn) this.analog.set(a.name, { code, atMs: this.ctx.clock.monoMs() });
      });
    }
    for (const d of this.options.digital) {
      io.pinMode(d.pin, d.pull ? io.MODES.PULLUP : io.MODES.INPUT);
      io.digitalRead(d.pin, (v) => {
        if (this.conn !== conn) return;
        const was = this.digital.get(d.name);
        this.digital.set(d.name, v);
        if (was !== undefined && was !== v) this.ctx.emit([{ channel: d.name, value: v }]);
      });
    }
    this.ctx.log.info({ path: this.path, firmware: io.firmware.name, handshakes: this.handshakes }, `${this.path}: ${io.firmware.name ?? 'Firmata'} ready`);
  }

  /** Refuse a profile the board cannot do, naming pin and modes, before touching any pin. */
  private checkPins(io: FirmataIo): void {
    const problems: string[] = [];
    const modes = (pin: number): string => (io.pins[pin]?.supportedModes ?? []).map((m) => MODE_NAMES[m] ?? m).join(', ') || 'nothing';
    const can = (pin: number, mode: number): boolean => io.pins[pin]?.supportedModes.includes(mode) ?? false;
    for (const out of this.options.outputs) {
      const want = out.pwm ? io.MODES.PWM : io.MODES.OUTPUT;
      if (!can(out.pin, want)) problems.push(`output ${out.name}: pin ${out.pin} cannot be ${out.pwm ? 'PWM' : 'OUTPUT'} (board offers ${modes(out.pin)})`);
    }
    for (const d of this.options.digital) {
      if (!can(d.pin, d.pull ? io.MODES.PULLUP : io.MODES.INPUT)) problems.push(`digital ${d.name}: pin ${d.pin} cannot be an input (board offers ${modes(d.pin)})`);
    }
    const used = new Map<number, string>();
    const claim = (pin: number, what: string): void => {
      const other = used.get(pin);
      if (other) problems.push(`${what}: pin ${pin} is already ${other}`);
      else used.set(pin, what);
    };
    for (const out of this.options.outputs) claim(out.pin, `output ${out.name}`);
    for (const d of this.options.digital) claim(d.pin, `digital ${d.name}`);
    for (const a of this.options.analog) {
      if (io.analogPins[a.pin] !== undefined) claim(io.analogPins[a.pin] as number, `analog ${a.name}`);
      if (a.pin >= io.analogPins.length) problems.push(`analog ${a.name}: A${a.pin} does not exist (board has A0..A${io.analogPins.length - 1})`);
    }
    if (problems.length > 0) {
      throw new DeviceError('BAD_RESPONSE', `${this.path}: the profile asks what this board cannot do: ${problems.join('; ')}`, { retryable: false, details: { problems } });
    }
  }

  private write(io: FirmataIo, out: BoardOutput, value: number, reason: string): void {
    if (out.pwm) io.pwmWrite(out.pin, Math.round(value * (io.RESOLUTION.PWM ?? 255)));
    else io.digitalWrite(out.pin, value);
    const was = this.outValues.get(out.name);
    this.outValues.set(out.name, value);
    if (was !== value) {
      this.ctx.log.info({ path: this.path, output: out.name, value, reason }, `${this.path} ${out.name} ${value}: ${reason}`);
      this.ctx.emit([{ channel: out.name, value }]);
    }
  }

  private async setOutput(out: BoardOutput, value: number | 'on' | 'off', reason: string): Promise<void> {
    const v = outputValue(value, out.pwm);
    if (v === undefined) throw new DeviceError('DEVICE_FAULT', `${this.path} ${out.name}: ${String(value)} is not a value of a ${out.pwm ? 'PWM output (0..1)' : 'digital output (on, off, 1, 0)'}`);
    this.write(this.live().io, out, v, reason);
  }

  async read(): Promise<ReadResult> {
    this.live();
    const now = this.ctx.clock.monoMs();
    const values: ChannelValue[] = [];
    for (const a of this.options.analog) {
      const r = this.analog.get(a.name);
      const since = r ? r.atMs : this.readyAtMs;
      if (now - since > this.options.staleAfter) {
        throw new DeviceError('FIRMATA_LOST', `${this.path}: no report for A${a.pin} (${a.name}) in ${Math.round(now - since)} ms; the board stopped answering`, {
          retryable: false,
          details: { path: this.path, pin: a.pin },
        });
      }
      if (r) values.push({ channel: a.name, value: scaleAnalog(r.code, a, this.options.vref) });
    }
    for (const d of this.options.digital) {
      const v = this.digital.get(d.name);
      if (v !== undefined) values.push({ channel: d.name, value: v });
    }
    for (const out of this.options.outputs) {
      const v = this.outValues.get(out.name);
      if (v !== undefined) values.push({ channel: out.name, value: v });
    }
    return { values };
  }

  outputs(): readonly OutputControl[] {
    return this.controls;
  }

  /** Safe values now if the board answers; without a board there is nothing to drive (the next handshake does it). */
  async safeState(): Promise<void> {
    const c = this.conn;
    if (!c || c.lost !== undefined || this.handshakes === 0) return;
    for (const out of this.options.outputs) this.write(c.io, out, safeValue(out), 'safe state');
    // let the bytes reach the board before the port is closed at shutdown
    if (c.port.isOpen) await new Promise<void>((resolve) => c.port.drain(() => resolve()));
  }

  private async drop(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    this.analog.clear();
    this.digital.clear();
    if (c) await c.close();
  }

  async reset(): Promise<void> {
    await this.drop();
  }

  async close(): Promise<void> {
    await this.drop();
  }

  /** Listeners held by the live connection (a leak check for tests). */
  listeners(): number {
    return this.conn?.listeners() ?? 0;
  }

  describe(): Readonly<Record<string, string | number | boolean>> {
    const io = this.conn?.io;
    return {
      part: 'Firmata board',
      path: this.path,
      firmware: io?.firmware.name ?? 'unknown',
      protocol: io?.version.major !== undefined ? `${io.version.major}.${io.version.minor}` : 'unknown',
      handshakes: this.handshakes,
      simulated: this.options.simulated,
    };
  }
}

export const firmataPart: DevicePart<FirmataOptions> = {
  type: 'firmata',
  title: 'Microcontroller board running StandardFirmata (Arduino Uno, Nano …) on USB serial',
  bus: 'firmata',
  example: {
    type: 'firmata',
    path: '/dev/serial/by-id/usb-Arduino_Uno-if00',
    interval: '1s',
    timeout: '10s',
    analog: [{ name: 'light', pin: 'A0', unit: 'V' }],
  },
  channels: (o) => firmataChannels(o),
  create: (o, ctx) => new FirmataDriver(o, ctx),
  check: (o) => {
    const seen = new Set<string>();
    const problems: { path: (string | number)[]; message: string }[] = [];
    for (const list of ['analog', 'digital', 'outputs'] as const) {
      o[list].forEach((x, i) => {
        if (seen.has(x.name)) problems.push({ path: [list, i, 'name'], message: `channel name "${x.name}" is used twice on this board` });
        seen.add(x.name);
      });
    }
    o.outputs.forEach((out, i) => {
      if (!out.pwm && typeof out.safe === 'number' && out.safe !== 0 && out.safe !== 1) {
        problems.push({ path: ['outputs', i, 'safe'], message: `${out.safe} needs pwm: true; an on/off output is safe 'off' or 'on'` });
      }
    });
    // the runtime bounds init() by the device timeout; a handshake that cannot fit would retry forever
    if (o.timeout < o.queryAfter + 2000) {
      problems.push({ path: ['timeout'], message: `${o.timeout} ms cannot fit a Firmata handshake (an Uno resets when its port opens and answers after ~2 s; queryAfter is ${o.queryAfter} ms): set timeout: 10s` });
    }
    return problems;
  },
};
