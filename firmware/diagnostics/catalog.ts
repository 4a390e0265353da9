import type { DeviceErrorCode } from '../../drivers/errors.js';
import { TRANSPORT_FAULTS } from './catalog-transport.js';

export type Severity = 'info' | 'warning' | 'error' | 'critical';
export type Component = 'device' | 'bus' | 'uplink' | 'storage' | 'host' | 'clock' | 'loop' | 'jobs' | 'enclosure' | 'config';

export interface FaultDefinition {
  readonly severity: Severity;
  readonly component: Component;
  /** one line: what the box observed */
  readonly description: string;
  /** what usually causes it, most likely first */
  readonly causes: readonly string[];
  /** what a technician on site (or the platform) should do, in order */
  readonly remedy: string;
  /** Lifecycle (firmware/diagnostics/registry.ts). Raise only after this many consecutive occurrences (debounce); default 1. */
  readonly raiseAfter?: number;
  /** Clear only after this many consecutive good observations (hysteresis); default 1. */
  readonly clearAfter?: number;
  /** Stay active after the condition is gone until someone acknowledges it (`edgefw ack`, cmd/ack). */
  readonly latch?: boolean;
}

/**
 * The fault catalogue. Codes are stable: the platform, dashboards and technicians' checklists
 * key on them. Never rename or reuse a code; add new ones. docs/faults.md is generated from this
 * table (`npm run docs:faults`) and a test fails when the committed file is stale.
 */
