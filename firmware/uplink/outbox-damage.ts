import type Database from 'better-sqlite3';
import type { OutboxStatements } from './outbox-db.js';

/** Between the readings of a stored row (see outbox-rows.ts, which re-exports it). */
export const SEP = '\n';

/**
 * A stored row that is not what the outbox wrote: a body whose lines are not `n` readings' JSON
 * (a bit flipped or a page torn on an SD card, a file edited by hand), or a `monos` column that is
 * not a JSON array of numbers. SQLite's own checks (quick_check at open) do not see damage inside
 * a record, and sending such a row as stored would put invalid JSON on the telemetry topic, where
 * the platform loses the whole message. So every row read from the file is checked first.
 */
export interface RowDamage {
  readonly id: number;
  readonly boot: number;
  readonly reason: string;
  /** readings the row says it holds (or the lines it has, if more) */
  readonly n: number;
  /** the lines that are readings, and their indexes in the row */
  readonly good: readonly string[];
  readonly goodIdx: readonly number[];
  /** monotonic ms of the good readings, when the row has a readable monos column */
  readonly monos: readonly number[] | null;
}

export interface CheckedRow {
  readonly bodies: string[];
  readonly monos: number[] | null;
  /** the readings joined by commas: the row as it goes into a message */
  readonly joined: string;
}

const isReading = (x: unknown): boolean => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const r = x as { dev?: unknown; seq?: unknown; t?: unknown };
  return typeof r.dev === 'string' && Number.isSafeInteger(r.seq) && (r.seq as number) >= 0 && typeof r.t === 'number';
};

/** Check a stored row: `n` lines, each one reading ({"dev":…,"seq":…,"t":…}); monos, if any, one number per line. */
export function checkRow(id: number, boot: number, n: number, stored: unknown, monosText: unknown): CheckedRow | RowDamage {
  const body = typeof stored === 'string' ? stored : Buffer.isBuffer(stored) ? stored.toString('utf8') : String(stored);
  const lines = body.split(SEP);
  let monos: number[] | null = null;
  let monosBad = '';
  if (monosText !== null && monosText !== undefined) {
    try {
      const m = JSON.parse(String(monosText)) as unknown;
      if (Array.isArray(m) && m.length === lines.length && m.every((x) => typeof x === 'number')) monos = m as number[];
      else monosBad = `monos is not ${lines.length} numbers`;
    } catch (e) {
      monosBad = `monos is not JSON (${(e as Error).message})`;
    }
  }
  // one parse for the whole row (what the platform will parse); line by line only when it fails
  const joined = lines.join(',');
  let whole: unknown;
  try {
    whole = JSON.parse(`[${joined}]`);
  } catch {
    whole = undefined;
  }
  if (Array.isArray(whole) && whole.length === lines.length && lines.length === n && whole.every(isReading) && monosBad === '') return { bodies: lines, monos, joined };
  const good: string[] = [];
  const goodIdx: number[] = [];
  const bad: string[] = [];
  lines.forEach((line, i) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      bad.push(`line ${i + 1}: ${(e as Error).message}`);
      return;
    }
    if (!isReading(parsed)) {
      bad.push(`line ${i + 1}: not a reading (dev, seq, t)`);
      return;
    }
    good.push(line);
    goodIdx.push(i);
  });
  const reasons = [...(lines.length !== n ? [`${lines.length} lines for ${n} readings`] : []), ...bad.slice(0, 3), ...(bad.length > 3 ? [`${bad.length - 3} more bad lines`] : []), ...(monosBad ? [monosBad] : [])];
  return { id, boot, reason: reasons.join('; '), n: Math.max(n, lines.length), good, goodIdx, monos: monos ? goodIdx.map((i) => monos[i] as number) : null };
}

export const isDamage = <T extends object>(r: T | RowDamage): r is RowDamage => 'reason' in r && 'goodIdx' in r;

/**
 * In one transaction: copy the row as found into table `damaged` (kept for inspection, never
 * sent), keep its good readings in the row (or delete it when none is left), and count the
 * readings it lost in the file (meta `damaged`). Returns the readings lost and the row's bytes
 * before and after.
 */
export function setRowAside(db: Database.Database, st: OutboxStatements, d: RowDamage, now: number): { lost: number; bytesBefore: number; bytesAfter: number; nBefore: number } {
  const before = st.rowSize.get(d.id) as { n: number; bytes: number } | undefined;
  let bytesAfter = 0;
  db.transaction(() => {
    st.keepDamaged.run(now, d.reason, d.id);
    if (d.good.length === 0) st.delRange.run(d.id, d.id);
    else {
      for (const line of d.good) bytesAfter += Buffer.byteLength(line);
      const untrusted = d.good.filter((l) => l.includes('"tq":"none"')).length;
      st.rewrite.run(d.good.length, bytesAfter, untrusted, untrusted > 0 && d.monos ? JSON.stringify(d.monos) : null, d.good.join(SEP), d.id);
    }
    const was = (st.getMeta.get('damaged') as { value: number } | undefined)?.value ?? 0;
    st.setMeta.run('damaged', was + (d.n - d.good.length));
  }).immediate();
  return { lost: d.n - d.good.length, bytesBefore: before?.bytes ?? 0, bytesAfter, nBefore: before?.n ?? d.n };
}
