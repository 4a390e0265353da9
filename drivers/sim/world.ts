import type { SampleRange } from './part.js';

/** Anything whose physical inputs the world model can set (every simulator's test face). */
export interface Drivable {
  readonly channels: readonly string[];
  setChannel(channel: string, value: number): void;
  sampleRange(channel: string): SampleRange;
}

/** Plausible indoor/outdoor ranges for the demo, by channel name; else the middle of the part's range. */
const TYPICAL: Readonly<Record<string, readonly [number, number]>> = {
  temperature: [17, 26],
  humidity: [35, 65],
  pressure: [1004, 1021],
  pm1_0: [3, 12], // µg/m³, urban background
  pm2_5: [5, 25],
  pm10: [8, 40],
  co2: [420, 1100], // ppm, a kiosk with people coming and going
  illuminance: [80, 900], // kiosk shade to bright overcast, lx
  voltage: [11.7, 12.3], // a 12 V kiosk supply, V
  current: [0.4, 1.6], // A
  noise: [45, 78], // street noise at a kiosk, dB(A)
  soil: [25, 60], // planter soil moisture, %
};

/**
 * A slowly changing world for simulated hardware: each channel follows its own slow wave with a
 * little noise, inside a plausible band. Deterministic for a given seed, so demos repeat.
 */
export class World {
  private readonly parts: { sim: Drivable; phase: number; periodS: number }[] = [];
  private rand: () => number;

  constructor(seed = 42) {
    let s = seed >>> 0;
    this.rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  add(sim: Drivable): void {
    this.parts.push({ sim, phase: this.rand() * Math.PI * 2, periodS: 120 + this.rand() * 480 });
    this.update(0);
  }

  /** Set every channel for world time tS (seconds since start). */
  update(tS: number): void {
    for (const p of this.parts) {
      p.sim.channels.forEach((ch, i) => {
        const r = p.sim.sampleRange(ch);
        if (r.derived) return; // the chip computes it (INA219 power)
        const [lo, hi] = TYPICAL[ch] ?? [r.min + (r.max - r.min) * 0.3, r.min + (r.max - r.min) * 0.7];
        const mid = (lo + hi) / 2;
        const amp = (hi - lo) / 2;
        const wave = Math.sin((2 * Math.PI * tS) / (p.periodS * (1 + i * 0.37)) + p.phase + i);
        const noise = (this.rand() - 0.5) * amp * 0.02;
        p.sim.setChannel(ch, Math.min(r.max, Math.max(r.min, mid + amp * 0.9 * wave + noise)));
      });
    }
  }
}
