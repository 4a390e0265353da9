import { describe, expect, it } from 'vitest';
import { parseProfileText } from '../../config/load.js';
import { problems } from '../helpers/profiles.js';

describe('GPIO and Firmata entries in a profile', () => {
  it('field mistakes name the path and what is allowed', () => {
    expect(problems('test/config/profiles/bad/gpio-firmata.yaml')).toEqual([
      'devices[2].line: GPIO40 is not a header line: use the BCM number 0..27 (GPIO17 is physical pin 11), not the pin or sysfs number',
      'devices[3].kind: "fan" is not one of "relay", "backlight"',
      'devices[3].safe: "closed" is not one of "off", "on"',
      'devices[5].analog[0].name: "Light" is not a channel name (lower-case letters, digits, _)',
      'devices[5].analog[0].pin: "A7x" is not an analog pin (A0..A15)',
      'devices[5].outputs[0].pin: pin 1 is not usable: 0 and 1 carry the USB serial link, boards have pins 2..69',
    ]);
  });

  it('references: a line used twice, an unknown or wrong-kind bus, a channel the kind does not have', () => {
    expect(problems('test/config/profiles/bad/gpio-references.yaml')).toEqual([
      'buses.gpio[1].name: bus name "i2c1" is used twice',
      'devices[1].line: GPIO5 on header is already used by device "door"',
      'devices[2].bus: "gpio0" is not a bus in buses.gpio (i2c1, header)',
      'devices[3].bus: "header" is a gpio bus; a bme280 sits on i2c',
      'devices[4].channels.motion: a gpio-input has no channel "motion" (open, changes)',
      'devices[5].tamper: tamper applies to a switch, not a button',
      'devices[6].outputs[0].name: channel name "level" is used twice on this board',
      "devices[6].outputs[1].safe: 0.5 needs pwm: true; an on/off output is safe 'off' or 'on'",
      'devices[6].timeout: 1000 ms cannot fit a Firmata handshake (an Uno resets when its port opens and answers after ~2 s; queryAfter is 2000 ms): set timeout: 10s',
    ]);
  });

  it('defaults: debounce and pulls per kind stay unset for the driver, durations in ms, analog pins as channel numbers', () => {
    const p = parseProfileText(`box: {id: b}
buses: {gpio: [{name: hdr, simulated: true}]}
devices:
  - {id: btn, type: gpio-input, bus: hdr, line: 27, kind: button, longPress: 2s}
  - {id: uno, type: firmata, path: sim:uno, simulated: true, timeout: 10s, analog: [{name: t, pin: A3}]}
`);
    expect(p.buses.gpio[0]).toEqual({ name: 'hdr', simulated: true, sysfsRoot: '/sys/class/gpio' });
    expect(p.devices[0]).toMatchObject({ longPress: 2000, tamper: false, pulsesPerUnit: 1 });
    expect(p.devices[0]).not.toHaveProperty('debounce');
    expect(p.devices[1]).toMatchObject({ baudRate: 57600, vref: 5, queryAfter: 2000, staleAfter: 3000, analog: [{ name: 't', pin: 3, unit: 'V' }], outputs: [] });
  });
});
