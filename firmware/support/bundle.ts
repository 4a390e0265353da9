import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { arch, hostname, platform, release } from 'node:os';
import { join } from 'node:path';
import type { Profile } from '../../config/schema.js';
import type { DiagReport } from '../diagnostics/diag.js';
import { profileHash } from '../diagnostics/diag.js';
import { FIRMWARE_VERSION } from '../version.js';
import { redact, scrubUrls } from './redact.js';
import { type TarEntry, tarGz } from './tar.js';

/** State-directory files a bundle carries (never the passphrase hash, never the outbox). */
const STATE_FILES = /^(run-state\.json|last-exit|boot-counter|update\.json|commissioned-[0-9a-f]+\.json|site-actions\.log(\.1)?)$/;
const FILE_MAX = 1024 * 1024;
const LOG_MAX = 4 * 1024 * 1024;
const LIBS = ['mqtt', 'serialport', 'johnny-five', 'i2c-bus', 'onoff', 'node-cron', 'better-sqlite3', 'aedes'];

export interface BundleInput {
  readonly profile: Profile;
  /** the diag report (from the running service, or a standalone run) */
  readonly diag?: DiagReport;
  /** the last health report, when a running service gave one */
  readonly health?: unknown;
  /** active faults, when known */
  readonly faults?: unknown;
  /** who asked for it (the page's technician, or "cli") */
  readonly requestedBy: string;
  /** recent service log lines; default: the systemd journal of edgefw.service when there is one */
  readonly logs?: () => Promise<string>;
}

export interface SupportBundle {
  readonly fileName: string;
  readonly data: Buffer;
  readonly entries: readonly string[];
}

function libVersion(name: string): string | undefined {
  for (const rel of [`../../node_modules/${name}/package.json`, `../../../node_modules/${name}/package.json`]) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version?: string }).version;
    } catch {
      /* try the next layout (source tree or dist/) */
    }
  }
  return undefined;
}

function osRelease(): string | undefined {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The last 2000 lines of the service's journal (bounded in time and size); a note when there is none. */
export function journalLogs(): Promise<string> {
  return new Promise((resolve) => {
    execFile('journalctl', ['-u', 'edgefw', '-n', '2000', '--no-pager', '-o', 'short-iso'], { timeout: 5000, maxBuffer: LOG_MAX }, (err, stdout) => {
      if (err && !stdout) resolve(`no journal available (${err.message.split('\n')[0]}); on a laptop the log is the terminal that ran \`edgefw run\`\n`);
      else resolve(stdout);
    });
  });
}

/**
 * The support bundle: one .tar.gz a technician sends to whoever helps them — run records, recent
 * logs, the diag report, versions and the profile with secrets removed. Shared by the page's
 * download button and `edgefw support-bundle`.
 */
export async function buildSupportBundle(input: BundleInput, nowMs = Date.now()): Promise<SupportBundle> {
  const { profile } = input;
  const stamp = new Date(nowMs).toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const root = `edgefw-support-${profile.box.id}-${stamp}`;
  const entries: TarEntry[] = [];
  const add = (name: string, data: string | Buffer): void => void entries.push({ name: `${root}/${name}`, data, mtimeS: nowMs / 1000 });
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

  add('versions.json', json({
    firmware: FIRMWARE_VERSION,
    node: process.version,
    platform: platform(),
    arch: arch(),
    kernel: release(),
    os: osRelease(),
    host: hostname(),
    profileHash: profileHash(profile),
    libraries: Object.fromEntries(LIBS.map((l) => [l, libVersion(l) ?? 'not installed'])),
  }));
  add('profile.redacted.json', json(redact(profile)));
  // reports quote URLs and error texts: the same redaction as the profile
  if (input.diag) add('diag.json', json(redact(input.diag)));
  if (input.health !== undefined) add('health.json', json(redact(input.health)));
  if (input.faults !== undefined) add('faults.json', json(redact(input.faults)));
  const dir = profile.storage.dir;
  const copied: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => STATE_FILES.test(n)).sort();
  } catch {
    /* no state directory yet: said in the README */
  }
  for (const n of names) {
    try {
      const p = join(dir, n);
      if (!statSync(p).isFile()) continue;
      const data = readFileSync(p);
      const text = data.toString('utf8');
      const safe = scrubUrls(text) === text ? data : Buffer.from(scrubUrls(text));
      add(`state/${n}`, safe.length > FILE_MAX ? data.subarray(data.length - FILE_MAX) : data);
      copied.push(n);
    } catch {
      /* unreadable: skipped */
    }
  }
  const logs = await (input.logs ?? journalLogs)();
  add('logs/service.log', scrubUrls(logs.length > LOG_MAX ? logs.slice(logs.length - LOG_MAX) : logs));
  add('README.txt', [
    `edgefw support bundle for box ${profile.box.id}${profile.box.site ? ` (${profile.box.site})` : ''}`,
    `made ${new Date(nowMs).toISOString()} by ${input.requestedBy}, firmware ${FIRMWARE_VERSION}`,
    '',
    'versions.json          firmware, Node, OS and library versions',
    'profile.redacted.json  the profile in use; passwords, tokens and URL credentials replaced by <removed>',
    input.diag ? `diag.json              the diag report (${input.diag.source}, verdict ${input.diag.verdict})` : 'diag.json              (not included: no diag report could be made)',
    input.health !== undefined ? 'health.json            the last host health report' : '',
    input.faults !== undefined ? 'faults.json            the faults active when the bundle was made' : '',
    `state/                 run records from ${dir}: ${copied.length ? copied.join(', ') : 'none found'}`,
    'logs/service.log       recent service log lines',
    '',
  ].filter((l) => l !== '').join('\n') + '\n');
  const data = await tarGz(entries);
  return { fileName: `${root}.tar.gz`, data, entries: entries.map((e) => e.name) };
}
