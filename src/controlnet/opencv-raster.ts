/**
 * The three OpenCV drawing calls the OpenPose preprocessor uses (docs/sd-pipeline.md §6.3), ported so that a skeleton
 * drawn here is pixel-identical to `draw_bodypose`: `ellipse2Poly` (integer angles, OpenCV's 7-decimal float sine
 * table, round-half-even), `fillConvexPoly` with LINE_8 and shift 0 (8-connected Bresenham outline plus a 16.16
 * fixed-point scanline fill), and a filled `circle` with LINE_8 (OpenCV's own midpoint circle, not its ellipse path).
 * Written from the algorithms of OpenCV's imgproc/drawing.cpp; checked against cv2 4.6.0 by the fixtures in
 * test/fixtures/openpose. Coordinates are plain numbers: JS doubles hold OpenCV's int64 fixed-point values exactly.
 */
import type { RawImage } from '../raw-image.js';

export type Rgb = readonly [number, number, number];
export interface IntPoint {
  x: number;
  y: number;
}

const XY_SHIFT = 16;
const XY_ONE = 2 ** XY_SHIFT;

/** OpenCV's SinTable: sin of each whole degree 0…450, written to 7 decimals and stored as float32. */
const SIN_TABLE = Float32Array.from({ length: 451 }, (_, degree) => Number(Math.sin((degree * Math.PI) / 180).toFixed(7)));

/** cvRound: round to nearest, ties to even (the FPU's default mode that `lrint` uses). */
export function cvRound(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** C's `>>` on int64: floor division by a power of two (JS `>>` would wrap at 32 bits). */
function shiftRight(value: number, bits: number): number {
  return Math.floor(value / 2 ** bits);
}

/** The polygon OpenCV approximates an elliptic arc with: integer vertices, consecutive duplicates removed. */
export function ellipse2Poly(center: IntPoint, axes: { width: number; height: number }, angle: number, arcStart: number, arcEnd: number, delta: number): IntPoint[] {
  while (angle < 0) angle += 360;
  while (angle > 360) angle -= 360;
  if (arcStart > arcEnd) [arcStart, arcEnd] = [arcEnd, arcStart];
  while (arcStart < 0) {
    arcStart += 360;
    arcEnd += 360;
  }
  while (arcEnd > 360) {
    arcEnd -= 360;
    arcStart -= 360;
  }
  if (arcEnd - arcStart > 360) {
    arcStart = 0;
    arcEnd = 360;
  }
  const tableAngle = angle < 0 ? angle + 360 : angle;
  const alpha = SIN_TABLE[450 - tableAngle]; // cos
  const beta = SIN_TABLE[tableAngle]; // sin

  const points: IntPoint[] = [];
  for (let i = arcStart; i < arcEnd + delta; i += delta) {
    let a = Math.min(i, arcEnd);
    if (a < 0) a += 360;
    const x = axes.width * SIN_TABLE[450 - a];
    const y = axes.height * SIN_TABLE[a];
    const point = { x: cvRound(center.x + x * alpha - y * beta), y: cvRound(center.y + x * beta + y * alpha) };
    const previous = points[points.length - 1];
    if (!previous || previous.x !== point.x || previous.y !== point.y) points.push(point);
  }
  // a single point is OpenCV's zero-size polygon
  return points.length === 1 ? [{ ...center }, { ...center }] : points;
}

function horizontalLine(image: RawImage, y: number, x1: number, x2: number, color: Rgb): void {
  const { data, width, channels } = image;
  for (let offset = (y * width + x1) * channels, end = (y * width + x2) * channels; offset <= end; offset += channels) {
    data[offset] = color[0];
    data[offset + 1] = color[1];
    data[offset + 2] = color[2];
  }
}

/** clipLine: Cohen–Sutherland on integers with C's truncating division; false when the segment misses the image. */
function clipLine(width: number, height: number, p1: IntPoint, p2: IntPoint): boolean {
  const right = width - 1;
  const bottom = height - 1;
  const code = (p: IntPoint) => (p.x < 0 ? 1 : 0) + (p.x > right ? 2 : 0) + (p.y < 0 ? 4 : 0) + (p.y > bottom ? 8 : 0);
  let c1 = code(p1);
  let c2 = code(p2);
  if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
    if (c1 & 12) {
      const a = c1 < 8 ? 0 : bottom;
      p1.x += Math.trunc(((a - p1.y) * (p2.x - p1.x)) / (p2.y - p1.y));
      p1.y = a;
      c1 = (p1.x < 0 ? 1 : 0) + (p1.x > right ? 2 : 0);
    }
    if (c2 & 12) {
      const a = c2 < 8 ? 0 : bottom;
      p2.x += Math.trunc(((a - p2.y) * (p2.x - p1.x)) / (p2.y - p1.y));
      p2.y = a;
      c2 = (p2.x < 0 ? 1 : 0) + (p2.x > right ? 2 : 0);
    }
    if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
      if (c1) {
        const a = c1 === 1 ? 0 : right;
        p1.y += Math.trunc(((a - p1.x) * (p2.y - p1.y)) / (p2.x - p1.x));
        p1.x = a;
        c1 = 0;
      }
      if (c2) {
        const a = c2 === 1 ? 0 : right;
        p2.y += Math.trunc(((a - p2.x) * (p2.y - p1.y)) / (p2.x - p1.x));
        p2.x = a;
        c2 = 0;
      }
    }
  }
  return (c1 | c2) === 0;
}

