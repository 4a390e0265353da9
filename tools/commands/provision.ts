import type { Command } from 'commander';
import { ProfileError } from '../../config/load.js';
import { KeyFileError, readPublicKeyFile } from '../../firmware/security/keys.js';
import { boxKeySource } from '../lifecycle/provision/box-key.js';
import { applyPlan, planProvision } from '../lifecycle/provision/provision.js';
import { BundleRefused } from '../lifecycle/release.js';

export function registerProvision(program: Command): void {
  program
    .command('provision')
    .description('set up a box: service user and groups, state directory, release, systemd unit, udev rules, Pi boot settings, identity key + CSR, profile, trust list (docs/install.md)')
    .requiredOption('-p, --profile <file>', 'the profile of this box (validated first)')
    .option('-b, --bundle <file>', 'release bundle to install (edgefw bundle)')
    .option('--release-key <pub...>', 'release public key(s) the box accepts bundles from (.pub of edgefw bundle keygen)')
    .option('--org <name>', "O= of the certificate signing request (the city or operator)")
    .option('--root <dir>', 'root of the box (a scratch tree: every step without touching this machine)', '/')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--check', 'report drift from the provisioned state; exit code 3 when something differs')
    .action(async (o: { profile: string; bundle?: string; releaseKey?: string[]; org?: string; root: string; dryRun?: boolean; check?: boolean }) => {
      try {
        const releaseKeys = (o.releaseKey ?? []).map((f) => readPublicKeyFile(f));
        const plan = await planProvision({ root: o.root, profile: o.profile, releaseKeys, boxKeys: boxKeySource, ...(o.bundle ? { bundle: o.bundle } : {}), ...(o.org ? { organisation: o.org } : {}) });
        for (const n of plan.notes) console.log(`note: ${n}`);
        if (plan.changes.length === 0) {
          console.log(o.check ? 'no drift: the box matches its provisioning' : 'nothing to change: the box is already provisioned as asked');
          return;
        }
        if (o.check || o.dryRun) {
          console.log(o.check ? `drift: ${plan.changes.length} difference(s)` : `plan: ${plan.changes.length} change(s)`);
          for (const c of plan.changes) {
            console.log(`• ${c.what}`);
            if (c.diff) console.log(c.diff);
          }
          if (o.check) process.exitCode = 3;
          return;
        }
        await applyPlan(plan, (line) => console.log(line));
        console.log(`provisioned: ${plan.changes.length} change(s). Send ${plan.csrFile} to the city's CA; a second run changes nothing.`);
      } catch (e) {
        if (e instanceof ProfileError || e instanceof KeyFileError) {
          console.error(e.message);
          process.exitCode = 2;
        } else if (e instanceof BundleRefused) {
          console.error(`bundle refused (${e.reason}): ${e.message}`);
          process.exitCode = 1;
        } else throw e;
      }
    });
}
