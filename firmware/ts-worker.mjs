// Only for running the TypeScript sources (tests, tsx): a worker thread does not inherit the
// parent's loader, so register tsx here and then load the real worker module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__tsEntry);
