/**
 * Preload for `bench footprint`'s module count: `node --import <this file> …` with
 * EDGEFW_MODULES_OUT=<file> writes, on SIGUSR2 (or EDGEFW_MODULES_AFTER_MS after start), every
 * module the main thread has loaded, as a JSON list of file URLs: ES modules seen by a load hook
 * and CommonJS modules in require.cache.
 * Worker threads run this preload too (they inherit execArgv) and count nothing.
 */
import { writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, isMainThread } from 'node:worker_threads';

const out = process.env.EDGEFW_MODULES_OUT;
if (isMainThread && out) {
  const esm = new Set<string>();
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url: string) => esm.add(url));
  port1.unref();
  register('./count-modules-hooks.js', import.meta.url, { data: { port: port2 }, transferList: [port2] });
  const require = createRequire(import.meta.url);
  const dump = (): void => {
    const cjs = Object.keys(require.cache).map((p) => pathToFileURL(p).href);
    const all = [...new Set([...esm, ...cjs])].filter((u) => u.startsWith('file:') && !u.includes('/count-modules'));
    writeFileSync(out, JSON.stringify(all));
  };
  process.on('SIGUSR2', dump);
  if (process.env.EDGEFW_MODULES_AFTER_MS) setTimeout(dump, Number(process.env.EDGEFW_MODULES_AFTER_MS)).unref();
}
