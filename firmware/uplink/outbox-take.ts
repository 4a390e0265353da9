import type { OutboxStatements } from './outbox-db.js';
import { type RowDamage, checkRow, isDamage } from './outbox-damage.js';
import { At, RowState } from './outbox-rows.js';
import type { DiskRows } from './outbox-write.js';

/** rows a take reads per statement (a row usually fills a message) */
const TAKE_PAGE = 16;

/** Part of a batch: a whole stored row, or some readings of a loaded row. */
export type Part = { readonly row: number; readonly n: number; readonly bytes: number; readonly idx?: readonly number[] };

interface RowHead {
  readonly id: number;
  readonly boot: number;
  readonly bid: string | null;
  readonly n: number;
  readonly bytes: number;
}

export interface Taken {
  readonly parts: Part[];
  readonly fragments: string[];
  readonly count: number;
  readonly boot: number | undefined;
  readonly bootId: string;
  /** last row wholly consumed */
  readonly cursor: number;
  /** rows split by this take (to remember once the take is handed out) */
  readonly loadedNow: RowState[];
  /** a damaged row met by this take (the message ends before it; the caller sets it aside) */
  readonly damaged?: RowDamage;
}

/**
 * Readings for one message from the rows after `cursor` up to `hi`: the rows in the file first,
 * then the fresh rows (in memory, above every stored id). Whole stored rows go as stored while
 * they fit, then part of a row (loaded and split); fresh rows are served from memory. Every
 * reading of a message comes from one start (boot and boot id). Throws what SQLite throws.
 */
export function takeRows(st: OutboxStatements, disk: DiskRows, from: number, hi: number, maxSamples: number): Taken {
  let cursor = from;
  const parts: Part[] = [];
  const fragments: string[] = [];
  let count = 0;
  let boot: number | undefined;
  let bootId = '';
  const loadedNow: RowState[] = [];
  let damaged: RowDamage | undefined;
  const sameStart = (r: RowHead): boolean => boot === undefined || (r.boot === boot && (r.bid ?? '') === bootId);
  /** one row: false when the message is full or must end before this row */
  const visit = (r: RowHead, loaded: RowState | undefined): boolean => {
    if (disk.inflightRows.has(r.id) || disk.acked.has(r.id)) {
      cursor = r.id;
      return true;
    }
    if (!sameStart(r)) return false;
    let row = loaded;
    if (!row && r.n <= maxSamples - count) {
      // the whole row, as stored (checked: a damaged row must not put invalid JSON on the wire)
      const c = checkRow(r.id, r.boot, r.n, st.rowBody.get(r.id), null);
      if (isDamage(c)) {
        damaged = c;
        return false;
      }
      boot = r.boot;
      bootId = r.bid ?? '';
      parts.push({ row: r.id, n: r.n, bytes: r.bytes });
      fragments.push(c.joined);
      count += r.n;
      cursor = r.id;
      return count < maxSamples;
    }
    if (!row) {
      const l = RowState.load(st, r.id, r.boot, r.bid);
      if (!l) return true;
      if (isDamage(l)) {
        damaged = l;
        return false;
      }
      row = l;
    }
    if (!disk.loaded.has(r.id)) loadedNow.push(row);
    const idx: number[] = [];
    let b = 0;
    let i = 0;
    for (; i < row.state.length && count + idx.length < maxSamples; i++) {
      if (row.state[i] !== At.Waiting) continue;
      idx.push(i);
      b += row.bytes[i] as number;
    }
    const waitingLeft = row.state.indexOf(At.Waiting, i) >= 0;
    if (idx.length > 0) {
      boot = r.boot;
      bootId = r.bid ?? '';
      parts.push({ row: r.id, n: idx.length, bytes: b, idx });
      fragments.push(idx.length === row.bodies.length ? row.bodies.join(',') : idx.map((j) => row.bodies[j]).join(','));
      count += idx.length;
    }
    if (waitingLeft) return false; // the batch is full; the rest of this row comes next
    cursor = r.id;
    return count < maxSamples;
  };
  // the file holds nothing past the cursor once it passed the last stored row
  if (cursor < disk.storedLast) {
    let page: RowHead[];
    do {
      page = st.page.all(cursor, hi, TAKE_PAGE) as RowHead[];
      for (const r of page) if (!visit(r, disk.loaded.get(r.id))) return { parts, fragments, count, boot, bootId, cursor, loadedNow, ...(damaged ? { damaged } : {}) };
    } while (page.length === TAKE_PAGE);
  }
  // fresh rows are in id order: start at the first one past the cursor
  let lo = 0;
  for (let top = disk.fresh.length; lo < top; ) {
    const mid = (lo + top) >>> 1;
    if ((disk.fresh[mid] as RowState).id <= cursor) lo = mid + 1;
    else top = mid;
  }
  for (let k = lo; k < disk.fresh.length; k++) {
    const row = disk.fresh[k] as RowState;
    if (row.id > hi) break;
    if (!visit({ id: row.id, boot: row.boot, bid: row.bootId, n: row.state.length, bytes: 0 }, row)) break;
  }
  return { parts, fragments, count, boot, bootId, cursor, loadedNow };
}
