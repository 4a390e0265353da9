import { type BindingLoader, BindingSerialLink, type PortConstructor, type SerialBinding, type SerialLink, type SerialPortSpec } from './serial.js';

let loaded: ReturnType<BindingLoader> | undefined;

/**
 * The native binding (`@serialport/bindings-cpp`, prebuilt for linux x64/arm/arm64), loaded on
 * first open so a profile without serial devices never pays for it. A socat pty pair is a real
 * port to this binding: baud timing is not emulated and DTR/RTS ioctls fail there, nothing else
 * differs.
 */
export function nativeSerialBinding(): ReturnType<BindingLoader> {
  loaded ??= import('serialport').then((m) => ({
    binding: m.SerialPort.binding as unknown as SerialBinding,
    Port: m.SerialPort as unknown as PortConstructor,
  }));
  return loaded;
}

/** A link to a real port (a USB adapter, the Pi's UART, or one end of a pty pair). */
export function openRealSerialLink(spec: SerialPortSpec): SerialLink {
  return new BindingSerialLink(spec, nativeSerialBinding);
}
