/**
 * Something in the box's setup (a profile key, a command-line option) stops it from starting.
 * `edgefw run` prints the message as one line and exits 2; it is not a bug, so no stack trace.
 * The message starts with the key to change.
 */
export class StartupError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'StartupError';
  }
}
