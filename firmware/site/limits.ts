/** What one client may cost the technician page (and so the box). */
export const LIMITS = {
  maxHeaderBytes: 8192,
  maxHeaders: 40,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5000,
  maxBodyBytes: 2048,
  /** connections one (non-loopback) address may hold; the rest of site.http.maxConnections stays free for others */
  maxConnectionsPerClient: 8,
  maxEventStreams: 8,
  /** an event-stream client that has not read this much is dropped (a stalled phone, a hostile reader) */
  maxUnreadBytes: 256 * 1024,
  /** the sampling thread sends the page state this often (and at once on a fault change) */
  pushIntervalMs: 2000,
} as const;
