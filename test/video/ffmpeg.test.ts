import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VideoError } from '../../src/errors.js';
import { checkFfmpeg } from '../../src/video/encode.js';
import { findFfmpeg, parseFfmpegVersion } from '../../src/video/ffmpeg.js';
import { tempDir } from './frames.js';

/** A shell script standing in for ffmpeg that prints `version` and an encoder list. */
function fakeFfmpeg(versionLine: string, encoders: string[]): string {
  const dir = tempDir();
  const file = path.join(dir, 'ffmpeg');
  const list = encoders.map((e) => ` V....D ${e.padEnd(20)} fake`).join('\\n');
  writeFileSync(file, `#!/bin/sh\ncase "$*" in\n  *-encoders*) printf 'Encoders:\\n V..... = Video\\n ------\\n${list}\\n' ;;\n  *) echo '${versionLine}' ;;\nesac\n`);
  chmodSync(file, 0o755);
  writeFileSync(path.join(dir, 'ffprobe'), '#!/bin/sh\n');
  chmodSync(path.join(dir, 'ffprobe'), 0o755);
  return file;
}

async function failure(promise: Promise<unknown>): Promise<VideoError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(VideoError);
  return error as VideoError;
}

describe('finding ffmpeg', () => {
  it('finds the system ffmpeg and ffprobe with their version and encoders', async () => {
    const tools = await findFfmpeg();
    expect(path.basename(tools.ffmpeg)).toBe('ffmpeg');
    expect(path.basename(tools.ffprobe)).toBe('ffprobe');
    expect(tools.encoders.has('libx264')).toBe(true);
    expect(tools.version).toMatch(/^\d+\.\d+/);
  });

  it('a FFMPEG_PATH that does not exist is an exit-2 error that says how to install ffmpeg', async () => {
    const error = await failure(checkFfmpeg('mp4', { ...process.env, FFMPEG_PATH: '/no/such/ffmpeg' }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/FFMPEG_PATH=\/no\/such\/ffmpeg is not an executable file/);
    expect(error.message).toMatch(/sudo apt-get install ffmpeg/);
  });

  it('no ffmpeg on the PATH is an exit-2 error that says how to install it', async () => {
    const error = await failure(checkFfmpeg('mp4', { PATH: tempDir() }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^ffmpeg not found on the PATH: .*sudo apt-get install ffmpeg.*FFMPEG_PATH/);
  });

  it('an ffmpeg older than 4.0 is refused', async () => {
    const ffmpeg = fakeFfmpeg('ffmpeg version 3.4.8-0ubuntu0.2 Copyright (c) 2000-2020 the FFmpeg developers', ['libx264']);
    const error = await failure(checkFfmpeg('mp4', { PATH: '', FFMPEG_PATH: ffmpeg }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/ffmpeg 3\.4\.8-0ubuntu0\.2 at .* is too old \(need 4\.0 or newer\)/);
  });

  it('an ffmpeg without the format\'s encoder is refused, naming the encoder', async () => {
    const ffmpeg = fakeFfmpeg('ffmpeg version 6.1.1 Copyright (c) 2000-2023 the FFmpeg developers', ['libx264', 'gif']);
    expect((await checkFfmpeg('mp4', { PATH: '', FFMPEG_PATH: ffmpeg })).ffprobe).toBe(path.join(path.dirname(ffmpeg), 'ffprobe'));
    const error = await failure(checkFfmpeg('webm', { PATH: '', FFMPEG_PATH: ffmpeg }));
    expect(error.message).toMatch(/has no libvpx-vp9 encoder, which webm needs/);
  });

  it.each([
    ['ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026', '5.1.9-0+deb12u1', 5],
    ['ffmpeg version n6.1 Copyright (c) 2000-2023', 'n6.1', 6],
    ['ffmpeg version 4.0 Copyright', '4.0', 4],
    ['ffmpeg version N-113016-g1b4c7d2 Copyright', 'N-113016-g1b4c7d2', undefined],
  ])('reads the version of %j', (line, version, major) => {
    expect(parseFfmpegVersion(line)).toEqual({ version, major });
  });
});
