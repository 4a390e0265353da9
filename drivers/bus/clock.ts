import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Where the current trust in wall time comes from. */
export type TimeSource = 'system' | 'gps' | 'assumed' | 'none';

/**
 * The only way drivers and the runtime learn the time. Drivers never call Date.now().
 * - monoMs: monotonic milliseconds (performance.now()), never jumps; use it for intervals.
 * - wallMs: Unix epoch milliseconds; may jump when NTP or a GPS sets the clock.
 * - trusted: whether wall time is known good (NTP synchronised, GPS fix, or assumed by profile).
 */
export interface Clock {
  monoMs(): number;
  wallMs(): number;
  timeSource(): TimeSource;
  /** A time source (GPS fix) vouches for wall time from now on. */
  markTrusted(source: TimeSource): void;
  /**
   * The earliest wall time that can be now: the firmware's build date, or the last trusted wall
   * time a previous run stored, whichever is later (undefined: not known). A GPS date before it
   * is a week rollover; one years after it is not believed.
   */
  floorMs?(): number | undefined;
}

export interface SystemClockOptions {
  /** Trust wall time without asking the system (a box with an RTC, or the demo). */
  readonly assumeTrusted?: boolean;
  /** systemd-timesyncd creates this file once the clock is synchronised. */
  readonly syncFlagPath?: string;
  /** Clock.floorMs(): build date or the last trusted wall time of a previous run */
  readonly floorMs?: number;
}

export class SystemClock implements Clock {
  private source: TimeSource;
  private readonly syncFlagPath: string;
  private lastCheckMono = Number.NEGATIVE_INFINITY;
  private floor: number | undefined;

  constructor(options: SystemClockOptions = {}) {
    this.source = options.assumeTrusted ? 'assumed' : 'none';
    this.syncFlagPath = options.syncFlagPath ?? '/run/systemd/timesync/synchronized';
    this.floor = options.floorMs;
  }

  floorMs(): number | undefined {
    return this.floor;
  }

  /** Raise the floor (the state directory told us when a previous run last saw trusted time). */
  raiseFloor(ms: number): void {
    if (Number.isFinite(ms) && (this.floor === undefined || ms > this.floor)) this.floor = ms;
  }

  monoMs(): number {
    return performance.now();
  }

  wallMs(): number {
    return Date.now();
  }

  timeSource(): TimeSource {
    if (this.source === 'none') {
      // a stat at most every 10 s; the flag appears once and stays
      const now = performance.now();
      if (now - this.lastCheckMono > 10_000) {
        this.lastCheckMono = now;
        if (existsSync(this.syncFlagPath)) this.source = 'system';
      }
    }
    return this.source;
  }

  markTrusted(source: TimeSource): void {
    if (this.source === 'none' || source !== 'none') this.source = source;
  }
}

/** A clock a test moves by hand. */
export class ManualClock implements Clock {
  mono = 0;
  wall: number;
  source: TimeSource = 'assumed';
  /** Clock.floorMs(); a test sets it */
  floor: number | undefined;

  floorMs(): number | undefined {
    return this.floor;
  }

  constructor(wallStartMs = Date.UTC(2026, 0, 1)) {
    this.wall = wallStartMs;
  }

  monoMs(): number {
    return this.mono;
  }
  wallMs(): number {
    return this.wall;
  }
  timeSource(): TimeSource {
    return this.source;
  }
  markTrusted(source: TimeSource): void {
    this.source = source;
  }
  advance(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }
}
