/**
 * A depth network's output turned into the map Deforum's 3D warp normalises (docs/deforum-3d.md, "Depth-Anything depth
 * in the Tok fork"): resized back to the frame with torch's bicubic interpolate (bicubic-resize.ts), and for the
 * Depth-Anything layout then made the 8-bit picture the transformers depth-estimation pipeline returns and the fork
 * reads back with ToTensor.
 */
import type { Size } from './input-size.js';
import { bicubicResize } from './bicubic-resize.js';
import type { DepthLayoutKind } from './depth-layout.js';

/**
 * transformers' depth-estimation pipeline before 4.46 (the Tok fork's requirements.txt pins `transformers<4.46`):
 * `(output * 255 / np.max(output)).astype("uint8")` in float32, and ToTensor's `k / 255`. Depth-Anything ends in a
 * ReLU, so values are ≥ 0; a negative value, NaN or a map whose maximum is not positive gives 0 where numpy's cast
 * would be undefined.
 */
export function pipelineEightBit(map: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of map) if (v > max) max = v;
  const out = new Float32Array(map.length);
  if (!(max > 0) || !Number.isFinite(max)) return out;
  for (let i = 0; i < map.length; i++) {
    const scaled = Math.fround(Math.fround(map[i] * 255) / max);
    out[i] = scaled > 0 ? Math.trunc(Math.min(scaled, 255)) / 255 : 0;
  }
  return out;
}

/** The network's H′×W′ output as the H×W map Deforum hands its warp. */
export function depthFromOutput(output: Float32Array, outputSize: Size, frame: Size, kind: DepthLayoutKind): Float32Array {
  const resized = bicubicResize(output, outputSize.height, outputSize.width, frame.height, frame.width);
  return kind === 'depth-anything' ? pipelineEightBit(resized) : resized;
}
