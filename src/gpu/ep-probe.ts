/**
 * Whether an execution provider works on this machine: a session for the built-in probe model with the options the
 * renderer uses for that device, and one run checked against the known answer.
 */
import ort from 'onnxruntime-node';
import { sessionFailureReason, sessionOptions, type Device } from '../sampler/devices.js';
import { PROBE_INPUT, PROBE_OUTPUT, PROBE_SHAPE, doublingModel } from './probe-model.js';

export interface EpProbeResult {
  device: Device;
  works: boolean;
  /** Why not, when it does not work. */
  reason?: string;
}

const PROBE_VALUES = [1, 2, 3, 4.5];

export async function probeExecutionProvider(device: Device): Promise<EpProbeResult> {
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(doublingModel(), sessionOptions(device));
    const input = new ort.Tensor('float32', Float32Array.from(PROBE_VALUES), PROBE_SHAPE);
    const output = (await session.run({ [PROBE_INPUT]: input }))[PROBE_OUTPUT].data as Float32Array;
    const expected = PROBE_VALUES.map((v) => 2 * v);
    if (expected.some((v, i) => output[i] !== v)) {
      return { device, works: false, reason: `computed [${Array.from(output).join(', ')}] for 2·[${PROBE_VALUES.join(', ')}]` };
    }
    return { device, works: true };
  } catch (error) {
    return { device, works: false, reason: sessionFailureReason(error) };
  } finally {
    await session?.release();
  }
}
