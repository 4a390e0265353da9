import type { Clock } from '../../bus/clock.js';
import { FrameHunter } from '../../bus/serial-frames.js';
import type { SampleRange } from '../../sim/part.js';
import { SerialSimDevice, clamp } from '../../sim/serial-device.js';
import { CMD, pmsCommand, reply } from './commands.js';
import { encodeMeasurement } from './parser.js';

export const PMS_CHANNELS = ['pm1_0', 'pm2_5', 'pm10'] as const;

/** Seconds the fan needs after power-up or wake before readings settle (datasheet note 1 of appendix II). */
const WARMUP_MS = 30_000;

/**
 * A PMS5003 on its UART (9600 8N1). From the datasheet:
 * - powers up in active mode and streams a measurement frame every `periodMs` (the part uses
 *   200–800 ms while concentrations change, 2.3 s when stable; 1 s here by default);
 * - MODE 0/1 switches passive/active and is answered with 42 4D 00 04 E1 dd cs; in passive mode
 *   READ makes it send one frame;
 * - SLEEP stops the fan and the stream (answered), WAKE restarts both (not answered) and the
 *   30 s warm-up starts again;
 * - commands with a wrong LRC are ignored by the part (recorded as violations here).
 * Warm-up: for the first 30 s after power-up or wake the fan spins up; for its first 4 s the
 * part sends well-formed all-zero frames (no measurement yet: PyPMS's "warming up sensor"),
 * then readings start low, overshoot while the air path fills and settle at the true value.
 * Test face `zeroFrames`: keep sending all-zero frames (a fan that never turns).
 * Concentrations are set as the "atmospheric" PM values; CF=1 values follow the part's
 * documented relation (equal below ~30 µg/m³, higher above), counts follow the mass.
 */
const ZERO = {
  pm1_0_cf1: 0, pm2_5_cf1: 0, pm10_cf1: 0, pm1_0: 0, pm2_5: 0, pm10: 0,
  n0_3: 0, n0_5: 0, n1_0: 0, n2_5: 0, n5_0: 0, n10: 0, reserved: 0,
};

export class Pms5003Simulator extends SerialSimDevice {
  readonly part = 'PMS5003';
  /** test face: send only all-zero frames (a fan that never turns) */
  zeroFrames = false;
  readonly channels = PMS_CHANNELS;
  readonly baudRate = 9600;
  private mode: 'active' | 'passive' = 'active';
  private asleep = false;
  private wokeAt: number;
  private lastSent = Number.NEGATIVE_INFINITY;
  private readonly commands = new FrameHunter(pmsCommand);
  private pm = { pm1_0: 8, pm2_5: 12, pm10: 17 };
  /** frames sent since power-up */
  sent = 0;

  constructor(
    clock: Clock,
    readonly periodMs = 1000,
    /** start already warmed up (tests that are not about warm-up) */
    warm = false,
  ) {
    super(clock);
    this.wokeAt = warm ? clock.monoMs() - WARMUP_MS : clock.monoMs();
  }

  get currentMode(): 'active' | 'passive' {
    return this.mode;
  }

  get sleeping(): boolean {
    return this.asleep;
  }

  receive(bytes: Uint8Array): void {
    const before = this.commands.stats.checksumErrors;
    for (const c of this.commands.push(bytes)) this.command(c[2] as number, ((c[3] as number) << 8) | (c[4] as number));
    if (this.commands.stats.checksumErrors > before) this.violation('command with a wrong LRC (the part ignores it)');
  }

  private command(cmd: number, data: number): void {
    if (cmd === CMD.MODE && (data === 0 || data === 1)) {
      this.mode = data === 0 ? 'passive' : 'active';
      this.send(reply(CMD.MODE, data));
    } else if (cmd === CMD.SLEEP && data === 0) {
      this.asleep = true;
      this.send(reply(CMD.SLEEP, 0));
    } else if (cmd === CMD.SLEEP && data === 1) {
      if (this.asleep) this.wokeAt = this.clock.monoMs();
      this.asleep = false;
    } else if (cmd === CMD.READ) {
      if (this.mode !== 'passive') this.violation('READ in active mode (the part ignores it)');
      else if (!this.asleep) this.emitMeasurement();
    } else {
      this.violation(`unknown command 0x${cmd.toString(16)} data ${data}`);
    }
  }

  tick(): void {
    const now = this.clock.monoMs();
    if (this.mode !== 'active' || this.asleep || now - this.lastSent < this.periodMs) return;
    this.lastSent = now;
    this.emitMeasurement();
  }

  /** 0 … 1 (with overshoot) over the warm-up: fan spin-up, then the air path settling. */
  private warmFactor(): number {
    const t = this.clock.monoMs() - this.wokeAt;
    if (t >= WARMUP_MS) return 1;
    if (t < 4000) return (t / 4000) * 0.3; // fan spinning up: little air moves
    return 1 + 0.35 * Math.exp(-(t - 4000) / 6000) * Math.cos((t - 4000) / 5000); // overshoot, settling
  }

  private emitMeasurement(): void {
    const k = this.warmFactor();
    if (this.zeroFrames || this.clock.monoMs() - this.wokeAt < 4000) {
      this.sent++;
      this.send(encodeMeasurement(ZERO));
      return;
    }
    const atm = { pm1_0: this.pm.pm1_0 * k, pm2_5: this.pm.pm2_5 * k, pm10: this.pm.pm10 * k };
    const cf1 = (v: number): number => (v <= 30 ? v : 30 + (v - 30) * 1.5);
    // counts per 0.1 L: typical urban aerosol, fine particles dominate (scaled from PM mass)
    const n2_5 = atm.pm2_5 * 2.2;
    this.sent++;
    this.send(
      encodeMeasurement({
        pm1_0_cf1: cf1(atm.pm1_0), pm2_5_cf1: cf1(atm.pm2_5), pm10_cf1: cf1(atm.pm10),
        pm1_0: atm.pm1_0, pm2_5: atm.pm2_5, pm10: atm.pm10,
        n0_3: atm.pm1_0 * 130, n0_5: atm.pm1_0 * 38, n1_0: atm.pm1_0 * 7,
        n2_5, n5_0: Math.max(0, atm.pm10 - atm.pm2_5) * 0.4, n10: Math.max(0, atm.pm10 - atm.pm2_5) * 0.05,
        reserved: 0x9700, // PMSA003: version 0x97, error code 0
      }),
    );
  }

  protected applyChannel(channel: string, value: number): void {
    const v = clamp(value, 0, 1000);
    if (channel === 'pm1_0') this.pm.pm1_0 = v;
    else if (channel === 'pm2_5') this.pm.pm2_5 = v;
    else this.pm.pm10 = v;
    // the part reports PM1.0 ≤ PM2.5 ≤ PM10: keep the set consistent
    this.pm.pm2_5 = Math.max(this.pm.pm2_5, this.pm.pm1_0);
    this.pm.pm10 = Math.max(this.pm.pm10, this.pm.pm2_5);
  }

  sampleRange(): SampleRange {
    // effective range 0–500 µg/m³, resolution 1 µg/m³ (datasheet table 1)
    return { min: 0, max: 500, tolerance: 0.5 };
  }
}