const DEVICE_FAULTS: Record<DeviceErrorCode, FaultDefinition> = {
  I2C_NACK: {
    severity: 'error',
    component: 'device',
    description: 'The device does not acknowledge its I²C address.',
    causes: ['sensor unplugged or connector loose', 'no supply voltage at the sensor', 'wrong address strap (SDO/ADDR pin) for the profile'],
    remedy: 'Check the 4-wire cable (VCC, GND, SDA, SCL) and reseat it; measure 3.3 V at the sensor; run `edgefw scan i2c` and compare the address with the profile.',
  },
  I2C_BUS_ERROR: {
    severity: 'warning',
    component: 'bus',
    description: 'An I²C transfer failed mid-way (EREMOTEIO/EIO).',
    causes: ['loose or long wiring, missing pull-ups', 'Raspberry Pi clock-stretching bug with this sensor', 'electrical noise near relays or motors'],
    remedy: 'Shorten and reseat the I²C wiring, check pull-ups (4.7 kΩ to 3.3 V); if it persists, lower the bus speed (dtparam=i2c_arm_baudrate=50000).',
  },
  I2C_BUS_MISSING: {
    severity: 'critical',
    component: 'bus',
    description: 'The I²C adapter (/dev/i2c-N) does not exist.',
    causes: ['I²C interface not enabled', 'wrong bus number in the profile'],
    remedy: 'Enable I²C (raspi-config → Interface Options → I2C, or dtparam=i2c_arm=on in config.txt), reboot, and check `ls /dev/i2c-*` against buses.i2c[].bus.',
  },
  WRONG_CHIP_ID: {
    severity: 'error',
    component: 'device',
    description: 'A part answers at the address, but its chip id is not the part the profile names.',
    causes: ['a different sensor was fitted (e.g. BMP280 instead of BME280)', 'two parts share the address', 'counterfeit part'],
    remedy: 'Read the part marking, compare with the profile; fix the profile type/variant or fit the right sensor. `edgefw scan i2c` names what it found.',
  },
  CRC_MISMATCH: {
    severity: 'warning',
    component: 'device',
    description: 'Data from the device failed its checksum.',
    causes: ['noise on a long cable', 'loose connector', 'failing sensor'],
    remedy: 'Reseat and shorten the cable, route it away from mains and relay wiring; replace the sensor if errors continue.',
  },
  DEVICE_TIMEOUT: {
    severity: 'error',
    component: 'device',
    description: 'A read did not finish within its timeout.',
    causes: ['device hung and needs a power cycle', 'bus held low by a faulty part', 'timeout shorter than the conversion time'],
    remedy: 'Power-cycle the box; if one sensor keeps timing out, unplug it and see whether the others recover; check the device timeout in the profile.',
  },
  DEVICE_BUSY: {
    severity: 'warning',
    component: 'device',
    description: 'The device refused a command because it was busy.',
    causes: ['interval shorter than the measurement time', 'another controller on the bus'],
    remedy: 'Raise the device interval in the profile to at least the datasheet measurement time.',
  },
  BAD_RESPONSE: {
    severity: 'warning',
    component: 'device',
    description: 'The device returned values that cannot be a measurement (reset values, floating bus).',
    causes: ['device reset by a brown-out', 'bus noise', 'sensor failing'],
    remedy: 'Check the supply (under-voltage faults?) and the wiring; replace the sensor if it persists.',
  },
  SERIAL_CHECKSUM: {
    severity: 'warning',
    component: 'device',
    description: 'Frames from a serial device fail their checksum.',
    causes: ['wrong baud rate', 'noise or ground loop on the UART cable', '5 V device on 3.3 V pins without level shifting'],
    remedy: 'Check baud rate and wiring (TX↔RX crossed, common ground); run `edgefw probe serial --path …` to see what arrives.',
  },
  SERIAL_PORT_LOST: {
    severity: 'error',
    component: 'device',
    description: 'The serial port went away (unplugged USB adapter or cable).',
    causes: ['USB adapter unplugged or loose', 'under-voltage resetting the USB hub', 'port path changed (use /dev/serial/by-id/…)'],
    remedy: 'Reseat the USB adapter; use the /dev/serial/by-id/ path in the profile; check for under-voltage faults.',
  },
  SERIAL_NO_DATA: {
    severity: 'error',
    component: 'device',
    description: 'A serial device stopped sending frames.',
    causes: ['sensor asleep or unpowered', 'TX/RX swapped', 'wrong baud rate'],
    remedy: 'Check the sensor supply and fan; verify TX/RX and baud with `edgefw probe serial`.',
  },
  GPIO_UNAVAILABLE: {
    severity: 'critical',
    component: 'device',
    description: 'A GPIO line cannot be opened.',
    causes: ['sysfs GPIO missing on this kernel', 'line used by another program or overlay', 'wrong line number'],
    remedy: 'See docs/devices.md "GPIO line numbering"; check that no other service claims the line.',
  },
  FIRMATA_LOST: {
    severity: 'error',
    component: 'device',
    description: 'The Firmata microcontroller stopped answering or its port went away.',
    causes: ['USB cable unplugged', 'board reset or lost its StandardFirmata sketch', 'under-voltage'],
    remedy: 'Reseat the USB cable; reflash StandardFirmata if the board does not answer a handshake.',
  },
  MODBUS_EXCEPTION: {
    severity: 'error',
    component: 'device',
    description: 'A Modbus meter answered with an exception instead of register values.',
    causes: [
      'register address or function (3 holding / 4 input) in the profile does not match the meter manual (exception 2)',
      'two devices configured with the same unit id, or the wrong meter model',
      'meter busy or failing (exceptions 4, 6)',
    ],
    remedy: 'Compare registers[] in the profile with the meter manual (addresses are 0-based: 40001 is address 0); check the unit id on the meter display; the fault message names the function, address and exception code.',
  },
  DEVICE_FAULT: {
    severity: 'error',
    component: 'device',
    description: 'The device failed in a way its driver could not classify.',
    causes: ['see the fault message'],
    remedy: 'Read the message with `edgefw diag`; power-cycle the device; report the message if it persists.',
  },
};

