import type { Clock } from '../../bus/clock.js';
import { I2cSimDevice, type SampleRange } from '../../sim/i2c-target.js';
import { humidityWord, temperatureWord } from '../../sim/sensirion.js';
import { CrcFault, packWords } from '../sensirion.js';
import { CMD, MEASURE_MAX_MS, type Repeatability, SINGLE_SHOT, SOFT_RESET_MS, STATUS, STATUS_AFTER_RESET } from './registers.js';

type Pending =
  | { readonly kind: 'measurement'; readonly endsAt: number; readonly stretch: boolean; readonly words: readonly number[] }
  | { readonly kind: 'status'; readonly words: readonly number[] };

const SINGLE_SHOT_COMMANDS = new Map<number, { repeatability: Repeatability; stretch: boolean }>();
for (const [k, table] of Object.entries(SINGLE_SHOT)) {
  for (const [rep, cmd] of Object.entries(table)) SINGLE_SHOT_COMMANDS.set(cmd, { repeatability: rep as Repeatability, stretch: k === 'stretch' });
}

/**
 * Command-level SHT3x-DIS. Honours (datasheet section 4):
 * - 16-bit commands only; an unknown command sets status bit 1 and is not acknowledged
 * - single shot without clock stretching: a read header during the measurement is NACKed
 *   (4.4: "the sensor will not acknowledge"); with clock stretching the sensor holds SCL until
 *   the data is ready (the time held is counted in `stretchedMs`)
 * - no command is accepted while measuring or within 1.5 ms of a soft reset
 * - the result can be read once; a second read is NACKed
 * - status register with reset value 0x8010, clear status, heater bit 13
 * - every word carries a Sensirion CRC-8
 */
export class Sht3xSimulator extends I2cSimDevice {
  readonly part = 'SHT3x';
  readonly channels: readonly string[] = ['temperature', 'humidity'];
  private temperature = 21.5;
  private humidity = 45;
  private status = STATUS_AFTER_RESET;
  private busyUntil = Number.NEGATIVE_INFINITY;
  private pending: Pending | undefined;
  /** time the sensor held SCL low (clock stretching), ms */
  stretchedMs = 0;
  /** measurements started, for tests that count traffic */
  measurements = 0;
  /** test face: `crc.corruptNext()` sends the next response with a bad CRC */
  readonly crc = new CrcFault();

  constructor(clock: Clock) {
    super(clock);
  }

  sampleRange(channel: string): SampleRange {
    if (channel === 'temperature') return { min: -40, max: 125, tolerance: 0.01 };
    if (channel === 'humidity') return { min: 0, max: 100, tolerance: 0.01 };
    throw new Error(`SHT3x simulator has no channel ${channel}`);
  }

  protected applyChannel(channel: string, value: number): void {
    if (channel === 'temperature') this.temperature = value;
    else this.humidity = value;
  }

  get heaterOn(): boolean {
    return (this.status & STATUS.HEATER_ON) !== 0;
  }

  get statusRegister(): number {
    return this.status;
  }

  onWrite(data: Uint8Array): void {
    const now = this.clock.monoMs();
    if (now < this.busyUntil) this.refuse('command within 1.5 ms of a soft reset (the sensor NACKs)');
    const p = this.pending;
    if (p?.kind === 'measurement' && now < p.endsAt) this.refuse('command sent while a measurement is running (the sensor NACKs)');
    if (data.length !== 2) {
      this.status |= STATUS.COMMAND_FAILED;
      this.refuse(`write of ${data.length} bytes is not a 16-bit command`);
    }
    const cmd = ((data[0] as number) << 8) | (data[1] as number);
    const shot = SINGLE_SHOT_COMMANDS.get(cmd);
    this.status &= ~STATUS.COMMAND_FAILED;
    if (shot) {
      this.measurements++;
      this.pending = {
        kind: 'measurement',
        endsAt: now + MEASURE_MAX_MS[shot.repeatability],
        stretch: shot.stretch,
        words: [temperatureWord(this.temperature), humidityWord(this.humidity)],
      };
      return;
    }
    switch (cmd) {
      case CMD.READ_STATUS:
        this.pending = { kind: 'status', words: [this.status] };
        return;
      case CMD.CLEAR_STATUS:
        // clears alert pending, the tracking alerts and reset detected (table 17)
        this.status &= ~(STATUS.ALERT_PENDING | STATUS.RH_ALERT | STATUS.T_ALERT | STATUS.RESET_DETECTED);
        return;
      case CMD.HEATER_ENABLE:
        this.status |= STATUS.HEATER_ON;
        return;
      case CMD.HEATER_DISABLE:
        this.status &= ~STATUS.HEATER_ON;
        return;
      case CMD.SOFT_RESET:
        this.status = STATUS_AFTER_RESET;
        this.pending = undefined;
        this.busyUntil = now + SOFT_RESET_MS;
        return;
      case CMD.BREAK:
        return;
      default:
        this.status |= STATUS.COMMAND_FAILED;
        this.refuse(`unknown command 0x${cmd.toString(16).padStart(4, '0')}`);
    }
  }

  onRead(length: number): Uint8Array {
    const now = this.clock.monoMs();
    if (now < this.busyUntil) this.refuse('read within 1.5 ms of a soft reset (the sensor NACKs)');
    const p = this.pending;
    if (!p) this.refuse('read with no measurement or status pending (the sensor NACKs the read header)');
    if (p.kind === 'measurement' && now < p.endsAt) {
      if (!p.stretch) this.refuse('read header during a measurement without clock stretching is NACKed (wait the measurement time)');
      this.stretchedMs += p.endsAt - now;
    }
    this.pending = undefined;
    const bytes = packWords(p.words);
    if (length > bytes.length) this.refuse(`read of ${length} bytes; the sensor has ${bytes.length}`);
    return this.crc.apply(bytes.slice(0, length));
  }
}
