/**
 * A per-bus mutex. Multi-step transactions (write a command, wait, read the result) run inside
 * `run()` so two devices on one bus never interleave their bytes. FIFO, no timers.
 */
export class BusLock {
  private tail: Promise<void> = Promise.resolve();
  private held = 0;

  /** Number of transactions holding or waiting for the lock. */
  get depth(): number {
    return this.held;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    // free (nothing holds or waits): start at once rather than a promise turn later
    const result = this.held++ === 0 ? start(fn) : this.tail.then(fn);
    this.tail = result.then(this.release, this.release);
    return result;
  }

  /** made once: a transaction's end is not worth two closures per transfer */
  private readonly release = (): void => {
    this.held--;
  };
}

function start<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (e) {
    return Promise.reject(e);
  }
}
