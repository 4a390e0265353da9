import type { OutboxStatements } from './outbox-db.js';
import { type RowDamage, SEP, checkRow, isDamage } from './outbox-damage.js';
import { type TimeFix, fixTime } from './queue.js';
import type { WireSample } from './payload.js';

/**
 * A stored row of the outbox holds a batch of readings of one boot, stored in one commit: their
 * JSON one per line ('\n' never occurs in JSON.stringify output: a newline inside a string is
 * written as the two characters \ and n). A message of whole rows goes out as stored, the lines
 * joined by commas; nothing is parsed or re-encoded on the way.
 *
 * A row is split into readings only when a take wants fewer readings than the row holds, or a
 * bound cuts through it: it is then "loaded" into a RowState, which tracks each reading.
 *
 * A row is also born as a RowState: readings handed over are numbered and encoded once into a
 * fresh row (`onDisk` false) that is published from memory at once; the next commit stores only
 * its readings still unacknowledged then (a row every reading of which the broker acknowledged
 * before the commit never reaches the disk).
 */
export { SEP } from './outbox-damage.js';

/** Where each reading of a loaded row is. */
export const At = { Waiting: 0, InFlight: 1, Acked: 2, Dropped: 3 } as const;

export class RowState {
  readonly state: Uint8Array;
  /** readings acknowledged since the row was last written (still on disk) */
  ackedN = 0;
  ackedBytes = 0;
  /** readings were acknowledged or dropped since the row was last written */
  dirty = false;
  /** the row is in the file (false: a fresh row, in memory only, until the next commit stores it) */
  onDisk = true;
  /** wall ms when the row was made (fresh rows: the age bound counts from here) */
  created = 0;

  constructor(
    readonly id: number,
    readonly boot: number,
    /** boot id of that start ('' in rows of older files) */
    readonly bootId: string,
    readonly bodies: string[],
    readonly bytes: readonly number[],
    /** monotonic ms of each reading, or null when none was read with an untrusted clock */
    readonly monos: readonly number[] | null,
  ) {
    this.state = new Uint8Array(bodies.length);
  }

  /** Read a stored row and split it into readings; a damaged row (outbox-damage.ts) is reported, not loaded. */
  static load(st: OutboxStatements, id: number, boot: number, bootId: string | null): RowState | RowDamage | undefined {
    const r = st.body.get(id) as { body: unknown; monos: unknown; n: number } | undefined;
    if (!r) return undefined;
    const c = checkRow(id, boot, r.n, r.body, r.monos);
    if (isDamage(c)) return c;
    return new RowState(id, boot, bootId ?? '', c.bodies, c.bodies.map((b) => Buffer.byteLength(b)), c.monos);
  }

  /**
   * A fresh row (not in the file yet): readings of one start handed over together, numbered and
   * encoded once. `untrusted` readings are those read with tq 'none'.
   */
  static fresh(id: number, boot: number, bootId: string, created: number, bodies: string[], bytes: number[], monos: number[] | null): RowState {
    const row = new RowState(id, boot, bootId, bodies, bytes, monos);
    row.onDisk = false;
    row.created = created;
    return row;
  }

  /** Indexes of the readings the file must hold (waiting or in flight). */
  kept(): number[] {
    const keep: number[] = [];
    for (let i = 0; i < this.state.length; i++) if (this.state[i] === At.Waiting || this.state[i] === At.InFlight) keep.push(i);
    return keep;
  }

  /** Store a fresh row (what of it is unacknowledged) under its id, in the caller's transaction; returns readings, bytes stored. */
  insert(st: OutboxStatements): { n: number; bytes: number } {
    const keep = this.kept();
    const c = this.columns(keep);
    st.insert.run(this.id, this.boot, this.bootId === '' ? null : this.bootId, keep.length, this.created, c.bytes, c.untrusted, c.monos, c.body);
    return { n: keep.length, bytes: c.bytes };
  }

  private columns(keep: readonly number[]): { bytes: number; untrusted: number; monos: string | null; body: string } {
    let bytes = 0;
    let untrusted = 0;
    for (const i of keep) {
      bytes += this.bytes[i] as number;
      if (this.bodies[i]?.includes('"tq":"none"')) untrusted++;
    }
    const monos = untrusted > 0 && this.monos ? JSON.stringify(keep.map((i) => this.monos?.[i])) : null;
    return { bytes, untrusted, monos, body: keep.length === this.bodies.length ? this.bodies.join(SEP) : keep.map((i) => this.bodies[i]).join(SEP) };
  }

  /** every reading waits: nothing of the row is in flight, acknowledged or dropped */
  untouched(): boolean {
    return this.state.every((s) => s === At.Waiting);
  }

  /** no reading waits or is in flight: the row can be deleted */
  done(): boolean {
    return this.state.every((s) => s === At.Acked || s === At.Dropped);
  }

  /**
   * Write what is left of the row (the readings waiting or in flight) back to disk, in the
   * caller's transaction; settled() once it committed.
   */
  rewrite(st: OutboxStatements): void {
    const keep = this.kept();
    const c = this.columns(keep);
    st.rewrite.run(keep.length, c.bytes, c.untrusted, c.monos, c.body, this.id);
  }

  /** The transaction that wrote the row committed: what was acknowledged is off the disk. */
  settled(): void {
    this.ackedN = 0;
    this.ackedBytes = 0;
    this.dirty = false;
  }

  /** Re-stamp the readings read with an untrusted clock (see SampleQueue.restamp). */
  restamp(fix: TimeFix): boolean {
    if (!this.monos) return false;
    let changed = false;
    for (let i = 0; i < this.bodies.length; i++) {
      const body = this.bodies[i] as string;
      if (!body.includes('"tq":"none"')) continue;
      const parsed = JSON.parse(body) as WireSample;
      const w = fixTime(parsed, this.monos[i] as number, this.boot, fix);
      if (w === parsed) continue;
      const next = JSON.stringify(w);
      this.bodies[i] = next;
      (this.bytes as number[])[i] = Buffer.byteLength(next);
      changed = true;
    }
    return changed;
  }
}
