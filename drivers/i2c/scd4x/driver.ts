import type { Clock } from '../../bus/clock.js';
import { type I2cBus, hex } from '../../bus/i2c.js';
import { DeviceError, isDeviceError } from '../../errors.js';
import type { ChannelSpec, DevicePart, Driver, ReadResult } from '../../types.js';
import { commandBytes, commandWithArgs, sensirionHumidity, sensirionTemperature, unpackWords } from '../sensirion.js';
import { ADDRESS, CMD, EXEC_MS, MEASUREMENT_INTERVAL_MS, dataReady, serialNumber } from './registers.js';
import type { Scd4xOptions } from './schema.js';

const CHANNELS: readonly ChannelSpec[] = [
  // CO₂ in whole ppm (datasheet 3.6.2); T and RH as the SHT4x inside: 0.01 °C, 0.01 %RH
  { name: 'co2', unit: 'ppm', min: 0, max: 40000, decimals: 0 },
  { name: 'temperature', unit: '°C', min: -10, max: 60, decimals: 2 },
  { name: 'humidity', unit: '%RH', min: 0, max: 100, decimals: 2 },
];

/** Without a new measurement for this long the sensor has restarted (brown-out) or stopped. */
const STALE_MS = 2 * MEASUREMENT_INTERVAL_MS + 1000;

type State = 'unknown' | 'stopping' | 'periodic';

/**
 * SCD4x in periodic mode. init() stops any measurement left running (the sensor keeps
 * measuring across our restarts) and the first read() waits the 500 ms that takes, reads the
 * serial number, sets the altitude, starts periodic measurement and waits 5 s for the first
 * reading. Every read after that asks get_data_ready_status and reads the measurement; each
 * command's execution time is a wait the scheduler owns. After a NACK or bus error the driver
 * starts over from stop_periodic_measurement.
 */
export class Scd4xDriver implements Driver {
  readonly channels = CHANNELS;
  private state: State = 'unknown';
  private stopDoneAt = 0;
  private lastDataAt = 0;
  private startedAt = 0;
  /** the last command's execution time ends here; the sensor NACKs anything sent before */
  private busyUntil = Number.NEGATIVE_INFINITY;
  private serial: number | undefined;

  constructor(
    private readonly bus: I2cBus,
    private readonly options: Scd4xOptions,
    private readonly clock: Clock,
  ) {}

  private get where(): string {
    return `${this.bus.name} ${hex(this.options.address)}`;
  }

  private async send(bytes: Uint8Array): Promise<void> {
    await this.bus.lock.run(() => this.bus.write(this.options.address, bytes));
    this.busyUntil = this.clock.monoMs() + (EXEC_MS[((bytes[0] as number) << 8) | (bytes[1] as number)] ?? 0);
  }

  private async receive(words: number, what: string): Promise<number[]> {
    const bytes = await this.bus.lock.run(() => this.bus.read(this.options.address, 3 * words));
    return unpackWords(bytes, `${this.where} ${what}`);
  }

  private async stop(): Promise<void> {
    const now = this.clock.monoMs();
    if (this.state === 'stopping' && now < this.stopDoneAt) return; // a stop is already under way
    if (now < this.busyUntil) {
      throw new DeviceError('DEVICE_BUSY', `${this.where}: the previous command is still executing for ${(this.busyUntil - now).toFixed(1)} ms`, { retryable: true });
    }
    this.state = 'unknown';
    await this.send(commandBytes(CMD.STOP_PERIODIC));
    this.state = 'stopping';
    this.stopDoneAt = this.clock.monoMs() + EXEC_MS[CMD.STOP_PERIODIC]!;
  }

  async init(): Promise<void> {
    await this.stop();
  }

  async read(): Promise<ReadResult> {
    if (this.state === 'periodic') return this.guard(() => this.poll());
    return this.guard(async () => {
      const busy = Math.ceil(this.busyUntil - this.clock.monoMs());
      if (this.state === 'unknown' && busy > 0) return { waitMs: busy, next: () => this.read() };
      if (this.state === 'unknown') await this.stop();
      const wait = Math.ceil(this.stopDoneAt - this.clock.monoMs());
      return wait > 0 ? { waitMs: wait, next: () => this.guard(() => this.setup()) } : this.setup();
    });
  }

