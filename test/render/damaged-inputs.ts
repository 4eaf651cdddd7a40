/**
 * Files a user may name by mistake or on purpose as an image or audio input: each with what the one-line problem must
 * say when an image (init, colour sample, pose image) or audio is expected.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';

export interface DamagedInput {
  name: string;
  file: string;
  /** The problem (after the file name) when an image is expected, and when audio is. */
  asImage: RegExp;
  asAudio: RegExp;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A 2 KB PNG whose header claims 30000×30000 grey pixels (900 Mpixel decoded): a decompression bomb. */
function bombPng(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(30000, 0);
  header.writeUInt32BE(30000, 4);
  header[8] = 8; // bit depth; colour type 0 (grey), no interlace
  const rows = zlib.deflateSync(Buffer.alloc(30001 * 4));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', header), pngChunk('IDAT', rows), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Bytes from a fixed-seed generator, so the case is the same on every run. */
function noise(length: number, seed = 12345): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** Writes every damaged input into `dir`. */
export async function damagedInputs(dir: string): Promise<DamagedInput[]> {
  const at = (name: string) => path.join(dir, name);
  mkdirSync(at('folder.png'));
  writeFileSync(at('empty.png'), '');
  const noisy = await sharp(noise(64 * 64 * 3), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
  writeFileSync(at('truncated.png'), noisy.subarray(0, noisy.length >> 1));
  writeFileSync(at('text.png'), 'this is not an image\n');
  writeFileSync(at('bomb.png'), bombPng());
  execFileSync('mkfifo', [at('fifo.png')]);
  writeFileSync(at('random.mp3'), noise(200_000));
  const noAudio = /has no audio stream/;
  return [
    { name: 'a directory', file: at('folder.png'), asImage: /is a directory, expected an image file/, asAudio: /is a directory, expected an audio file/ },
    { name: 'a 0-byte file', file: at('empty.png'), asImage: /is empty \(0 bytes\), expected an image file/, asAudio: /is empty \(0 bytes\), expected an audio file/ },
    { name: 'a truncated PNG', file: at('truncated.png'), asImage: /is damaged or truncated \(.+\)/, asAudio: noAudio },
    { name: 'a text file named .png', file: at('text.png'), asImage: /is not a PNG, JPEG, WebP, GIF, TIFF or AVIF image/, asAudio: noAudio },
    { name: 'a decompression bomb', file: at('bomb.png'), asImage: /is 30000×30000, larger than the 16384×16384 \(256 Mpixel\) limit/, asAudio: noAudio },
    { name: '/dev/zero', file: '/dev/zero', asImage: /is a character device, not a regular file, expected an image file/, asAudio: /is a character device, not a regular file, expected an audio file/ },
    { name: 'a FIFO', file: at('fifo.png'), asImage: /is a FIFO \(named pipe\), not a regular file, expected an image file/, asAudio: /is a FIFO \(named pipe\), not a regular file, expected an audio file/ },
    { name: 'random bytes', file: at('random.mp3'), asImage: /is not a PNG, JPEG, WebP, GIF, TIFF or AVIF image/, asAudio: /cannot be decoded as audio \(.+\)/ },
    { name: 'a missing file', file: at('missing.png'), asImage: /does not exist, expected an image file/, asAudio: /does not exist, expected an audio file/ },
  ];
}
