import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Start a worker from a module next to the caller. Compiled code runs the .js file; under the
 * test runner (TypeScript sources) the .ts file runs through tsx.
 */
export function startWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const ts = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}.${ts ? 'ts' : 'js'}`, callerUrl);
  return new Worker(url, ts ? { ...options, execArgv: ['--import', 'tsx'] } : options);
}
