/**
 * Typed device errors. A driver names what went wrong with a stable code; the runtime decides
 * what to do (retry, mark the device degraded or failed, raise a fault from the catalogue).
 *
 * Every code here has an entry in the fault catalogue (firmware/diagnostics/catalog.ts); a test
 * fails if one is missing, so a new code cannot reach a technician without a remedy.
 */
export const DEVICE_ERROR_CODES = [
  'I2C_NACK', // no acknowledge from the address: unplugged, wrong address, no power
  'I2C_BUS_ERROR', // EREMOTEIO / EIO mid-transfer: loose wire, clock-stretching bug
  'I2C_BUS_MISSING', // /dev/i2c-N does not exist: interface not enabled
  'WRONG_CHIP_ID', // something answers at the address but it is not the part the profile names
  'CRC_MISMATCH', // a checksum over returned data did not verify
  'DEVICE_TIMEOUT', // a read did not finish within its timeout
  'DEVICE_BUSY', // the part refused a command because it is busy (e.g. measuring)
  'BAD_RESPONSE', // bytes arrived but make no sense (reserved values, impossible codes)
  'SERIAL_CHECKSUM',
  'SERIAL_PORT_LOST',
  'SERIAL_NO_DATA',
  'GPIO_UNAVAILABLE',
  'FIRMATA_LOST',
  'MODBUS_EXCEPTION', // a Modbus slave answered a request with an exception code
  'DEVICE_FAULT', // anything a driver cannot classify more precisely
] as const;

export type DeviceErrorCode = (typeof DEVICE_ERROR_CODES)[number];

export interface DeviceErrorOptions {
  /** true when trying the same operation again may succeed (a glitch, not a wrong part). */
  readonly retryable?: boolean;
  readonly cause?: unknown;
  /** structured context for logs and fault events (address, register, raw bytes ...) */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class DeviceError extends Error {
  readonly code: DeviceErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: DeviceErrorCode, message: string, options: DeviceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeviceError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isDeviceError(e: unknown): e is DeviceError {
  return e instanceof DeviceError;
}

/** Wrap anything thrown by a driver or library so the runtime only ever sees DeviceError. */
export function toDeviceError(e: unknown, fallback: DeviceErrorCode = 'DEVICE_FAULT'): DeviceError {
  if (e instanceof DeviceError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new DeviceError(fallback, message, { cause: e, retryable: true });
}
