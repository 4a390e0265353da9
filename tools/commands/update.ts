import type { KeyObject } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type Layout, readState } from '../../firmware/lifecycle/state.js';
import { updateRecord } from '../../firmware/lifecycle/trial.js';
import { runGuard } from '../lifecycle/guard.js';
import { readPublicKeyFile } from '../../firmware/security/keys.js';
import { DEFAULT_TRIAL, manualRollback, runUpdate } from '../lifecycle/update.js';

interface Where {
  root: string;
  stateDir?: string;
  installDir?: string;
}

export function layoutOf(o: Where): Layout {
  return { installDir: o.installDir ?? join(o.root, 'opt/edgefw'), stateDir: o.stateDir ?? join(o.root, 'var/lib/edgefw') };
}

/** Release keys the box trusts: <root>/etc/edgefw/release-keys/*.pub (provision installs them). */
export function trustedReleaseKeys(root: string, extra: readonly string[] = []): KeyObject[] {
  const dir = join(root, 'etc/edgefw/release-keys');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.pub')).map((f) => join(dir, f)) : [];
  return [...files, ...extra].map((f) => readPublicKeyFile(f));
}

export function registerUpdate(program: Command): void {
  const cmd = program
    .command('update')
    .description('install a signed release bundle (file or http(s) URL) with health-gated commit and rollback (docs/install.md)')
    .argument('<bundle>', 'bundle file or URL')
    .option('--root <dir>', 'root of the box (a scratch tree in tests)', '/')
    .option('--state-dir <dir>', 'state directory (default <root>/var/lib/edgefw)')
    .option('--install-dir <dir>', 'install directory (default <root>/opt/edgefw)')
    .option('--trust <pub...>', 'release public key file(s), besides <root>/etc/edgefw/release-keys/*.pub')
    .option('--max-mb <n>', 'largest bundle to download, MB', '256')
    .option('--window <s>', 'each start of the new version must prove healthy within this, s', String(DEFAULT_TRIAL.windowMs / 1000))
    .option('--settle <s>', 'healthy without a break for this long commits, s', String(DEFAULT_TRIAL.settleMs / 1000))
    .option('--max-starts <n>', 'starts without a commit before rolling back', String(DEFAULT_TRIAL.maxStarts))
    .option('--no-restart', 'switch but do not restart the service')
    .option('--no-wait', 'do not wait for the verdict')
    .action(async (source: string, o: Where & { trust?: string[]; maxMb: string; window: string; settle: string; maxStarts: string; restart: boolean; wait: boolean }) => {
      const trial = { windowMs: Number(o.window) * 1000, settleMs: Number(o.settle) * 1000, maxStarts: Number(o.maxStarts) };
      if (![trial.windowMs, trial.settleMs, trial.maxStarts].every((x) => Number.isFinite(x) && x > 0) || trial.settleMs >= trial.windowMs) {
        console.error('--window, --settle and --max-starts must be positive numbers, and --settle shorter than --window');
        process.exitCode = 2;
        return;
      }
      const r = await runUpdate({
        layout: layoutOf(o),
        source,
        trusted: trustedReleaseKeys(o.root, o.trust),
        maxBytes: Number(o.maxMb) * 1024 * 1024,
        trial,
        restart: o.restart,
        wait: o.wait,
        say: (line) => console.log(line),
      });
      console.log(`update: ${r.state}${r.version ? ` ${r.version}` : ''} after ${(r.ms / 1000).toFixed(1)} s${r.reason ? ` (${r.reason})` : ''}`);
      process.exitCode = r.state === 'committed' || (r.state === 'trial' && !o.wait) || r.reason === 'already installed' ? 0 : 1;
    });

  cmd
    .command('status')
    .description('what runs, what was before, and the last update: the retained update record')
    .action((_o: unknown, sub: Command) => {
      const o = sub.optsWithGlobals<Where>();
      const s = readState(layoutOf(o).stateDir);
      if (!s) {
        console.log('no update journal (not provisioned with edgefw provision)');
        process.exitCode = 1;
        return;
      }
      console.log(JSON.stringify(JSON.parse(updateRecord(s, '-', s.state === 'trial' ? (s.trial?.version ?? s.committed) : s.committed)), null, 2));
    });

  cmd
    .command('rollback')
    .description('go back to the previous release by hand (then restart the service)')
    .action((_o: unknown, sub: Command) => {
      manualRollback(layoutOf(sub.optsWithGlobals<Where>()), (line) => console.log(line));
    });

  cmd
    .command('guard')
    .description("the service's start-up guard (ExecStartPre=): finish a switch, count trial starts, roll back")
    .action((_o: unknown, sub: Command) => {
      const o = sub.optsWithGlobals<Where>();
      const l = layoutOf(o);
      process.exitCode = runGuard(['--install-dir', l.installDir, '--state-dir', l.stateDir]);
    });
}