/** An 8-connected line as OpenCV's LineIterator walks it (left to right, clipped to the image). */
function line8(image: RawImage, from: IntPoint, to: IntPoint, color: Rgb): void {
  let p1 = { ...from };
  let p2 = { ...to };
  const outside = (p: IntPoint) => p.x < 0 || p.x >= image.width || p.y < 0 || p.y >= image.height;
  if ((outside(p1) || outside(p2)) && !clipLine(image.width, image.height, p1, p2)) return;
  let dx = p2.x - p1.x;
  let dy = p2.y - p1.y;
  if (dx < 0) {
    dx = -dx;
    dy = -dy;
    [p1, p2] = [p2, p1];
  }
  let stepY = 1;
  if (dy < 0) {
    dy = -dy;
    stepY = -1;
  }
  const vertical = dy > dx;
  const major = vertical ? dy : dx;
  const minor = vertical ? dx : dy;
  let err = major - 2 * minor;
  let { x, y } = p1;
  for (let count = major + 1; count > 0; count--) {
    const offset = (y * image.width + x) * image.channels;
    image.data[offset] = color[0];
    image.data[offset + 1] = color[1];
    image.data[offset + 2] = color[2];
    const diagonal = err < 0;
    err += -2 * minor + (diagonal ? 2 * major : 0);
    if (vertical) {
      y += stepY;
      if (diagonal) x += 1;
    } else {
      x += 1;
      if (diagonal) y += stepY;
    }
  }
}

/** cv2.fillConvexPoly(img, points, color) with the defaults LINE_8 and shift 0. */
export function fillConvexPoly(image: RawImage, points: readonly IntPoint[], color: Rgb): void {
  const count = points.length;
  if (count === 0) return;
  const half = XY_ONE / 2; // LINE_8: both span ends round to nearest
  let xmin = points[0].x;
  let xmax = xmin;
  let ymin = points[0].y;
  let ymax = ymin;
  let imin = 0;
  let previous = points[count - 1];
  for (let i = 0; i < count; i++) {
    const p = points[i];
    if (p.y < ymin) {
      ymin = p.y;
      imin = i;
    }
    ymax = Math.max(ymax, p.y);
    xmax = Math.max(xmax, p.x);
    xmin = Math.min(xmin, p.x);
    line8(image, previous, p, color);
    previous = p;
  }
  if (count < 3 || xmax < 0 || ymax < 0 || xmin >= image.width || ymin >= image.height) return;
  ymax = Math.min(ymax, image.height - 1);

  const edges = [
    { idx: imin, di: 1, x: -XY_ONE, dx: 0, ye: ymin },
    { idx: imin, di: count - 1, x: -XY_ONE, dx: 0, ye: ymin },
  ];
  let remaining = count;
  let y = ymin;
  do {
    for (const edge of edges) {
      if (y < edge.ye) continue;
      let idx0 = edge.idx;
      let idx = (idx0 + edge.di) % count;
      // OpenCV's `for (; edges-- > 0; )`: the counter ends at −1 when the polygon is used up
      while (remaining-- > 0) {
        const ty = points[idx].y;
        if (ty > y) {
          const xs = points[idx0].x * XY_ONE;
          const xe = points[idx].x * XY_ONE;
          edge.ye = ty;
          edge.dx = Math.trunc(((xe - xs) * 2 + (ty - y)) / (2 * (ty - y)));
          edge.x = xs;
          edge.idx = idx;
          break;
        }
        idx0 = idx;
        idx = (idx + edge.di) % count;
      }
    }
    if (remaining < 0) break;
    if (y >= 0) {
      const [left, right] = edges[0].x > edges[1].x ? [edges[1], edges[0]] : [edges[0], edges[1]];
      let x1 = shiftRight(left.x + half, XY_SHIFT);
      let x2 = shiftRight(right.x + half, XY_SHIFT);
      if (x2 >= 0 && x1 < image.width) {
        x1 = Math.max(x1, 0);
        x2 = Math.min(x2, image.width - 1);
        horizontalLine(image, y, x1, x2, color);
      }
    }
    edges[0].x += edges[0].dx;
    edges[1].x += edges[1].dx;
  } while (++y <= ymax);
}

/** cv2.circle(img, center, radius, color, thickness=-1) with LINE_8: spans of OpenCV's midpoint circle. */
export function fillCircle(image: RawImage, center: IntPoint, radius: number, color: Rgb): void {
  const span = (y: number, x1: number, x2: number) => {
    if (y < 0 || y >= image.height || x1 >= image.width || x2 < 0) return;
    horizontalLine(image, y, Math.max(x1, 0), Math.min(x2, image.width - 1), color);
  };
  let err = 0;
  let dx = radius;
  let dy = 0;
  let plus = 1;
  let minus = 2 * radius - 1;
  while (dx >= dy) {
    span(center.y - dy, center.x - dx, center.x + dx);
    span(center.y + dy, center.x - dx, center.x + dx);
    span(center.y - dx, center.x - dy, center.x + dy);
    span(center.y + dx, center.x - dy, center.x + dy);
    dy++;
    err += plus;
    plus += 2;
    if (err > 0) {
      err -= minus;
      dx--;
      minus -= 2;
    }
  }
}
