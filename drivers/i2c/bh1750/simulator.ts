import type { Clock } from '../../bus/clock.js';
import { I2cSimDevice, type SampleRange } from '../../sim/i2c-target.js';
import {
  CONTINUOUS,
  MTREG_DEFAULT,
  MTREG_MAX,
  MTREG_MIN,
  ONE_TIME,
  OP,
  type Resolution,
  measureMaxMs,
} from './registers.js';

/**
 * The count the part reports for an illuminance, written from the datasheet apart from the
 * driver's conversion (page 7 and 11): count = lux × 1.2 × MTreg / 69 (the typical measurement
 * accuracy 1.2 counts per lx at the default MTreg 69), twice that in H-resolution mode2 (0.5 lx
 * steps), saturating at 0xFFFF. Datasheet example: 28066.7 lx at MTreg 69 → 0x8390.
 */
export function luxToCount(lux: number, resolution: Resolution, mtreg: number): number {
  const count = Math.round(lux * 1.2 * (mtreg / 69) * (resolution === 'high2' ? 2 : 1));
  return Math.min(0xffff, Math.max(0, count));
}

/** The illuminance the part reaches at a count (the test face's range), same datasheet relation. */
function luxAt(count: number, resolution: Resolution, mtreg: number): number {
  return count / (1.2 * (mtreg / 69) * (resolution === 'high2' ? 2 : 1));
}

const BY_OPCODE = new Map<number, { resolution: Resolution; continuous: boolean }>();
for (const [res, op] of Object.entries(CONTINUOUS)) BY_OPCODE.set(op, { resolution: res as Resolution, continuous: true });
for (const [res, op] of Object.entries(ONE_TIME)) BY_OPCODE.set(op, { resolution: res as Resolution, continuous: false });

/**
 * Opcode-level BH1750FVI. Honours (datasheet pages 5, 7, 11):
 * - single-byte opcodes; unknown opcodes are refused
 * - power-down / power-on states; RESET is refused in power-down
 * - MTreg written as two opcodes (high 3 bits, low 5 bits); a measurement with MTreg outside
 *   31..254 is refused
 * - one-time modes measure once and power down; continuous modes update the data register at
 *   the end of every measurement period (the maximum time is used)
 * - reading before the first measurement after a command finished returns the stale register;
 *   that is a driver bug and is recorded as a violation
 */
export class Bh1750Simulator extends I2cSimDevice {
  readonly part = 'BH1750';
  readonly channels: readonly string[] = ['illuminance'];
  private lux = 250;
  private powered = false;
  private mtreg = MTREG_DEFAULT;
  private data = 0;
  private run: { resolution: Resolution; continuous: boolean; startedAt: number; periodMs: number; mtreg: number } | undefined;

  constructor(
    clock: Clock,
    /** what the profile configures; sampleRange() follows it */
    private readonly configured: { resolution: Resolution; mtreg: number } = { resolution: 'high', mtreg: MTREG_DEFAULT },
  ) {
    super(clock);
  }

  sampleRange(channel: string): SampleRange {
    if (channel !== 'illuminance') throw new Error(`BH1750 simulator has no channel ${channel}`);
    const { resolution, mtreg } = this.configured;
    return { min: 0, max: luxAt(0xffff, resolution, mtreg), tolerance: luxAt(1, resolution, mtreg) };
  }

  protected applyChannel(_channel: string, value: number): void {
    this.lux = value;
  }

  get poweredOn(): boolean {
    this.tick();
    return this.powered;
  }

  get measurementTimeRegister(): number {
    return this.mtreg;
  }

  /** Latch finished measurements into the data register. */
  private tick(): void {
    const r = this.run;
    if (!r) return;
    const done = Math.floor((this.clock.monoMs() - r.startedAt) / r.periodMs);
    if (done < 1) return;
    this.data = luxToCount(this.lux, r.resolution, r.mtreg);
    if (!r.continuous) {
      this.run = undefined;
      this.powered = false; // one-time modes power down by themselves
    }
  }

  onWrite(data: Uint8Array): void {
    this.tick();
    if (data.length !== 1) this.refuse(`write of ${data.length} bytes; the BH1750 takes one opcode per transfer`);
    const op = data[0] as number;
    if (op === OP.POWER_DOWN) {
      this.powered = false;
      this.run = undefined;
      return;
    }
    if (op === OP.POWER_ON) {
      this.powered = true;
      return;
    }
    if (op === OP.RESET) {
      if (!this.powered) this.refuse('reset (0x07) is not accepted in power-down mode (send power on 0x01 first)');
      this.data = 0;
      return;
    }
    if ((op & 0xf8) === 0x40) {
      this.mtreg = (this.mtreg & 0x1f) | ((op & 0x07) << 5);
      return;
    }
    if ((op & 0xe0) === 0x60) {
      this.mtreg = (this.mtreg & 0xe0) | (op & 0x1f);
      return;
    }
    const m = BY_OPCODE.get(op);
    if (!m) this.refuse(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    if (this.mtreg < MTREG_MIN || this.mtreg > MTREG_MAX) this.refuse(`measurement with MTreg ${this.mtreg} outside ${MTREG_MIN}..${MTREG_MAX}`);
    this.powered = true;
    this.run = { ...m, startedAt: this.clock.monoMs(), periodMs: measureMaxMs(m.resolution, this.mtreg), mtreg: this.mtreg };
  }

  onRead(length: number): Uint8Array {
    this.tick();
    if (length !== 2) this.refuse(`read of ${length} bytes; the BH1750 returns a 2-byte count`);
    const r = this.run;
    if (r && this.clock.monoMs() - r.startedAt < r.periodMs) {
      this.violations.push('count read before the first measurement finished (stale value; wait the measurement time)');
    }
    return Uint8Array.of((this.data >> 8) & 0xff, this.data & 0xff);
  }
}
