import type { Command } from 'commander';
import { createLogger } from '../../firmware/log.js';
import { Runtime } from '../../firmware/runtime.js';
import { LiveConsole } from '../console.js';
import { profileOrExit } from '../profile-arg.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the box: sample devices, check them, publish to MQTT')
    .requiredOption('-p, --profile <file>', 'profile YAML file (on a box: /etc/edgefw/profile.yaml)')
    .option('--console', 'print live readings to the terminal every 2 s')
    .option('--data-dir <dir>', 'override storage.dir of the profile')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace', 'info')
    .action(async (opts: { profile: string; console?: boolean; dataDir?: string; logLevel: string }) => {
      let profile = profileOrExit(opts.profile);
      if (!profile) return;
      if (opts.dataDir) profile = { ...profile, storage: { ...profile.storage, dir: opts.dataDir } };
      const log = createLogger({ level: opts.logLevel });
      const live = opts.console ? new LiveConsole() : undefined;
      const runtime = new Runtime({ profile, log, ...(live ? { onSample: (s) => live.sample(s) } : {}) });

      let exiting = false;
      const shutdown = (signal: string): void => {
        if (exiting) return;
        exiting = true;
        log.info({ signal }, 'shutting down');
        // the runtime stops within ~1.5 s; never hang a systemd stop past 2 s
        const force = setTimeout(() => process.exit(0), 1900);
        force.unref();
        void runtime.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));

      try {
        await runtime.start();
      } catch (e) {
        log.fatal({ err: e }, 'could not start');
        await runtime.stop();
        process.exit(1);
      }
      if (live) runtime.scheduler.every('console', 2000, () => live.print(runtime.status()), { phaseMs: 2000 });
    });
}
