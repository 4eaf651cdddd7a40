/**
 * Files a keyframe file names by URL (Deforum's default init image and many users' soundtracks are `https://` links):
 * downloaded once into a cache folder, named by the URL's hash, with a size limit and a time limit, written under a
 * temporary name and renamed when complete, so an interrupted download is never taken for a file. What the file must
 * be (an image, audio) is checked by the caller, which names the field.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { DeforumError } from './errors.js';

/** Large enough for any init image or soundtrack a render uses; a larger answer is refused, not stored. */
export const MAX_DOWNLOAD_BYTES = 256 * 2 ** 20;
/** Without an answer, or between two pieces of it, for this long, the download fails. */
export const DOWNLOAD_TIMEOUT_MS = 60_000;

export const isRemote = (file: string): boolean => /^https?:\/\//i.test(file);

const mebibytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The cache file of `url` in `dir`: the URL's hash, then the URL's own file name (so its extension tells the type). */
export function cachedFileOf(url: string, dir: string): string {
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 16);
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '').replace(/[^\w.-]+/g, '_').slice(-80);
  return path.join(dir, name ? `${hash}-${name}` : hash);
}

/** Counts the bytes that pass and fails once there are more than `max`. */
async function* limited(body: AsyncIterable<Uint8Array>, max: number, url: string, onData: () => void): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > max) throw new DeforumError(`${url}: more than the ${mebibytes(max)} download limit`);
    onData();
    yield chunk;
  }
}

export interface DownloadOptions {
  maxBytes?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The local copy of `url` in `dir`: the cached one when present, else downloaded now. Fails with one line naming the
 * URL: an HTTP error status, no answer in time, too large, or a network error.
 */
export async function fetchToCache(url: string, dir: string, options: DownloadOptions = {}): Promise<{ file: string; downloaded: boolean; bytes: number }> {
  const file = cachedFileOf(url, dir);
  const cached = await stat(file).catch(() => undefined);
  if (cached?.isFile()) return { file, downloaded: false, bytes: cached.size };
  await mkdir(dir, { recursive: true });
  const timeoutMs = options.timeoutMs ?? DOWNLOAD_TIMEOUT_MS;
  const idle = new AbortController();
  let timer = setTimeout(() => idle.abort(), timeoutMs);
  const restart = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), timeoutMs);
  };
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  const partial = `${file}.partial-${process.pid}`;
  try {
    const response = await fetch(url, { signal, redirect: 'follow' });
    if (!response.ok || !response.body) throw new DeforumError(`${url}: the server answered HTTP ${response.status} ${response.statusText}`.trimEnd());
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    const max = options.maxBytes ?? MAX_DOWNLOAD_BYTES;
    if (declared > max) throw new DeforumError(`${url}: ${mebibytes(declared)}, more than the ${mebibytes(max)} download limit`);
    restart();
    await pipeline(Readable.from(limited(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), max, url, restart)), createWriteStream(partial));
    await rename(partial, file);
    return { file, downloaded: true, bytes: (await stat(file)).size };
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof DeforumError) throw error;
    if (idle.signal.aborted) throw new DeforumError(`${url}: no answer for ${timeoutMs / 1000} s`, 1);
    if (options.signal?.aborted) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new DeforumError(`${url}: cannot download (${cause?.code ?? cause?.message ?? (error as Error).message})`, 1);
  } finally {
    clearTimeout(timer);
  }
}
