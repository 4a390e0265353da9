import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { createLogger } from '../../firmware/log.js';
import type { Runtime } from '../../firmware/runtime.js';
import type { LiveConsole } from '../console.js';
import { checkProfileOffThread } from '../../config/check-thread.js';
import { ProfileError } from '../../config/errors.js';
import type { Profile } from '../../config/schema.js';
import type { Logger } from 'pino';
import { logLevelOption } from '../options.js';
import { StartupError } from '../../firmware/startup-error.js';
import { ensureDir } from '../../firmware/state/dirs.js';
import { STATE_UMASK } from '../../firmware/state/files.js';

/**
 * The profile of `edgefw run`, checked in a thread of its own (config/check-thread.ts): the
 * sampling thread never loads the YAML parser and the schemas. A bad profile prints every problem
 * with its path and sets exit code 2 (undefined is returned).
 */
async function checkedProfileOrExit(file: string): Promise<Profile | undefined> {
  try {
    return await checkProfileOffThread(file);
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    console.error(e.message);
    process.exitCode = 2;
    return undefined;
  }
}

/** SIGHUP: read and check the profile file again; apply it, or keep the running one and say why. */
async function reloadProfile(runtime: Runtime, file: string, dataDir: string | undefined, log: Logger): Promise<void> {
  let next;
  try {
    next = await checkProfileOffThread(file);
  } catch (e) {
    const problems = e instanceof ProfileError ? e.problems : [String((e as Error).message)];
    log.error({ file, problems }, `profile reload refused, still running the previous profile: ${problems.join('; ')}`);
    runtime.reloadRefused(file, problems);
    return;
  }
  if (dataDir) next = { ...next, storage: { ...next.storage, dir: dataDir } };
  try {
    const plan = runtime.reload(next, file);
    const applied = plan.live.map((c) => `${c.id}: ${[c.channels ? 'channels' : '', c.timing ? 'interval/timeout' : ''].filter(Boolean).join(', ') || 'name'}`);
    log.info({ file, applied, restartNeeded: plan.restart }, `profile reloaded: ${applied.length ? `applied live ${applied.join('; ')}` : 'nothing to apply live'}`);
    if (plan.restart.length > 0) log.warn({ file, restartNeeded: plan.restart }, `profile changes that need a restart (systemctl restart edgefw): ${plan.restart.join(', ')}`);
  } catch (e) {
    log.error({ file, err: e }, 'profile reload failed while applying; the box keeps running');
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the box: sample devices, check them, publish to MQTT')
    .requiredOption('-p, --profile <file>', 'profile YAML file (on a box: /etc/edgefw/profile.yaml)')
    .option('--console', 'print live readings to the terminal every 2 s')
    .option('--data-dir <dir>', 'override storage.dir of the profile')
    .addOption(logLevelOption())
    .action(async (opts: { profile: string; console?: boolean; dataDir?: string; logLevel: string }) => {
      // every file the box creates (outbox, records, keys) is 0640 or tighter, directories 0750,
      // also outside systemd (the unit sets UMask=0027 as well)
      process.umask(STATE_UMASK);
      // the runtime's modules load on this thread while another checks the profile
      const checking = checkedProfileOrExit(opts.profile);
      const [{ Runtime }, { LiveConsole }] = await Promise.all([import('../../firmware/runtime.js'), opts.console ? import('../console.js') : Promise.resolve({ LiveConsole: undefined })]);
      let profile = await checking;
      if (!profile) return;
      if (opts.dataDir) profile = { ...profile, storage: { ...profile.storage, dir: opts.dataDir } };
      try {
        ensureDir(profile.storage.dir, opts.dataDir ? '--data-dir' : 'storage.dir');
      } catch (e) {
        if (!(e instanceof StartupError)) throw e;
        console.error(`edgefw run: ${e.message}`);
        process.exitCode = 2;
        return;
      }
      const live = LiveConsole ? new LiveConsole() : undefined;
      // on a terminal the console redraws its table in place; log lines go above it
      const toConsole = live && process.stdout.isTTY ? new Writable({ write: (chunk: Buffer, _e, done) => (live.log(chunk.toString()), done()) }) : undefined;
      const log = createLogger({ level: opts.logLevel, ...(toConsole ? { destination: toConsole } : {}) });
      const runtime = new Runtime({ profile, log, ...(live ? { onSample: (s) => live.sample(s) } : {}) });

      let exiting = false;
      const shutdown = (signal: string): void => {
        if (exiting) return;
        exiting = true;
        log.info({ signal }, 'shutting down');
        // the runtime stops within ~1.5 s; never hang a systemd stop past 2 s
        const force = setTimeout(() => {
          log.warn('stop did not finish within 1.9 s; exiting now');
          process.exit(0);
        }, 1900);
        force.unref();
        void runtime.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      // SIGHUP (systemctl reload, or the ssh session that started us closed) reloads the profile;
      // it never stops the box. A reload during start waits for the start to finish.
      // One check at a time (each in its own short-lived thread); SIGHUPs during a check are one
      // more check after it, which reads the file as it is then.
      let started = false;
      let reloadWaiting = false;
      let reloading = false;
      const reload = (): void => {
        if (exiting) return;
        if (!started || reloading) {
          reloadWaiting = true;
          return;
        }
        reloading = true;
        reloadWaiting = false;
        void reloadProfile(runtime, opts.profile, opts.dataDir, log).finally(() => {
          reloading = false;
          if (reloadWaiting) reload();
        });
      };
      process.on('SIGHUP', reload);
      // a closed terminal must not kill the box: writes to it fail with EIO/EPIPE, drop them
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

      try {
        await runtime.start();
      } catch (e) {
        await runtime.stop().catch(() => undefined);
        if (e instanceof StartupError) {
          // the box's setup, not a bug: one line naming the key to change, no stack trace
          log.fatal({ key: e.key }, `could not start: ${e.message}`);
          console.error(`edgefw run: ${e.message}`);
          process.exit(2);
        }
        log.fatal({ err: e }, 'could not start');
        process.exit(1);
      }
      started = true;
      if (reloadWaiting) reload();
      if (live) {
        for (const d of runtime.devices) live.setUnits(d.id, d.driver.channels);
        // the first table as soon as the loop runs (devices show "starting"), then every 2 s
        runtime.scheduler.every('console', 2000, () => live.print(runtime.status()), { phaseMs: 200 });
      }
    });
}
