import type sharp from 'sharp';
import { nonEmptyFileProblem, statRegularFile } from './input-file.js';
import type { RawImage } from './raw-image.js';
import { writeWholeFile } from './whole-file.js';

let sharpLoaded: Promise<typeof sharp> | undefined;

/**
 * sharp, the one image library here, loaded on first use: its native addon is not loaded by commands that decode no
 * image (`validate` of a file that names none, `schema`, `plan`).
 */
export const loadSharp = (): Promise<typeof sharp> => (sharpLoaded ??= import('sharp').then((module) => module.default));

function fromSharp(data: Buffer, info: sharp.OutputInfo): RawImage {
  return { width: info.width, height: info.height, channels: info.channels as 3 | 4, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** The largest image decoded (16384×16384, about sharp's own default): a small file can claim any size in its header. */
export const MAX_IMAGE_PIXELS = 16384 * 16384;

/** sharp with the pixel limit, and truncated pixel data as an error. */
const openImage = async (file: string) => (await loadSharp())(file, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'truncated' });

/** What PIL-based tools (A1111, Deforum) read too; SVG is refused, since librsvg follows references to other files. */
const RASTER_FORMATS = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'heif']);

/**
 * Why `file` cannot be read as an image, completing "FILE …" ("is a directory", "is 30000×30000, …"), or undefined.
 * The header gives the size before any pixel is decoded; then the whole image is decoded to a thumbnail, since a
 * truncated or damaged PNG has a good header.
 */
export async function imageFileProblem(file: string): Promise<string | undefined> {
  const problem = await nonEmptyFileProblem(file);
  if (problem) return `${problem}, expected an image file`;
  const notImage = 'is not a PNG, JPEG, WebP, GIF, TIFF or AVIF image';
  let metadata: sharp.Metadata;
  try {
    metadata = await (await loadSharp())(file, { limitInputPixels: false }).metadata();
  } catch {
    return notImage;
  }
  const { width, height, format } = metadata;
  if (!RASTER_FORMATS.has(format)) return `${notImage} (it is ${format.toUpperCase()})`;
  if (width * height > MAX_IMAGE_PIXELS) {
    return `is ${width}×${height}, larger than the ${Math.sqrt(MAX_IMAGE_PIXELS)}×${Math.sqrt(MAX_IMAGE_PIXELS)} (${MAX_IMAGE_PIXELS / 2 ** 20} Mpixel) limit`;
  }
  try {
    await (await openImage(file)).resize(8, 8, { fit: 'fill' }).raw().toBuffer();
  } catch (error) {
    return `is damaged or truncated (${error instanceof Error ? error.message : String(error)})`;
  }
  return undefined;
}

/** An image file's size from its header, without decoding its pixels (the file is checked first by `imageFileProblem`). */
export async function imageFileSize(file: string): Promise<{ width: number; height: number }> {
  const { width, height } = await (await loadSharp())(file, { limitInputPixels: false }).metadata();
  return { width, height };
}

/**
 * How an image with alpha becomes RGB: `flatten` over black, or `drop` the alpha and keep the colour under it, as PIL's
 * `convert("RGB")` does when Deforum reads a ControlNet input frame (grey and palette images become RGB either way).
 */
export type AlphaHandling = 'flatten' | 'drop';

/**
 * Reads an image file (PNG, JPEG, WebP …) as RGB, optionally resized to a frame size ("just resize" with Lanczos, as
 * A1111 resizes an init image). Only a regular file is read, and at most `MAX_IMAGE_PIXELS` pixels are decoded.
 */
export async function readImageFile(file: string, size?: { width: number; height: number }, alpha: AlphaHandling = 'flatten'): Promise<RawImage> {
  await statRegularFile(file);
  const image = await openImage(file);
  let pipeline = alpha === 'flatten' ? image.flatten({ background: '#000000' }).removeAlpha() : image.removeAlpha().toColourspace('srgb');
  if (size) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return fromSharp(data, info);
}

/** Decodes image bytes as RGB, flattened over black if it has alpha (as `readImageFile`). */
export async function decodeImage(bytes: Uint8Array): Promise<RawImage> {
  const { data, info } = await (await loadSharp())(bytes).flatten({ background: '#000000' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return fromSharp(data, info);
}

/** sharp's resampling kernels that stand for PIL's filters (nearest, bilinear, bicubic, Lanczos). */
export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

/**
 * An image resized to `width`×`height`, by default as A1111's "Just resize" (PIL Lanczos); an image of that size is
 * returned as it is.
 */
export async function resizeImage(image: RawImage, width: number, height: number, kernel: ResizeKernel = 'lanczos3'): Promise<RawImage> {
  if (image.width === width && image.height === height) return image;
  const { data, info } = await (await loadSharp())(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return fromSharp(data, info);
}

/** PNG bytes of an image; fixed options, so the same pixels always give the same bytes. */
export async function encodePng(image: RawImage): Promise<Buffer> {
  return (await loadSharp())(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false })
    .toBuffer();
}

/** A 16-bit greyscale PNG of row-major values (a depth map); fixed options, so the same values give the same bytes. */
export async function encodeGrey16Png(values: Uint16Array, width: number, height: number): Promise<Buffer> {
  if (values.length !== width * height) throw new RangeError(`${values.length} values for ${width}×${height} pixels`);
  return (await loadSharp())(values, { raw: { width, height, channels: 1 } })
    .toColourspace('grey16')
    .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false })
    .toBuffer();
}

/** Writes an image as a PNG file whole or not at all (whole-file.ts). */
export async function writePngFile(image: RawImage, file: string): Promise<void> {
  await writeWholeFile(file, await encodePng(image));
}
