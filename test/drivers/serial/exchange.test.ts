/**
 * Request/response timing owned by the scheduler: exchange() never sleeps, it returns
 * { waitMs, next } and decides on the injected clock. A manual clock makes every step exact.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../drivers/bus/clock.js';
import type { SerialLink } from '../../../drivers/bus/serial.js';
import { exchange } from '../../../drivers/serial/exchange.js';
import type { ReadResult } from '../../../drivers/types.js';

/** Drive a read like the scheduler: advance the clock by each wait; `during` runs before each look. */
async function drive(r: ReadResult | Promise<ReadResult>, clock: ManualClock, during: (waitedMs: number) => void = () => {}): Promise<{ values: readonly unknown[]; waits: number[] }> {
  let res = await r;
  const waits: number[] = [];
  let waited = 0;
  while ('waitMs' in res) {
    waits.push(res.waitMs);
    clock.advance(res.waitMs);
    waited += res.waitMs;
    during(waited);
    res = await res.next();
  }
  return { values: res.values, waits };
}

function device(clock: ManualClock, opts: { answerAfterMs?: number; badAnswers?: number } = {}) {
  const sent: number[] = [];
  let answerAt: number | undefined;
  let bad = 0;
  return {
    sent,
    options: {
      clock,
      timeoutMs: 100,
      retries: 2,
      pollMs: 20,
      what: 'test part',
      send: async () => {
        sent.push(clock.monoMs());
        answerAt = opts.answerAfterMs === undefined ? undefined : clock.monoMs() + opts.answerAfterMs;
        if ((opts.badAnswers ?? 0) > sent.length - 1) bad++;
      },
      take: () => (answerAt !== undefined && clock.monoMs() >= answerAt ? 42 : undefined),
      checksumErrors: () => bad,
      done: (v: number) => ({ values: [{ channel: 'x', value: v }] }),
    },
  };
}

describe('exchange', () => {
  it('polls at pollMs and returns as soon as the answer is there', async () => {
    const clock = new ManualClock();
    const d = device(clock, { answerAfterMs: 50 });
    const { values, waits } = await drive(exchange(d.options), clock);
    expect(values).toEqual([{ channel: 'x', value: 42 }]);
    expect(waits).toEqual([20, 20, 20]);
    expect(d.sent).toEqual([0]);
  });

  it('re-sends after each timeout, at most `retries` times, then DEVICE_TIMEOUT', async () => {
    const clock = new ManualClock();
    const d = device(clock);
    const err = await drive(exchange(d.options), clock).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DEVICE_TIMEOUT', retryable: true, details: { attempts: 3, timeoutMs: 100 } });
    expect(d.sent).toEqual([0, 100, 200]);
    expect(clock.monoMs()).toBe(300);
  });

  it('a timeout after answers that failed their checksum is SERIAL_CHECKSUM', async () => {
    const clock = new ManualClock();
    const d = device(clock, { badAnswers: 3 });
    await expect(drive(exchange(d.options), clock)).rejects.toMatchObject({ code: 'SERIAL_CHECKSUM', details: { attempts: 3, checksumErrors: 3 } });
  });

  it('a typed fault from take() (an exception answer) ends the exchange at once', async () => {
    const clock = new ManualClock();
    const d = device(clock);
    const o = { ...d.options, take: () => { throw Object.assign(new Error('exception 2'), { code: 'MODBUS_EXCEPTION' }); } };
    await expect(drive(exchange(o), clock)).rejects.toMatchObject({ code: 'MODBUS_EXCEPTION' });
    expect(d.sent).toEqual([0]);
  });

  it('two devices on one shared line take turns: the second waits for the first to finish', async () => {
    const clock = new ManualClock();
    const link = {} as SerialLink;
    const a = device(clock, { answerAfterMs: 30 });
    const b = device(clock, { answerAfterMs: 30 });
    const ra = await exchange({ ...a.options, lease: { link, owner: 'a' } });
    const rb = await exchange({ ...b.options, lease: { link, owner: 'b' } });
    expect(a.sent).toEqual([0]);
    expect(b.sent).toEqual([]); // a holds the line
    await drive(ra, clock); // a's answer at 30 ms, seen at 40 ms; the line is free again
    await drive(rb, clock);
    expect(b.sent).toHaveLength(1);
    expect(b.sent[0]).toBeGreaterThanOrEqual(40);
  });

  it('a lease abandoned by a timed-out runner expires by clock time', async () => {
    const clock = new ManualClock();
    const link = {} as SerialLink;
    const a = device(clock);
    await exchange({ ...a.options, lease: { link, owner: 'a' } }); // never driven further
    const b = device(clock, { answerAfterMs: 0 });
    const rb = await exchange({ ...b.options, lease: { link, owner: 'b' } });
    expect(b.sent).toEqual([]);
    const { values } = await drive(rb, clock);
    expect(values).toEqual([{ channel: 'x', value: 42 }]);
    expect(b.sent[0]).toBeGreaterThanOrEqual(320); // 100 ms × 3 attempts + one poll
  });
});
