import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ProfileError, loadProfile } from '../../config/load.js';
import { profileJsonSchema } from '../../config/json-schema.js';
import { readTransportFiles } from '../../config/secrets.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('validate profiles and export the profile schema');

  config
    .command('check')
    .description('validate a profile; lists every problem and exits 1 if there is any')
    .argument('<file>', 'profile YAML file')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      try {
        const profile = loadProfile(file);
        // the files the uplink names (password, CA, certificate, key) are read and checked as at start
        const files = profile.uplink.embeddedBroker ? { problems: [], warnings: [] } : readTransportFiles(profile.uplink);
        if (files.problems.length > 0) throw new ProfileError(file, files.problems);
        const summary = { file, ok: true, box: profile.box.id, devices: profile.devices.map((d) => `${d.id} (${d.type})`), warnings: files.warnings };
        if (opts.json) console.log(JSON.stringify(summary, null, 2));
        else {
          console.log(`${file}: ok — box ${profile.box.id}, ${profile.devices.length} device(s): ${summary.devices.join(', ')}`);
          for (const w of files.warnings) console.log(`WARN ${w}`);
        }
      } catch (e) {
        if (!(e instanceof ProfileError)) throw e;
        if (opts.json) console.log(JSON.stringify({ file, ok: false, problems: e.problems }, null, 2));
        else console.error(e.message);
        process.exitCode = 1;
      }
    });

  config
    .command('schema')
    .description('print (or write) the JSON Schema of profiles, for editor completion')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action((opts: { output?: string }) => {
      const text = `${JSON.stringify(profileJsonSchema(), null, 2)}\n`;
      if (!opts.output) {
        process.stdout.write(text);
        return;
      }
      try {
        writeFileSync(opts.output, text);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const why = err.code === 'ENOENT' ? `the directory ${dirname(resolve(opts.output))} does not exist` : err.code === 'EISDIR' ? 'it is a directory' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? err.message);
        console.error(`edgefw config schema: cannot write ${opts.output}: ${why}`);
        process.exitCode = 1;
      }
    });
}
