import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type Done, finished, runCli } from '../helpers/cli.js';
import { Mosquitto, Recorder, freePort } from '../helpers/mosquitto.js';
import { probeBroker } from '../../firmware/diagnostics/broker-probe.js';
import { tempDir, track } from '../helpers/scratch.js';

/** A stack trace in a command's output: a bug, never a message for a field engineer. */
const STACK = /^\s+at .+(:\d+:\d+\)?|\(node:)/m;

/**
 * Bad input to the built CLI ends in one line that names what is wrong and where (the profile
 * key or the option), a non-zero exit code, and no stack trace.
 */
describe('bad input to the edgefw command line', () => {
  let dir: string;
  const profile = (name: string, lines: readonly string[]): string => {
    const f = join(dir, name);
    writeFileSync(f, ['box: { id: bad-input }', 'uplink: { url: "mqtt://127.0.0.1:9" }', ...lines, ''].join('\n'));
    return f;
  };
  const expectClean = (r: Done, pattern: RegExp): void => {
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).not.toMatch(STACK);
  };
  beforeAll(() => {
    dir = tempDir('badin');
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('storage.dir under /proc: refused at once (no endless mkdir at 100 % CPU), naming the key and /proc', async () => {
    const r = await runCli(['run', '--profile', profile('proc.yaml', ['storage: { dir: /proc/edgefw-data }'])], 15_000);
    expectClean(r, /^edgefw run: storage\.dir: "\/proc\/edgefw-data": \/proc does not accept new directories/m);
    expect(r.code).toBe(2);
  });

  it('storage.dir under a regular file, and --data-dir naming one', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a directory\n');
    const r = await runCli(['run', '--profile', profile('file.yaml', [`storage: { dir: "${file}/data" }`])]);
    expectClean(r, new RegExp(`^edgefw run: storage\\.dir: ".*plain-file/data": .*plain-file is a file, not a directory$`, 'm'));
    const d = await runCli(['run', '--profile', profile('ok.yaml', []), '--data-dir', file]);
    expectClean(d, /^edgefw run: --data-dir: ".*plain-file": .*plain-file is a file, not a directory$/m);
  });

  it('storage.dir the box may not write in (run as an unprivileged user)', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o755 }); // owned by root: the user nobody may not write here
    const child = track(spawn(process.execPath, [CLI, 'run', '--profile', profile('locked.yaml', [`storage: { dir: "${locked}/data" }`])], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] }));
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (b: Buffer) => (out.stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out.stderr += b.toString()));
    const r = await finished(Object.assign(child, { out }));
    expectClean(r, /^edgefw run: storage\.dir: ".*locked\/data": no permission to create .*locked\/data/m);
  });

  it('tail --url nonsense, run --log-level loud, config schema -o into a missing directory', async () => {
    expectClean(await runCli(['tail', '--url', 'nonsense']), /"nonsense" is not an MQTT URL \(write mqtt:\/\/host:port/);
    expectClean(await runCli(['run', '--profile', profile('lvl.yaml', []), '--log-level', 'loud']), /'--log-level <level>' argument 'loud' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent/);
    const s = await runCli(['config', 'schema', '-o', '/missing/dir/x.json']);
    expectClean(s, /^edgefw config schema: cannot write \/missing\/dir\/x\.json: the directory \/missing\/dir does not exist$/m);
    expect(s.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a taken port names the profile key to change', async () => {
    const taken: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const f = join(dir, 'port.yaml');
      writeFileSync(f, ['box: { id: bad-input }', `uplink: { embeddedBroker: { host: 127.0.0.1, port: ${port} } }`, `storage: { dir: "${join(dir, 'port-data')}" }`, ''].join('\n'));
      const r = await runCli(['run', '--profile', f]);
      expectClean(r, new RegExp(`^edgefw run: uplink\\.embeddedBroker\\.port: the embedded broker cannot listen: port ${port} on 127\\.0\\.0\\.1 is already in use`, 'm'));
      expect(r.code).toBe(2);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('uplink.url naming another broker next to uplink.embeddedBroker is refused, not silently ignored', async () => {
    const f = join(dir, 'both.yaml');
    writeFileSync(f, ['box: { id: bad-input }', 'uplink: { url: "mqtt://broker.city.example:1883", embeddedBroker: { port: 1884 } }', ''].join('\n'));
    const r = await runCli(['config', 'check', f]);
    expectClean(r, /uplink\.url: "mqtt:\/\/broker\.city\.example:1883" is not used: uplink\.embeddedBroker is set, so the box publishes only to its own broker \(mqtt:\/\/127\.0\.0\.1:1884\)/);
    // naming the embedded broker itself, or leaving the url out, is fine
    writeFileSync(f, ['box: { id: bad-input }', 'uplink: { url: "mqtt://127.0.0.1:1884", embeddedBroker: { port: 1884 } }', ''].join('\n'));
    expect((await runCli(['config', 'check', f])).code).toBe(0);
  });
});

describe('the diag broker echo', () => {
  it('is JSON naming its probe, on <p>/<box>/diag/echo/<probe>', async () => {
    const broker = await Mosquitto.start();
    const rec = await Recorder.connect(broker.url, 'edgefw/+/diag/echo/#');
    try {
      const r = await probeBroker({ url: broker.url, base: 'edgefw/kiosk-9', timeoutMs: 5000 });
      expect(r.ok).toBe(true);
      await rec.waitFor('echo', () => rec.messages.length > 0, 5000);
      const m = rec.messages[0];
      const probe = m?.topic.split('/').pop();
      expect(m?.topic).toMatch(/^edgefw\/kiosk-9\/diag\/echo\/[0-9a-f]{8}$/);
      expect(m?.payload).toEqual({ v: 1, probe, sent: expect.any(Number) });
    } finally {
      await rec.close();
      await broker.stop();
    }
  });
});
