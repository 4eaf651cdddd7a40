/**
 * A1111's "Original" emphasis (`EmphasisOriginal.after_transformers`, docs/sd-pipeline.md §1.4), in place on the text
 * encoder output `z` of shape [batch, tokens, dim] (row-major) with `multipliers` of shape [batch, tokens]:
 * m0 = mean(z); z *= multiplier of its token; z *= m0 / mean(z). The mean is over the whole tensor, all batch rows
 * together, as A1111 encodes a prompt's scheduled texts as one batch per chunk index. Multipliers are rounded to
 * float32 first, as `torch.asarray` of A1111's Python floats does.
 *
 * torch reduces in float32; these means are summed in float64 and then rounded to float32, so a value may differ from
 * torch's in the last bit. Each product is rounded to float32 as torch's float32 multiply is.
 */
export function applyEmphasis(z: Float32Array, multipliers: Float32Array | Float64Array, tokens: number, dim: number): void {
  const rows = z.length / (tokens * dim);
  if (!Number.isInteger(rows) || multipliers.length !== rows * tokens) {
    throw new RangeError(`applyEmphasis: z has ${z.length} values and multipliers ${multipliers.length}; expected [batch, ${tokens}, ${dim}] and [batch, ${tokens}]`);
  }
  const originalMean = mean(z);
  for (let token = 0; token < multipliers.length; token++) {
    const multiplier = Math.fround(multipliers[token]);
    for (let i = token * dim; i < (token + 1) * dim; i++) z[i] *= multiplier;
  }
  const ratio = Math.fround(originalMean / mean(z));
  for (let i = 0; i < z.length; i++) z[i] *= ratio;
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return Math.fround(sum / values.length);
}
