/** Where a ControlNet folder keeps its graph, found from the files alone (no session opened: `validate` uses it). */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelError } from '../errors.js';

/** `dir/model.onnx`, or the diffusers pipeline layout `dir/controlnet/model.onnx`; found from the files alone. */
export function controlNetModelFile(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelError(`${dir}: ControlNet folder not found`);
  // only a regular file: onnxruntime would wait for ever on a FIFO
  const file = [path.join(dir, 'model.onnx'), path.join(dir, 'controlnet', 'model.onnx')].find((candidate) => statSync(candidate, { throwIfNoEntry: false })?.isFile());
  if (!file) throw new ModelError(`${dir}: no model.onnx (expected a ControlNet exported to ONNX: model.onnx or controlnet/model.onnx)`);
  return file;
}
