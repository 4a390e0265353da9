import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import type { UnixDgramSocket } from 'unix-dgram';

/**
 * sd_notify(3) from Node: one datagram per state change ("READY=1", "WATCHDOG=1", "STATUS=…",
 * "STOPPING=1") to the unix datagram socket systemd names in $NOTIFY_SOCKET. Node has no unix
 * datagram sockets, so:
 *  - a path socket (/run/systemd/notify, the usual case) is written with `unix-dgram`, a small
 *    native addon (no libsystemd needed). The datagram comes from our own pid, so the unit can
 *    keep the strict NotifyAccess=main.
 *  - an abstract socket ("@…", some containers) cannot be addressed by unix-dgram; there we run
 *    `systemd-notify --pid=<our pid>`, which needs NotifyAccess=all in the unit.
 * docs/architecture.md records why (and why not the `sd-notify` package, which links libsystemd).
 */
export interface Notifier {
  /** Send one notification; resolves when the datagram was handed to the kernel. */
  notify(state: string): Promise<void>;
  close(): void;
  readonly via: 'unix-dgram' | 'systemd-notify';
}

const require = createRequire(import.meta.url);

/** The notifier for $NOTIFY_SOCKET, or undefined when not started by systemd with Type=notify. */
export function systemdNotifier(env: NodeJS.ProcessEnv = process.env): Notifier | undefined {
  const path = env.NOTIFY_SOCKET;
  if (!path) return undefined;
  if (path.startsWith('@')) return subprocessNotifier(env);
  return dgramNotifier(path);
}

export function dgramNotifier(path: string): Notifier {
  // loaded lazily: a box not under systemd never loads the addon
  const unix = require('unix-dgram') as typeof import('unix-dgram').default;
  let sock: UnixDgramSocket | undefined;
  return {
    via: 'unix-dgram',
    notify(state) {
      sock ??= unix.createSocket('unix_dgram');
      const s = sock;
      const buf = Buffer.from(state, 'utf8');
      return new Promise((resolve, reject) => {
        s.send(buf, 0, buf.length, path, (err) => (err ? reject(new Error(`sd_notify to ${path}: ${err.message}`)) : resolve()));
      });
    },
    close() {
      sock?.close();
      sock = undefined;
    },
  };
}

export function subprocessNotifier(env: NodeJS.ProcessEnv = process.env, bin = 'systemd-notify'): Notifier {
  return {
    via: 'systemd-notify',
    notify(state) {
      return new Promise((resolve, reject) => {
        execFile(bin, [`--pid=${process.pid}`, ...state.split('\n')], { env, timeout: 5000 }, (err) => (err ? reject(err) : resolve()));
      });
    },
    close() {},
  };
}

/** WatchdogSec= as systemd passes it ($WATCHDOG_USEC, and $WATCHDOG_PID when it is for us), in ms. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== process.pid) return undefined;
  return usec / 1000;
}
