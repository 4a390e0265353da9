import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { brokerTransport } from '../../config/secrets.js';
import { requestServiceDiag } from '../../firmware/diagnostics/broker-probe.js';
import type { DiagReport } from '../../firmware/diagnostics/diag.js';
import { buildSupportBundle } from '../../firmware/support/bundle.js';
import { profileOrExit } from '../profile-arg.js';
import { pinnedBoxKey, senderKey } from '../command-keys.js';
import { runDiag } from './diag.js';

export function registerSupportBundle(program: Command): void {
  program
    .command('support-bundle')
    .description('write a .tar.gz with run records, recent logs, the diag report, versions and the profile with secrets removed')
    .option('-p, --profile <file>', 'profile YAML file', '/etc/edgefw/profile.yaml')
    .option('-o, --output <path>', 'file or directory to write (default: the current directory)', '.')
    .option('--no-diag', 'leave out the diag report (no broker round trip, no hardware probe)')
    .action(async (opts: { profile: string; output: string; diag: boolean }) => {
      const profile = profileOrExit(opts.profile);
      if (!profile) return;
      let diag: DiagReport | undefined;
      if (opts.diag) {
        // the running service's own report when it runs (it owns the buses), else a standalone diag
        // (signed with the box key, readable on the box; the reply must be signed by the box)
        const key = senderKey(undefined, profile);
        const boxKey = pinnedBoxKey(undefined, profile);
        try {
          if (typeof key !== 'string' && typeof boxKey !== 'string') {
            const asked = await requestServiceDiag({
              ...brokerTransport(profile),
              base: `${profile.uplink.topicPrefix}/${profile.box.id}`, box: profile.box.id, key, ...(boxKey ? { boxKey } : {}),
            });
            if (asked.note) console.error(`support-bundle: ${asked.note}`);
            diag = asked.report;
          }
          diag ??= await runDiag(profile, { scan: true });
        } catch (e) {
          console.error(`support-bundle: diag failed (${(e as Error).message}); the bundle goes without it`);
        }
      }
      const b = await buildSupportBundle({ profile, ...(diag ? { diag } : {}), requestedBy: `edgefw support-bundle (${process.env.USER ?? 'unknown user'})` });
      const target = /\.tar\.gz$|\.tgz$/.test(opts.output) ? opts.output : join(opts.output, b.fileName);
      try {
        writeFileSync(target, b.data, { mode: 0o600 });
      } catch (e) {
        console.error(`support-bundle: cannot write ${target}: ${(e as Error).message}`);
        process.exitCode = 1;
        return;
      }
      console.log(`${target}  (${Math.ceil(b.data.length / 1024)} KiB, ${b.entries.length} files${diag ? `, diag ${diag.verdict}` : ', no diag'})`);
      process.exit(0);
    });
}
