/**
 * Broker URL helpers with no dependencies: the uplink worker imports them, and must not pull in
 * the profile schema (and with it every driver) to print a URL.
 */

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether a host name or address is this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK.has(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The URL without user information, for logs, reports and error messages. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
}

/**
 * Warnings (not errors) about the transport: plain MQTT to another machine sends readings,
 * commands and the broker password in clear.
 */
export function transportWarnings(u: { url: string; username?: string | undefined; embeddedBroker?: unknown }): string[] {
  if (u.embeddedBroker) return [];
  const m = /^(mqtt|ws|tcp):\/\/(\[[^\]]+\]|[^:/]+)/i.exec(u.url);
  if (!m?.[2] || isLoopbackHost(m[2])) return [];
  const what = u.username ? 'readings, commands and the broker password' : 'readings and commands';
  return [`uplink.url: ${displayUrl(u.url)} is plain MQTT to another machine: ${what} cross the network unencrypted; use mqtts:// with uplink.tls (docs/security.md)`];
}
