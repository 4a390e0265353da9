import type { Clock } from '../../drivers/bus/clock.js';
import { type FaultCode, type Severity, faultDefinition } from './catalog.js';

export interface FaultReport {
  readonly code: FaultCode;
  /** device id, bus name or other component instance the fault concerns */
  readonly subject?: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface ActiveFault {
  readonly code: FaultCode;
  readonly subject: string | undefined;
  readonly severity: Severity;
  readonly component: string;
  readonly message: string;
  readonly remedy: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  /** occurrences reported while active (including the ones that raised it) */
  readonly count: number;
  readonly details: Readonly<Record<string, unknown>>;
  /** someone acknowledged it (edgefw ack, cmd/ack) */
  readonly acknowledged: boolean;
  /** latched faults only: the condition is gone, the fault waits for an acknowledgement */
  readonly returnedToNormal: boolean;
}

/**
 * raised: became active · cleared: no longer active · acknowledged: a person saw it ·
 * returned: a latched fault's condition went away; it stays active until acknowledged.
 */
export type FaultTransition = 'raised' | 'cleared' | 'acknowledged' | 'returned';

export interface FaultEvent {
  readonly transition: FaultTransition;
  readonly fault: ActiveFault;
  readonly atMs: number;
}

/**
 * What components feed: they report what they see, the registry decides what is active.
 * raise() is one bad observation, clear() one good observation; debounce, hysteresis and latching
 * (per code, from the catalogue) turn observations into transitions.
 */
export interface FaultSink {
  raise(report: FaultReport): void;
  clear(code: FaultCode, subject?: string): void;
}

interface Entry {
  /** consecutive bad observations while not active */
  pending: number;
  /** consecutive good observations while active */
  good: number;
  fault: ActiveFault | undefined;
}

const key = (code: FaultCode, subject: string | undefined): string => `${code}\u0000${subject ?? ''}`;

/**
 * The box's faults, identified by (code, subject).
 * - Debounce: a code with `raiseAfter: N` becomes active only after N raise() calls with no
 *   clear() between them (a single glitch is not a fault).
 * - Hysteresis: an active code with `clearAfter: M` clears only after M clear() calls with no
 *   raise() between them (a sensor flickering at a limit does not flood the platform).
 * - Latch: a code with `latch: true` whose condition is gone stays active (returnedToNormal)
 *   until acknowledged; acknowledging a latched fault whose condition is still there marks it
 *   acknowledged and it clears when the condition goes.
 * Raising an active fault again updates count, last seen and message without a new event.
 */
export class FaultRegistry implements FaultSink {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: ((e: FaultEvent) => void)[] = [];

  constructor(private readonly clock: Clock) {}

  onEvent(listener: (e: FaultEvent) => void): void {
    this.listeners.push(listener);
  }

  raise(report: FaultReport): void {
    const k = key(report.code, report.subject);
    const now = this.clock.wallMs();
    const e = this.entries.get(k) ?? { pending: 0, good: 0, fault: undefined };
    this.entries.set(k, e);
    e.good = 0;
    const prev = e.fault;
    if (prev) {
      const back = prev.returnedToNormal;
      e.fault = {
        ...prev,
        lastSeenMs: now,
        count: prev.count + 1,
        message: report.message,
        details: report.details ?? prev.details,
        returnedToNormal: false,
        acknowledged: back ? false : prev.acknowledged,
      };
      // a latched fault that had gone away and came back is news again
      if (back) this.emit('raised', e.fault, now);
      return;
    }
    e.pending++;
    const def = faultDefinition(report.code);
    if (e.pending < (def.raiseAfter ?? 1)) return;
    e.fault = {
      code: report.code,
      subject: report.subject,
      severity: def.severity,
      component: def.component,
      message: report.message,
      remedy: def.remedy,
      firstSeenMs: now,
      lastSeenMs: now,
      count: e.pending,
      details: report.details ?? {},
      acknowledged: false,
      returnedToNormal: false,
    };
    e.pending = 0;
    this.emit('raised', e.fault, now);
  }

  clear(code: FaultCode, subject?: string): void {
    const k = key(code, subject);
    const e = this.entries.get(k);
    if (!e) return;
    e.pending = 0;
    const f = e.fault;
    if (!f) {
      this.entries.delete(k);
      return;
    }
    if (f.returnedToNormal) return;
    e.good++;
    const def = faultDefinition(code);
    if (e.good < (def.clearAfter ?? 1)) return;
    e.good = 0;
    const now = this.clock.wallMs();
    if (def.latch && !f.acknowledged) {
      e.fault = { ...f, returnedToNormal: true };
      this.emit('returned', e.fault, now);
      return;
    }
    this.entries.delete(k);
    this.emit('cleared', f, now);
  }

  /** Clear every fault of a subject at once (a device removed from service), ignoring hysteresis. */
  clearSubject(subject: string, keep: readonly FaultCode[] = []): void {
    for (const [k, e] of [...this.entries]) {
      const f = e.fault;
      if (f?.subject !== subject || keep.includes(f.code)) continue;
      this.entries.delete(k);
      this.emit('cleared', f, this.clock.wallMs());
    }
  }

  /**
   * Acknowledge active faults matching code and subject (undefined matches any). A latched fault
   * whose condition is gone clears; others are marked acknowledged. Returns how many matched.
   */
  acknowledge(code?: FaultCode, subject?: string): number {
    let n = 0;
    const now = this.clock.wallMs();
    for (const [k, e] of [...this.entries]) {
      const f = e.fault;
      if (!f || (code !== undefined && f.code !== code) || (subject !== undefined && f.subject !== subject)) continue;
      n++;
      if (f.returnedToNormal) {
        this.entries.delete(k);
        this.emit('cleared', { ...f, acknowledged: true }, now);
      } else if (!f.acknowledged) {
        e.fault = { ...f, acknowledged: true };
        this.emit('acknowledged', e.fault, now);
      }
    }
    return n;
  }

  isActive(code: FaultCode, subject?: string): boolean {
    return this.entries.get(key(code, subject))?.fault !== undefined;
  }

  active(): ActiveFault[] {
    const out: ActiveFault[] = [];
    for (const e of this.entries.values()) if (e.fault) out.push(e.fault);
    return out;
  }

  private emit(transition: FaultTransition, fault: ActiveFault, atMs: number): void {
    const ev: FaultEvent = { transition, fault, atMs };
    for (const l of this.listeners) l(ev);
  }
}
