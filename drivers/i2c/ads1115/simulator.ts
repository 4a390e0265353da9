import type { Clock } from '../../bus/clock.js';
import { I2cSimDevice, type SampleRange } from '../../sim/i2c-target.js';
import { be16, be16Bytes } from '../register16.js';
import {
  CONFIG_RESET,
  HI_THRESH_RESET,
  LO_THRESH_RESET,
  MODE_SINGLE,
  MUX,
  OS,
  REG,
  conversionMs,
  muxPins,
} from './registers.js';
import type { Ads1115Input } from './schema.js';

const DR = [8, 16, 32, 64, 128, 250, 475, 860] as const;

/*
 * The analog side is written from the datasheet apart from the driver's conversion, so that a
 * mistake there cannot be mirrored here: PGA[11:9] full scales (table 8), the ideal output code
 * of 9.3.3 (LSB = FS / 2¹⁵, two's complement, clipped at 0x7FFF / 0x8000, table 3), and the
 * profile's two-point scale solved for volts.
 */
const PGA_FULL_SCALE = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256] as const;

/** The code the ADC outputs for a differential input voltage at a full scale. */
export function voltsToCode(volts: number, fullScale: number): number {
  const ideal = Math.round((volts / fullScale) * 0x8000);
  const clipped = ideal > 0x7fff ? 0x7fff : ideal < -0x8000 ? -0x8000 : ideal;
  return clipped < 0 ? clipped + 0x10000 : clipped;
}

/** Volts at the input for a value in the channel's unit: the scale line solved for volts. */
function voltsFor(input: Ads1115Input, value: number): number {
  const s = input.scale;
  if (!s) return value;
  const slope = (s.volts[1] - s.volts[0]) / (s.values[1] - s.values[0]);
  return s.volts[0] + (value - s.values[0]) * slope;
}

/** The value in the channel's unit a voltage stands for (the test face's range). */
function valueFor(input: Ads1115Input, volts: number): number {
  const s = input.scale;
  if (!s) return volts;
  const slope = (s.values[1] - s.values[0]) / (s.volts[1] - s.volts[0]);
  return s.values[0] + (volts - s.volts[0]) * slope;
}
/** supply of the simulated board, V: single-ended inputs cannot go above it */
const VDD = 3.3;

/**
 * Register-level ADS1115. Honours (datasheet 9.4, 9.6):
 * - pointer register bits [7:2] reserved: a pointer above 3 is refused
 * - the conversion register is read-only
 * - reset values: config 0x8583, Lo_thresh 0x8000, Hi_thresh 0x7FFF
 * - single-shot: writing OS = 1 starts one conversion of 1/DR s with the MUX and PGA of that
 *   write; OS reads 0 while converting and 1 when done; OS = 1 written during a conversion has
 *   no effect (recorded as a violation)
 * - reading the conversion register before OS reports ready returns the previous result: a
 *   driver bug, recorded as a violation
 * - continuous mode (MODE = 0) converts back to back
 * Test face: the analog voltage on AIN0..AIN3; setChannel() takes the profile's engineering
 * units and applies the inverse of its scaling.
 */
export class Ads1115Simulator extends I2cSimDevice {
  readonly part = 'ADS1115';
  readonly channels: readonly string[];
  /** analog voltage on AIN0..AIN3 against GND, V */
  readonly pins = [0, 0, 0, 0];
  private pointer = 0;
  private config = CONFIG_RESET;
  private lo = LO_THRESH_RESET;
  private hi = HI_THRESH_RESET;
  private conversion = 0;
  private converting: { endsAt: number; mux: number; pga: number } | undefined;
  private continuousFrom: number | undefined;
  conversions = 0;

  constructor(
    clock: Clock,
    private readonly inputs: readonly Ads1115Input[],
  ) {
    super(clock);
    this.channels = inputs.map((i) => i.name);
    // power up with each scaled transducer in the middle of its span (a soil probe in damp soil),
    // not at 0 V, which a scale maps outside it (0 V on a 2.8 V → 0 %, 1.2 V → 100 % probe is 175 %)
    for (const i of inputs) if (i.scale) this.applyChannel(i.name, (i.scale.values[0] + i.scale.values[1]) / 2);
  }

