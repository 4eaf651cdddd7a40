/**
 * The files a keyframe file names by `http(s)://` URL — the init image, the colour sample, the soundtrack — fetched
 * into the render folder's `inputs/` before anything else is checked, and checked as what their field needs. The
 * render then reads the local copy: the init image is identified in the job hash by its content, as any other, and a
 * resume uses the copy already there (the URL's content may have changed since).
 */
import { rm } from 'node:fs/promises';
import { DeforumError, UsageError } from '../errors.js';
import { imageFileProblem } from '../image-file.js';
import type { Animation } from '../keyframes/schema.js';
import { fetchToCache, isRemote } from '../remote-file.js';
import type { FfmpegTools } from '../video/ffmpeg.js';
import { mediaFileProblem } from '../video/probe.js';
import type { RenderEvent } from './events.js';
import type { RenderFolder } from './render-folder.js';

const mebibytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** `animation` with every URL field replaced by its local copy; one line naming the field and URL when one fails. */
export async function localInputs<A extends Animation>(
  animation: A,
  context: { source: string; folder: RenderFolder; ffmpeg: FfmpegTools; onEvent?: (event: RenderEvent) => void; signal?: AbortSignal },
): Promise<A> {
  const local = async (field: string, url: string | undefined, kind: 'image' | 'audio'): Promise<string | undefined> => {
    if (url === undefined || !isRemote(url)) return url;
    const fetched = await fetchToCache(url, context.folder.inputsDir, { signal: context.signal }).catch((error: unknown) => {
      if (!(error instanceof DeforumError)) throw error;
      throw new UsageError(`${context.source}: ${field}: ${error.message}`, error.exitCode);
    });
    const problem = kind === 'image' ? await imageFileProblem(fetched.file) : await mediaFileProblem(fetched.file, 'audio', context.ffmpeg);
    if (problem) {
      await rm(fetched.file, { force: true });
      throw new UsageError(`${context.source}: ${field}: ${url}: the downloaded file ${problem.replace(/^is /, 'is ')} (expected ${kind === 'image' ? 'an image' : 'audio'})`);
    }
    context.onEvent?.({ type: 'info', message: `${field}: ${fetched.downloaded ? 'downloaded' : 'using the copy of'} ${url} (${mebibytes(fetched.bytes)}) in ${context.folder.inputsDir}` });
    return fetched.file;
  };
  const initImage = await local('initImage', animation.initImage, 'image');
  const colorCoherenceImage = animation.colorCoherence === 'image' ? await local('colorCoherenceImage', animation.colorCoherenceImage, 'image') : animation.colorCoherenceImage;
  const audio = await local('output.audio', animation.output.audio, 'audio');
  return { ...animation, initImage, colorCoherenceImage, output: { ...animation.output, audio } };
}
