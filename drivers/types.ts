import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock } from './bus/clock.js';
import type { GpioBus } from './bus/gpio.js';
import type { I2cBus } from './bus/i2c.js';
import type { SerialLink, SerialPortSpec } from './bus/serial.js';
import type { FrameFormat } from './bus/serial-frames.js';

/** One quantity a device yields. min/max are what the part can physically report (datasheet). */
export interface ChannelSpec {
  readonly name: string;
  /** SI or customary unit as published: "°C", "%RH", "hPa", "lx", "V", "ppm", "µg/m³" */
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  /**
   * Decimal places the part resolves in this unit (datasheet resolution: 0.01 °C → 2). What
   * leaves the box is rounded to it after the pipeline; a profile overrides it with
   * `channels.<name>.decimals` (drivers/precision.ts).
   */
  readonly decimals: number;
}

export interface ChannelValue {
  readonly channel: string;
  readonly value: number;
}

/**
 * What one call to Driver.read() gives: values now, or "come back in waitMs" (a conversion is
 * running). The scheduler waits; a driver never sleeps and never owns a timer.
 */
export type ReadResult =
  | { readonly values: readonly ChannelValue[] }
  | { readonly waitMs: number; readonly next: () => Promise<ReadResult> };

export interface Driver {
  readonly channels: readonly ChannelSpec[];
  /** Check the part is there and is the right part, then configure it. Throws DeviceError. */
  init(): Promise<void>;
  /** Take one measurement. Throws DeviceError. */
  read(): Promise<ReadResult>;
  /** Soft reset where the part has one; init() runs again afterwards. */
  reset?(): Promise<void>;
  /** Release what the driver holds (ports, lines, listeners). */
  close?(): Promise<void>;
  /** Identity for diagnostics: chip id, serial number, firmware. Valid after init(). */
  describe(): Readonly<Record<string, string | number | boolean>>;
  /**
   * Outputs only: drive every output to its declared safe state (opening the line if needed).
   * The runtime calls it on every device that has it before any init() at start — so a relay
   * left energised by a kill -9 drops first — and again at shutdown (SIGTERM/SIGINT).
   */
  safeState?(): Promise<void>;
  /**
   * Conditions a working device reports (a tamper switch open): fault codes from the catalogue
   * that are active now. The runtime raises each while it is listed and clears it after.
   */
  conditions?(): readonly DeviceCondition[];
}

export interface DeviceCondition {
  readonly code: string;
  readonly message: string;
}

/** The bus kinds a device can sit on. */
export type BusKind = 'i2c' | 'serial' | 'gpio' | 'firmata' | 'host';

/** Buses the composition root opened from the profile, looked up by profile name. */
export interface BusProvider {
  i2c(name: string): I2cBus;
  /** GPIO controllers under buses.gpio (the Pi header or a simulated chip). */
  gpio?(name: string): GpioBus;
  /**
   * A serial port by path (serial devices name their port, not a profile bus). With `simulated`
   * (the device entry says `simulated: true`) the provider hands out the simulated line the
   * composition root put at that path (the simulator layer, drivers/sim/registry.ts) instead of
   * opening a real port; drivers never see a simulator. Asking twice for one path gives the
   * same link when both specs say `shared` (RS-485 multi-drop); otherwise it throws.
   * drivers/bus/serial-hub.ts implements it. Optional so providers without serial devices (a
   * bench, an I²C-only test) need not carry it; a serial driver then fails with a clear error.
   */
  serial?(spec: SerialPortSpec, simulated?: boolean): SerialLink;
}

export interface DeviceContext {
  /** profile id of the device, e.g. "env" */
  readonly id: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly buses: BusProvider;
  /** Push values outside the schedule: an edge on a line, a frame a sensor streamed. */
  emit(values: readonly ChannelValue[]): void;
}

/** Common fields every device entry in a profile has (composed by config/schema.ts). */
export interface DeviceCommon {
  readonly id: string;
  readonly type: string;
  readonly bus?: string;
  /** sampling interval, ms */
  readonly interval: number;
  /** offset of the first sample from start, ms; spreads devices over the interval */
  readonly phase?: number;
  /** a read that takes longer fails with DEVICE_TIMEOUT, ms */
  readonly timeout: number;
  readonly enabled: boolean;
}

/**
 * A device type: one folder under drivers/, one line in drivers/registry.ts. Its simulator is
 * not part of it: simulators are their own layer (drivers/sim/registry.ts), outside the
 * production import graph.
 * `options` is a zod shape of the device's own profile keys (with `type: z.literal(...)`);
 * config/schema.ts adds the common keys.
 */
/**
 * A device type as the sampling thread needs it: everything of its definition except the zod
 * shape of its profile options (drivers/<part>/driver.ts). The profile check (a short-lived
 * thread at start and on reload) uses the whole DeviceDefinition; the sampling thread never loads
 * a schema library (docs/footprint.md).
 */
export type DevicePart<O extends DeviceCommon = DeviceCommon> = Omit<DeviceDefinition<O>, 'options'>;

export interface DeviceDefinition<O extends DeviceCommon = DeviceCommon> {
  readonly type: string;
  /** "Bosch BME280 temperature / humidity / pressure" */
  readonly title: string;
  readonly bus: BusKind;
  readonly options: z.ZodRawShape;
  /** A minimal profile entry (without id/bus) for docs, the contract suites and `scan`. */
  readonly example: Readonly<Record<string, unknown>>;
  /** The channels a device with these options will report (before init). */
  channels(options: O): readonly ChannelSpec[];
  create(options: O, ctx: DeviceContext): Driver;
  /** Cross-field checks of one entry the options schema cannot express; paths are relative to the entry. */
  check?(options: O): readonly { readonly path: readonly (string | number)[]; readonly message: string }[];
  readonly i2c?: I2cPartInfo<O>;
  readonly serial?: SerialPartInfo<O>;
}

export interface SerialPartInfo<O> {
  /** may several devices of this type share one port (RS-485 multi-drop) */
  readonly shared: boolean;
  /** What `edgefw probe serial` listens for and may send. */
  readonly probe: SerialProbeInfo;
}

export interface SerialProbeInfo {
  /** "Plantower PMS5003 / PMSA003 (active mode)" */
  readonly part: string;
  /** the part's factory baud rate */
  readonly baud: number;
  /** frames that name the part when they verify */
  readonly format: FrameFormat;
  /** A query that is safe to send to any device on an unknown cable (read-only, no mode change). */
  readonly query?: Uint8Array;
}

export interface I2cPartInfo<O> {
  /** addresses the part can be strapped to */
  readonly addresses: readonly number[];
  /** Address of this device in a profile entry. */
  address(options: O): number;
  /** Read the chip id (or serial) at an address to name the part in a scan; undefined = not this part. */
  identify?(bus: I2cBus, address: number): Promise<string | undefined>;
}
