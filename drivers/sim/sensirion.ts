/**
 * Simulator side of Sensirion's T/RH signal conversion (SHT3x datasheet 4.13, SCD4x datasheet
 * 3.6.2), written from the datasheet's inverse, apart from the drivers' forward formulas in
 * drivers/i2c/sensirion.ts so that a mistake there cannot be mirrored here:
 * S_T = (T + 45) · (2¹⁶ − 1) / 175, S_RH = RH · (2¹⁶ − 1) / 100, rounded to the nearest word and
 * clamped to 0..0xFFFF as the sensor's output saturates. Example: 25 °C → 0x6666.
 */
const FULL = 0xffff;

export function temperatureWord(celsius: number): number {
  return saturate(Math.round(((celsius + 45) / 175) * FULL));
}

export function humidityWord(percent: number): number {
  return saturate(Math.round((percent / 100) * FULL));
}

function saturate(word: number): number {
  return word < 0 ? 0 : word > FULL ? FULL : word;
}
