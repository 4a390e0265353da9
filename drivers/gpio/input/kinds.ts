import type { ChannelSpec, ChannelValue } from '../../types.js';
import type { Change } from './debounce.js';
import type { GpioInputOptions, InputKind } from './schema.js';

/**
 * What each input kind makes of accepted level changes. A kind sees every change (with the
 * time the line first reached the new level) and, on each scheduled read, closes the reporting
 * interval: counts since the last read, the fraction of the interval a PIR was active, a rate.
 */
export interface InputKindLogic {
  /** values to push at once for a change (a door opening is news now, not at the next read) */
  onChange(c: Change): ChannelValue[];
  /** values for the interval that ends at nowMs; starts the next interval */
  close(level: number, nowMs: number): ChannelValue[];
}

export function inputChannels(o: Pick<GpioInputOptions, 'kind' | 'unit'>): readonly ChannelSpec[] {
  const state = (name: string): ChannelSpec => ({ name, unit: 'state', min: 0, max: 1, decimals: 0 });
  const count = (name: string): ChannelSpec => ({ name, unit: 'count', min: 0, max: Number.MAX_SAFE_INTEGER, decimals: 0 });
  switch (o.kind) {
    case 'switch':
      return [state('open'), count('changes')];
    case 'motion':
      return [state('motion'), count('activations'), { name: 'occupancy', unit: 'ratio', min: 0, max: 1, decimals: 3 }];
    case 'button':
      return [
        state('pressed'),
        count('presses'),
        count('long_presses'),
        { name: 'press', unit: 's', min: 0, max: 86_400, decimals: 3 },
        { name: 'long_press', unit: 's', min: 0, max: 86_400, decimals: 3 },
      ];
    case 'counter':
      return [
        { name: 'total', unit: o.unit, min: 0, max: Number.MAX_SAFE_INTEGER, decimals: 3 },
        { name: 'rate', unit: `${o.unit}/min`, min: 0, max: Number.MAX_SAFE_INTEGER, decimals: 3 },
      ];
  }
}

/** Door or tamper contact: state on every change, number of changes per interval. */
function switchLogic(): InputKindLogic {
  let changes = 0;
  return {
    onChange(c) {
      changes++;
      return [{ channel: 'open', value: c.level }];
    },
    close(level) {
      const out = [
        { channel: 'open', value: level },
        { channel: 'changes', value: changes },
      ];
      changes = 0;
      return out;
    },
  };
}

/**
 * PIR: activations (rising edges) and occupancy, the fraction of the interval the output was
 * high. Example: interval 60 s, PIR high from t=10 s to t=25 s and from t=50 s on →
 * activations 2, occupancy (15 + 10) / 60 = 0.417.
 */
function motionLogic(startMs: number, initial: number): InputKindLogic {
  let intervalStart = startMs;
  let activeSince: number | undefined = initial ? startMs : undefined;
  let activeMs = 0;
  let activations = 0;
  return {
    onChange(c) {
      if (c.level === 1) {
        activations++;
        activeSince = Math.max(c.atMs, intervalStart);
      } else if (activeSince !== undefined) {
        activeMs += Math.max(0, c.atMs - activeSince);
        activeSince = undefined;
      }
      return [{ channel: 'motion', value: c.level }];
    },
    close(level, nowMs) {
      if (activeSince !== undefined) activeMs += Math.max(0, nowMs - activeSince);
      const span = nowMs - intervalStart;
      const occupancy = span > 0 ? Math.min(1, activeMs / span) : level;
      const out = [
        { channel: 'motion', value: level },
        { channel: 'activations', value: activations },
        { channel: 'occupancy', value: occupancy },
      ];
      intervalStart = nowMs;
      activeSince = activeSince !== undefined ? nowMs : undefined;
      activeMs = 0;
      activations = 0;
      return out;
    },
  };
}

/**
 * Push button: `press` (held seconds) on release of a short press, `long_press` (held seconds)
 * as soon as the button has been held for longPress — at the edge or read that notices it — so
 * a technician holding the service button gets feedback without letting go.
 */
function buttonLogic(longPressMs: number): InputKindLogic {
  let downAt: number | undefined;
  let longSent = false;
  let presses = 0;
  let longPresses = 0;
  const checkLong = (nowMs: number): ChannelValue[] => {
    if (downAt === undefined || longSent || nowMs - downAt < longPressMs) return [];
    longSent = true;
    longPresses++;
    return [{ channel: 'long_press', value: (nowMs - downAt) / 1000 }];
  };
  return {
    onChange(c) {
      const out: ChannelValue[] = [{ channel: 'pressed', value: c.level }];
      if (c.level === 1) {
        downAt = c.atMs;
        longSent = false;
      } else if (downAt !== undefined) {
        const held = c.atMs - downAt;
        if (held >= longPressMs) out.push(...checkLong(c.atMs));
        else {
          presses++;
          out.push({ channel: 'press', value: held / 1000 });
        }
        downAt = undefined;
      }
      return out;
    },
    close(level, nowMs) {
      const out = [...checkLong(nowMs), { channel: 'pressed', value: level }, { channel: 'presses', value: presses }, { channel: 'long_presses', value: longPresses }];
      presses = 0;
      longPresses = 0;
      return out;
    },
  };
}

/**
 * Pulse counter: total since start in the profile's unit and the rate over the interval.
 * Example: YF-S201 flow meter, pulsesPerUnit 450 (per litre), 1350 pulses in a 60 s interval →
 * rate 3 L/min.
 */
function counterLogic(startMs: number, pulsesPerUnit: number): InputKindLogic {
  let total = 0;
  let inInterval = 0;
  let intervalStart = startMs;
  return {
    onChange(c) {
      if (c.level === 1) {
        total++;
        inInterval++;
      }
      return []; // pulses can come at hundreds per second; they are reported per interval
    },
    close(_level, nowMs) {
      const span = nowMs - intervalStart;
      const out = [
        { channel: 'total', value: total / pulsesPerUnit },
        { channel: 'rate', value: span > 0 ? (inInterval / pulsesPerUnit) * (60_000 / span) : 0 },
      ];
      inInterval = 0;
      intervalStart = nowMs;
      return out;
    },
  };
}

export function kindLogic(kind: InputKind, o: GpioInputOptions, startMs: number, initial: number): InputKindLogic {
  switch (kind) {
    case 'switch':
      return switchLogic();
    case 'motion':
      return motionLogic(startMs, initial);
    case 'button':
      return buttonLogic(o.longPress);
    case 'counter':
      return counterLogic(startMs, o.pulsesPerUnit);
  }
}
