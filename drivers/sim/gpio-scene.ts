import type { Level } from '../bus/gpio.js';
import type { SimulatedGpioChip } from './gpio-chip.js';

/** What a simulated line is wired to in the demo world. */
export type GpioActorKind = 'switch' | 'motion' | 'button' | 'counter';

interface Actor {
  readonly line: number;
  readonly kind: GpioActorKind;
  /** physical level of the idle state (door closed, nobody there, button up) */
  readonly idle: Level;
  active: boolean;
  nextS: number;
}

/**
 * The demo's people and doors: drives simulated header lines from world time (seconds since
 * start), called by the runtime's world task. Deterministic for a seed, so demos repeat.
 * - switch: the service door opens as a technician's visit does: the first time 20–40 minutes
 *   after start, for 3–10 minutes, then every 2–6 hours. A door open raises TAMPER_OPEN
 *   (critical, as on a real box), so the demo's first half hour is a healthy box.
 * - motion: someone walks past every 10–90 s and the PIR stays high 5–30 s
 * - button: a short press every 1–5 minutes
 * - counter: a meter pulsing 5–15 times per second
 */
export class GpioScene {
  private readonly actors: Actor[] = [];
  private rand: () => number;

  constructor(
    private readonly chip: SimulatedGpioChip,
    seed = 7,
  ) {
    let s = seed >>> 0;
    this.rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  private between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.rand();
  }

  /** Wire `line` to an actor; `idle` is the physical level when nothing happens. */
  add(line: number, kind: GpioActorKind, idle: Level): void {
    const first = kind === 'switch' ? this.between(1200, 2400) : kind === 'motion' ? this.between(3, 20) : this.between(30, 90);
    this.actors.push({ line, kind, idle, active: false, nextS: first });
    this.chip.drive(line, idle);
  }

  update(tS: number): void {
    for (const a of this.actors) {
      if (a.kind === 'counter') {
        const pulses = Math.round(this.between(5, 15));
        for (let i = 0; i < pulses; i++) {
          this.chip.drive(a.line, (1 - a.idle) as Level);
          this.chip.drive(a.line, a.idle);
        }
        continue;
      }
      if (tS < a.nextS) continue;
      a.active = !a.active;
      this.chip.drive(a.line, (a.active ? 1 - a.idle : a.idle) as Level);
      const [onLo, onHi, offLo, offHi] =
        a.kind === 'switch' ? [180, 600, 7200, 21_600] : a.kind === 'motion' ? [5, 30, 10, 90] : [0.2, 0.6, 60, 300];
      a.nextS = tS + (a.active ? this.between(onLo, onHi) : this.between(offLo, offHi));
    }
  }
}
