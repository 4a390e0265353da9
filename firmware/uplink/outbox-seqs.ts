import { randomInt } from 'node:crypto';

/**
 * Per-device sequence numbers with durable reservations (a hi/lo allocator), so that no number
 * is ever issued twice whatever the storage does:
 * - every number handed out lies below its device's durable reservation (written to the outbox
 *   file and checkpointed into its main file before any number above the old one is issued), so a
 *   restart that finds the file, even with its WAL rolled back, starts above everything the last run
 *   could have issued;
 * - a clean stop shrinks the reservations to what was used, so the next start continues without a gap;
 *   after an unclean stop the unused rest of each reservation is skipped and reported as a skip
 *   (readings in it that never arrive were lost with the memory at the power cut);
 * - when continuity cannot be proven (no readable file, a new file on a box that ran before, a
 *   damaged WAL, a reservation spent while the disk refuses writes) every device jumps to a fresh
 *   range above anything issued before and the jump is reported the same way.
 */

/** numbers reserved ahead per device (a device at 10 Hz spends a block in ~1.8 h of disk trouble) */
export const RESERVE_BLOCK = 65_536;

/** a fresh range starts at (seconds since 2020) × 2¹⁹: no device issues 2¹⁹ readings per second */
const FRESH_SHIFT = 2 ** 19;
const EPOCH_S = Date.UTC(2020, 0, 1) / 1000;
/** seconds since 2020 fit below 2³³ for 272 years; the slots above are for boxes without a clock */
const TIME_SLOTS = 2 ** 33;

/**
 * First number of a fresh range opened at wall time `nowMs`. Ranges opened later start higher
 * than anything an earlier range can have reached (a range grows by less than 2¹⁹ a second), as
 * long as the wall clock does not go back between starts. A clock before 2024 is not trusted: the
 * range then starts in a random slot above every time-derived one. `floor`: a number known to be
 * issued already (the range starts above it).
 */
export function freshBase(nowMs: number, floor = 0): number {
  const s = Math.floor(nowMs / 1000 - EPOCH_S);
  const slot = nowMs >= Date.UTC(2024, 0, 1) && s < TIME_SLOTS ? s : TIME_SLOTS + randomInt(0, 2 ** 30) * 8;
  return Math.max(slot * FRESH_SHIFT, floor + 1);
}

export type SkipReason =
  /** the last run did not stop cleanly: the rest of its reservation is skipped */
  | 'unclean-stop'
  /** the outbox file is new but the box ran before (file lost, zero length, replaced) */
  | 'new-file'
  /** the outbox file was corrupt and set aside */
  | 'corrupt'
  /** the WAL was torn or damaged: the last commits may be lost */
  | 'wal-damaged'
  /** the outbox could not be written at start: nothing could be reserved */
  | 'unwritable'
  /** the reservation was used up while the disk refused writes */
  | 'reservation-spent';

/**
 * Numbers from `from` (inclusive; null = unknown, a fresh range) to `to` (exclusive) that the box
 * skipped: a reading in it that the platform never receives was lost with the memory (unclean
 * stop) or never existed. `dev` '*' is every device that had no counter yet.
 */
export interface SeqSkip {
  readonly dev: string;
  readonly from: number | null;
  readonly to: number;
  readonly reason: SkipReason;
  readonly boot: number;
  readonly bootId: string;
  /** wall ms */
  readonly at: number;
}

/** The durable side of the counters, as stored in the outbox file. */
export interface StoredCounters {
  /** first number not yet stored (or counted as dropped), and the reservation, per device */
  readonly devs: readonly { readonly dev: string; readonly next: number; readonly reserved: number }[];
  /** where a device without a counter starts, and its reservation */
  readonly base: number;
  readonly baseReserved: number;
  /** the last run stopped cleanly (its reservations were shrunk to what it used) */
  readonly clean: boolean;
}

export class SeqAllocator {
  readonly next = new Map<string, number>();
  /** durable reservation per device: every number issued is below it */
  private readonly reserved = new Map<string, number>();
  base = 0;
  private baseReserved = 0;
  /** a fresh range not yet written to disk: numbers are issued without a reservation */
  unreserved = true;
  /** this start jumped to a fresh range at least once */
  jumped = false;
  /** write every device's reservation at the next chance (a file opened, or found again) */
  needsFull = true;
  /**
   * The shared range an unclean stop left unused ([base, baseReserved) of the file): numbers a
   * device without a row in the file may have taken there (from the memory ring, when the disk
   * refused even its reservation). A device seen for the first time this start gets its own skip
   * for it, so the platform can tell that range from a loss (its '*' skip names no device).
   */
  private unclaimed: { readonly from: number; readonly to: number; readonly at: number } | undefined;
  private readonly claimed = new Set<string>();
  /** skips made this start and not yet written to disk */
  readonly pendingSkips: SeqSkip[] = [];
  /** every skip made this start (reported in the status) */
  readonly skips: SeqSkip[] = [];

