import { describe, expect, it } from 'vitest';
import { REMOVED, redact, scrubUrls } from '../../firmware/support/redact.js';

describe('support bundle redaction', () => {
  it('removes values under secret keys at any depth, keeps the rest', () => {
    const out = redact({
      box: { id: 'kiosk-17' },
      uplink: { url: 'mqtts://broker.city:8883', username: 'kiosk', password: 'p4ss', keepalive: 30_000 },
      commands: { trust: [{ name: 'platform', key: 'AAAA', allow: ['diag'] }] },
      extra: { apiKey: 'x', token: 'y', client_secret: 'z', passphrase: 'w', privateKeyFile: '/etc/k', keyFile: '/etc/k.pub' },
      nothing: null,
    }) as Record<string, Record<string, unknown>>;
    expect(out.uplink).toEqual({ url: 'mqtts://broker.city:8883', username: 'kiosk', password: REMOVED, keepalive: 30_000 });
    expect((out.commands?.trust as Record<string, unknown>[])[0]).toEqual({ name: 'platform', key: REMOVED, allow: ['diag'] });
    expect(out.extra).toEqual({ apiKey: REMOVED, token: REMOVED, client_secret: REMOVED, passphrase: REMOVED, privateKeyFile: REMOVED, keyFile: '/etc/k.pub' });
    expect(out.nothing).toBeNull();
  });

  it('removes credentials inside URLs anywhere in a text', () => {
    expect(scrubUrls('mqtt://ops:s3cret@10.0.0.5:1883 unreachable; ws://a:b@h/x and http://plain.host/')).toBe(`mqtt://${REMOVED}@10.0.0.5:1883 unreachable; ws://${REMOVED}@h/x and http://plain.host/`);
    expect(redact(['mqtt://u:p@h'])).toEqual([`mqtt://${REMOVED}@h`]);
  });

  it('is bounded in depth', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = { a: deep };
    expect(JSON.stringify(redact(deep))).toContain(REMOVED);
  });
});
