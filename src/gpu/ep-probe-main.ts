/**
 * Child-process entry of `deforum gpu check`: probes one device and prints the result as JSON. A separate process
 * keeps Dawn's and onnxruntime's stderr chatter out of the report and survives a provider library that crashes.
 * usage: node dist/gpu/ep-probe-main.js cuda|webgpu|cpu
 */
import { DEVICES, type Device } from '../sampler/devices.js';
import { probeExecutionProvider } from './ep-probe.js';

const device = process.argv[2];
if (!(DEVICES as readonly string[]).includes(device)) {
  process.stderr.write(`ep-probe-main: expected one of ${DEVICES.join(', ')}, got "${device}"\n`);
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await probeExecutionProvider(device as Device))}\n`);
