import { z } from 'zod';
import { type SerialDeviceOptions, serialOptions } from '../options.js';

/** Profile keys of an NMEA 0183 GPS entry. */
export const nmeaGpsOptions = {
  type: z.literal('nmea-gps'),
  ...serialOptions('GPS receiver', { baud: 9600, staleAfter: 5000 }),
  timeSource: z
    .boolean()
    .default(true)
    .meta({ description: 'a valid fix with UTC time marks the box clock as trusted (time source "gps")' }),
};

export interface NmeaGpsOptions extends SerialDeviceOptions {
  readonly type: 'nmea-gps';
  readonly timeSource: boolean;
}
