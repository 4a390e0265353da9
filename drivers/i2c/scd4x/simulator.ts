import type { Clock } from '../../bus/clock.js';
import { I2cSimDevice, type SampleRange } from '../../sim/i2c-target.js';
import { humidityWord, temperatureWord } from '../../sim/sensirion.js';
import { CrcFault, packWords, sensirionCrc8 } from '../sensirion.js';
import { ALLOWED_WHILE_PERIODIC, CMD, EXEC_MS, MEASUREMENT_INTERVAL_MS } from './registers.js';

/** The serial number of the datasheet's get_serial_number example. */
export const SIM_SERIAL = [0xf896, 0x9f07, 0x3bbe] as const;

type Response = { readonly readyAt: number; readonly words: readonly number[] } | { readonly readyAt: number; readonly empty: true };

/**
 * Command-level SCD4x. Honours (datasheet section 3):
 * - idle and periodic modes; in periodic mode only read_measurement, get_data_ready_status,
 *   stop_periodic_measurement and set_ambient_pressure are accepted (table 9)
 * - every command has an execution time; a read or a new command before it has passed is NACKed
 *   (stop_periodic_measurement: 500 ms)
 * - a measurement every 5 s after start; get_data_ready_status reports it; read_measurement
 *   empties the buffer and is NACKed when there is nothing new
 * - argument words must carry a valid CRC-8; responses carry one per word
 * Every refusal is recorded as a violation: a driver that skips a wait fails its test.
 */
export class Scd4xSimulator extends I2cSimDevice {
  readonly part = 'SCD4x';
  readonly channels: readonly string[] = ['co2', 'temperature', 'humidity'];
  private co2 = 600;
  private temperature = 22;
  private humidity = 40;
  private periodicSince: number | undefined;
  private measured = 0; // measurements completed since start
  private consumed = 0; // index of the last measurement read out
  private latched: readonly number[] = [0, 0, 0];
  private busyUntil = Number.NEGATIVE_INFINITY;
  private response: Response | undefined;
  altitude = 0;
  /** test face: `crc.corruptNext()` sends the next response with a bad CRC */
  readonly crc = new CrcFault();
  serial: readonly number[] = SIM_SERIAL;

  constructor(clock: Clock) {
    super(clock);
  }

  sampleRange(channel: string): SampleRange {
    if (channel === 'co2') return { min: 400, max: 5000, tolerance: 0.5 };
    if (channel === 'temperature') return { min: -10, max: 60, tolerance: 0.01 };
    if (channel === 'humidity') return { min: 0, max: 100, tolerance: 0.01 };
    throw new Error(`SCD4x simulator has no channel ${channel}`);
  }

  protected applyChannel(channel: string, value: number): void {
    this.tick(); // measurements already taken keep the old value
    if (channel === 'co2') this.co2 = value;
    else if (channel === 'temperature') this.temperature = value;
    else this.humidity = value;
  }

  /** Test face: a brown-out; the sensor comes back idle with nothing pending. */
  powerCycle(): void {
    this.periodicSince = undefined;
    this.response = undefined;
    this.busyUntil = Number.NEGATIVE_INFINITY;
  }

  get periodic(): boolean {
    return this.periodicSince !== undefined;
  }

  private tick(): void {
    if (this.periodicSince === undefined) return;
    const n = Math.floor((this.clock.monoMs() - this.periodicSince) / MEASUREMENT_INTERVAL_MS);
    if (n > this.measured) {
      this.measured = n;
      this.latched = [Math.round(this.co2), temperatureWord(this.temperature), humidityWord(this.humidity)];
    }
  }

  onWrite(data: Uint8Array): void {
    this.tick();
    const now = this.clock.monoMs();
    if (now < this.busyUntil) this.refuse(`command sent ${(this.busyUntil - now).toFixed(1)} ms before the previous command finished (NACK)`);
    if (data.length < 2 || (data.length - 2) % 3 !== 0) this.refuse(`write of ${data.length} bytes is not a command with CRC-protected words`);
    const cmd = ((data[0] as number) << 8) | (data[1] as number);
    const name = `0x${cmd.toString(16).padStart(4, '0')}`;
    const args: number[] = [];
    for (let i = 2; i < data.length; i += 3) {
      if (sensirionCrc8(data, i, i + 2) !== data[i + 2]) this.refuse(`argument word of ${name} has a wrong CRC`);
      args.push(((data[i] as number) << 8) | (data[i + 1] as number));
    }
    if (this.periodicSince !== undefined && !ALLOWED_WHILE_PERIODIC.has(cmd)) {
      this.refuse(`command ${name} is not accepted during periodic measurement (stop it first)`);
    }
    const exec = EXEC_MS[cmd];
    if (exec === undefined) this.refuse(`unknown command ${name}`);
    this.response = undefined;
    this.busyUntil = now + exec;
    const respond = (words: readonly number[]): void => {
      this.response = { readyAt: now + exec, words };
    };
    switch (cmd) {
      case CMD.START_PERIODIC:
        this.periodicSince = now;
        this.measured = 0;
        this.consumed = 0;
        return;
      case CMD.STOP_PERIODIC:
        this.periodicSince = undefined;
        return;
      case CMD.GET_DATA_READY:
        respond([this.measured > this.consumed ? 0x8006 : 0x8000]);
        return;
      case CMD.READ_MEASUREMENT:
        if (this.measured > this.consumed) {
          this.consumed = this.measured;
          respond(this.latched);
        } else this.response = { readyAt: now + exec, empty: true };
        return;
      case CMD.GET_SERIAL:
        respond(this.serial);
        return;
      case CMD.SET_ALTITUDE:
        if (args.length !== 1) this.refuse('set_sensor_altitude takes one word');
        this.altitude = args[0] as number;
        return;
      case CMD.GET_ALTITUDE:
        respond([this.altitude]);
        return;
      default:
        return; // set_ambient_pressure, reinit: accepted, no effect on the simulated readings
    }
  }

  onRead(length: number): Uint8Array {
    this.tick();
    const r = this.response;
    const now = this.clock.monoMs();
    if (!r) this.refuse('read with no response pending (NACK)');
    if (now < r.readyAt) this.refuse(`response read ${(r.readyAt - now).toFixed(1)} ms before the command's execution time had passed (NACK)`);
    this.response = undefined;
    if ('empty' in r) this.refuse('read_measurement with no new data in the buffer (NACK); check get_data_ready_status first');
    const bytes = packWords(r.words);
    if (length > bytes.length) this.refuse(`read of ${length} bytes; the response has ${bytes.length}`);
    return this.crc.apply(bytes.slice(0, length));
  }
}
