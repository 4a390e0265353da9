import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProfileOffThread } from '../../config/check-thread.js';
import { ProfileError, loadProfile } from '../../config/load.js';
import { tempDir } from '../helpers/scratch.js';

const dir = tempDir('check-thread'); // removed when the file ends

describe('profile checked in a thread of its own (edgefw run, SIGHUP)', () => {
  it('gives the same profile as the loader on this thread, key for key', async () => {
    for (const f of ['config/profiles/demo.yaml', 'config/profiles/kiosk-pi.yaml']) {
      expect(await checkProfileOffThread(f)).toEqual(loadProfile(f));
    }
  });

  it('refuses a bad profile with the loader\'s own ProfileError: file and every problem with its path', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'box: { id: b1 }\nuplink: { url: "mqtt://127.0.0.1:1883" }\ndevices:\n  - { id: env, type: bme281, bus: i2c1 }\n');
    const sync = (() => {
      try {
        loadProfile(file);
      } catch (e) {
        return e as ProfileError;
      }
      throw new Error('the loader accepted a bad profile');
    })();
    const e = await checkProfileOffThread(file).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProfileError);
    expect((e as ProfileError).file).toBe(sync.file);
    expect((e as ProfileError).problems).toEqual(sync.problems);
    expect((e as ProfileError).problems.join('\n')).toContain('devices[0].type: "bme281" is not a known device type');
  });

  it('a missing file, a directory and YAML that is not a profile are ProfileErrors too, never a crash of the thread', async () => {
    for (const [file, text] of [[join(dir, 'missing.yaml'), undefined], [dir, undefined], [join(dir, 'list.yaml'), '- a\n- b\n'], [join(dir, 'broken.yaml'), 'box: { id: [\n']] as const) {
      if (text !== undefined) writeFileSync(file, text);
      const e = await checkProfileOffThread(file).catch((x: unknown) => x);
      expect(e, file).toBeInstanceOf(ProfileError);
      expect((e as ProfileError).problems.length, file).toBeGreaterThan(0);
    }
  });
});
