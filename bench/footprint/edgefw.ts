import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or installed package) root: the folder holding edgefw's package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'edgefw') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find edgefw package.json above the benchmark');
    dir = up;
  }
}

/** Node flags in bin/edgefw.js's shebang (`#!/usr/bin/env -S node --flag …`). */
export function launcherFlags(root = packageRoot()): string[] {
  const first = readFileSync(join(root, 'bin', 'edgefw.js'), 'utf8').split('\n')[0] ?? '';
  const m = /^#!.*\bnode((?:\s+--\S+)*)\s*$/.exec(first);
  return m?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

/**
 * How the systemd unit starts edgefw (tools/systemd/edgefw.service): its Environment= lines and
 * any node flags of its ExecStart=, so the benchmark runs the box as shipped, not as a guess.
 */
export function shippedLaunch(root = packageRoot()): { env: Record<string, string>; nodeArgs: string[] } {
  const unit = readFileSync(join(root, 'tools', 'systemd', 'edgefw.service'), 'utf8');
  const env: Record<string, string> = {};
  let nodeArgs: string[] = [];
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('Environment=')) {
      // Environment=A=1 "B=two words"
      for (const m of line.slice('Environment='.length).matchAll(/"([^"]*)"|(\S+)/g)) {
        const kv = m[1] ?? m[2] ?? '';
        const eq = kv.indexOf('=');
        if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
    } else if (line.startsWith('ExecStart=')) {
      const words = line.slice('ExecStart='.length).split(/\s+/);
      const node = words.findIndex((w) => /(^|\/)node$/.test(w));
      if (node >= 0) nodeArgs = words.slice(node + 1).filter((w, i, all) => w.startsWith('--') && all.slice(0, i).every((x) => x.startsWith('--')));
      // `edgefw run` through the installed command: the launcher's shebang carries the flags
      else if (words.some((w) => /(^|\/)edgefw$/.test(w))) nodeArgs = launcherFlags(root);
    }
  }
  return { env, nodeArgs };
}

/**
 * The job as an edgefw profile: `devices` simulated BME280s (two per simulated I²C bus, at 0x76
 * and 0x77) every `intervalMs`, the outbox on, batches of `batch`, no console. JSON is YAML.
 */
export function footprintProfile(o: { url: string; box: string; dataDir: string; devices: number; intervalMs: number; batch: number }): string {
  const buses = Math.ceil(o.devices / 2);
  return JSON.stringify({
    box: { id: o.box },
    uplink: { url: o.url, topicPrefix: 'bench', batch: { maxSamples: o.batch }, outbox: { enabled: true } },
    clock: { assumeTrusted: true },
    storage: { dir: o.dataDir },
    buses: { i2c: Array.from({ length: buses }, (_, b) => ({ name: `i2c${b}`, simulated: true })) },
    devices: Array.from({ length: o.devices }, (_, i) => ({
      id: `d${i}`, type: 'bme280', bus: `i2c${i % buses}`, address: i < buses ? 0x76 : 0x77, interval: o.intervalMs,
    })),
  }, null, 2);
}
