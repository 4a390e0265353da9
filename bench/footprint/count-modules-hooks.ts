/** Module load hook of count-modules.ts: reports each ES module URL the main thread loads. */
import type { MessagePort } from 'node:worker_threads';

let port: MessagePort | undefined;

export function initialize(data: { port: MessagePort }): void {
  port = data.port;
}

export async function load(url: string, context: unknown, next: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  port?.postMessage(url);
  return next(url, context);
}
