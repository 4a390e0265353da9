import type { Clock } from '../bus/clock.js';
import type { SerialLink } from '../bus/serial.js';
import { DeviceError } from '../errors.js';
import type { ReadResult } from '../types.js';

export interface ExchangeOptions<T> {
  readonly clock: Clock;
  /** one attempt waits this long for its answer, ms */
  readonly timeoutMs: number;
  /** attempts after the first (bounded: a dead part costs (retries + 1) × timeoutMs) */
  readonly retries: number;
  /** how often the scheduler comes back to look for the answer, ms */
  readonly pollMs: number;
  /** "MH-Z19B read CO₂ on /dev/ttyAMA0", for messages */
  readonly what: string;
  /** Start one attempt: write the request. */
  send(): Promise<void>;
  /** The answer, once it has arrived; throws a DeviceError for an answer that is a fault (Modbus exception). */
  take(): T | undefined;
  /** Checksum failures seen during the attempt: a timeout with these is reported as SERIAL_CHECKSUM. */
  checksumErrors(): number;
  /** Turn the answer into values. */
  done(answer: T): ReadResult | Promise<ReadResult>;
  /** Exclusive use of a shared port across the waits (RS-485 multi-drop). */
  readonly lease?: { readonly link: SerialLink; readonly owner: string };
}

/**
 * A request/response exchange whose waiting belongs to the scheduler: each step returns
 * `{ waitMs, next }`, the scheduler comes back, and the step looks whether the answer arrived.
 * No timer in the driver; a timeout is "clock.monoMs() passed the deadline when we looked".
 * After `retries` more attempts the exchange fails with DEVICE_TIMEOUT (nothing usable came) or
 * SERIAL_CHECKSUM (answers came but none verified), both retryable.
 */
export function exchange<T>(o: ExchangeOptions<T>): Promise<ReadResult> {
  const before = o.checksumErrors();
  const attempt = async (n: number): Promise<ReadResult> => {
    if (o.lease && !tryLease(o.lease.link, o.lease.owner, o.clock, leaseMs(o))) {
      // another device on the same RS-485 line is mid-exchange; come back
      return { waitMs: o.pollMs, next: () => attempt(n) };
    }
    try {
      await o.send();
    } catch (e) {
      release(o);
      throw e;
    }
    const started = o.clock.monoMs();
    const look = async (): Promise<ReadResult> => {
      let answer: T | undefined;
      try {
        answer = o.take();
      } catch (e) {
        release(o);
        throw e;
      }
      if (answer !== undefined) {
        release(o);
        return o.done(answer);
      }
      const waited = o.clock.monoMs() - started;
      if (waited < o.timeoutMs) return { waitMs: Math.max(1, Math.min(o.pollMs, o.timeoutMs - waited)), next: look };
      release(o);
      if (n < o.retries) return attempt(n + 1);
      const bad = o.checksumErrors() - before;
      if (bad > 0) {
        throw new DeviceError('SERIAL_CHECKSUM', `${o.what}: ${bad} answer(s) failed the checksum, none verified after ${n + 1} attempt(s)`, {
          retryable: true,
          details: { attempts: n + 1, checksumErrors: bad },
        });
      }
      throw new DeviceError('DEVICE_TIMEOUT', `${o.what}: no answer within ${o.timeoutMs} ms, ${n + 1} attempt(s)`, {
        retryable: true,
        details: { attempts: n + 1, timeoutMs: o.timeoutMs },
      });
    };
    return { waitMs: Math.max(1, Math.min(o.pollMs, o.timeoutMs)), next: look };
  };
  return attempt(0);
}

/**
 * Leases on shared ports, held across scheduler waits. A lease expires by clock time, so an
 * exchange the runner abandoned (device timeout) cannot block the line for ever.
 */
const leases = new WeakMap<SerialLink, { owner: string; until: number }>();

function leaseMs<T>(o: ExchangeOptions<T>): number {
  return o.timeoutMs * (o.retries + 1) + o.pollMs;
}

function tryLease(link: SerialLink, owner: string, clock: Clock, ms: number): boolean {
  const now = clock.monoMs();
  const l = leases.get(link);
  if (l && l.owner !== owner && l.until > now) return false;
  leases.set(link, { owner, until: now + ms });
  return true;
}

function release<T>(o: ExchangeOptions<T>): void {
  if (!o.lease) return;
  const l = leases.get(o.lease.link);
  if (l?.owner === o.lease.owner) leases.delete(o.lease.link);
}
