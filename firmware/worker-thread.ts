import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Start a worker from a module next to the caller. Compiled code (dist/, on the box) runs the
 * .js file directly; from TypeScript sources (tests) the .ts file is loaded through tsx by the
 * small ts-worker.mjs bootstrap, since a worker does not inherit its parent's loader.
 */
export function startWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options);
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const data: unknown = options.workerData ?? {};
  return new Worker(new URL('./ts-worker.mjs', import.meta.url), {
    ...options,
    workerData: { ...(data as Record<string, unknown>), __tsEntry: entry },
  });
}
