import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { maintainColors, type ColorCoherence } from '../../src/motion/color-coherence.js';
import { hsvToRgb, labToRgb, rgbToHsv, rgbToLab } from '../../src/motion/color-space.js';
import type { RawImage } from '../../src/raw-image.js';

interface Encoded { width: number; height: number; data: string }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/motion-color.json', import.meta.url), 'utf8')) as {
  frame: Encoded;
  sample: Encoded;
  cases: { mode: ColorCoherence; data: string }[];
  conversions: Record<string, { width: number; input: string; output: string }>;
  paletteChange: { reference: Encoded; frame: Encoded; lab: string };
};
const decode = (e: Encoded): RawImage => ({ width: e.width, height: e.height, channels: 3, data: new Uint8Array(Buffer.from(e.data, 'base64')) });
const frame = decode(fixture.frame);
const sample = decode(fixture.sample);

function meanColour(img: RawImage): number[] {
  const sum = [0, 0, 0];
  for (let i = 0; i < img.data.length; i++) sum[i % 3] += img.data[i];
  return sum.map((s) => s / (img.data.length / 3));
}

const distance = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

describe('maintainColors', () => {
  it.each(['rgb', 'hsv', 'lab'] as const)('%s pulls the mean colour of a drifted frame back to the reference', (mode) => {
    // The reference is frame 0; the drifted frame is the same picture tinted red and darkened.
    const drifted = { ...sample, data: sample.data.map((v, i) => (i % 3 === 0 ? Math.min(255, v + 50) : Math.max(0, v - 30))) };
    const before = distance(meanColour(drifted), meanColour(sample));
    const after = distance(meanColour(maintainColors(drifted, sample, mode)), meanColour(sample));
    expect(before).toBeGreaterThan(40);
    expect(after).toBeLessThan(before / 4);
  });

  it('none returns the frame unchanged', () => {
    expect(maintainColors(frame, sample, 'none').data).toEqual(frame.data);
  });

  it('keeps the frame size when the reference has another size', () => {
    const out = maintainColors(frame, sample, 'lab');
    expect([out.width, out.height, out.data.length]).toEqual([frame.width, frame.height, frame.data.length]);
  });

  it.each(fixture.cases.map((c) => [c.mode, c] as const))(
    '%s equals Deforum (cv2 + skimage match_histograms on BGR arrays) byte for byte',
    (mode, c) => {
      const out = maintainColors(frame, sample, mode);
      expect(Buffer.from(out.data).equals(Buffer.from(c.data, 'base64'))).toBe(true);
    },
  );
});

// issue 13: after a prompt change from a black background to a white one, LAB coherence turned frames into blobs.
describe('maintainColors across a prompt change from a black background to a white one', () => {
  const reference = decode(fixture.paletteChange.reference);
  const white = decode(fixture.paletteChange.frame);
  const pixels = (img: RawImage) => Array.from({ length: img.width * img.height }, (_, p) => [...img.data.subarray(3 * p, 3 * p + 3)]);
  const background = pixels(white).map((rgb) => rgb[0] + rgb[1] + rgb[2] > 600);

  it('lab equals Deforum byte for byte: the white background goes dark and the blue square black, as frame 0', () => {
    const out = maintainColors(white, reference, 'lab');
    expect(Buffer.from(out.data).equals(Buffer.from(fixture.paletteChange.lab, 'base64'))).toBe(true);
    // Deforum's behaviour, not ours: the README says to use colorCoherence "none" around such a change
    const lightness = pixels({ ...out, data: rgbToLab(out.data, 0) }).map((lab) => lab[0]);
    const backgroundLightness = lightness.filter((_, p) => background[p]);
    expect(backgroundLightness.length / lightness.length).toBeGreaterThan(0.75);
    expect(backgroundLightness.reduce((a, b) => a + b) / backgroundLightness.length).toBeLessThan(100); // 245 before
    expect(pixels(out).filter((_, p) => !background[p]).every((rgb) => Math.max(...rgb) < 64)).toBe(true);
  });

  it('none keeps the new prompt\'s frame', () => {
    expect(maintainColors(white, reference, 'none').data).toEqual(white.data);
  });
});

describe('OpenCV 8-bit colour conversions', () => {
  const conversions: Record<string, (src: Uint8Array, red: 0 | 2, width: number) => Uint8Array> = {
    rgb2hsv: rgbToHsv,
    hsv2rgb: hsvToRgb,
    hsv2rgbNarrow: hsvToRgb,
    rgb2lab: rgbToLab,
    lab2rgb: labToRgb,
  };
  it.each(Object.entries(conversions))('%s matches cv2.cvtColor on random colours', (name, convert) => {
    const { width, input, output } = fixture.conversions[name];
    const got = convert(new Uint8Array(Buffer.from(input, 'base64')), 0, width);
    expect(Buffer.from(got).equals(Buffer.from(output, 'base64'))).toBe(true);
  });

  it('reads red from the channel it is told to (BGR order with red = 2)', () => {
    expect([...rgbToHsv(new Uint8Array([255, 0, 0]), 0)]).toEqual([0, 255, 255]);
    expect([...rgbToHsv(new Uint8Array([255, 0, 0]), 2)]).toEqual([120, 255, 255]);
  });
});
