import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { passphraseProblem, setPassphrase } from '../../firmware/site/auth.js';
import { profileOrExit } from '../profile-arg.js';

/** Read one line from stdin; on a terminal without echo (the passphrase never shows). */
function readLine(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
    const out = rl as unknown as { _writeToOutput?: (s: string) => void; output?: NodeJS.WritableStream };
    if (process.stdin.isTTY) {
      process.stdout.write(prompt);
      out._writeToOutput = () => {};
    }
    rl.once('line', (line) => {
      resolve(line); // before close(), whose 'close' event would resolve with ''
      rl.close();
      if (process.stdin.isTTY) process.stdout.write('\n');
    });
    rl.once('close', () => resolve(''));
  });
}

export function registerSite(program: Command): void {
  const site = program.command('site').description('the on-site technician page (docs/site.md)');
  site
    .command('passphrase')
    .description("set the box's technician passphrase (scrypt hash in the state directory); reads it from the terminal, or one line from stdin")
    .option('-p, --profile <file>', 'profile YAML file (its storage.dir holds the hash)', '/etc/edgefw/profile.yaml')
    .option('--data-dir <dir>', 'override storage.dir of the profile')
    .action(async (opts: { profile: string; dataDir?: string }) => {
      const profile = profileOrExit(opts.profile);
      if (!profile) return;
      const dir = opts.dataDir ?? profile.storage.dir;
      const pw = await readLine('New technician passphrase: ');
      const problem = passphraseProblem(pw);
      if (problem) {
        console.error(`site passphrase: ${problem}`);
        process.exitCode = 2;
        return;
      }
      if (process.stdin.isTTY && (await readLine('Again: ')) !== pw) {
        console.error('site passphrase: the two entries differ; nothing changed');
        process.exitCode = 2;
        return;
      }
      try {
        const file = await setPassphrase(dir, pw);
        console.log(`technician passphrase set (${file}); open sessions stay valid until they expire`);
      } catch (e) {
        console.error(`site passphrase: cannot write in ${dir}: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });
}