  /** Any transport failure leaves the sensor's mode unknown: start over at the next read. */
  private async guard(step: () => Promise<ReadResult>): Promise<ReadResult> {
    try {
      const r = await step();
      return 'waitMs' in r ? { waitMs: r.waitMs, next: () => this.guard(r.next) } : r;
    } catch (e) {
      if (!isDeviceError(e) || e.code !== 'CRC_MISMATCH' || this.state !== 'periodic') this.state = 'unknown';
      throw e;
    }
  }

  private async setup(): Promise<ReadResult> {
    await this.send(commandBytes(CMD.GET_SERIAL));
    return {
      waitMs: EXEC_MS[CMD.GET_SERIAL]!,
      next: async () => {
        this.serial = serialNumber(await this.receive(3, 'serial number'));
        if (this.options.altitude === 0) return this.start();
        await this.send(commandWithArgs(CMD.SET_ALTITUDE, [this.options.altitude]));
        return { waitMs: EXEC_MS[CMD.SET_ALTITUDE]!, next: () => this.start() };
      },
    };
  }

  private async start(): Promise<ReadResult> {
    await this.send(commandBytes(CMD.START_PERIODIC));
    this.state = 'periodic';
    this.startedAt = this.lastDataAt = this.clock.monoMs();
    return { waitMs: MEASUREMENT_INTERVAL_MS, next: () => this.poll() };
  }

  private async poll(): Promise<ReadResult> {
    const askedAt = this.clock.monoMs();
    await this.send(commandBytes(CMD.GET_DATA_READY));
    return {
      waitMs: EXEC_MS[CMD.GET_DATA_READY]!,
      next: async () => {
        const [status] = (await this.receive(1, 'data ready status')) as [number];
        const now = this.clock.monoMs();
        if (!dataReady(status)) {
          if (now - this.lastDataAt > STALE_MS) {
            throw new DeviceError('DEVICE_TIMEOUT', `${this.where}: no new measurement for ${((now - this.lastDataAt) / 1000).toFixed(1)} s (sensor restarted?); restarting periodic measurement`, { retryable: true });
          }
          // the sensor measures at start + k × 5 s: come back 1 ms after the first of those
          // later than the moment it said "not ready"
          const k = Math.floor((askedAt - this.startedAt) / MEASUREMENT_INTERVAL_MS) + 1;
          const due = this.startedAt + k * MEASUREMENT_INTERVAL_MS - now;
          return { waitMs: Math.max(1, Math.ceil(due) + 1), next: () => this.poll() };
        }
        await this.send(commandBytes(CMD.READ_MEASUREMENT));
        return { waitMs: EXEC_MS[CMD.READ_MEASUREMENT]!, next: () => this.fetch() };
      },
    };
  }

  private async fetch(): Promise<ReadResult> {
    const [co2, t, rh] = (await this.receive(3, 'measurement')) as [number, number, number];
    this.lastDataAt = this.clock.monoMs();
    return {
      values: [
        { channel: 'co2', value: co2 },
        { channel: 'temperature', value: Math.round(sensirionTemperature(t) * 100) / 100 },
        { channel: 'humidity', value: Math.round(sensirionHumidity(rh) * 100) / 100 },
      ],
    };
  }

  async reset(): Promise<void> {
    await this.stop();
  }

  describe(): Readonly<Record<string, string | number | boolean>> {
    return {
      part: 'SCD4x',
      serial: this.serial === undefined ? 'unknown' : hex(this.serial, 12),
      mode: this.state,
      altitude: this.options.altitude,
      bus: this.bus.name,
      address: hex(this.options.address),
    };
  }
}

export const scd4xPart: DevicePart<Scd4xOptions> = {
  type: 'scd4x',
  title: 'Sensirion SCD4x (SCD40/41) CO₂, temperature and humidity',
  bus: 'i2c',
  example: { type: 'scd4x', address: ADDRESS, interval: '5s' },
  channels: () => CHANNELS,
  create: (o, ctx) => new Scd4xDriver(ctx.buses.i2c(o.bus), o, ctx.clock),
  i2c: {
    addresses: [ADDRESS],
    address: (o) => o.address,
    // no identify: every SCD4x command needs a 1 ms wait before its response, which a scan does
    // not own; the address 0x62 names it
  },
};
