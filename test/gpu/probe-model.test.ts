import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { probeExecutionProvider } from '../../src/gpu/ep-probe.js';
import { PROBE_INPUT, PROBE_OUTPUT, doublingModel } from '../../src/gpu/probe-model.js';

describe('the built-in probe model', () => {
  it('is an ONNX model onnxruntime-node loads on the CPU and that doubles its input', async () => {
    const session = await ort.InferenceSession.create(doublingModel(), { executionProviders: ['cpu'] });
    expect(session.inputNames).toEqual([PROBE_INPUT]);
    expect(session.outputNames).toEqual([PROBE_OUTPUT]);
    const result = await session.run({ [PROBE_INPUT]: new ort.Tensor('float32', Float32Array.from([0.5, -3, 7, 1e6]), [1, 4]) });
    expect(Array.from(result[PROBE_OUTPUT].data as Float32Array)).toEqual([1, -6, 14, 2e6]);
    expect(result[PROBE_OUTPUT].dims).toEqual([1, 4]);
    await session.release();
  });

  it('starts with the protobuf fields of ModelProto: ir_version 8, then producer_name', () => {
    const bytes = doublingModel();
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x08, 8, 0x12, 'deforum-ts'.length]);
  });
});

describe('probeExecutionProvider', () => {
  it('reports the CPU provider as working', async () => {
    expect(await probeExecutionProvider('cpu')).toEqual({ device: 'cpu', works: true });
  });
});
