import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import type { FirmataSimulator } from '../../drivers/firmata/simulator.js';
import { tempDir, track } from './scratch.js';

/**
 * A pseudo-terminal pair made by socat: `hostPath` for the driver (opened with the real native
 * serialport binding), `devicePath` for a simulator. stop() is a USB unplug mid-stream (socat
 * dies, both ends close with `disconnected: true`, the driver's read fails with EIO); start()
 * again with the same link names is a replug.
 */
export class PtyPair {
  private proc: ChildProcess | undefined;

  constructor(
    readonly hostPath: string,
    readonly devicePath: string,
  ) {}

  /**
   * A started pair in a fresh temporary directory; the directory goes and socat is killed when
   * the test (or, opened in a beforeAll, the file) ends, also when it fails.
   */
  static async open(): Promise<PtyPair> {
    const dir = tempDir('pty');
    const p = new PtyPair(join(dir, 'host'), join(dir, 'device'));
    await p.start();
    return p;
  }

  async start(): Promise<void> {
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.hostPath}`, `pty,raw,echo=0,link=${this.devicePath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = track(proc);
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // the links appear a moment before socat relays; wait for both
    for (let i = 0; i < 500; i++) {
      if (proc.exitCode !== null) throw new Error(`socat exited ${proc.exitCode} (is socat installed? apt-get install socat): ${stderr}`);
      if (existsSync(this.hostPath) && existsSync(this.devicePath) && stderr.includes('starting data transfer loop')) return;
      await sleep(10);
    }
    throw new Error(`socat did not create the pty pair within 5 s: ${stderr}`);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
    // a SIGKILLed socat cannot remove its links; stale links would point at dead ptys (EIO)
    rmSync(this.hostPath, { force: true });
    rmSync(this.devicePath, { force: true });
  }
}

/** Run a Firmata simulator on the device end of a pty pair through the real serialport binding. */
export class PtyBoard {
  private port: SerialPort | undefined;

  constructor(
    readonly sim: FirmataSimulator,
    readonly path: string,
  ) {}

  async open(): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: 57600, autoOpen: false });
    // socat creates the link a moment before the pty is usable; on a loaded machine retry briefly
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
        break;
      } catch (e) {
        if (attempt >= 50) throw e;
        await sleep(20);
      }
    }
    port.on('data', (b: Buffer) => this.sim.receive(b));
    port.on('error', () => undefined);
    port.on('close', () => {
      if (this.port === port) this.port = undefined;
    });
    this.port = port;
    this.sim.send = (bytes) => {
      if (this.port === port && port.isOpen) port.write(Buffer.from(bytes));
    };
    this.sim.reboot(true);
  }

  async close(): Promise<void> {
    const p = this.port;
    this.port = undefined;
    this.sim.send = () => undefined;
    if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
  }
}
