import type { Clock } from '../../bus/clock.js';
import { I2cSimDevice, type SampleRange } from '../../sim/i2c-target.js';
import { be16, be16Bytes } from '../register16.js';
import { CNVR, CONFIG_RESERVED, CONFIG_RESET, CONFIG_RST, MODE_POWER_DOWN, OVF, REG, adcTimeUs } from './registers.js';
import type { Ina219Options } from './schema.js';

/*
 * The chip's analog side and arithmetic, written from the datasheet apart from the driver's
 * conversion so that a mistake there cannot be mirrored here (8.6.3): the shunt register counts
 * 10 µV, the bus voltage register 4 mV in BD[15:3], PG[12:11] clips the shunt at ±40/80/160/320
 * mV, and the chip computes current and power registers with equations 3 and 4.
 */
const SHUNT_VOLTS_PER_COUNT = 10e-6;
const BUS_VOLTS_PER_COUNT = 4e-3;
const PGA_CLIP_V = [0.04, 0.08, 0.16, 0.32] as const;

/** Equation 3: Current register = Shunt voltage register × Calibration / 4096, truncated. */
export function currentRegister(shunt: number, cal: number): number {
  return Math.trunc((shunt * cal) / 4096);
}

/** Equation 4: Power register = Current register × Bus voltage register (BD) / 5000, truncated. */
export function powerRegister(current: number, busBd: number): number {
  return Math.trunc((current * busBd) / 5000);
}

const NAMES = ['config', 'shunt voltage', 'bus voltage', 'power', 'current', 'calibration'];

/**
 * Register-level INA219 on a board with a real shunt. Honours (datasheet 8.5, 8.6):
 * - pointer 0..5; shunt, bus, power and current registers are read-only
 * - config bit 14 is reserved and calibration bit 0 is void: writes setting them are refused
 * - RST (config bit 15) restores the reset values: config 0x399F, calibration 0
 * - triggered modes convert once (shunt + bus conversion times); CNVR is cleared by a new
 *   trigger and by reading the power register, set when the conversion is done
 * - current = shunt × cal / 4096 and power = current × BD / 5000, computed at the end of each
 *   conversion; OVF when they do not fit
 * - reading current or power while converting, or with calibration 0, is recorded as a violation
 * Test face: bus voltage in V and load current in A; power is what the chip computes.
 */
export class Ina219Simulator extends I2cSimDevice {
  readonly part = 'INA219';
  readonly channels: readonly string[] = ['voltage', 'current', 'power'];
  private voltage = 12;
  private current = 0.25;
  private pointer = 0;
  private config = CONFIG_RESET;
  private cal = 0;
  private shunt = 0;
  private bus = 0;
  private power = 0;
  private currentReg = 0;
  private converting: { endsAt: number } | undefined;
  private lastContinuous = 0;
  conversions = 0;

  constructor(
    clock: Clock,
    private readonly options: Ina219Options,
  ) {
    super(clock);
    this.lastContinuous = clock.monoMs();
  }

  sampleRange(channel: string): SampleRange {
    // whatever Current_LSB the driver picks (at least I_max / 2¹⁵, 8.5.1) is taken as at most
    // 2.5 × that minimum (rounding up to 1-2-5 steps); Power_LSB is 20 × Current_LSB
    const lsbBound = (2.5 * this.options.shunt.maxCurrent) / 32768;
    const currentTol = lsbBound + SHUNT_VOLTS_PER_COUNT / 2 / this.options.shunt.ohms;
    const vMax = this.options.busRange === 16 ? 15 : 26;
    if (channel === 'voltage') return { min: 0.5, max: vMax, tolerance: BUS_VOLTS_PER_COUNT };
    if (channel === 'current') return { min: 0, max: this.options.shunt.maxCurrent * 0.95, tolerance: currentTol };
    if (channel === 'power') {
      return {
        min: 0,
        max: vMax * this.options.shunt.maxCurrent,
        tolerance: 20 * lsbBound + currentTol * vMax + BUS_VOLTS_PER_COUNT * this.options.shunt.maxCurrent,
        derived: (set) => (set.get('voltage') ?? 0) * (set.get('current') ?? 0),
      };
    }
    throw new Error(`INA219 simulator has no channel ${channel}`);
  }

