import type { Pull } from '../../bus/gpio.js';
import type { InputKind } from './schema.js';

/**
 * Defaults per kind, for the usual wiring:
 * - switch: door reed contact closing to GND, pull-up → open door reads high (1 = open)
 * - button: push button to GND, pull-up → pressed reads low, so activeLow (1 = pressed)
 * - motion: PIR module (HC-SR501, Panasonic EKMC) with a push-pull 3.3 V output, active high
 * - counter: open-collector pulse output (flow meter, coin acceptor), pull-up, count rising edges
 */
export const KIND_DEFAULTS: Readonly<Record<InputKind, { pull: Pull; activeLow: boolean; debounceMs: number }>> = {
  switch: { pull: 'up', activeLow: false, debounceMs: 50 },
  button: { pull: 'up', activeLow: true, debounceMs: 30 },
  motion: { pull: 'down', activeLow: false, debounceMs: 0 },
  counter: { pull: 'up', activeLow: false, debounceMs: 0 },
};
