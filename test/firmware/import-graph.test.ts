import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The static import graph from an entry: every `import … from` / `export … from` that is not
 * type-only (those vanish at compile time). Dynamic `import()` is not followed: that is how the
 * composition root loads what a profile asks for.
 */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    const re = /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)';/gms;
    for (const m of src.matchAll(re)) {
      if (m[1]) continue; // import type … / export type …
      const spec = m[2] as string;
      if (!spec.startsWith('.')) continue; // packages are counted elsewhere
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (existsSync(target)) visit(target);
    }
  };
  visit(resolve(ROOT, entry));
  return new Set([...seen].map((f) => relative(ROOT, f)));
}

const isSimulatorLayer = (f: string): boolean => f.startsWith('drivers/sim/') || f.endsWith('/simulator.ts') || /\/sim-(scene|link)\.ts$/.test(f) || f === 'firmware/simulation.ts';

describe('the production import graph', () => {
  it('`edgefw run` loads no simulator unless a profile simulates something (simulators are their own layer)', () => {
    for (const entry of ['tools/cli.ts', 'tools/commands/run.ts', 'firmware/runtime.ts', 'firmware/buses.ts', 'drivers/registry.ts', 'config/load.ts']) {
      const sims = [...staticGraph(entry)].filter(isSimulatorLayer);
      expect(sims, `${entry} reaches the simulator layer statically`).toEqual([]);
    }
  });

  it('device definitions carry no simulator: every simulated part is in the simulator registry instead', async () => {
    const { DEVICE_TYPES } = await import('../../drivers/registry.js');
    const { SIMULATORS } = await import('../../drivers/sim/registry.js');
    for (const d of DEVICE_TYPES) {
      expect(d.i2c && 'simulator' in d.i2c, `${d.type}.i2c.simulator`).toBeFalsy();
      expect(d.serial && 'simulator' in d.serial, `${d.type}.serial.simulator`).toBeFalsy();
      // every I²C and serial part can still be simulated (demo, contract suites, `simulate serial`)
      if (d.i2c) expect(SIMULATORS[d.type]?.bus, d.type).toBe('i2c');
      if (d.serial) expect(SIMULATORS[d.type]?.bus, d.type).toBe('serial');
    }
    expect(Object.keys(SIMULATORS).every((t) => DEVICE_TYPES.some((d) => d.type === t)), 'a simulator for an unknown device type').toBe(true);
  });

  it('the graph walker sees a simulator where one is imported (the check above can fail)', () => {
    expect([...staticGraph('drivers/sim/registry.ts')].some(isSimulatorLayer)).toBe(true);
    expect([...staticGraph('firmware/simulation.ts')].filter((f) => f.endsWith('/simulator.ts')).length).toBeGreaterThan(5);
  });
});
