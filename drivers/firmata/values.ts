import type { AnalogInput } from './schema.js';

/**
 * Linear scaling of an ADC code to engineering units. code → volts: V = code × vref / 1024
 * (ATmega328P datasheet 24.7: ADC = Vin × 1024 / Vref). volts → value: a straight line through
 * (volts[0], range[0]) and (volts[1], range[1]).
 * Example: 4–20 mA transmitter, 0–100 °C, through 250 Ω → 1–5 V; code 614 → 2.998 V → 49.95 °C.
 */
export function scaleAnalog(code: number, a: AnalogInput, vref: number): number {
  const volts = (code * vref) / 1024;
  const [v0, v1] = a.volts ?? [0, vref];
  const [e0, e1] = a.range ?? [v0, v1];
  return e0 + ((volts - v0) * (e1 - e0)) / (v1 - v0);
}
