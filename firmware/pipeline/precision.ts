import type { DeviceConfig } from '../../config/schema.js';
import { devicePart } from '../../drivers/parts.js';
import type { PipelineDevice } from './pipeline.js';

/**
 * A profile's device entry as the pipeline takes it, with the decimal places its part resolves
 * per channel (ChannelSpec.decimals): what the pipeline rounds published values to unless the
 * profile says otherwise (docs/pipeline.md, "Precision").
 */
export function withPartDecimals(d: DeviceConfig): PipelineDevice {
  const specs = devicePart(d.type)?.channels(d as never) ?? [];
  return { ...d, decimals: Object.fromEntries(specs.map((c) => [c.name, c.decimals])) };
}
