/** The devices a user can name (`--device`), apart from the onnxruntime that runs them: commands parse them at start-up. */
import { UsageError } from '../errors.js';

export const DEVICES = ['cuda', 'webgpu', 'cpu'] as const;
export type Device = (typeof DEVICES)[number];
export type DeviceRequest = Device | 'auto';

export function parseDeviceRequest(value: string): DeviceRequest {
  if (value === 'auto' || (DEVICES as readonly string[]).includes(value)) return value as DeviceRequest;
  throw new UsageError(`--device: unknown device "${value}"; expected one of auto, ${DEVICES.join(', ')}`);
}
