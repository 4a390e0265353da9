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
  readonly count: number;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface FaultEvent {
  readonly transition: 'raised' | 'cleared';
  readonly fault: ActiveFault;
  readonly atMs: number;
}

/** What components feed: they report what they see, the registry keeps the active set. */
export interface FaultSink {
  raise(report: FaultReport): void;
  clear(code: FaultCode, subject?: string): void;
}

const key = (code: FaultCode, subject: string | undefined): string => `${code}\u0000${subject ?? ''}`;

/**
 * The box's active faults. A fault is identified by (code, subject); raising it again updates
 * count and last-seen without a new event; clearing removes it and emits a 'cleared' event.
 */
export class FaultRegistry implements FaultSink {
  private readonly faults = new Map<string, ActiveFault>();
  private readonly listeners: ((e: FaultEvent) => void)[] = [];

  constructor(private readonly clock: Clock) {}

  onEvent(listener: (e: FaultEvent) => void): void {
    this.listeners.push(listener);
  }

  raise(report: FaultReport): void {
    const k = key(report.code, report.subject);
    const now = this.clock.wallMs();
    const prev = this.faults.get(k);
    if (prev) {
      this.faults.set(k, { ...prev, lastSeenMs: now, count: prev.count + 1, message: report.message, details: report.details ?? prev.details });
      return;
    }
    const def = faultDefinition(report.code);
    const fault: ActiveFault = {
      code: report.code,
      subject: report.subject,
      severity: def.severity,
      component: def.component,
      message: report.message,
      remedy: def.remedy,
      firstSeenMs: now,
      lastSeenMs: now,
      count: 1,
      details: report.details ?? {},
    };
    this.faults.set(k, fault);
    this.emit({ transition: 'raised', fault, atMs: now });
  }

  clear(code: FaultCode, subject?: string): void {
    const k = key(code, subject);
    const f = this.faults.get(k);
    if (!f) return;
    this.faults.delete(k);
    this.emit({ transition: 'cleared', fault: f, atMs: this.clock.wallMs() });
  }

  /** Clear every fault of a subject (a device that recovered), optionally keeping some codes. */
  clearSubject(subject: string, keep: readonly FaultCode[] = []): void {
    for (const f of [...this.faults.values()]) {
      if (f.subject === subject && !keep.includes(f.code)) this.clear(f.code, subject);
    }
  }

  isActive(code: FaultCode, subject?: string): boolean {
    return this.faults.has(key(code, subject));
  }

  active(): ActiveFault[] {
    return [...this.faults.values()];
  }

  private emit(e: FaultEvent): void {
    for (const l of this.listeners) l(e);
  }
}