  private input(channel: string): Ads1115Input {
    const i = this.inputs.find((x) => x.name === channel);
    if (!i) throw new Error(`ADS1115 simulator has no channel ${channel}`);
    return i;
  }

  sampleRange(channel: string): SampleRange {
    const i = this.input(channel);
    const span = Math.min(i.fullScale, VDD) * 0.98;
    const single = muxPins(MUX[i.input])[1] < 0;
    const a = valueFor(i, single ? 0 : -span);
    const b = valueFor(i, span);
    const lsb = Math.abs(valueFor(i, i.fullScale / 32768) - valueFor(i, 0));
    return { min: Math.min(a, b), max: Math.max(a, b), tolerance: lsb };
  }

  protected applyChannel(channel: string, value: number): void {
    const i = this.input(channel);
    const [p, n] = muxPins(MUX[i.input]);
    this.pins[p] = voltsFor(i, value) + (n < 0 ? 0 : (this.pins[n] as number));
  }

  private sample(mux: number, pga: number): number {
    const [p, n] = muxPins(mux);
    const v = (this.pins[p] as number) - (n < 0 ? 0 : (this.pins[n] as number));
    this.conversions++;
    return voltsToCode(v, PGA_FULL_SCALE[pga & 7] as number);
  }

  private tick(): void {
    const now = this.clock.monoMs();
    const c = this.converting;
    if (c && now >= c.endsAt) {
      this.conversion = this.sample(c.mux, c.pga);
      this.converting = undefined;
    }
    if (this.continuousFrom !== undefined && now - this.continuousFrom >= conversionMs(DR[(this.config >> 5) & 7] as number)) {
      this.conversion = this.sample((this.config >> 12) & 7, (this.config >> 9) & 7);
      this.continuousFrom = now;
    }
  }

  onWrite(data: Uint8Array): void {
    this.tick();
    const ptr = data[0] as number;
    if (ptr & 0xfc) this.refuse(`pointer 0x${ptr.toString(16)} sets reserved bits [7:2] (registers are 0..3)`);
    this.pointer = ptr;
    if (data.length === 1) return;
    if (data.length !== 3) this.refuse(`write of ${data.length - 1} data bytes; registers are 16 bits`);
    const word = be16(data, 1);
    switch (ptr) {
      case REG.CONVERSION:
        this.refuse('write to the conversion register (read-only)');
        break;
      case REG.CONFIG:
        this.writeConfig(word);
        break;
      case REG.LO_THRESH:
        this.lo = word;
        break;
      default:
        this.hi = word;
    }
  }

  private writeConfig(word: number): void {
    const now = this.clock.monoMs();
    const single = (word & MODE_SINGLE) !== 0;
    if (single && word & OS) {
      if (this.converting) {
        this.violations.push('OS = 1 written while a conversion was running (the chip ignores it)');
      } else {
        const dr = DR[(word >> 5) & 7] as number;
        // 25 µs wake-up from power-down, then one sample period
        this.converting = { endsAt: now + 0.025 + conversionMs(dr), mux: (word >> 12) & 7, pga: (word >> 9) & 7 };
      }
    }
    this.continuousFrom = single ? undefined : now;
    this.config = word & ~OS;
  }

  onRead(length: number): Uint8Array {
    this.tick();
    if (length !== 2) this.refuse(`read of ${length} bytes; registers are 16 bits`);
    let word: number;
    switch (this.pointer) {
      case REG.CONVERSION:
        if (this.converting) this.violations.push('conversion register read before OS reported the conversion done (previous result)');
        word = this.conversion;
        break;
      case REG.CONFIG:
        word = this.config | (this.converting ? 0 : OS);
        break;
      case REG.LO_THRESH:
        word = this.lo;
        break;
      default:
        word = this.hi;
    }
    return be16Bytes(word);
  }
}
