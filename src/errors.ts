/**
 * Typed errors with a one-line user message. Only `cli/` turns them into text and exit codes:
 * input problems (a bad file, flag, model folder) exit 2; failures while working exit 1.
 */
export class DeforumError extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 2, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad command-line usage: unknown flag, missing argument, value out of range. */
export class UsageError extends DeforumError {}

/** A keyframe file, schedule string or prompt that does not validate. */
export class KeyframeError extends DeforumError {}

/** A model folder that cannot be used (missing files, wrong tensors, pickled checkpoint). */
export class ModelError extends DeforumError {}

/** A pose file or ControlNet unit that cannot be used. */
export class PoseError extends DeforumError {}

/** ffmpeg missing, too old, or failing. */
export class VideoError extends DeforumError {}

/** A render that cannot start or continue (lock held, folder of another render, disk full). */
export class RenderError extends DeforumError {}

/** The render farm's queue: Redis unreachable, a job that is not there or not in a state for the request. */
export class QueueError extends DeforumError {}
