import type { Component, FaultCode } from '../catalog.js';
import type { PageKey } from './types.js';

/**
 * English: the base language. Descriptions, causes and remedies are the catalogue's own
 * (firmware/diagnostics/catalog.ts); this file adds the short titles, the check that proves a
 * fault fixed, and the page texts. Other languages translate everything (see types.ts).
 */
export const EN_PAGE: Readonly<Record<PageKey, string>> = {
  title: 'Technician page', overview: 'Overview', devices: 'Devices', faults: 'Faults', actions: 'Actions', commissioning: 'Commissioning', language: 'Language',
  box: 'Box', site: 'Site', firmware: 'Firmware', boot: 'Boot', uptime: 'Uptime', clock: 'Clock', clockTrusted: 'trusted', clockUntrusted: 'not synchronised',
  broker: 'Broker', connected: 'connected', disconnected: 'not connected', outbox: 'Outbox', waiting: 'waiting', dropped: 'dropped', host: 'Host',
  cpuTemp: 'CPU temperature', throttling: 'Throttling', throttleNone: 'none', throttleNow: 'now', throttleSinceBoot: 'since boot', disk: 'Disk free', memory: 'Memory available', rss: 'edgefw memory', notAvailable: 'n/a',
  live: 'live', offline: 'connection to the box lost, retrying…', state: 'State', value: 'Value', age: 'Age', wiring: 'Wiring', lastError: 'Last error', noValues: 'no reading yet', secondsAgo: '{n} s ago',
  st_probing: 'probing', st_ok: 'ok', st_degraded: 'degraded', st_failed: 'failed', st_recovering: 'recovering',
  activeFaults: 'Active faults', recentFaults: 'Recently cleared', noFaults: 'No active faults.', noRecent: 'Nothing cleared recently.', severity: 'Severity', since: 'Since', cleared: 'Cleared', subject: 'Where', remedy: 'What to do', verify: 'How to prove it fixed', causes: 'Likely causes', count: 'Occurrences',
  sev_critical: 'critical', sev_error: 'error', sev_warning: 'warning', sev_info: 'info',
  login: 'Log in', logout: 'Log out', who: 'Your name', passphrase: 'Technician passphrase', loginNeeded: 'Log in to run actions.', loggedInAs: 'Logged in as {who}', wrongPassphrase: 'Wrong passphrase.', tooManyAttempts: 'Too many attempts: wait {n} s.', noPassphraseSet: 'No technician passphrase is set on this box: run `edgefw site passphrase` on it.', sessionNeeded: 'Your session has ended: log in again.',
  selfTest: 'Self-test', runSelfTest: 'Run self-test', i2cScan: 'I²C scan', runI2cScan: 'Scan the I²C buses', serialProbe: 'Serial probe', port: 'Port', runSerialProbe: 'Probe the port', reprobe: 'Re-probe', reprobeHint: 'Re-initialise one device now (after replugging it).', running: 'running…', busy: 'Another action is running; try again in a moment.', result: 'Result', failed: 'failed',
  pass: 'PASS', warn: 'WARN', fail: 'FAIL', actionLog: 'Action log', supportBundle: 'Support bundle', downloadBundle: 'Download support bundle', outputsAbsent: 'Acknowledging faults and switching outputs from this page needs signed-command permissions, which this firmware does not have yet.',
  commissionIntro: 'First visit: check every part the profile expects, fix what is missing, then record the commissioning report.', expected: 'Expected', found: 'found', missing: 'missing', commissionRun: 'Check and record', commissioned: 'This box is commissioned with its current profile.', notCommissioned: 'Not commissioned yet with this profile.', commissionAllPass: 'All checks pass: commissioning recorded.', commissionFix: 'Fix the FAIL lines below, then check again.',
  docTitle: 'Fault codes',
  docIntro: 'Every fault edgefw reports carries one of these stable codes, the device or component it concerns (the *subject*), a message with the details, first/last seen and a count. The box publishes the active set retained on `<prefix>/<box>/faults` and every transition on `<prefix>/<box>/faults/events`; `edgefw diag` and the technician page ([site.md](site.md)) show them with their remedies. See [diagnostics.md](diagnostics.md) for how to read them on site.',
  docCode: 'code', docComponent: 'component', docObserved: 'what the box observed', docOrder: 'Severities, most urgent first',
  lcDefault: 'raised on the first occurrence, cleared on the first good observation', lcRaise: 'raised after {n} occurrences in a row', lcClear: 'cleared after {n} good observations in a row', lcLatch: 'latched: stays until acknowledged (`edgefw ack` or cmd/ack)',
};

export const EN_VERIFY_DEFAULT: Readonly<Record<Component, string>> = {
  device: 'Press Re-probe for the device (or wait for its next probe): its state turns ok, a fresh value appears and the fault moves to "Recently cleared".',
  bus: 'Run the I²C scan: every expected address is found, and the device faults on this bus move to "Recently cleared".',
  uplink: 'Watch Overview: Broker shows connected and Outbox "waiting" falls towards 0.',
  storage: 'Run the self-test: the STORAGE lines PASS and the fault moves to "Recently cleared".',
  host: 'Run the self-test: the HOST lines PASS; the fault clears after the next health checks.',
  clock: 'Watch Overview: Clock shows trusted.',
  loop: 'Run the self-test and watch the fault list for a few minutes: the fault does not come back.',
  jobs: 'Wait for the job\'s next run: the fault clears on the next on-time run.',
  enclosure: 'Close the door: the fault moves to "Recently cleared".',
  config: 'Fix the profile, run `edgefw config check`, restart the service: the fault does not come back.',
};

