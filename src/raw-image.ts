/** An 8-bit image in memory, row-major, interleaved channels. PNG only at the edges (sharp). */
export interface RawImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

export function createRawImage(width: number, height: number, channels: 3 | 4 = 3): RawImage {
  return { width, height, channels, data: new Uint8Array(width * height * channels) };
}
