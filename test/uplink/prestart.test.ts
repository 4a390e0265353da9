import { describe, expect, it } from 'vitest';
import { prestartUplinkWorker, takeUplinkWorker } from '../../firmware/uplink/prestart.js';

describe('uplink worker started early by `edgefw run`', () => {
  it('is handed out once, referenced again, and answers its first message like a worker started late', async () => {
    expect(takeUplinkWorker()).toBeUndefined();
    prestartUplinkWorker();
    prestartUplinkWorker(); // a second call does not start a second thread
    const w = takeUplinkWorker();
    expect(w).toBeDefined();
    expect(takeUplinkWorker()).toBeUndefined();
    // the thread waits for `init`; `stop` before `init` must still answer `stopped`
    const stopped = new Promise<string>((resolve) => w?.on('message', (m: { t: string }) => m.t === 'stopped' && resolve(m.t)));
    w?.postMessage({ t: 'stop' });
    expect(await stopped).toBe('stopped');
    await w?.terminate();
  });

  it('is not handed out once it has ended: the runtime then starts a fresh thread and sees its failure itself', async () => {
    const w = prestartUplinkWorker();
    // end the early thread before anyone takes it, as a crash while loading would
    const ended = new Promise((resolve) => w.once('exit', resolve));
    await w.terminate();
    await ended;
    expect(takeUplinkWorker()).toBeUndefined();
    // the next start is a fresh thread again
    const again = prestartUplinkWorker();
    expect(again).not.toBe(w);
    expect(takeUplinkWorker()).toBe(again);
    await again.terminate();
  });
});
