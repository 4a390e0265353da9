import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../drivers/bus/clock.js';
import { readLastWall, saveLastWall } from '../../firmware/state/last-wall.js';
import { tempDir } from '../helpers/scratch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = tempDir('wall');
  dirs.push(d);
  return d;
};

describe('last wall time in the state directory (the clock floor of the next start)', () => {
  it('round-trips, and an absent or garbled file is unknown', () => {
    const d = tmp();
    expect(readLastWall(d)).toBeUndefined();
    expect(saveLastWall(d, Date.UTC(2027, 4, 1, 12))).toBe(true);
    expect(readLastWall(d)).toBe(Date.UTC(2027, 4, 1, 12));
    writeFileSync(join(d, 'last-wall-time'), 'yesterday\n');
    expect(readLastWall(d)).toBeUndefined();
  });

  it('a disk that refuses the write is reported, not thrown', () => {
    const errors: Error[] = [];
    expect(saveLastWall('/proc/edgefw-no-such-dir', 1, (e) => errors.push(e))).toBe(false);
    expect(errors).toHaveLength(1);
  });

  it('the floor only rises: the later of the build date and the last run', () => {
    const clock = new SystemClock({ floorMs: Date.UTC(2026, 10, 28) });
    clock.raiseFloor(Date.UTC(2025, 0, 1));
    expect(clock.floorMs()).toBe(Date.UTC(2026, 10, 28));
    clock.raiseFloor(Date.UTC(2027, 0, 1));
    expect(clock.floorMs()).toBe(Date.UTC(2027, 0, 1));
  });
});
