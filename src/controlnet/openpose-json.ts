/**
 * OpenPose JSON as users have it (docs/sd-pipeline.md §6.4):
 * - the ControlNet / huchenlei editor format `{people: [{pose_keypoints_2d: [x, y, c, …18×3]}], canvas_width,
 *   canvas_height}`, in pixels or normalised (a person whose present keypoints all have |x|, |y| ≤ 1 is scaled by the
 *   canvas, as `draw_bodypose` and the editor do); a keypoint with c < 1.0 is missing (sd-webui-controlnet's decode);
 * - the older fkunn1326 editor format `{width, height, keypoints: [[x, y], …]}`: pixels, 18 points per person.
 * Every problem is a PoseError naming the file, the person and the keypoint.
 */
import { z } from 'zod';
import { PoseError } from '../errors.js';
import { InputFileError, readRegularFile } from '../input-file.js';
import { plainIssueText } from '../issue-text.js';
import { COCO18_KEYPOINTS, KEYPOINT_COUNT, type Keypoint, type Person, type Pose } from './pose.js';

/**
 * `pose draw` rasterises at the canvas size: 8192 px a side (192 MiB of RGB) is four times the largest frame and
 * above the pose editors' canvases, so a typo cannot ask for gigabytes.
 */
export const maxCanvasSide = 8192;
const canvasSide = z.number().int().positive().max(maxCanvasSide);

const OpenPoseDocumentSchema = z.object({
  people: z.array(z.object({ pose_keypoints_2d: z.array(z.number()) })).default([]),
  canvas_width: canvasSide,
  canvas_height: canvasSide,
});

const LegacyEditorDocumentSchema = z.object({
  width: canvasSide,
  height: canvasSide,
  keypoints: z.array(z.tuple([z.number(), z.number()])),
});

/** A raw keypoint before the canvas rules: position and whether it is present. */
interface WrittenKeypoint {
  x: number;
  y: number;
  present: boolean;
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`)).join('');
  return where ? `${where}: ${issue.message}` : issue.message;
}

function writtenPeople(document: unknown, file: string): { width: number; height: number; people: WrittenKeypoint[][] } {
  const fail = (detail: string) => new PoseError(`${file}: ${detail}`);
  // the ControlNet API returns a list of poses, one per image; a saved list of one is that pose
  if (Array.isArray(document)) {
    if (document.length !== 1) throw fail(`a list of ${document.length} poses; expected one pose object (or a list of exactly one)`);
    return writtenPeople(document[0], file);
  }
  if (document !== null && typeof document === 'object' && 'keypoints' in document) {
    const parsed = LegacyEditorDocumentSchema.safeParse(document, { error: plainIssueText });
    if (!parsed.success) throw fail(`${issueText(parsed.error)} (openpose-editor format: {"width", "height", "keypoints": [[x, y], …]})`);
    const { width, height, keypoints } = parsed.data;
    if (keypoints.length === 0) throw fail('no people: "keypoints" is empty');
    if (keypoints.length % KEYPOINT_COUNT !== 0) {
      throw fail(`"keypoints" has ${keypoints.length} points; expected ${KEYPOINT_COUNT} per person (COCO-18 order)`);
    }
    const people: WrittenKeypoint[][] = [];
    for (let start = 0; start < keypoints.length; start += KEYPOINT_COUNT) {
      people.push(keypoints.slice(start, start + KEYPOINT_COUNT).map(([x, y]) => ({ x, y, present: true })));
    }
    return { width, height, people };
  }
  const parsed = OpenPoseDocumentSchema.safeParse(document, { error: plainIssueText });
  if (!parsed.success) {
    throw fail(`${issueText(parsed.error)} (OpenPose format: {"people": [{"pose_keypoints_2d": [x, y, c, …]}], "canvas_width", "canvas_height"})`);
  }
  const { people, canvas_width: width, canvas_height: height } = parsed.data;
  if (people.length === 0) throw fail('no people: "people" is empty; expected at least one person with "pose_keypoints_2d"');
  return {
    width,
    height,
    people: people.map(({ pose_keypoints_2d: flat }, p) => {
      // a person without body keypoints (face or hands only) has no skeleton, as in ControlNet's decode
      if (flat.length === 0) return Array.from({ length: KEYPOINT_COUNT }, () => ({ x: 0, y: 0, present: false }));
      if (flat.length !== KEYPOINT_COUNT * 3) {
        const body25 = flat.length === 75 ? ' (this looks like BODY_25; export COCO-18 / the ControlNet editor format)' : '';
        throw fail(`people[${p}].pose_keypoints_2d has ${flat.length} numbers; expected ${KEYPOINT_COUNT * 3} (18 keypoints × x, y, confidence in COCO-18 order)${body25}`);
      }
      return Array.from({ length: KEYPOINT_COUNT }, (_, k) => ({ x: flat[3 * k], y: flat[3 * k + 1], present: flat[3 * k + 2] >= 1 }));
    }),
  };
}

/** Pixel keypoints of one person: normalised people scaled by the canvas, positions checked against it. */
function personOnCanvas(written: WrittenKeypoint[], p: number, width: number, height: number, file: string): Person {
  const present = written.filter((k) => k.present);
  const normalised = present.length > 0 && present.every((k) => Math.abs(k.x) <= 1 && Math.abs(k.y) <= 1);
  return written.map((k, i): Keypoint | null => {
    if (!k.present) return null;
    const x = normalised ? k.x * width : k.x;
    const y = normalised ? k.y * height : k.y;
    if (!(x >= 0 && x <= width && y >= 0 && y <= height)) {
      throw new PoseError(
        `${file}: people[${p}] keypoint ${i} (${COCO18_KEYPOINTS[i]}) at (${k.x}, ${k.y}) is outside the ${width}×${height} canvas` +
          `${normalised ? ' (normalised coordinates)' : ''}; expected 0 ≤ x ≤ ${normalised ? 1 : width}, 0 ≤ y ≤ ${normalised ? 1 : height}`,
      );
    }
    return { x, y };
  });
}

/** Parses the text of an OpenPose JSON file; `file` names it in errors. */
export function parseOpenPoseJson(text: string, file: string): Pose {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PoseError(`${file}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { width, height, people } = writtenPeople(document, file);
  if (!people.some((person) => person.some((k) => k.present))) {
    throw new PoseError(`${file}: no keypoint has confidence 1.0, so nothing would be drawn (ControlNet draws only keypoints with c ≥ 1.0; missing ones are [0, 0, 0])`);
  }
  return { width, height, people: people.map((person, p) => personOnCanvas(person, p, width, height, file)) };
}

/** OpenPose JSON is a few kilobytes per pose; this bounds what a mistaken file can cost. */
const MAX_POSE_FILE_BYTES = 16 * 2 ** 20;

/** Reads and parses a pose file: only a regular file of at most 16 MiB (a FIFO would block, /dev/zero never end). */
export async function loadOpenPoseJson(file: string): Promise<Pose> {
  let text: string;
  try {
    text = readRegularFile(file, MAX_POSE_FILE_BYTES).toString('utf8');
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    throw new PoseError(`${file}: cannot read pose file: ${error.kind === 'missing' ? 'file not found' : `it ${error.reason}`}`);
  }
  return parseOpenPoseJson(text, file);
}
