/**
 * NMEA receivers need no command to talk: they stream GGA, RMC (and GSA, GSV, VTG …) once a
 * second from power-up. The driver therefore sends nothing. Receivers differ in how they are
 * configured (u-blox UBX binary, MediaTek $PMTK, SiRF $PSRF), so rate and sentence selection
 * are left to the receiver's factory defaults, which every common module ships as 9600 Bd, 1 Hz,
 * GGA + RMC enabled.
 *
 * The one sentence the simulator understands is MediaTek's hot-start query, so a technician can
 * see a receiver answer through `edgefw probe serial`; it does not change any setting.
 */
import { sentence } from './parser.js';

/** $PMTK000*32: "test packet", answered by MediaTek receivers with $PMTK001,0,3*30. Harmless. */
export const PMTK_TEST = sentence('PMTK000');
export const PMTK_TEST_ACK = sentence('PMTK001,0,3');