const RUNTIME_FAULTS = {
  DEVICE_FAILED: {
    severity: 'error',
    component: 'device',
    description: 'A device failed repeatedly and is being re-probed with backoff.',
    causes: ['see the device fault raised with it'],
    remedy: 'Fix the underlying device fault; the runtime resumes the device by itself when it answers again.',
  },
  BROKER_UNREACHABLE: {
    severity: 'warning',
    component: 'uplink',
    description: 'The MQTT broker cannot be reached; readings are kept until it can.',
    causes: ['no network (4G/LAN down)', 'broker down or address wrong', 'credentials rejected'],
    remedy: 'Check the network link and `uplink.url`; `edgefw diag` shows the broker round trip. Readings are not lost while this lasts.',
  },
  SENSOR_STUCK: {
    severity: 'warning',
    component: 'device',
    description: 'A channel has reported exactly the same value for many samples in a row.',
    causes: ['sensor frozen (needs a power cycle)', 'sensor element covered or saturated', 'driver reading a cached register'],
    remedy: 'Check the sensor is exposed to what it measures (dust cap, sealed enclosure); power-cycle the box; replace the sensor if it stays frozen. The limit is channels.<name>.checks.stuck in the profile.',
  },
  VALUE_OUT_OF_RANGE: {
    severity: 'warning',
    component: 'device',
    description: 'A channel reported a value outside the range the profile allows.',
    causes: ['sensor fault or failing element', 'real extreme condition (heat, flooding)', 'range in the profile too narrow, or wrong units'],
    remedy: 'Compare with a reference instrument on site; if the reading is real, widen channels.<name>.checks.range in the profile; otherwise replace the sensor.',
    raiseAfter: 2,
  },
  VALUE_RATE: {
    severity: 'warning',
    component: 'device',
    description: 'A channel changed faster than physically plausible between two samples.',
    causes: ['loose connector giving spikes', 'electrical noise', 'sensor in direct sun, rain or an air vent'],
    remedy: 'Reseat the cable and check its routing; move the sensor away from vents and direct sun; adjust channels.<name>.checks.rate if the change is real.',
    clearAfter: 3,
  },
  SENSOR_STALE: {
    severity: 'warning',
    component: 'device',
    description: 'A channel has not delivered a reading for longer than the profile allows.',
    causes: ['device failed (see its device fault)', 'device interval longer than the staleness limit', 'event-only sensor that has gone quiet'],
    remedy: 'Look at the device faults raised with it; check channels.<name>.checks.staleMax against the device interval.',
  },
  DISK_LOW: {
    severity: 'error',
    component: 'storage',
    description: 'The data directory is nearly full; the outbox may soon be unable to keep readings.',
    causes: ['long network outage filling the outbox', 'logs or core dumps filling the SD card', 'SD card smaller than planned'],
    remedy: 'Free space (`journalctl --vacuum-size=50M`, remove old files under /var/log), check for a long broker outage, and fit a larger SD card if it recurs.',
    clearAfter: 2,
  },
  STORAGE_UNWRITABLE: {
    severity: 'critical',
    component: 'storage',
    description: 'The data directory cannot be written.',
    causes: ['SD card mounted read-only after errors', 'wrong owner or permissions on the data directory', 'disk completely full'],
    remedy: 'Check `mount | grep " / "` for ro; run `sudo chown -R edgefw: /var/lib/edgefw`; replace the SD card if the kernel log shows I/O errors.',
  },
  UNDERVOLTAGE: {
    severity: 'critical',
    component: 'host',
    description: 'The board supply is below the safe level now (Raspberry Pi under-voltage detected).',
    causes: ['power supply too weak or failing', 'long or thin USB power cable', 'USB devices drawing too much current'],
    remedy: 'Fit the recommended supply (5.1 V, 3 A for a Pi 4) and a short, thick cable; check the supply voltage under load; move power-hungry USB devices to a powered hub.',
    clearAfter: 3,
  },
  UNDERVOLTAGE_SINCE_BOOT: {
    severity: 'warning',
    component: 'host',
    description: 'Under-voltage occurred at some point since boot (it may not be happening now).',
    causes: ['supply sagging under peak load (Wi-Fi/4G bursts, relays)', 'brief mains dips'],
    remedy: 'Check the supply and cable as for UNDERVOLTAGE; the flag resets only at reboot.',
  },
  CPU_THROTTLED: {
    severity: 'warning',
    component: 'host',
    description: 'The CPU is being slowed down (throttled or frequency-capped) by the firmware.',
    causes: ['enclosure too hot (sun on the kiosk, blocked vents)', 'under-voltage'],
    remedy: 'Check vents, fan and heatsink; shade the enclosure; check CPU_HOT and UNDERVOLTAGE faults.',
  },
  CPU_HOT: {
    severity: 'warning',
    component: 'host',
    description: 'The CPU temperature is above the warning limit.',
    causes: ['enclosure in direct sun or vents blocked', 'fan failed', 'heatsink missing or loose'],
    remedy: 'Check the fan turns and vents are clear; fit a heatsink; shade the enclosure. The box throttles at 80–85 °C.',
    raiseAfter: 2,
    clearAfter: 3,
  },
  MEMORY_LOW: {
    severity: 'warning',
    component: 'host',
    description: 'Available memory is below the warning limit.',
    causes: ['another program on the box using memory', 'a memory leak (process RSS grows in the health report)'],
    remedy: 'Check `free -m` and `top`; stop unneeded services; report the RSS trend from the health report if edgefw itself grows.',
    raiseAfter: 2,
  },
  EVENT_LOOP_LAG: {
    severity: 'warning',
    component: 'loop',
    description: 'The runtime\'s event loop was blocked for longer than the warning limit.',
    causes: ['CPU overloaded by another process', 'slow SD card stalling the process', 'a software fault blocking the loop'],
    remedy: 'Check CPU load (`top`) and under-voltage/throttling faults; if it persists, collect the health report and report it.',
    raiseAfter: 2,
  },
  CLOCK_UNSYNCED: {
    severity: 'warning',
    component: 'clock',
    description: 'Wall-clock time is not synchronised (no NTP or GPS); readings carry monotonic time only.',
    causes: ['no network at boot, so NTP never synced', 'NTP blocked by the firewall (UDP 123)', 'no RTC battery on a box without network'],
    remedy: 'Check network and `timedatectl`; allow UDP 123 to the NTP server; readings are re-stamped once time is trusted.',
  },
  WARMUP_TOO_LONG: {
    severity: 'warning',
    component: 'device',
    description: 'A particulate or CO₂ sensor keeps sending well-formed all-zero frames, which mean "warming up, no measurement yet", for much longer than it ever needs (PMS5003 / SDS011: 2 min, MH-Z19B: 10 min). No readings are published from such frames.',
    causes: ['the fan of a particulate sensor does not turn (blocked, worn out, no 5 V)', 'the laser or the NDIR lamp has failed', 'the sensor is powered from a supply too weak for its fan or heater'],
    remedy: 'Listen for the fan and check the 5 V supply at the sensor under load; power-cycle the sensor. If the zeros continue, replace it. `edgefw diag` shows warmingUp and zeroFramesDropped for the device.',
  },
  GPS_DATE_IMPLAUSIBLE: {
    severity: 'warning',
    component: 'clock',
    description: 'The GPS receiver reports a date years away from what the box knows (its firmware build date and the last time a previous run saw trusted time), even after correcting for the GPS week rollover; the clock is not trusted from it.',
    causes: [
      'a receiver with old firmware after a GPS week rollover (every 1024 weeks: April 2019, November 2038): it reports dates 19.6 years off',
      'a corrupt almanac or a receiver still in its first minutes after a cold start',
      'the box firmware is very old, or the state directory was restored from another box',
    ],
    remedy: 'Check the receiver\'s date in `edgefw diag` (the nmea-gps device shows gpsTime and rollovers). Update the receiver firmware or replace the module; keep NTP reachable meanwhile. Readings keep monotonic time and are re-stamped once time is trusted.',
  },
  JOB_MISSED: {
    severity: 'warning',
    component: 'jobs',
    description: 'A scheduled job (self-test, health report, quiet hours) did not run when it was due.',
    causes: ['box overloaded or the loop blocked at the due time', 'system clock jumped (NTP step)', 'previous run still going'],
    remedy: 'Check EVENT_LOOP_LAG and CPU load; the job runs again at its next time. If quiet hours were missed, check the outputs are in the expected state.',
  },
  SELF_TEST_FAILED: {
    severity: 'error',
    component: 'device',
    description: 'The periodic self-test (the same checks as `edgefw diag`) found a failure.',
    causes: ['see the failed check in the diag report'],
    remedy: 'Run `edgefw diag` on the box (or send cmd/diag) and follow the remedy of each FAIL line.',
  },
  WATCHDOG_RESTART: {
    severity: 'error',
    component: 'loop',
    description: 'The previous run was ended by the watchdog (the loop or storage stopped making progress) or crashed.',
    causes: ['sampling loop wedged', 'storage stalled (failing SD card)', 'a software fault'],
    remedy: 'Collect `journalctl -u edgefw -b -1` and report it; check the SD card and the host health report. Acknowledge the fault once read.',
    latch: true,
  },
  LOOP_OVERRUN: {
    severity: 'warning',
    component: 'loop',
    description: 'Sampling ticks were skipped because the previous read was still running or the loop was late.',
    causes: ['device interval shorter than its read time', 'CPU overloaded', 'slow bus'],
    remedy: 'Raise the interval of the device named in the fault; check CPU load and host health.',
  },
  TAMPER_OPEN: {
    severity: 'critical',
    component: 'enclosure',
    description: 'The enclosure tamper switch reports the door or panel open.',
    causes: ['a technician opened the box (expected during a visit)', 'door not latched or forced open', 'tamper switch misaligned, wire broken (reads open)'],
    remedy: 'If nobody is on site, treat as a break-in and dispatch. Otherwise close and latch the door; the fault clears by itself. If it stays with the door closed, check the switch actuator and its wire to the GPIO line named in the fault.',
  },
  PROFILE_REJECTED: {
    severity: 'warning',
    component: 'config',
    description: 'A profile reload (SIGHUP, `systemctl reload edgefw`) was refused: the file has problems. The box keeps running on the profile it had.',
    causes: ['a typo or wrong value in the edited profile', 'the file was reloaded while half written', 'the file is missing or unreadable by the edgefw user'],
    remedy: 'Run `edgefw config check /etc/edgefw/profile.yaml`, fix every problem it lists (the fault message names the first), then reload again. The fault clears at the next good reload.',
  },
  PROFILE_RESTART_PENDING: {
    severity: 'info',
    component: 'config',
    description: 'The reloaded profile changes keys that take effect only at start; the box runs with the old values of those keys until it is restarted.',
    causes: ['buses, driver options, added or removed devices, uplink, storage, box, clock, health or jobs were edited (docs/profile.md lists what applies live)'],
    remedy: 'Restart the service when convenient (`systemctl restart edgefw`); the fault details list the keys waiting for it.',
  },
  OUTBOX_DROPPING: {
    severity: 'error',
    component: 'storage',
    description: 'The outbox is full: readings are being dropped (counted exactly in the status message).',
    causes: ['the broker has been unreachable longer than the outbox holds (uplink.outbox.maxRows / maxBytes / maxAge)', 'more readings per second than the link carries', 'policy reject-new with a full outbox'],
    remedy: 'Restore the network or broker first (see BROKER_UNREACHABLE); if outages this long are normal, raise uplink.outbox.maxRows/maxBytes (disk allows) or lower device rates. The status topic lists how many readings were lost and why.',
  },
  OUTBOX_DISK_FULL: {
    severity: 'error',
    component: 'storage',
    description: 'The outbox cannot write: the disk is full. Readings are kept in a bounded memory ring until space returns.',
    causes: ['SD card or data partition full (logs, core dumps, other programs)', 'partition too small for the outbox bounds'],
    remedy: 'Free space on the data partition (`df -h`, `du -sh /var/lib/edgefw /var/log`), e.g. `journalctl --vacuum-size=50M`; the box resumes writing by itself within seconds. Readings in memory are lost if power fails before that.',
  },
  OUTBOX_READ_ONLY: {
    severity: 'critical',
    component: 'storage',
    description: 'The outbox cannot write: the file system is read-only. Readings are kept in a bounded memory ring.',
    causes: ['the kernel remounted the SD card read-only after I/O errors (failing card)', 'wrong permissions on storage.dir', 'read-only root image without a writable data partition'],
    remedy: 'Check `dmesg` for mmc/ext4 errors and `mount | grep " ro,"`; replace a failing SD card; make storage.dir writable by the edgefw user. The box resumes writing by itself once the file system is writable.',
  },
  OUTBOX_CORRUPT: {
    severity: 'error',
    component: 'storage',
    description: 'The outbox database was corrupt: it was renamed aside (kept for inspection) and a new one created. Readings stored in it and not yet sent did not leave the box.',
    causes: ['power cut during a write on an SD card that ignores flush commands', 'failing SD card', 'file edited or truncated by hand'],
    remedy: 'Replace the SD card with an industrial-grade one if this repeats; the old file (name in the fault details) can be read with sqlite3 to recover readings. Sequences restart above all earlier ones, so the platform sees the loss as one gap.',
  },
  OUTBOX_ROW_DAMAGED: {
    severity: 'error',
    component: 'storage',
    description: 'A row of stored readings in the outbox was damaged (lines that are not readings, fewer lines than readings, an unreadable time column). Its good readings stay and are sent; the row as found is kept in table "damaged" of outbox.db and never sent; the readings that could not be kept are counted in the status (outbox.damaged).',
    causes: ['power cut during a write on an SD card that ignores flush commands', 'failing SD card (a flipped bit inside a stored record)', 'file edited by hand'],
    remedy: 'Nothing to do for the readings that were kept. Inspect the damaged row with `sqlite3 /var/lib/edgefw/outbox.db "SELECT row, at, reason FROM damaged"` (details name the row); replace an SD card that keeps damaging writes. Acknowledge the fault once understood.',
    latch: true,
  },
  OUTBOX_SEQ_JUMP: {
    severity: 'warning',
    component: 'storage',
    description: 'Sequence numbers jumped to a fresh range: the box could not prove where its numbering stood, so it continued far above every number it may have issued before. No number is reused; the status message lists the jump (outbox skips).',
    causes: [
      'the outbox file was missing, empty or corrupt at start on a box that ran before (SD card lost writes, file deleted)',
      'the storage could not be written at start (full or read-only), so no numbers could be reserved',
      'the write-ahead log (outbox.db-wal) was damaged',
      'disk trouble lasted so long that the numbers reserved ahead were used up',
    ],
    remedy: 'Nothing to do for the data: the platform sees one large gap per device and the jump in the status (`skips`). Find why the storage failed (OUTBOX_DISK_FULL, OUTBOX_READ_ONLY, OUTBOX_CORRUPT); replace an SD card that keeps losing writes. Acknowledge the fault once understood.',
    latch: true,
  },
  COMMANDS_REFUSED: {
    severity: 'warning',
    component: 'uplink',
    description: 'Many messages on the box\'s command topics were refused within a minute (unsigned, unknown key, replayed, expired, oversize, over the rate limit …). Sampling is not affected.',
    causes: ['someone on the broker is probing or flooding the box\'s cmd/ topics', 'a platform or technician tool signing with a key the trust list does not hold, or with a wrong clock', 'a retained message left on a cmd/ topic'],
    remedy: 'Read the refusals on <prefix>/<box>/commands/events (reason per message) or the status counters. Fix the sender (key in commands.trust, clock within commands.skew); clear a retained command with an empty retained publish; if nobody of yours sends them, restrict the broker ACL (docs/security.md). Clears after 5 minutes without a refusal.',
  },
  OUTBOX_IO_ERROR: {
    severity: 'error',
    component: 'storage',
    description: 'The outbox database failed with an I/O error. Readings are kept in a bounded memory ring; the box retries.',
    causes: ['failing SD card or USB stick', 'storage.dir on a network or removable volume that went away'],
    remedy: 'Check `dmesg` for storage errors and that storage.dir exists and is mounted; replace the card if errors repeat.',
  },
} as const satisfies Record<string, FaultDefinition>;

export const FAULTS = { ...DEVICE_FAULTS, ...RUNTIME_FAULTS, ...TRANSPORT_FAULTS } as const;
export type FaultCode = keyof typeof FAULTS;

export function faultDefinition(code: FaultCode): FaultDefinition {
  return FAULTS[code];
}
