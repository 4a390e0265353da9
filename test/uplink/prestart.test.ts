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
});
