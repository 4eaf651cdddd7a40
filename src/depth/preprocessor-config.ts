/**
 * A depth model's `preprocessor_config.json` (transformers' image processor config; Depth-Anything's is a
 * DPTImageProcessor): the fields that decide what the network is fed. Fields absent from the file keep the layout's
 * defaults (depth-layout.ts); unknown fields are ignored, as transformers ignores them.
 */
import { z } from 'zod';
import { readJsonConfig } from '../json-config.js';

const side = z.number().int().min(1).max(8192);
const triple = z.tuple([z.number(), z.number(), z.number()]);

export const PreprocessorConfigSchema = z
  .object({
    do_resize: z.boolean().optional(),
    size: z.object({ height: side, width: side }).optional(),
    keep_aspect_ratio: z.boolean().optional(),
    ensure_multiple_of: z.number().int().min(1).max(1024).optional(),
    // PIL's resampling filters: 0 nearest, 1 Lanczos, 2 bilinear, 3 bicubic (transformers passes them to PIL)
    resample: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
    do_rescale: z.boolean().optional(),
    rescale_factor: z.number().positive().optional(),
    do_normalize: z.boolean().optional(),
    image_mean: triple.optional(),
    image_std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).optional(),
  })
  .loose();
export type PreprocessorConfig = z.infer<typeof PreprocessorConfigSchema>;

export function readPreprocessorConfig(file: string, label: string): PreprocessorConfig {
  return readJsonConfig(file, PreprocessorConfigSchema, label);
}
