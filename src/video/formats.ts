/** The video vocabulary the keyframe file's `output` composes: containers, x264 presets and Deforum's defaults. */
export const videoCodecs = ['mp4', 'webm', 'gif'] as const;
export const x264Presets = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const;

export type VideoFormat = (typeof videoCodecs)[number];
export type X264Preset = (typeof x264Presets)[number];

/** Deforum's video defaults (docs/deforum.md §g): mp4 at 15 fps, crf 17, preset slow. */
export const videoDefaults = { codec: 'mp4', fps: 15, crf: 17, preset: 'slow' } as const satisfies { codec: VideoFormat; fps: number; crf: number; preset: X264Preset };
