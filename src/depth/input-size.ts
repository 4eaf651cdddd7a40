/**
 * The size a frame is resized to before a depth model, as transformers' DPTImageProcessor computes it
 * (`get_resize_output_image_size`): with `keep_aspect_ratio` both sides take the one scale that changes the frame
 * least, and each side is rounded to a multiple of `ensure_multiple_of` (Python's round, halves to even). Depth-Anything
 * V2 Small: target 518×518, multiples of 14, so a 1920×1080 frame goes in as 924×518.
 */
export interface Size {
  width: number;
  height: number;
}

/** Python's `round`: to the nearest integer, halves to the even one. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `constrain_to_multiple_of(value, multiple)`, but never below one multiple (a model takes no empty side). */
function toMultiple(value: number, multiple: number): number {
  return Math.max(multiple, roundHalfEven(value / multiple) * multiple);
}

export function resizedInputSize(frame: Size, target: Size, keepAspectRatio: boolean, multiple: number): Size {
  let scaleHeight = target.height / frame.height;
  let scaleWidth = target.width / frame.width;
  if (keepAspectRatio) {
    // scale as little as possible
    if (Math.abs(1 - scaleWidth) < Math.abs(1 - scaleHeight)) scaleHeight = scaleWidth;
    else scaleWidth = scaleHeight;
  }
  return { height: toMultiple(scaleHeight * frame.height, multiple), width: toMultiple(scaleWidth * frame.width, multiple) };
}
