import { open } from 'node:fs/promises';

/**
 * A strict reader for NumPy `.npy` files holding one little-endian float H×W array (a depth map): magic, format
 * version 1.0/2.0/3.0, a header dict with `descr` '<f4' or '<f8', `fortran_order` False and a 2-D `shape`. The file
 * is read whole only after its size is checked against the expected array, so a wrong file costs bounded memory.
 * Errors are one line without the file name; the caller names the file.
 */
export interface NpyArray {
  shape: [number, number];
  /** The values row-major; float64 files are rounded to float32 (Deforum's depth models output float32). */
  data: Float32Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const MAX_HEADER = 65535 + 12;

export class NpyError extends Error {}

/** Parses the header dict (Python literal) numpy writes, accepting only the fields and values we can read. */
function parseHeader(text: string): { descr: string; shape: [number, number] } {
  const match = /^\{\s*'descr':\s*'([^']*)',\s*'fortran_order':\s*(True|False),\s*'shape':\s*\(([^)]*)\),?\s*\}\s*$/.exec(text);
  if (!match) throw new NpyError('the .npy header is not a NumPy array header');
  const [, descr, fortran, shapeText] = match;
  if (descr !== '<f4' && descr !== '<f8') throw new NpyError(`expected a float32 ('<f4') or float64 ('<f8') array, got dtype '${descr}'`);
  if (fortran !== 'False') throw new NpyError('expected a C-order array (fortran_order False)');
  const dims = shapeText.split(',').map((d) => d.trim()).filter((d) => d !== '');
  if (dims.length !== 2 || !dims.every((d) => /^\d+$/.test(d))) throw new NpyError(`expected a 2-D array (H, W), got shape (${shapeText.trim()})`);
  return { descr, shape: [Number(dims[0]), Number(dims[1])] };
}

/** Reads a float H×W array whose shape must equal `expected` (height, width). */
export async function readNpyFile(file: string, expected: { height: number; width: number }): Promise<NpyArray> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(MAX_HEADER);
    const { bytesRead } = await handle.read(head, 0, MAX_HEADER, 0);
    if (bytesRead < 10 || !head.subarray(0, 6).equals(MAGIC)) throw new NpyError('not a NumPy .npy file (no \\x93NUMPY magic)');
    const major = head[6];
    if (major < 1 || major > 3 || head[7] !== 0) throw new NpyError(`unsupported .npy format version ${major}.${head[7]}`);
    const lengthBytes = major === 1 ? 2 : 4;
    const headerLength = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    const offset = 8 + lengthBytes + headerLength;
    if (offset > bytesRead) throw new NpyError('the .npy header is cut short or too long');
    const { descr, shape } = parseHeader(head.subarray(8 + lengthBytes, offset).toString(major === 3 ? 'utf8' : 'latin1'));
    if (shape[0] !== expected.height || shape[1] !== expected.width) {
      throw new NpyError(`expected shape (${expected.height}, ${expected.width}) to match the image, got (${shape[0]}, ${shape[1]})`);
    }
    const itemSize = descr === '<f4' ? 4 : 8;
    const dataLength = shape[0] * shape[1] * itemSize;
    const { size } = await handle.stat();
    if (size !== offset + dataLength) throw new NpyError(`expected ${dataLength} bytes of data after the header, the file has ${size - offset}`);
    const bytes = Buffer.alloc(dataLength);
    await handle.read(bytes, 0, dataLength, offset);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const data = new Float32Array(shape[0] * shape[1]);
    for (let i = 0; i < data.length; i++) data[i] = itemSize === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
    return { shape, data };
  } finally {
    await handle.close();
  }
}

/**
 * A float32 H×W array as a NumPy `.npy` file (format 1.0, little-endian '<f4', C order), byte for byte what
 * `numpy.save` writes: the header dict padded with spaces to a 64-byte boundary and ended by a newline.
 */
export function encodeNpy(data: Float32Array, height: number, width: number): Buffer {
  if (data.length !== height * width) throw new RangeError(`${data.length} values for shape (${height}, ${width})`);
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${height}, ${width}), }`;
  const unpadded = MAGIC.length + 4 + dict.length + 1;
  const header = `${dict}${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const out = Buffer.alloc(MAGIC.length + 4 + header.length + data.length * 4);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < data.length; i++) view.setFloat32(10 + header.length + i * 4, data[i], true);
  return out;
}
