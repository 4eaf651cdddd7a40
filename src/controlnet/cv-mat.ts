/**
 * An 8-bit image of 1 to 4 interleaved channels, row-major: what OpenCV calls a `CV_8UC(n)` Mat. The OpenCV ports
 * the ControlNet preprocessors use work on it, since their maps are grey (`Canny`) as often as colour; a `RawImage`
 * is one.
 */
export interface Mat8 {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

export function createMat8(width: number, height: number, channels: number): Mat8 {
  return { width, height, channels, data: new Uint8Array(width * height * channels) };
}
