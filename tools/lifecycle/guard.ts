import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { reconcile } from '../../firmware/lifecycle/state.js';

/**
 * The start-up guard, run before every start of the service (the unit's ExecStartPre=) from
 * the *committed* release, so a broken new release cannot break the code that rolls it back:
 *
 *   ExecStartPre=/usr/bin/node /opt/edgefw/committed/dist/tools/lifecycle/guard.js
 *
 * It imports nothing but the journal (firmware/lifecycle/state.ts) to start fast. It never
 * fails the start: a journal it cannot read is reported and the service starts what `current`
 * points at.
 */
export function runGuard(argv: readonly string[]): number {
  const arg = (name: string, dflt: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? (argv[i + 1] as string) : dflt;
  };
  const root = arg('--root', '/');
  const layout = { installDir: arg('--install-dir', join(root, 'opt/edgefw')), stateDir: arg('--state-dir', join(root, 'var/lib/edgefw')) };
  try {
    const r = reconcile(layout);
    const s = r.state;
    console.log(`edgefw guard: ${s ? `${s.state} ${s.version}, committed ${s.committed}` : 'no journal'}${r.actions.length ? `; ${r.actions.join('; ')}` : ''}`);
  } catch (e) {
    console.error(`edgefw guard: ${(e as Error).message}; starting what current points at`);
  }
  return 0;
}

// run as a script (through the `committed` link: compare real paths)
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) process.exitCode = runGuard(process.argv.slice(2));
