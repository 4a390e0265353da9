import type { ChannelChecks } from '../../config/checks.js';
import type { Sample } from '../reading.js';
import { type FaultCode, faultDefinition } from './catalog.js';
import type { FaultSink } from './registry.js';

const CHECK_CODES: readonly FaultCode[] = ['VALUE_OUT_OF_RANGE', 'SENSOR_STUCK', 'VALUE_RATE', 'SENSOR_STALE'];

/** Checks of one channel of one device, from the profile. */
export interface ChannelCheckSpec {
  readonly device: string;
  readonly channel: string;
  readonly checks: ChannelChecks;
}

interface ChannelState {
  readonly spec: ChannelCheckSpec;
  readonly subject: string;
  /** first value of the current run of identical values (stuck check) */
  anchor: number | undefined;
  /** previous value and when it arrived (rate and staleness) */
  prevValue: number | undefined;
  lastMono: number;
  sameRun: number;
}

/**
 * The value-check stage on the sampling thread, between the device runner and the uplink. It
 * looks at raw values (before any filter) and feeds the fault registry; it never changes or
 * drops a sample. Subjects are "<device>/<channel>".
 *
 * - range: VALUE_OUT_OF_RANGE while a value is below min or above max.
 * - stuck: SENSOR_STUCK once `samples` values in a row differ by at most `tolerance` from the
 *   first of the run (a real BME280 indoors moves by ≥ 0.01 °C within a minute; an exact repeat
 *   for 30 samples means a frozen part or a cached register).
 * - rate: VALUE_RATE when |Δvalue| / Δt · per > max between consecutive samples; e.g. max 5 per
 *   60 s: 20.0 °C then 21.0 °C two seconds later is 30 °C/min, so it is raised.
 * - staleMax: SENSOR_STALE when no value arrived for longer than staleMax (checked by stale()).
 */
export class ValueChecks {
  private readonly channels = new Map<string, ChannelState>();
  /** the same states by device, then channel: observe() looks up without building "<device>/<channel>" per value */
  private byDevice = new Map<string, Map<string, ChannelState>>();

  constructor(
    specs: readonly ChannelCheckSpec[],
    private readonly faults: FaultSink,
    startMono: number,
  ) {
    for (const spec of specs) {
      const subject = `${spec.device}/${spec.channel}`;
      this.channels.set(subject, { spec, subject, anchor: undefined, prevValue: undefined, lastMono: startMono, sameRun: 0 });
    }
    this.index();
  }

  private index(): void {
    this.byDevice = new Map();
    for (const st of this.channels.values()) {
      let d = this.byDevice.get(st.spec.device);
      if (!d) this.byDevice.set(st.spec.device, (d = new Map()));
      d.set(st.spec.channel, st);
    }
  }

  /**
   * A profile reload changed this device's checks (SIGHUP). A channel whose checks are unchanged
   * keeps its state (stuck run, previous value); a changed one starts over with the new limits;
   * a channel whose checks were removed has its value faults cleared, since nothing would clear
   * them any more.
   */
  replaceDevice(device: string, specs: readonly ChannelCheckSpec[], nowMono: number): void {
    const next = new Map(specs.map((s) => [`${device}/${s.channel}`, s]));
    for (const [subject, st] of this.channels) {
      if (st.spec.device !== device) continue;
      const spec = next.get(subject);
      if (spec && JSON.stringify(spec.checks) === JSON.stringify(st.spec.checks)) {
        next.delete(subject);
        continue;
      }
      this.channels.delete(subject);
      if (!spec) {
        for (const code of CHECK_CODES) {
          for (let i = 0; i < (faultDefinition(code).clearAfter ?? 1); i++) this.faults.clear(code, subject);
        }
      }
    }
    for (const [subject, spec] of next) this.channels.set(subject, { spec, subject, anchor: undefined, prevValue: undefined, lastMono: nowMono, sameRun: 0 });
    this.index();
  }

  /** Whether any channel has checks (the runtime skips the stage otherwise). */
  get size(): number {
    return this.channels.size;
  }

  observe(sample: Sample): void {
    if (sample.kind === 'aggregate') return;
    const device = this.byDevice.get(sample.device);
    if (!device) return;
    for (const v of sample.values) {
      const st = device.get(v.channel);
      if (st) this.check(st, v.value, sample.monoMs, v.unit);
    }
  }

  /** Staleness of every channel with staleMax, at monotonic time nowMono (the runtime calls it every second). */
  stale(nowMono: number): void {
    for (const st of this.channels.values()) {
      const max = st.spec.checks.staleMax;
      if (max === undefined) continue;
      const age = nowMono - st.lastMono;
      if (age > max) {
        this.faults.raise({ code: 'SENSOR_STALE', subject: st.subject, message: `${st.subject}: no reading for ${Math.round(age / 1000)} s (limit ${max / 1000} s)`, details: { ageMs: Math.round(age), staleMaxMs: max } });
      } else this.faults.clear('SENSOR_STALE', st.subject);
    }
  }

  private check(st: ChannelState, value: number, mono: number, unit: string): void {
    const c = st.spec.checks;
    const faults = this.faults;
    const s = st.subject;
    if (c.range) {
      const { min, max } = c.range;
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
        faults.raise({ code: 'VALUE_OUT_OF_RANGE', subject: s, message: `${s}: ${value} ${unit} is outside ${min ?? '-∞'}..${max ?? '∞'} ${unit}`, details: { value, min, max, unit } });
      } else faults.clear('VALUE_OUT_OF_RANGE', s);
    }
    if (c.stuck) {
      st.sameRun = st.anchor !== undefined && Math.abs(value - st.anchor) <= c.stuck.tolerance ? st.sameRun + 1 : 1;
      // the run is anchored at its first value, so a slow creep below the tolerance is not "stuck"
      if (st.sameRun === 1) st.anchor = value;
      if (st.sameRun >= c.stuck.samples) {
        faults.raise({ code: 'SENSOR_STUCK', subject: s, message: `${s}: ${st.sameRun} samples in a row at ${value} ${unit}`, details: { value, samples: st.sameRun, unit } });
      } else faults.clear('SENSOR_STUCK', s);
    }
    if (c.rate && st.prevValue !== undefined) {
      const dt = mono - st.lastMono;
      if (dt > 0) {
        const perWindow = (Math.abs(value - st.prevValue) / dt) * c.rate.per;
        if (perWindow > c.rate.max) {
          faults.raise({ code: 'VALUE_RATE', subject: s, message: `${s}: ${st.prevValue} → ${value} ${unit} in ${Math.round(dt)} ms (limit ${c.rate.max} ${unit} per ${c.rate.per / 1000} s)`, details: { from: st.prevValue, to: value, dtMs: Math.round(dt), unit } });
        } else faults.clear('VALUE_RATE', s);
      }
    }
    st.prevValue = value;
    st.lastMono = mono;
    if (c.staleMax !== undefined) faults.clear('SENSOR_STALE', s);
  }
}
