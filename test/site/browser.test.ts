/**
 * The technician page in a real browser: Debian's Chromium driven by playwright-core (no browser
 * download) against a running box on simulated buses with the embedded broker. Screenshots at
 * phone and laptop widths go to test-artifacts/site/ (gitignored).
 */
import { mkdirSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { I2cSimDevice } from '../../drivers/sim/i2c-target.js';
import { PASSPHRASE, type SiteBox, startSiteBox } from '../helpers/site.js';

/** The little of the DOM the page functions below touch (they run in the browser, not in Node). */
declare const document: { querySelector(s: string): { textContent: string | null } | null; readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number } };

const ARTIFACTS = 'test-artifacts/site';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('technician page in Chromium', () => {
  let box: SiteBox;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    box = await startSiteBox({ embeddedBroker: true, interval: '1s', allow: ['ack'] });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await box?.stop();
  });

  const env = (): I2cSimDevice => {
    const sim = box.runtime.simulator('env');
    if (!(sim instanceof I2cSimDevice)) throw new Error('env is not simulated');
    return sim;
  };
  const envRuns = (): number => box.runtime.devices.find((d) => d.id === 'env')?.taskStats()?.runs ?? 0;

  it('shows the box live: overview, devices with values, wiring and units, updated by server-sent events', async () => {
    await page.goto(box.base);
    await page.waitForSelector('[data-testid="device-env"] [data-testid="num-env-humidity"]');
    expect(await page.textContent('[data-testid="ov-box"] dd')).toBe('site-test-01');
    await page.waitForFunction(() => document.querySelector('[data-testid="ov-broker"] dd')?.textContent === 'connected');
    expect(await page.textContent('[data-testid="device-env"] .wiring')).toContain('i2c1 0x76');
    expect(await page.textContent('[data-testid="num-env-pressure"]')).toMatch(/^\d{3,4}\.\d{3} hPa$/); // the BME280 resolves 0.001 hPa (channel decimals)
    const first = await page.textContent('[data-testid="num-env-humidity"]');
    const uptime = await page.textContent('[data-testid="ov-uptime"] dd');
    await page.waitForFunction((v) => document.querySelector('[data-testid="num-env-humidity"]')?.textContent !== v, first, { timeout: 15_000 });
    expect(await page.textContent('[data-testid="ov-uptime"] dd')).not.toBe(uptime);
    expect(await page.getAttribute('[data-testid="live"]', 'class')).toContain('on');
  });

  it('refuses an action without a session and a wrong passphrase; runs the self-test after login', async () => {
    await page.click('[data-testid="selftest"]');
    await page.waitForSelector('[data-testid="action-error"]');
    expect(await page.textContent('[data-testid="action-error"]')).toMatch(/log in/i);
    const direct = await page.evaluate(async () => (await fetch('/api/actions/i2c-scan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    expect(direct).toBe(401);

    await page.fill('[data-testid="who"]', 'Trần Thị Mai');
    await page.fill('[data-testid="passphrase"]', 'not the passphrase');
    await page.click('[data-testid="login"]');
    await page.waitForFunction(() => (document.querySelector('[data-testid="login-error"]')?.textContent ?? '') !== '');
    expect(await page.textContent('[data-testid="login-error"]')).toBe('Wrong passphrase.');
    expect(await page.$('[data-testid="logged-in"]')).toBeNull();

    await page.waitForTimeout(1100); // the backoff after one wrong try
    await page.fill('[data-testid="passphrase"]', PASSPHRASE);
    await page.click('[data-testid="login"]');
    await page.waitForSelector('[data-testid="logged-in"]');
    expect(await page.textContent('[data-testid="logged-in"]')).toBe('Logged in as Trần Thị Mai');
    await page.click('[data-testid="selftest"]');
    await page.waitForSelector('[data-testid="verdict"]', { timeout: 20_000 });
    expect(['PASS', 'WARN', 'FAIL']).toContain(await page.textContent('[data-testid="verdict"]'));
    expect(await page.textContent('[data-testid="result"]')).toContain('env');
  }, 40_000);

  it('shows an injected fault with its remedy within one sampling interval, in English and Vietnamese, and moves it to recent after recovery', async () => {
    const before = envRuns();
    env().faults.unplug();
    await page.waitForSelector('[data-testid="fault-I2C_NACK-env"]', { timeout: 15_000 });
    // counted on the scheduler: the fault is on the page before env's second tick after the unplug
    expect(envRuns() - before).toBeLessThanOrEqual(2);
    const steps = await page.$$eval('[data-testid="fault-I2C_NACK-env"] [data-testid="remedy-I2C_NACK"] li', (li) => li.map((x) => x.textContent));
    expect(steps[0]).toBe('Check the 4-wire cable (VCC, GND, SDA, SCL) and reseat it.');
    expect(await page.textContent('[data-testid="fault-I2C_NACK-env"] .verify')).toContain('Re-probe');
    await page.screenshot({ path: `${ARTIFACTS}/site-1280-fault.png`, fullPage: true });
    // site.http.allow: [ack] puts an Acknowledge button on the fault; it runs the box's ack command
    await page.click('[data-testid="ack-I2C_NACK-env"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="fault-I2C_NACK-env"]')?.textContent?.includes('acknowledged') === true);
    expect(box.runtime.faults.active().find((f) => f.code === 'I2C_NACK')?.acknowledged).toBe(true);

    await page.selectOption('[data-testid="lang"]', 'vi');
    await page.waitForFunction(() => document.querySelector('nav a')?.textContent === 'Tổng quan');
    await page.waitForFunction(() => document.querySelector('[data-testid="fault-I2C_NACK-env"] h3')?.textContent?.startsWith('Cảm biến không trả lời trên I²C') === true);
    expect(await page.textContent('[data-testid="remedy-I2C_NACK"] li')).toBe('Kiểm tra cáp 4 sợi (VCC, GND, SDA, SCL) và cắm lại cho chắc.');
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    await page.screenshot({ path: `${ARTIFACTS}/site-1280-vi.png`, fullPage: true });
    await page.selectOption('[data-testid="lang"]', 'en');
    await page.waitForFunction(() => document.querySelector('nav a')?.textContent === 'Overview');

    env().faults.replug();
    await page.click('[data-testid="reprobe"]'); // the technician's Re-probe after replugging (env is selected first)
    await page.waitForSelector('[data-testid="fault-I2C_NACK-env"]', { state: 'detached', timeout: 20_000 });
    await page.waitForSelector('[data-testid="recent-I2C_NACK-env"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="state-env"]')?.textContent === 'ok');
  }, 60_000);

  it('fits a 360 px phone screen: no sideways scrolling', async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 780 } });
    await phone.goto(box.base);
    await phone.waitForSelector('[data-testid="device-env"] [data-testid="num-env-humidity"]');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: `${ARTIFACTS}/site-360.png` });
    await phone.screenshot({ path: `${ARTIFACTS}/site-360-full.png`, fullPage: true });
    await page.screenshot({ path: `${ARTIFACTS}/site-1280.png` });
    await phone.close();
  });
});
