import { afterEach, describe, expect, it } from 'vitest';
import { johnnyFiveBoards } from '../../../drivers/firmata/connection.js';
import { CMD, SYSEX } from '../../../drivers/firmata/protocol.js';
import { scaleAnalog } from '../../../drivers/firmata/schema.js';
import { replugSimulatedBoard, unplugSimulatedBoard } from '../../../drivers/firmata/sim-link.js';
import { FirmataSimulator } from '../../../drivers/firmata/simulator.js';
import type { ReadResult } from '../../../drivers/types.js';
import { type FirmataRig, firmataRig } from '../../helpers/firmata.js';

const values = (r: ReadResult): Record<string, number> => {
  if (!('values' in r)) throw new Error('firmata reads never wait');
  return Object.fromEntries(r.values.map((v) => [v.channel, v.value]));
};

let rig: FirmataRig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

describe('Firmata simulator speaks StandardFirmata', () => {
  it('answers REPORT_VERSION, firmware, capability and analog-mapping queries with the recorded Uno bytes', () => {
    const sim = new FirmataSimulator();
    const out: number[][] = [];
    sim.send = (b) => out.push([...b]);
    sim.receive(Uint8Array.of(CMD.REPORT_VERSION));
    expect(out[0]).toEqual([0xf9, 0x02, 0x05]);
    sim.receive(Uint8Array.of(0xf0, SYSEX.REPORT_FIRMWARE, 0xf7));
    // F0 79 major minor "StandardFirmata.ino" as 7-bit pairs F7
    expect(out[1]?.slice(0, 6)).toEqual([0xf0, 0x79, 0x02, 0x05, 0x53, 0x00]);
    expect(out[1]?.at(-1)).toBe(0xf7);
    sim.receive(Uint8Array.of(0xf0, SYSEX.CAPABILITY_QUERY, 0xf7));
    const cap = out[2] as number[];
    // pins 0 and 1 (USB serial) have no modes: 7F 7F right after the header
    expect(cap.slice(0, 4)).toEqual([0xf0, 0x6c, 0x7f, 0x7f]);
    // pin 2: INPUT/1, OUTPUT/1, PULLUP/1
    expect(cap.slice(4, 11)).toEqual([0x00, 0x01, 0x01, 0x01, 0x0b, 0x01, 0x7f]);
    sim.receive(Uint8Array.of(0xf0, SYSEX.ANALOG_MAPPING_QUERY, 0xf7));
    expect(out[3]).toEqual([0xf0, 0x6a, ...Array(14).fill(0x7f), 0, 1, 2, 3, 4, 5, 0xf7]);
  });

  it('reports analog channels it was asked for, 14-bit LSB first: 512 on A0 is E0 00 04', () => {
    const sim = new FirmataSimulator();
    const out: number[][] = [];
    sim.send = (b) => out.push([...b]);
    sim.setAnalog(0, 512);
    sim.tick();
    expect(out).toEqual([]);
    sim.receive(Uint8Array.of(0xc0, 0x01));
    sim.tick();
    expect(out).toEqual([[0xe0, 0x00, 0x04]]);
    sim.receive(Uint8Array.of(0xc9, 0x01)); // A9 does not exist on an Uno
    expect(sim.violations).toEqual(['REPORT_ANALOG for channel 9: the board has A0..A5']);
  });

  it('refuses what the sketch refuses: a mode the pin lacks, a write to a pin that is not an output', () => {
    const sim = new FirmataSimulator();
    sim.receive(Uint8Array.of(CMD.SET_PIN_MODE, 7, 0x03)); // PWM on pin 7
    sim.receive(Uint8Array.of(CMD.SET_DIGITAL_PIN_VALUE, 8, 1));
    sim.receive(Uint8Array.of(0xe0 | 9, 0x7f, 0x01)); // PWM write before SET_PIN_MODE
    expect(sim.violations).toEqual(['pin 7 cannot be PWM', 'write to pin 8 in mode unset', 'PWM write to pin 9 in mode unset']);
  });
});