/** Short titles (and where the default check does not fit, the check that proves it fixed). */
export const EN_FAULTS: Readonly<Record<FaultCode, { readonly title: string; readonly verify?: string }>> = {
  I2C_NACK: { title: 'Sensor not answering on I²C' },
  I2C_BUS_ERROR: { title: 'I²C transfer errors' },
  I2C_BUS_MISSING: { title: 'I²C bus missing', verify: 'After the reboot, run the I²C scan: the bus is listed and its parts are found.' },
  WRONG_CHIP_ID: { title: 'Wrong part at the address' },
  CRC_MISMATCH: { title: 'Checksum errors from the sensor' },
  DEVICE_TIMEOUT: { title: 'Device read timed out' },
  DEVICE_BUSY: { title: 'Device busy' },
  BAD_RESPONSE: { title: 'Impossible values from the device' },
  SERIAL_CHECKSUM: { title: 'Serial frames with bad checksums', verify: 'Run the serial probe on the port (with the service\'s device re-probed after): frames verify, and the fault moves to "Recently cleared".' },
  SERIAL_PORT_LOST: { title: 'Serial port gone' },
  SERIAL_NO_DATA: { title: 'Serial device silent' },
  GPIO_UNAVAILABLE: { title: 'GPIO line unavailable' },
  FIRMATA_LOST: { title: 'Microcontroller not answering' },
  MODBUS_EXCEPTION: { title: 'Meter refused the request' },
  DEVICE_FAULT: { title: 'Device error' },
  DEVICE_FAILED: { title: 'Device failed, being re-probed' },
  BROKER_UNREACHABLE: { title: 'Platform broker unreachable' },
  SENSOR_STUCK: { title: 'Sensor value frozen', verify: 'Watch the device\'s sparkline: the value moves again, and the fault moves to "Recently cleared".' },
  VALUE_OUT_OF_RANGE: { title: 'Value outside the allowed range', verify: 'Watch the device\'s values: two readings in range clear the fault.' },
  VALUE_RATE: { title: 'Value jumping too fast', verify: 'Watch the sparkline: no spikes for a few readings and the fault clears.' },
  SENSOR_STALE: { title: 'No recent reading' },
  DISK_LOW: { title: 'Disk nearly full' },
  STORAGE_UNWRITABLE: { title: 'Data directory not writable' },
  UNDERVOLTAGE: { title: 'Supply too weak now' },
  UNDERVOLTAGE_SINCE_BOOT: { title: 'Supply was too weak since boot', verify: 'Reboot the box with the new supply: the fault does not come back after the next health checks.' },
  CPU_THROTTLED: { title: 'CPU slowed down' },
  CPU_HOT: { title: 'CPU too hot' },
  MEMORY_LOW: { title: 'Memory low' },
  EVENT_LOOP_LAG: { title: 'Runtime blocked' },
  CLOCK_UNSYNCED: { title: 'Clock not synchronised' },
  GPS_DATE_IMPLAUSIBLE: { title: 'GPS date years off', verify: 'Watch Overview: Clock shows trusted, and the fault moves to "Recently cleared" once the receiver reports a plausible date.' },
  WARMUP_TOO_LONG: { title: 'Sensor never finishes warming up', verify: 'After power-cycling the sensor, watch the device: readings arrive within two minutes and the fault moves to "Recently cleared".' },
  JOB_MISSED: { title: 'Scheduled job missed' },
  SELF_TEST_FAILED: { title: 'Self-test failed', verify: 'Run the self-test: every line shows PASS or WARN and the fault moves to "Recently cleared".' },
  WATCHDOG_RESTART: { title: 'Box restarted itself', verify: 'Read the previous run\'s log (support bundle), then acknowledge the fault; it does not come back unless the box restarts again.' },
  LOOP_OVERRUN: { title: 'Sampling ticks skipped' },
  TAMPER_OPEN: { title: 'Door or panel open' },
  PROFILE_REJECTED: { title: 'Edited profile refused', verify: 'Reload again (`systemctl reload edgefw`): the fault moves to "Recently cleared".' },
  PROFILE_RESTART_PENDING: { title: 'Restart needed for profile changes', verify: 'After `systemctl restart edgefw`, the fault is not raised again.' },
  OUTBOX_DROPPING: { title: 'Readings being dropped', verify: 'Watch Overview: Broker connected, Outbox "dropped" stops rising and "waiting" falls.' },
  OUTBOX_DISK_FULL: { title: 'Disk full: readings in memory' },
  OUTBOX_READ_ONLY: { title: 'Disk read-only: readings in memory' },
  OUTBOX_CORRUPT: { title: 'Outbox file was corrupt' },
  OUTBOX_SEQ_JUMP: { title: 'Sequence numbers jumped to a fresh range', verify: 'Acknowledge the fault; after the next restart no new OUTBOX_SEQ_JUMP appears and the status lists no new fresh range.' },
  OUTBOX_IO_ERROR: { title: 'Storage I/O errors' },
  COMMANDS_REFUSED: { title: 'Many commands refused', verify: 'No new refusals on <prefix>/<box>/commands/events for 5 minutes: the fault clears by itself.' },
};
