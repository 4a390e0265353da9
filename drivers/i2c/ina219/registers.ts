/**
 * INA219 register map, configuration fields and calibration math (TI INA219 datasheet SBOS448,
 * sections 8.5 and 8.6). Registers are 16 bits, MSB first, selected by a pointer byte.
 */

/** A1/A0 each strapped to GND, VS, SDA or SCL: 16 addresses 0x40..0x4F (table 1). */
export const ADDRESSES = Array.from({ length: 16 }, (_, i) => 0x40 + i);

export const REG = { CONFIG: 0, SHUNT: 1, BUS: 2, POWER: 3, CURRENT: 4, CALIBRATION: 5 } as const;

/** Config reset value 0x399F: 32 V range, ÷8 gain (±320 mV), 12-bit ADCs, shunt and bus continuous. */
export const CONFIG_RESET = 0x399f;
export const CONFIG_RST = 1 << 15; // write 1: power-on reset; self-clearing
export const CONFIG_RESERVED = 1 << 14;

/** Bus voltage register: BD[15:3] in 4 mV steps, CNVR bit 1 (conversion ready), OVF bit 0 (math overflow). */
export const BUS_LSB_V = 0.004;
export const CNVR = 1 << 1;
export const OVF = 1 << 0;

/** Shunt voltage register: signed, LSB 10 µV. */
export const SHUNT_LSB_V = 10e-6;

/** PG[12:11] shunt full scale, volts: ÷1 40 mV, ÷2 80 mV, ÷4 160 mV, ÷8 320 mV. */
export const SHUNT_RANGES = [0.04, 0.08, 0.16, 0.32] as const;

/** Smallest gain whose range holds `volts` across the shunt; undefined when even ±320 mV is too small. */
export function gainFor(volts: number): number | undefined {
  const i = SHUNT_RANGES.findIndex((r) => r >= volts);
  return i < 0 ? undefined : i;
}

/** MODE[2:0]: 3 = shunt and bus, triggered; 7 = shunt and bus, continuous; 0 = power-down. */
export const MODE_TRIGGERED = 0b011;
export const MODE_CONTINUOUS = 0b111;
export const MODE_POWER_DOWN = 0b000;

/**
 * BADC/SADC[3:0] (table 5): 12-bit with 1..128 samples averaged, and its conversion time, µs.
 * Codes 0000..0011 are 9..12-bit single samples; 1001..1111 average 2..128 12-bit samples.
 */
export const AVERAGING: Readonly<Record<number, { code: number; us: number }>> = {
  1: { code: 0b0011, us: 532 },
  2: { code: 0b1001, us: 1060 },
  4: { code: 0b1010, us: 2130 },
  8: { code: 0b1011, us: 4260 },
  16: { code: 0b1100, us: 8510 },
  32: { code: 0b1101, us: 17020 },
  64: { code: 0b1110, us: 34050 },
  128: { code: 0b1111, us: 68100 },
};

/** Conversion time of one ADC code, µs (both tables of 8.6.2.1 including 9..11 bit). */
export function adcTimeUs(code: number): number {
  const c = code & 0xf;
  if (c < 8) return [84, 148, 276, 532][c & 3] as number;
  if (c === 8) return 532;
  return (Object.values(AVERAGING).find((a) => a.code === c) as { us: number }).us;
}

/**
 * Current LSB (8.5.1): at least I_max / 2¹⁵, rounded up to 1, 2 or 5 × 10ⁿ A so the register
 * reads in round numbers. I_max 2 A → 61.04 µA minimum → 100 µA.
 */
export function currentLsbFor(maxCurrent: number): number {
  const min = maxCurrent / 32768;
  const decade = 10 ** Math.floor(Math.log10(min));
  for (const m of [1, 2, 5, 10]) {
    const lsb = Number((m * decade).toPrecision(6)); // 10 × 1e-6 is 9.999…e-6 in binary
    if (lsb >= min * (1 - 1e-12)) return lsb;
  }
  return Number((10 * decade).toPrecision(6));
}

/**
 * Calibration register (equation 1): Cal = trunc(0.04096 / (Current_LSB × R_shunt)), bit 0 void.
 * Datasheet example: R_shunt 0.1 Ω, Current_LSB 100 µA → 4096 (0x1000). Power_LSB = 20 × Current_LSB.
 */
export function calibrationFor(currentLsb: number, shuntOhms: number): number {
  return Math.trunc(0.04096 / (currentLsb * shuntOhms) + 1e-9) & 0xfffe;
}

export const toInt16 = (w: number): number => (w & 0x8000 ? w - 0x10000 : w);
