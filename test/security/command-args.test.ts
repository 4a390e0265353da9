import { describe, expect, it } from 'vitest';
import { COMMAND_SPECS, checkArgs } from '../../firmware/commands/specs.js';

const msgs = (r: ReturnType<typeof checkArgs>): string[] => (r.success ? [] : r.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`));

describe('command arguments (checked in the uplink worker and for the technician page)', () => {
  it('accepts what each command documents and hands back only the known keys', () => {
    expect(checkArgs(COMMAND_SPECS.output.args, { device: 'relay', value: 'on', hold: 5000 })).toEqual({ success: true, data: { device: 'relay', value: 'on', hold: 5000 } });
    expect(checkArgs(COMMAND_SPECS.output.args, { device: 'backlight', output: 'pwm', value: 0.25 })).toEqual({ success: true, data: { device: 'backlight', output: 'pwm', value: 0.25 } });
    expect(checkArgs(COMMAND_SPECS.ack.args, {})).toEqual({ success: true, data: {} });
    expect(checkArgs(COMMAND_SPECS.ack.args, { code: 'I2C_NACK' })).toEqual({ success: true, data: { code: 'I2C_NACK' } });
    expect(checkArgs(COMMAND_SPECS.update.args, { url: 'https://fleet.example/edgefw.tar.gz', maxMb: 64 }).success).toBe(true);
  });

  it('refuses every bad argument with its name and why, without coercing anything', () => {
    expect(msgs(checkArgs(COMMAND_SPECS.diag.args, { verbose: true }))).toEqual(['verbose: unknown argument (known: none)']);
    expect(msgs(checkArgs(COMMAND_SPECS.output.args, { device: 'relay', value: 7 }))).toEqual(['value: expected "on", "off" or a number from 0 to 1, got 7']);
    expect(msgs(checkArgs(COMMAND_SPECS.output.args, { device: 'relay', value: '1' }))).toEqual(['value: expected "on", "off" or a number from 0 to 1, got "1"']);
    expect(msgs(checkArgs(COMMAND_SPECS.output.args, { value: 'on', hold: 1.5 }))).toEqual(['device: required', 'hold: expected a whole number, got 1.5']);
    expect(msgs(checkArgs(COMMAND_SPECS.output.args, { device: 'Relay!', value: 'off', hold: 100 }))).toEqual(['device: "Relay!" is not a device id', 'hold: expected 1000 to 86400000, got 100']);
    expect(msgs(checkArgs(COMMAND_SPECS.reprobe.args, { device: 42 }))).toEqual(['device: expected a string, got 42']);
    expect(msgs(checkArgs(COMMAND_SPECS.ack.args, { subject: '' }))).toEqual(['subject: at least 1 characters']);
    expect(msgs(checkArgs(COMMAND_SPECS.update.args, { url: 'file:///etc/passwd' }))).toEqual(['url: "file:///etc/passwd" is not an http:// or https:// URL of a bundle']);
    expect(msgs(checkArgs(COMMAND_SPECS.update.args, { url: `https://x/${'a'.repeat(3000)}` }))).toEqual(['url: at most 2048 characters']);
    expect(msgs(checkArgs(COMMAND_SPECS.update.args, { url: 'https://x/b', maxMb: Number.NaN }))).toEqual(['maxMb: expected a number, got NaN']);
    for (const bad of [null, [], 'on', 3]) expect(checkArgs(COMMAND_SPECS.ack.args, bad).success).toBe(false);
  });

  it('does not look up inherited keys (an argument named like an Object method is unknown)', () => {
    expect(msgs(checkArgs(COMMAND_SPECS.diag.args, JSON.parse('{"__proto__": {"x": 1}}')))).toEqual(['__proto__: unknown argument (known: none)']);
    expect(msgs(checkArgs(COMMAND_SPECS.diag.args, { toString: 'x' }))).toEqual(['toString: unknown argument (known: none)']);
  });
});
