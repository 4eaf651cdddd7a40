import { z } from 'zod';
import { RE_WORD } from './python-regex.js';

/**
 * A1111's extra networks syntax `<kind:arg:arg…>` (docs/sd-pipeline.md §1.5): LoRA `<lora:name:te:unet>`, LyCORIS
 * `<lyco:…>` (the same network type since A1111 1.5), hypernetworks `<hypernet:name:multiplier>`. A1111 removes every
 * tag from the positive prompt before anything else reads it — prompt editing, `AND` and emphasis never see it, so
 * `<lora:[x]:0.8>` is no de-emphasis — and leaves the negative prompt as it is.
 */

/** One tag as A1111 activates it. */
export const ExtraNetworkSchema = z.strictObject({
  /** The word before the first `:` (`lora`, `lyco`, `hypernet`, or one A1111 does not know and skips). */
  kind: z.string(),
  /** The network's name: the first argument. */
  name: z.string(),
  /**
   * The multipliers A1111 applies: `[te, unet]` for lora and lyco, `[multiplier]` for hypernet; empty for a kind
   * A1111 skips or a multiplier it cannot read (its activation fails and the network is not applied).
   */
  weights: z.array(z.number()),
  /** The tag as written. */
  tag: z.string(),
});
export type ExtraNetwork = z.infer<typeof ExtraNetworkSchema>;

/** `re_extra_net` of modules/extra_networks.py, with Python's `\w`. */
const TAG = new RegExp(`<([${RE_WORD}]+):([^>]+)>`, 'gu');

/** Python's `float()` on a string: surrounding whitespace, `inf`, `nan`, digits with `_` between them. */
function pythonFloat(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^[+-]?(inf(inity)?|nan)$/i.test(trimmed)) return Number(trimmed.replace(/inf(inity)?/i, 'Infinity').replace(/nan/i, 'NaN'));
  if (!/^[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?$/.test(trimmed)) return undefined;
  return Number(trimmed.replaceAll('_', ''));
}

/**
 * `ExtraNetworkParams`: an argument `key=value` is named, any other positional; then the multipliers as
 * `ExtraNetworkLora.activate` (te = positional 2 or `te=`, default 1; unet = positional 3 or `unet=`, default te) and
 * `ExtraNetworkHypernet.activate` (positional 2, default 1) read them.
 */
function networkOf(kind: string, args: string, tag: string): ExtraNetwork {
  const items = args.split(':');
  const positional: string[] = [];
  const named = new Map<string, string>();
  for (const item of items) {
    // Python's item.split('=', 2): exactly one '=' makes a named argument
    const parts = item.split('=');
    if (parts.length === 2) named.set(parts[0], parts[1]);
    else positional.push(item);
  }
  const read = (text: string | undefined, fallback: number): number | undefined => (text === undefined ? fallback : pythonFloat(text));
  let weights: Array<number | undefined> = [];
  if (kind === 'lora' || kind === 'lyco') {
    // each value read in A1111's order; one that float() refuses fails the activation
    const positionalTe = read(positional[1], 1);
    const te = positionalTe === undefined ? undefined : read(named.get('te'), positionalTe);
    const positionalUnet = te === undefined ? undefined : read(positional[2], te);
    weights = [te, positionalUnet === undefined ? undefined : read(named.get('unet'), positionalUnet)];
  } else if (kind === 'hypernet') {
    weights = [read(items[1], 1)];
  }
  // ExtraNetworkHypernet names its network by items[0], the Lora network by positional[0]
  const name = (kind === 'hypernet' ? items[0] : positional[0]) ?? '';
  return { kind, name, weights: weights.every((w) => w !== undefined) ? (weights as number[]) : [], tag };
}

/** The prompt without its extra network tags, and the tags in order, as A1111's `parse_prompt` splits them. */
export function splitExtraNetworks(prompt: string): { text: string; networks: ExtraNetwork[] } {
  const networks: ExtraNetwork[] = [];
  const text = prompt.replace(TAG, (tag: string, kind: string, args: string) => {
    networks.push(networkOf(kind, args, tag));
    return '';
  });
  return { text, networks };
}

/** A positive prompt's extra networks (kind, name, multipliers), for the plan to record. */
export function extraNetworksOf(prompt: string): ExtraNetwork[] {
  return splitExtraNetworks(prompt).networks;
}

/** The text a positive prompt gives CLIP: its tags removed, as A1111 does before parsing it. */
export function withoutExtraNetworks(prompt: string): string {
  return splitExtraNetworks(prompt).text;
}

const shownLimit = 4;

/**
 * The once-per-render warning about the extra networks found in `where` (deduplicated by tag), or undefined when
 * there are none: they are removed from the prompts as A1111 does, but their weights are not applied to the model yet.
 */
export function extraNetworksWarning(networks: readonly ExtraNetwork[], where = 'the prompts'): string | undefined {
  const tags = [...new Map(networks.map((n) => [n.tag, n])).values()];
  if (tags.length === 0) return undefined;
  const shown = tags.slice(0, shownLimit).map((n) => n.tag).join(' ');
  const more = tags.length > shownLimit ? ` and ${tags.length - shownLimit} more` : '';
  const count = tags.length === 1 ? '1 extra network tag' : `${tags.length} extra network tags`;
  return `${count} in ${where} (${shown}${more}): removed from the prompt text as AUTOMATIC1111 does, but LoRA, LyCORIS and hypernetworks are not applied yet, so frames look as without them`;
}
