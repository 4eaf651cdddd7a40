/**
 * What a render (and `deforum encode`: `encode`, ffmpeg's frames so far) reports while it works; the CLI turns these
 * into a progress line, plain lines or JSON.
 */
export type RenderEvent =
  | { type: 'start'; name: string; outDir: string; frames: number; first: number; last: number; device: string; reused: number; message?: string }
  | { type: 'step'; frame: number; step: number; steps: number }
  | { type: 'frame'; frame: number; frames: number; seconds: number; samplerSeconds: number; diffused: boolean; file: string }
  | { type: 'preview'; file: string }
  | { type: 'encode'; file: string; frame: number; frames: number }
  | { type: 'video'; file: string }
  | { type: 'done'; frames: number; rendered: number; seconds: number; framesPerMinute: number; video?: string }
  | { type: 'info'; message: string }
  | { type: 'warning'; message: string };

export type RenderEventListener = (event: RenderEvent) => void;
