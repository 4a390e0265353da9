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
    this.held++;
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => {
        this.held--;
      },
      () => {
        this.held--;
      },
    );
    return result;
  }
}