describe('Firmata board through johnny-five and firmata-io (mock binding)', () => {
  it('handshake: version, firmware name and capabilities reach the driver', async () => {
    rig = firmataRig({ analog: [{ name: 'light', pin: 'A0' }] });
    await rig.driver.init();
    await rig.settle();
    expect(rig.driver.describe()).toMatchObject({ part: 'Firmata board', firmware: 'StandardFirmata.ino', protocol: '2.5', handshakes: 1 });
    expect(rig.sim.seen.get('CAPABILITY_QUERY')).toBe(1);
    expect(rig.sim.seen.get('ANALOG_MAPPING_QUERY')).toBe(1);
    expect(rig.sim.reporting().analog).toEqual([0]);
    expect(rig.sim.violations).toEqual([]);
  });

  it('analog inputs are scaled to engineering units: 4–20 mA over 250 Ω, 0–100 °C, 3.0 V → 49.95 °C', async () => {
    rig = firmataRig({
      analog: [
        { name: 'water_temp', pin: 'A1', unit: '°C', volts: [1, 5], range: [0, 100] },
        { name: 'light', pin: 0 },
      ],
    });
    expect(rig.driver.channels).toEqual([
      // decimals: one 10-bit ADC step, 5 V / 1024 = 4.9 mV → 0.12 °C (1) and 0.0049 V (3)
      // a scaled input's plausible range is its transducer's: 4–20 mA → 0–100 °C (below 4 mA: a broken loop)
      { name: 'water_temp', unit: '°C', min: 0, max: 100, decimals: 1 },
      { name: 'light', unit: 'V', min: 0, max: expect.closeTo(4.995, 3), decimals: 3 },
    ]);
    await rig.driver.init();
    await rig.settle();
    rig.sim.setVoltage(1, 3.0); // ADC code floor(3.0 × 1024 / 5) = 614
    rig.sim.setVoltage(0, 1.25); // code 256
    rig.sim.tick();
    await rig.settle();
    const v = values(await rig.driver.read());
    expect(v.water_temp).toBeCloseTo(49.951, 3);
    expect(v.light).toBe(1.25);
    expect(scaleAnalog(614, { name: 'x', pin: 0, unit: '°C', volts: [1, 5], range: [0, 100] }, 5)).toBeCloseTo(49.951, 3);
  });

  it('digital inputs report, with the MCU pull-up, and changes are pushed', async () => {
    rig = firmataRig({ digital: [{ name: 'lid', pin: 7, pull: true }] });
    await rig.driver.init();
    await rig.settle();
    expect(rig.sim.modeOf(7)).toBe('PULLUP');
    expect(values(await rig.driver.read()).lid).toBe(1); // nothing connected: pull-up reads 1
    rig.sim.setInput(7, 0);
    rig.sim.tick();
    await rig.settle();
    expect(rig.pushed('lid')).toEqual([0]);
  });

  it('outputs: safe values right after the handshake, then set() with a reason; PWM as a 0..1 duty', async () => {
    rig = firmataRig({
      outputs: [
        { name: 'pump', pin: 8, safe: 'off' },
        { name: 'backlight', pin: 9, kind: 'backlight', pwm: true, safe: 0.2 },
      ],
    });
    await rig.driver.init();
    await rig.settle();
    expect(rig.sim.modeOf(8)).toBe('OUTPUT');
    expect(rig.sim.output(8)).toBe(0);
    expect(rig.sim.modeOf(9)).toBe('PWM');
    expect(rig.sim.output(9)).toBe(51); // 0.2 × 255
    const [pump, backlight] = rig.driver.outputs();
    await pump?.set('on', 'command 1');
    await backlight?.set(0.75, 'dusk');
    await rig.settle();
    expect(rig.sim.output(8)).toBe(1);
    expect(rig.sim.output(9)).toBe(191);
    expect(values(await rig.driver.read())).toEqual({ pump: 1, backlight: 0.75 });
    await expect(pump?.set(0.5, 'x')).rejects.toMatchObject({ code: 'DEVICE_FAULT' });
    await rig.driver.safeState();
    await rig.settle();
    expect([rig.sim.output(8), rig.sim.output(9)]).toEqual([0, 51]);
    expect(rig.pushed('pump')).toEqual([0, 1, 0]);
    expect(rig.sim.violations).toEqual([]);
  });

  it('a profile the board cannot do is refused with pin and modes, before any pin is touched', async () => {
    rig = firmataRig({ outputs: [{ name: 'fan', pin: 7, pwm: true }], analog: [{ name: 'x', pin: 'A9' }] });
    await expect(rig.driver.init()).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      message: expect.stringMatching(/output fan: pin 7 cannot be PWM \(board offers INPUT, OUTPUT, PULLUP\); analog x: A9 does not exist \(board has A0\.\.A5\)/),
    });
    expect(rig.sim.seen.get('SET_PIN_MODE')).toBeUndefined();
  });

  it('one pin in two roles is refused (A0 is pin 14 on an Uno)', async () => {
    rig = firmataRig({ digital: [{ name: 'lid', pin: 14 }], analog: [{ name: 'light', pin: 'A0' }] });
    await expect(rig.driver.init()).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringMatching(/analog light: pin 14 is already digital lid/) });
  });

  it('a board that stops reporting is FIRMATA_LOST after staleAfter', async () => {
    rig = firmataRig({ analog: [{ name: 'light', pin: 'A0' }], staleAfter: '3s' });
    await rig.driver.init();
    rig.sim.tick();
    await rig.settle();
    await rig.driver.read();
    rig.sim.mute = true;
    rig.clock.advance(3001);
    await expect(rig.driver.read()).rejects.toMatchObject({ code: 'FIRMATA_LOST', message: expect.stringMatching(/no report for A0 \(light\)/) });
  });

  it('a board that never answers the handshake leaves init pending until the runtime gives up; the next init starts clean', async () => {
    rig = firmataRig({ analog: [{ name: 'light', pin: 'A0' }] });
    rig.sim.mute = true;
    const first = rig.driver.init();
    let settled = false;
    first.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setTimeout(r, 300)); // past queryAfter: firmata asked again, nobody answered
    expect(settled).toBe(false);
    expect(rig.sim.seen.get('REPORT_VERSION')).toBe(1);
    rig.sim.mute = false;
    await rig.driver.init(); // the runtime's re-probe: closes the hung attempt, opens afresh
    await expect(first).rejects.toMatchObject({ code: 'FIRMATA_LOST' });
    expect(rig.driver.describe()).toMatchObject({ handshakes: 1 });
  });

  it('unplug: reads fail with FIRMATA_LOST at once; replug: reset + init handshake a fresh board, outputs safe again', async () => {
    rig = firmataRig({ analog: [{ name: 'light', pin: 'A0' }], outputs: [{ name: 'pump', pin: 8 }] });
    const boardsBefore = johnnyFiveBoards();
    await rig.driver.init();
    await rig.driver.outputs()[0]?.set('on', 'test');
    const listeners = rig.driver.listeners();
    unplugSimulatedBoard(rig.path);
    await rig.settle();
    await expect(rig.driver.read()).rejects.toMatchObject({ code: 'FIRMATA_LOST', message: expect.stringMatching(/disconnected/) });
    await expect(rig.driver.outputs()[0]?.set('on', 'x')).rejects.toMatchObject({ code: 'FIRMATA_LOST' });
    await rig.driver.reset();
    await expect(rig.driver.init()).rejects.toMatchObject({ code: 'FIRMATA_LOST', message: expect.stringMatching(/cannot open the port/) });
    replugSimulatedBoard(rig.path);
    await rig.driver.init();
    await rig.settle();
    rig.sim.setVoltage(0, 2.5);
    rig.sim.tick();
    await rig.settle();
    expect(values(await rig.driver.read())).toEqual({ light: 2.5, pump: 0 });
    expect(rig.driver.describe()).toMatchObject({ handshakes: 2 });
    expect(rig.driver.listeners()).toBe(listeners);
    expect(johnnyFiveBoards()).toBe(boardsBefore + 1);
  });
});
