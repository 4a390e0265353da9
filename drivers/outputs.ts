import type { Driver } from './types.js';

/**
 * The small typed API the runtime (and later MQTT commands) use to switch outputs. An output
 * is a GPIO relay or backlight, or a digital/PWM pin of a Firmata board.
 *
 * Values: 0 = off, 1 = on; a PWM output also takes a duty cycle between 0 and 1 (0.25 = 25 %).
 * Every change, whoever asks for it, is pushed as a reading of the output's channel, so the
 * platform sees what the box did; `reason` goes to the log with it ("command 7f3a", "max on-time",
 * "safe state at start").
 */
export interface OutputControl {
  /** channel name of the output within its device ("state" for a GPIO relay, "backlight" on a board) */
  readonly name: string;
  readonly safe: number;
  readonly pwm: boolean;
  /** current value, or undefined before the line is open */
  get(): number | undefined;
  /** Switch; rejects with DeviceError when the line or board is not available or the value is invalid. */
  set(value: number | 'on' | 'off', reason: string): Promise<void>;
}

export interface OutputDriver extends Driver {
  outputs(): readonly OutputControl[];
  safeState(): Promise<void>;
}

export function isOutputDriver(d: Driver): d is OutputDriver {
  return typeof (d as Partial<OutputDriver>).outputs === 'function' && typeof d.safeState === 'function';
}

/** "on" → 1, "off" → 0, a number is checked against 0..1 (PWM) or {0, 1} (on/off). */
export function outputValue(value: number | 'on' | 'off', pwm: boolean): number | undefined {
  if (value === 'on') return 1;
  if (value === 'off') return 0;
  if (!Number.isFinite(value) || value < 0 || value > 1) return undefined;
  if (!pwm && value !== 0 && value !== 1) return undefined;
  return value;
}
