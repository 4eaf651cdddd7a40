"""Procedural scenes with known depth, drawn from the bundled SD model's world (tools/tiny-sd/dataset.py: its colours,
shapes, figures and drawing code), for training and checking the tiny depth model.

A scene is a box of flat-coloured surfaces seen by a pinhole camera: a back wall facing the camera (the "background"
of tiny-sd's pictures) and, in most scenes, a floor, side walls and a ceiling in perspective, all vanishing at one
point. In front of them stand shapes and figures, each a flat cut-out parallel to the image at one depth, drawn far to
near so that nearer ones hide farther ones; on a floor a cut-out stands where its lowest pixel meets the floor. Depth z
is the distance along the view axis (larger = farther); a pixel's z is that of the surface or cut-out covering more
than half of it.

usage: scenes.py OUT.png [N]   (a contact sheet of N scenes beside their inverse depth, for looking at)
"""
import os
import sys

import cv2
import numpy as np

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tiny-sd"))
from dataset import COLOURS, POSES, SHAPES, SIZE, _jitter_colour, draw_figure, draw_shape, pose_keypoints  # noqa: E402

# Kinds of scene and how often each is drawn: tiny-sd's flat background alone, a floor meeting the back wall, and rooms
# or corridors with side walls and sometimes a ceiling. No floor runs to a horizon: the 8-bit inverse-depth map the
# Depth-Anything pipeline hands Deforum (value·255/max) cannot order points 30 and 40 units away in a scene whose
# nearest point is 1 unit away, so the back wall stays within about 12× the nearest cut-out's distance.
KINDS = {"flat": 0.25, "floor": 0.3, "room": 0.45}
BACK_DEPTH = (4.0, 12.0)
COUNTS, COUNT_P = (0, 1, 2, 3, 4), (0.08, 0.37, 0.27, 0.18, 0.1)
# A cut-out is at least this near, and at most IN_FRONT of the nearest surface it covers.
NEAREST, IN_FRONT = 1.0, 0.8
FIGURE_P, STANDING_P = 0.2, 0.85
SUPERSAMPLE = 2


def _box(rng, kind):
    """The box's parameters: back wall depth, vanishing point, and per plane the gap between the vanishing point and
    the line where the plane meets the back wall (normalised image units)."""
    vx, vy = rng.uniform(0.25, 0.75), rng.uniform(0.2, 0.6)
    back = rng.uniform(*BACK_DEPTH)
    planes = {}
    if kind == "floor":
        planes["floor"] = rng.uniform(0.1, 0.95 - vy)
    elif kind == "room":
        planes["floor"] = rng.uniform(0.08, 0.9 - vy)
        if rng.random() < 0.65:
            planes["left"] = rng.uniform(0.08, max(0.09, vx - 0.02))
        if rng.random() < 0.65:
            planes["right"] = rng.uniform(0.08, max(0.09, 0.98 - vx))
        if rng.random() < 0.3:
            planes["ceiling"] = rng.uniform(0.08, max(0.09, vy - 0.02))
    return {"back": back, "vx": vx, "vy": vy, "planes": planes}


def _render_box(box, size):
    """Depth (float64 [size, size]) and surface index (0 = back wall, then the planes in order) at pixel centres."""
    c = (np.arange(size) + 0.5) / size
    u, v = np.meshgrid(c, c)
    depth = np.full((size, size), box["back"])
    index = np.zeros((size, size), np.int64)
    away = {"floor": v - box["vy"], "ceiling": box["vy"] - v, "left": box["vx"] - u, "right": u - box["vx"]}
    for k, (name, gap) in enumerate(box["planes"].items()):
        # z grows as 1/(distance from the vanishing point) and equals the back wall's depth on the meeting line
        dist = away[name]
        z = np.where(dist > 0, box["back"] * gap / np.maximum(dist, 1e-9), np.inf)
        nearer = z < depth
        depth[nearer] = z[nearer]
        index[nearer] = k + 1
    return depth, index


def _mask(size, draw):
    canvas = np.zeros((size, size), np.uint8)
    draw(canvas)
    return canvas


def _cutout(rng):
    """A function drawing one shape or figure in white on a canvas of any size (dataset.py scales SIZE-space
    coordinates to the canvas)."""
    if rng.random() < FIGURE_P:
        keypoints = pose_keypoints(rng, str(rng.choice(POSES)))
        return lambda canvas: draw_figure(canvas, keypoints, (255, 255, 255))
    shape = str(rng.choice(SHAPES))
    r = rng.uniform(0.07, 0.3) * SIZE
    cx, cy = rng.uniform(0.6 * r, SIZE - 0.6 * r), rng.uniform(0.6 * r, SIZE - 0.6 * r)
    return lambda canvas: draw_shape(canvas, shape, cx, cy, r, (255, 255, 255))


def scene(rng, size=SIZE):
    """(image uint8 [size, size, 3] RGB, depth float32 [size, size], kind)."""
    kind = str(rng.choice(list(KINDS), p=list(KINDS.values())))
    box = _box(rng, kind)
    depth, _ = _render_box(box, size)
    # surfaces drawn at 2× and averaged down, so their edges are anti-aliased like dataset.py's shapes
    _, fine = _render_box(box, size * SUPERSAMPLE)
    # every surface its own colour (neighbours need an edge to be seen); cut-outs in the colours left
    names = [str(c) for c in rng.permutation(list(COLOURS))]
    surfaces, others = names[:len(box["planes"]) + 1], names[len(box["planes"]) + 1:]
    palette = np.array([_jitter_colour(rng, n) for n in surfaces], np.float32)
    image = cv2.resize(palette[fine], (size, size), interpolation=cv2.INTER_AREA)
    count = int(rng.choice(COUNTS, p=COUNT_P)) or (1 if kind == "flat" else 0)
    placed = []
    for _ in range(count):
        colour = str(rng.choice(others))
        draw = _cutout(rng)
        coverage = _mask(size, draw)
        mask = coverage >= 128
        if not mask.any():
            continue
        limit = max(NEAREST, IN_FRONT * float(depth[mask].min()))
        rows = np.nonzero(mask.any(1))[0]
        base = depth[rows[-1], np.nonzero(mask[rows[-1]])[0]].min()
        standing = box["planes"].get("floor") is not None and rng.random() < STANDING_P and base < box["back"]
        z = min(base, limit) if standing else rng.uniform(NEAREST, limit)
        placed.append((z, _jitter_colour(rng, colour), coverage, mask))
    for z, colour, coverage, mask in sorted(placed, key=lambda p: -p[0]):
        alpha = coverage[..., None].astype(np.float32) / 255
        image = image * (1 - alpha) + np.array(colour, np.float32) * alpha
        depth[mask] = z
    return np.clip(image + 0.5, 0, 255).astype(np.uint8), depth.astype(np.float32), kind


def inverse_depth_grey(depth):
    disparity = 1 / depth
    span = max(1e-9, float(disparity.max() - disparity.min()))
    return ((disparity - disparity.min()) / span * 255).astype(np.uint8)


if __name__ == "__main__":
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    rng = np.random.default_rng(0)
    tiles = []
    for _ in range(count):
        img, d, _ = scene(rng)
        tiles.append(np.concatenate([img, np.repeat(inverse_depth_grey(d)[..., None], 3, 2)], 1))
    rows = [np.concatenate(tiles[i:i + 4], 1) for i in range(0, len(tiles) - len(tiles) % 4, 4)]
    cv2.imwrite(sys.argv[1], cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