  constructor(private readonly who: { readonly boot: number; readonly bootId: string }) {}

  /** Every number of `dev` issued so far lies below this (while reserved). */
  limit(dev: string): number {
    return this.reserved.get(dev) ?? this.baseReserved;
  }

  /** The next number of `dev`, or undefined when its reservation is spent. */
  take(dev: string): number | undefined {
    this.claim(dev);
    const s = this.next.get(dev) ?? this.base;
    if (!this.unreserved && s >= (this.reserved.get(dev) ?? this.baseReserved)) return undefined;
    this.next.set(dev, s + 1);
    return s;
  }

  /** Numbers wanted per device for `devices` (one entry per reading), each device claimed first. */
  demand(devices: readonly string[]): Map<string, number> {
    const want = new Map<string, number>();
    for (const dev of devices) {
      if (!want.has(dev)) this.claim(dev);
      want.set(dev, (want.get(dev) ?? 0) + 1);
    }
    return want;
  }

  /** A device about to take its first number this start: its own skip of the unclaimed range. */
  claim(dev: string): void {
    const u = this.unclaimed;
    if (!u || this.next.has(dev) || this.claimed.has(dev)) return;
    this.claimed.add(dev);
    this.skip(dev, u.from, u.to, 'unclean-stop', u.at);
  }

  /** Adopt the counters of a file written by an earlier start; an unclean stop skips the rest of its reservations. */
  adopt(c: StoredCounters, now: number): void {
    for (const d of c.devs) {
      const to = c.clean ? d.next : Math.max(d.next, d.reserved);
      if (to > d.next) this.skip(d.dev, d.next, to, 'unclean-stop', now);
      this.next.set(d.dev, Math.max(this.next.get(d.dev) ?? 0, to));
    }
    const to = c.clean ? c.base : Math.max(c.base, c.baseReserved);
    if (to > c.base) {
      this.skip('*', c.base, to, 'unclean-stop', now);
      this.unclaimed = { from: c.base, to, at: now };
    }
    this.base = Math.max(this.base, to);
  }

  /** Every device (and every device not seen yet) continues in a fresh range above `floor`. */
  jump(reason: SkipReason, now: number, floor = 0): number {
    const high = Math.max(floor, this.base, ...this.next.values(), ...this.reserved.values(), this.baseReserved);
    const to = freshBase(now, high);
    for (const [dev, n] of this.next) {
      this.skip(dev, n, to, reason, now);
      this.next.set(dev, to);
    }
    this.skip('*', null, to, reason, now);
    this.base = to;
    this.unreserved = true;
    this.jumped = true;
    return to;
  }

  /** Raise each device's counter to at least what a file says was used (a file found again mid-run). */
  atLeast(c: StoredCounters): void {
    for (const d of c.devs) if ((this.next.get(d.dev) ?? this.base) < d.reserved) this.next.set(d.dev, d.reserved);
  }

  /**
   * Reservations to write before issuing `want` more numbers per device: a device whose numbers
   * would come within half a block of its reservation gets a new one a block ahead, and a device
   * without a reservation of its own gets one before its first number (so the file names every
   * device that took numbers, and an unclean stop skips them per device, even when the readings
   * themselves never reached the disk). Empty when nothing needs writing.
   */
  wanted(want: ReadonlyMap<string, number>): { devs: Map<string, number>; base: number | undefined } {
    const devs = new Map<string, number>();
    const all = this.unreserved || this.needsFull;
    const need = (next: number, reserved: number): boolean => all || next + RESERVE_BLOCK / 2 > reserved;
    for (const [dev, n] of want) {
      const next = this.next.get(dev) ?? this.base;
      const own = this.reserved.get(dev);
      if (own === undefined || need(next + n, own)) devs.set(dev, next + n + RESERVE_BLOCK);
    }
    if (all) for (const [dev, next] of this.next) if (!devs.has(dev)) devs.set(dev, next + RESERVE_BLOCK);
    const base = need(this.base, this.baseReserved) ? this.base + RESERVE_BLOCK : undefined;
    return { devs, base };
  }

  /** The reservations written by wanted() reached the disk's main file. */
  reservedNow(r: { devs: ReadonlyMap<string, number>; base: number | undefined }): void {
    for (const [dev, to] of r.devs) this.reserved.set(dev, to);
    if (r.base !== undefined) this.baseReserved = r.base;
    this.unreserved = false;
    this.needsFull = false;
  }

  /** Reservations shrunk to what was used (clean stop). */
  shrunk(): void {
    for (const [dev, n] of this.next) this.reserved.set(dev, n);
    this.baseReserved = this.base;
  }

  /** Skips written to disk. */
  skipsSaved(n: number): void {
    this.pendingSkips.splice(0, n);
  }

  private skip(dev: string, from: number | null, to: number, reason: SkipReason, at: number): void {
    const s: SeqSkip = { dev, from, to, reason, boot: this.who.boot, bootId: this.who.bootId, at };
    this.pendingSkips.push(s);
    this.skips.push(s);
  }
}
