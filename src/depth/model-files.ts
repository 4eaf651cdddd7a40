/**
 * Where a depth model's files are: a bundled name (`tiny-depth`), a folder laid out as on the Hugging Face hub
 * (`onnx/model.onnx`, or `model.onnx`, with an optional `preprocessor_config.json` at its top), or one `.onnx` file
 * (its `preprocessor_config.json` looked for beside it, or above it when it sits in an `onnx/` folder).
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelError } from '../errors.js';
import { resolveModelDir } from '../models/bundled.js';

export interface DepthModelFiles {
  /** What the model is called in messages and in its identity: the bundled name, folder name or file name. */
  name: string;
  onnx: string;
  /** How `onnx` is named in messages. */
  label: string;
  /** preprocessor_config.json, and how it is named in messages. */
  config?: { file: string; label: string };
  /** Every file whose bytes decide the prediction: the graph, its external weights, the config. */
  contents: string[];
}

const EXPECTED = 'expected a bundled depth model (tiny-depth), a folder with onnx/model.onnx or model.onnx, or an .onnx file';
const CHECKPOINTS = ['.pt', '.pth', '.ckpt', '.bin', '.safetensors', '.pkl'];

const kindOf = (file: string) => statSync(file, { throwIfNoEntry: false });

function regularFile(file: string): boolean {
  return kindOf(file)?.isFile() === true;
}

/** The graph's external-data files (`model.onnx_data`, `model.onnx.data`), which exporters put beside it. */
function externalData(onnx: string): string[] {
  const base = path.basename(onnx);
  return readdirSync(path.dirname(onnx))
    .filter((name) => name !== base && (name.startsWith(`${base}_data`) || name.startsWith(`${base}.data`)))
    .map((name) => path.join(path.dirname(onnx), name))
    .filter(regularFile)
    .sort();
}

function withConfig(name: string, onnx: string, label: string, configDirs: string[]): DepthModelFiles {
  const file = configDirs.map((dir) => path.join(dir, 'preprocessor_config.json')).find(regularFile);
  const config = file ? { file, label: path.join(path.dirname(label), path.relative(path.dirname(onnx), file)) } : undefined;
  return { name, onnx, label, config, contents: [onnx, ...externalData(onnx), ...(file ? [file] : [])] };
}

/** `model` resolved against `baseDir` (a keyframe file's folder, or the working directory for the CLI). */
export function locateDepthModel(model: string, baseDir = process.cwd()): DepthModelFiles {
  const resolved = resolveModelDir(model, baseDir);
  const stats = kindOf(resolved);
  if (!stats) throw new ModelError(`depth model "${model}" does not exist; ${EXPECTED}`);
  if (stats.isDirectory()) {
    const onnx = [path.join(resolved, 'onnx', 'model.onnx'), path.join(resolved, 'model.onnx')].find(regularFile);
    if (!onnx) throw new ModelError(`depth model folder "${model}" has no onnx/model.onnx or model.onnx; ${EXPECTED}`);
    return withConfig(path.basename(resolved), onnx, path.join(model, path.relative(resolved, onnx)), [resolved]);
  }
  if (!stats.isFile()) throw new ModelError(`depth model "${model}" is not a regular file or folder; ${EXPECTED}`);
  const ext = path.extname(resolved).toLowerCase();
  if (CHECKPOINTS.includes(ext)) throw new ModelError(`depth model "${model}" is a PyTorch/safetensors checkpoint (${ext}), not ONNX; export it to ONNX first (${EXPECTED})`);
  if (ext !== '.onnx') throw new ModelError(`depth model "${model}" is not an .onnx file; ${EXPECTED}`);
  const dir = path.dirname(resolved);
  const inOnnxFolder = path.basename(dir) === 'onnx';
  const name = inOnnxFolder ? `${path.basename(path.dirname(dir))}/${path.basename(resolved)}` : path.basename(resolved);
  return withConfig(name, resolved, model, inOnnxFolder ? [dir, path.dirname(dir)] : [dir]);
}
