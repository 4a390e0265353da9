import { describe, expect, it } from 'vitest';
import { DEVICE_PARTS } from '../../drivers/parts.js';
import { DEVICE_TYPES } from '../../drivers/registry.js';

describe('device types: the parts the sampling thread loads and the definitions the profile check uses', () => {
  it('list the same types in the same order, and each definition is its part plus an options shape', () => {
    expect(DEVICE_PARTS.map((p) => p.type)).toEqual(DEVICE_TYPES.map((d) => d.type));
    DEVICE_TYPES.forEach((d, i) => {
      const part = DEVICE_PARTS[i];
      const { options, ...rest } = d;
      expect(Object.keys(options).length, `${d.type} has profile options`).toBeGreaterThan(0);
      expect(rest, d.type).toEqual(part);
      expect(Object.hasOwn(part as object, 'options'), `${d.type} part carries no schema`).toBe(false);
    });
  });
});
