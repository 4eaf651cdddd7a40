import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { RawImage } from './raw-image.js';

function fromSharp(data: Buffer, info: sharp.OutputInfo): RawImage {
  return { width: info.width, height: info.height, channels: info.channels as 3 | 4, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * Reads an image file (PNG, JPEG, WebP …) as RGB, flattened over black if it has alpha, optionally resized to a
 * frame size ("just resize" with Lanczos, as A1111 resizes an init image).
 */
export async function readImageFile(file: string, size?: { width: number; height: number }): Promise<RawImage> {
  let pipeline = sharp(file).flatten({ background: '#000000' }).removeAlpha();
  if (size) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return fromSharp(data, info);
}

export async function decodeImage(bytes: Uint8Array): Promise<RawImage> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return fromSharp(data, info);
}

/** PNG bytes of an image; fixed options, so the same pixels always give the same bytes. */
export async function encodePng(image: RawImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false })
    .toBuffer();
}

/** Writes an image as a PNG file whole or not at all (temporary file in the same folder, then rename). */
export async function writePngFile(image: RawImage, file: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(temp, await encodePng(image));
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
