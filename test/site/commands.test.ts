/**
 * Acknowledge and output from the technician page: the signed-command registry's own checks and
 * handlers (firmware/commands/), granted per box by site.http.allow, refused without it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SiteBox, http, login, post, startSiteBox } from '../helpers/site.js';

const RELAY = '  - { id: fan, type: gpio-output, bus: hdr, line: 18, kind: relay, safe: "off" }\n';

describe('technician page: ack and output, permitted by site.http.allow', () => {
  let box: SiteBox;
  let closed: SiteBox;
  beforeAll(async () => {
    box = await startSiteBox({ allow: ['ack', 'output'], extra: RELAY });
    closed = await startSiteBox({ extra: RELAY });
  });
  afterAll(async () => {
    await box?.stop();
    await closed?.stop();
  });

  const fan = (b: SiteBox): number | undefined => {
    const s = JSON.parse(JSON.stringify(b.runtime.site?.state.snapshot(undefined))) as { devices: { id: string; outputs: { name: string; value?: number }[] }[] };
    return s.devices.find((d) => d.id === 'fan')?.outputs[0]?.value;
  };

  it('acknowledges a latched fault for a logged-in technician, logged with the name of the technician', async () => {
    box.runtime.faults.raise({ code: 'WATCHDOG_RESTART', subject: 'runtime', message: 'previous run ended by the watchdog' });
    box.runtime.faults.clear('WATCHDOG_RESTART', 'runtime'); // latched: stays until acknowledged
    expect(box.runtime.faults.active().some((f) => f.code === 'WATCHDOG_RESTART')).toBe(true);
    const { cookie, csrf } = await login(box.port, 'Phạm Thu');
    const session = JSON.parse((await http(box.port, '/api/session', { headers: { cookie } })).body) as { allow: string[] };
    expect(session.allow).toEqual(['ack', 'output']);
    const r = await post(box.port, '/api/actions/ack', { code: 'WATCHDOG_RESTART', subject: 'runtime' }, { cookie, 'x-csrf-token': csrf });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, action: 'ack', result: { acknowledged: 1 } });
    expect(box.runtime.faults.active().some((f) => f.code === 'WATCHDOG_RESTART')).toBe(false);
    const bad = await post(box.port, '/api/actions/ack', { code: 'not a code' }, { cookie, 'x-csrf-token': csrf });
    expect(bad.status).toBe(400);
    const log = JSON.parse((await http(box.port, '/api/actions/log', { headers: { cookie } })).body).entries as { who: string; action: string }[];
    expect(log.slice(0, 2).map((e) => `${e.who} ${e.action}`)).toEqual(['Phạm Thu ack', 'Phạm Thu ack']);
  });

  it('switches an output for a bounded time; it falls back to its safe value when the hold ends', async () => {
    for (let i = 0; i < 100 && fan(box) === undefined; i++) await sleep(50);
    expect(fan(box)).toBe(0);
    const { cookie, csrf } = await login(box.port);
    const r = await post(box.port, '/api/actions/output', { device: 'fan', value: 'on', hold: 1000 }, { cookie, 'x-csrf-token': csrf });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).result).toMatchObject({ device: 'fan', value: 1, holdMs: 1000, safe: 0 });
    expect(fan(box)).toBe(1);
    for (let i = 0; i < 100 && fan(box) !== 0; i++) await sleep(50);
    expect(fan(box)).toBe(0);
    expect((await post(box.port, '/api/actions/output', { device: 'env', value: 'on' }, { cookie, 'x-csrf-token': csrf })).status).toBe(400);
    expect((await post(box.port, '/api/actions/output', { device: 'fan', value: 'on', hold: 10 }, { cookie, 'x-csrf-token': csrf })).status).toBe(400);
  });

  it('refuses both on a box whose profile does not allow them (403), even with a session', async () => {
    const { cookie, csrf } = await login(closed.port);
    expect(JSON.parse((await http(closed.port, '/api/session', { headers: { cookie } })).body).allow).toEqual([]);
    const ack = await post(closed.port, '/api/actions/ack', {}, { cookie, 'x-csrf-token': csrf });
    expect(ack.status).toBe(403);
    expect(JSON.parse(ack.body).error).toMatch(/site\.http\.allow/);
    expect((await post(closed.port, '/api/actions/output', { device: 'fan', value: 'on' }, { cookie, 'x-csrf-token': csrf })).status).toBe(403);
    expect(fan(closed)).not.toBe(1);
  });
});
