import type { Component, FaultCode } from '../catalog.js';

/** One fault in one language: what a technician reads on the page and in docs/faults.<lang>.md. */
export interface FaultText {
  /** a few words: "Sensor not answering" */
  readonly title: string;
  /** one line: what the box observed */
  readonly description: string;
  /** most likely first */
  readonly causes: readonly string[];
  /** the remedy as numbered steps, in order */
  readonly steps: readonly string[];
  /** the check that proves it fixed; default: the component's text in `verifyDefault` */
  readonly verify?: string;
}

/** Every text the technician page shows outside the fault catalogue. */
export const PAGE_KEYS = [
  'title', 'overview', 'devices', 'faults', 'actions', 'commissioning', 'language',
  'box', 'site', 'firmware', 'boot', 'uptime', 'clock', 'clockTrusted', 'clockUntrusted', 'broker', 'connected', 'disconnected',
  'outbox', 'waiting', 'dropped', 'host', 'cpuTemp', 'throttling', 'throttleNone', 'throttleNow', 'throttleSinceBoot', 'disk', 'memory', 'rss', 'notAvailable',
  'live', 'offline', 'state', 'value', 'age', 'wiring', 'lastError', 'noValues', 'secondsAgo',
  'st_probing', 'st_ok', 'st_degraded', 'st_failed', 'st_recovering',
  'activeFaults', 'recentFaults', 'noFaults', 'noRecent', 'severity', 'since', 'cleared', 'subject', 'remedy', 'verify', 'causes', 'count',
  'sev_critical', 'sev_error', 'sev_warning', 'sev_info',
  'login', 'logout', 'who', 'passphrase', 'loginNeeded', 'loggedInAs', 'wrongPassphrase', 'tooManyAttempts', 'noPassphraseSet', 'sessionNeeded',
  'selfTest', 'runSelfTest', 'i2cScan', 'runI2cScan', 'serialProbe', 'port', 'runSerialProbe', 'reprobe', 'reprobeHint', 'running', 'busy', 'result', 'failed',
  'pass', 'warn', 'fail', 'actionLog', 'supportBundle', 'downloadBundle', 'outputsAbsent', 'acknowledge', 'acknowledged', 'outputs', 'switchOn', 'switchOff', 'holdFor', 'minutes',
  'commissionIntro', 'expected', 'found', 'missing', 'commissionRun', 'commissioned', 'notCommissioned', 'commissionAllPass', 'commissionFix',
  // docs/faults.<lang>.md
  'docTitle', 'docIntro', 'docCode', 'docComponent', 'docObserved', 'docOrder', 'lcDefault', 'lcRaise', 'lcClear', 'lcLatch',
] as const;
export type PageKey = (typeof PAGE_KEYS)[number];

/**
 * A language: one file in this folder named by its tag (vi.ts, de.ts), default-exporting an
 * object that satisfies `Translation`. TypeScript refuses a file that misses a fault code or a
 * page text; firmware/diagnostics/i18n/index.ts finds the file by itself.
 */
export interface Translation {
  /** BCP 47 tag: "vi" */
  readonly lang: string;
  /** the language's own name: "Tiếng Việt" */
  readonly name: string;
  readonly page: Readonly<Record<PageKey, string>>;
  readonly verifyDefault: Readonly<Record<Component, string>>;
  readonly faults: Readonly<Record<FaultCode, FaultText>>;
}
