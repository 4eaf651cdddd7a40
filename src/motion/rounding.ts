// Adding and subtracting 1.5·2^52 rounds a double (|v| < 2^51) to an integer half-to-even in IEEE arithmetic.
const ROUNDING_MAGIC = 6755399441055744;

/** Round half to even, as OpenCV's `cvRound`, C's `lrint` and numpy's `round` do. */
export function roundHalfEven(v: number): number {
  return v + ROUNDING_MAGIC - ROUNDING_MAGIC;
}

/** A number to a byte as OpenCV's `saturate_cast<uchar>` does: rounded half to even, clipped to 0..255. */
export function saturateByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : roundHalfEven(v);
}
