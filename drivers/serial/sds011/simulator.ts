import type { Clock } from '../../bus/clock.js';
import { FrameHunter } from '../../bus/serial-frames.js';
import type { SampleRange } from '../../sim/part.js';
import { SerialSimDevice, clamp } from '../../sim/serial-device.js';
import { CMD, sdsCommand } from './commands.js';
import { DATA, REPLY, encodeMeasurement, sensorFrame } from './parser.js';

/**
 * An SDS011 on its UART (9600 8N1), from protocol V1.3:
 * - streams a measurement every second in active mode with work period 0 (continuous);
 *   with period n it sends one frame every n minutes;
 * - REPORTING_MODE / SLEEP / PERIOD "set" commands are answered with AA C5 <cmd> … AB;
 *   in query mode QUERY makes it send one measurement;
 * - a sleeping part answers nothing but a WORK command; commands addressed to another id, or with
 *   a bad checksum, are ignored (bad checksums recorded as violations).
 */
export class Sds011Simulator extends SerialSimDevice {
  readonly part = 'SDS011';
  readonly channels = ['pm2_5', 'pm10'] as const;
  readonly baudRate = 9600;
  private mode: 'active' | 'query' = 'active';
  private periodMin = 0;
  private asleep = false;
  private lastSent = Number.NEGATIVE_INFINITY;
  private readonly commands = new FrameHunter(sdsCommand);
  /** test face: frames with all data zero (laser and fan still starting, or failed) */
  zeroFrames = false;
  private pm = { pm2_5: 9.4, pm10: 14.1 };

  constructor(
    clock: Clock,
    /** continuous-mode frame interval, ms (1000 on the part; tests speed it up) */
    readonly continuousMs = 1000,
    readonly id = 0xa160,
  ) {
    super(clock);
  }

  get reportingMode(): 'active' | 'query' {
    return this.mode;
  }

  receive(bytes: Uint8Array): void {
    const before = this.commands.stats.checksumErrors;
    for (const c of this.commands.push(bytes)) {
      const target = ((c[15] as number) << 8) | (c[16] as number);
      if (target !== 0xffff && target !== this.id) continue;
      this.command(c[2] as number, c[3] as number, c[4] as number);
    }
    if (this.commands.stats.checksumErrors > before) this.violation('command with a bad checksum (the part ignores it)');
  }

  private answer(cmd: number, d1: number, d2: number): void {
    this.send(sensorFrame(REPLY, [cmd, d1, d2, 0, this.id >> 8, this.id & 0xff]));
  }

  private command(cmd: number, set: number, value: number): void {
    if (this.asleep && !(cmd === CMD.SLEEP && set === 1 && value === 1)) return;
    switch (cmd) {
      case CMD.REPORTING_MODE:
        if (set === 1) this.mode = value === 1 ? 'query' : 'active';
        this.answer(cmd, set, this.mode === 'query' ? 1 : 0);
        return;
      case CMD.QUERY:
        this.emitMeasurement();
        return;
      case CMD.SLEEP:
        if (set === 1) this.asleep = value === 0;
        this.answer(cmd, set, this.asleep ? 0 : 1);
        return;
      case CMD.PERIOD:
        if (set === 1) {
          if (value > 30) {
            this.violation(`work period ${value} min (max 30)`);
            return;
          }
          this.periodMin = value;
        }
        this.answer(cmd, set, this.periodMin);
        return;
      case CMD.FIRMWARE:
        this.send(sensorFrame(REPLY, [cmd, 18, 11, 16, this.id >> 8, this.id & 0xff])); // firmware 2018-11-16
        return;
      default:
        this.violation(`unknown command ${cmd}`);
    }
  }

  tick(): void {
    if (this.mode !== 'active' || this.asleep) return;
    const now = this.clock.monoMs();
    const every = this.periodMin === 0 ? this.continuousMs : this.periodMin * 60_000;
    if (now - this.lastSent < every) return;
    this.lastSent = now;
    this.emitMeasurement();
  }

  private emitMeasurement(): void {
    // warming up (test face): D1..D6 all zero, the id too, as a real part sends at start
    if (this.zeroFrames) this.send(sensorFrame(DATA, [0, 0, 0, 0, 0, 0]));
    else this.send(encodeMeasurement({ ...this.pm, id: this.id }));
  }

  protected applyChannel(channel: string, value: number): void {
    // range 0.0–999.9 µg/m³ (datasheet table)
    if (channel === 'pm2_5') this.pm.pm2_5 = clamp(value, 0, 999.9);
    else this.pm.pm10 = clamp(value, 0, 999.9);
  }

  sampleRange(): SampleRange {
    return { min: 0, max: 999, tolerance: 0.05 };
  }
}