  protected applyChannel(channel: string, value: number): void {
    if (channel === 'voltage') this.voltage = value;
    else if (channel === 'current') this.current = value;
    else throw new Error('INA219 power is computed by the chip from bus voltage and current; set those');
  }

  get calibration(): number {
    return this.cal;
  }

  /** Test face: a brown-out resets the part (config 0x399F, calibration 0). */
  powerCycle(): void {
    this.config = CONFIG_RESET;
    this.cal = 0;
    this.converting = undefined;
    this.shunt = this.bus = this.power = this.currentReg = 0;
  }

  private conversionMs(): number {
    return (adcTimeUs(this.config >> 3) + adcTimeUs(this.config >> 7)) / 1000;
  }

  private convert(): void {
    this.conversions++;
    const range = PGA_CLIP_V[(this.config >> 11) & 3] as number;
    const shuntV = Math.max(-range, Math.min(range, this.current * this.options.shunt.ohms));
    this.shunt = Math.round(shuntV / SHUNT_VOLTS_PER_COUNT);
    const fsBus = this.config & (1 << 13) ? 32 : 16;
    const bd = Math.max(0, Math.min(Math.round(Math.min(this.voltage, fsBus) / BUS_VOLTS_PER_COUNT), 0x1fff));
    const cur = currentRegister(this.shunt, this.cal);
    const pow = powerRegister(cur, bd);
    const overflow = cur > 32767 || cur < -32768 || Math.abs(pow) > 0xffff;
    this.currentReg = cur & 0xffff;
    this.power = Math.min(Math.abs(pow), 0xffff);
    this.bus = (bd << 3) | CNVR | (overflow ? OVF : 0);
  }

  private tick(): void {
    const now = this.clock.monoMs();
    if (this.converting && now >= this.converting.endsAt) {
      this.converting = undefined;
      this.convert();
    }
    const mode = this.config & 7;
    if (mode >= 5 && now - this.lastContinuous >= this.conversionMs()) {
      this.lastContinuous = now;
      this.convert();
    }
  }

  onWrite(data: Uint8Array): void {
    this.tick();
    const ptr = data[0] as number;
    if (ptr > REG.CALIBRATION) this.refuse(`pointer ${ptr} is not a register (0..5)`);
    this.pointer = ptr;
    if (data.length === 1) return;
    if (data.length !== 3) this.refuse(`write of ${data.length - 1} data bytes; registers are 16 bits`);
    const word = be16(data, 1);
    if (ptr === REG.CONFIG) {
      if (word & CONFIG_RST) {
        this.powerCycle();
        return;
      }
      if (word & CONFIG_RESERVED) this.refuse(`config 0x${word.toString(16)} sets reserved bit 14`);
      this.config = word;
      const mode = word & 7;
      if (mode >= 1 && mode <= 3) {
        this.bus &= ~CNVR;
        this.converting = { endsAt: this.clock.monoMs() + this.conversionMs() };
      } else if (mode === MODE_POWER_DOWN || mode === 4) {
        this.converting = undefined;
      } else {
        this.bus &= ~CNVR;
        this.lastContinuous = this.clock.monoMs();
      }
      return;
    }
    if (ptr === REG.CALIBRATION) {
      if (word & 1) this.refuse(`calibration 0x${word.toString(16)} sets bit 0, which is void (FS0, always 0)`);
      this.cal = word;
      return;
    }
    this.refuse(`write to the ${NAMES[ptr]} register (read-only)`);
  }

  onRead(length: number): Uint8Array {
    this.tick();
    if (length !== 2) this.refuse(`read of ${length} bytes; registers are 16 bits`);
    let word: number;
    switch (this.pointer) {
      case REG.CONFIG:
        word = this.config;
        break;
      case REG.SHUNT:
        word = this.shunt & 0xffff;
        break;
      case REG.BUS:
        word = this.bus;
        break;
      case REG.CALIBRATION:
        word = this.cal;
        break;
      default: {
        if (this.converting) this.violations.push(`${NAMES[this.pointer]} register read before the conversion was ready (CNVR)`);
        if (this.cal === 0) this.violations.push(`${NAMES[this.pointer]} register read with calibration 0 (never programmed, or lost in a reset)`);
        if (this.pointer === REG.POWER) {
          word = this.power;
          this.bus &= ~CNVR; // reading power clears CNVR (8.6.3.2)
        } else word = this.currentReg;
      }
    }
    return be16Bytes(word);
  }
}
