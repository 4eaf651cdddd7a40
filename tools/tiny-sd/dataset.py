"""Procedural captioned images: flat backgrounds with shapes, and filled stick figures with their OpenPose skeletons.

Caption grammar (the model's whole vocabulary; models/tiny-sd/README.md repeats it):
  shapes:  "a[n] [small|large] <colour> <shape>[ <position>][ and ...] on a[n] <colour> background"
  figures: "a[n] <colour> figure[ <pose>] on a[n] <colour> background"
A single shape without a position word sits in the centre; without a size word it is medium-sized.
"""
import math
import os

import cv2
import numpy as np

SIZE = 128

# Named colours as sRGB; the adherence check classifies pixels by the nearest of these.
COLOURS = {
    "red": (225, 30, 30),
    "green": (30, 165, 50),
    "blue": (35, 70, 225),
    "yellow": (245, 220, 35),
    "orange": (245, 135, 20),
    "purple": (135, 45, 180),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
}
SHAPES = ("circle", "square", "triangle", "star", "diamond")
SIZES = {"small": 0.11, None: 0.19, "large": 0.30}  # radius as a fraction of the image side
POSITIONS = {
    "on the left": (0.25, 0.5),
    "on the right": (0.75, 0.5),
    "at the top": (0.5, 0.25),
    "at the bottom": (0.5, 0.75),
    "in the centre": (0.5, 0.5),
}
POSES = ("standing", "raising both arms", "with arms out", "raising the left arm", "raising the right arm",
         "walking", "with legs apart", "bending")


def _heldout():
    """Every 7th (colour, shape, background) triple of the basic shapes never appears in training."""
    triples = [(c, s, b) for b in COLOURS for s in ("circle", "square", "triangle") for c in COLOURS if c != b]
    return frozenset(triples[3::7])


HELDOUT = _heldout()


def heldout_captions():
    return sorted(f"{article(c)} {c} {s} on {article(b)} {b} background" for c, s, b in HELDOUT)


def _jitter_colour(rng, name):
    return tuple(int(np.clip(v + rng.integers(-8, 9), 0, 255)) for v in COLOURS[name])


def _shape_polygon(shape, cx, cy, r):
    if shape == "square":
        a = r * 0.85
        pts = [(cx - a, cy - a), (cx + a, cy - a), (cx + a, cy + a), (cx - a, cy + a)]
    elif shape == "triangle":
        pts = [(cx + r * math.cos(math.radians(-90 + 120 * k)), cy + r * math.sin(math.radians(-90 + 120 * k)) + r * 0.2)
               for k in range(3)]
    elif shape == "diamond":
        pts = [(cx, cy - r), (cx + r * 0.75, cy), (cx, cy + r), (cx - r * 0.75, cy)]
    else:  # star
        pts = [(cx + (r if k % 2 == 0 else r * 0.45) * math.cos(math.radians(-90 + 36 * k)),
                cy + (r if k % 2 == 0 else r * 0.45) * math.sin(math.radians(-90 + 36 * k))) for k in range(10)]
    return np.round(np.array(pts) * 16).astype(np.int32)


def draw_shape(canvas, shape, cx, cy, r, colour):
    s = canvas.shape[0] / SIZE
    cx, cy, r = cx * s, cy * s, r * s
    if shape == "circle":
        cv2.circle(canvas, (int(round(cx * 16)), int(round(cy * 16))), int(round(r * 16)), colour, -1, cv2.LINE_AA, 4)
    else:
        cv2.fillPoly(canvas, [_shape_polygon(shape, cx, cy, r)], colour, cv2.LINE_AA, 4)


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def _caption_colour(rng, exclude):
    return str(rng.choice([c for c in COLOURS if c not in exclude]))


def shapes_scene(rng, size=SIZE):
    while True:
        bg = str(rng.choice(list(COLOURS)))
        n = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        items = []
        if n == 1:
            pos = rng.choice([None] + list(POSITIONS)) if rng.random() < 0.5 else None
            pos = None if pos is None else str(pos)
            sz = rng.choice(["small", None, "large"])
            items.append((_caption_colour(rng, {bg}), str(rng.choice(SHAPES)), None if sz is None else str(sz), pos))
        else:
            poss = [str(p) for p in rng.permutation(list(POSITIONS))[:n]]
            for p in poss:
                sz = "small" if rng.random() < 0.4 else None
                items.append((_caption_colour(rng, {bg}), str(rng.choice(SHAPES)), sz, p))
        if any((c, s, bg) in HELDOUT for c, s, _, _ in items):
            continue
        break
    canvas = np.empty((size, size, 3), np.uint8)
    canvas[:] = _jitter_colour(rng, bg)
    say_position = n == 1 or rng.random() < 0.8
    phrases = []
    for colour, shape, sz, pos in items:
        fx, fy = POSITIONS[pos or "in the centre"]
        r = SIZES[sz] * SIZE * rng.uniform(0.85, 1.15)
        jit = 0.05 * SIZE
        cx, cy = fx * SIZE + rng.uniform(-jit, jit), fy * SIZE + rng.uniform(-jit, jit)
        draw_shape(canvas, shape, cx, cy, r, _jitter_colour(rng, colour))
        words = ([sz] if sz else []) + [colour, shape] + ([pos] if pos and say_position else [])
        phrases.append(article(words[0]) + " " + " ".join(words))
    return canvas, " and ".join(phrases) + f" on {article(bg)} {bg} background"


# ---- stick figures -------------------------------------------------------------------------------------------------

# OpenPose body limbs (0-based keypoint pairs) and colours; docs/sd-pipeline.md §6.3.
LIMBS = [(1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
         (1, 0), (0, 14), (14, 16), (0, 15), (15, 17)]
POSE_COLOURS = [(255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
                (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
                (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85)]


def _limb_end(start, angle_deg, length):
    """Angle 0 points right (image +x), 90 points down."""
    a = math.radians(angle_deg)
    return (start[0] + length * math.cos(a), start[1] + length * math.sin(a))


def _pose_angles(rng, pose):
    """Upper/lower arm and leg angles (degrees, image convention) for the figure's right (image left) and left side."""
    j = lambda: rng.uniform(-12, 12)  # noqa: E731
    down_r, down_l = 105, 75
    up_r, up_l = 240, 300
    out_r, out_l = 180, 0
    arms = {
        "standing": (down_r, down_l),
        "raising both arms": (up_r, up_l),
        "with arms out": (out_r, out_l),
        "raising the left arm": (down_r, up_l),
        "raising the right arm": (up_r, down_l),
        "walking": (rng.uniform(70, 110), rng.uniform(70, 110)),
        "with legs apart": (rng.choice([down_r, out_r, up_r]), None),
        "bending": (down_r, down_l),
        None: (rng.uniform(0, 360), rng.uniform(0, 360) if rng.random() < 0.5 else rng.uniform(-180, 180)),
    }[pose]
    arm_r, arm_l = arms
    if arm_l is None:
        arm_l = 180 - arm_r
    legs = {"with legs apart": (115, 65), "walking": (rng.uniform(100, 120), rng.uniform(60, 80))}
    if pose is None:
        leg_r, leg_l = rng.uniform(85, 130), rng.uniform(50, 95)
    else:
        leg_r, leg_l = legs.get(pose, (95, 85))
    bend = rng.choice([-1, 1]) * rng.uniform(20, 40) if pose == "bending" else (rng.uniform(-15, 15) if pose is None else 0)
    fore = lambda a: a + (rng.uniform(-40, 40) if pose is None or pose == "walking" else j() * 0.5)  # noqa: E731
    return dict(arm_r=arm_r + j(), arm_l=arm_l + j(), fore_r=fore(arm_r), fore_l=fore(arm_l), leg_r=leg_r + j() * 0.5,
                leg_l=leg_l + j() * 0.5, shin_r=leg_r + rng.uniform(-10, 10), shin_l=leg_l + rng.uniform(-10, 10), bend=bend)


def pose_keypoints(rng, pose, size=SIZE):
    """18 COCO keypoints (pixels) of a figure in the named pose, randomly scaled and placed."""
    h = rng.uniform(0.5, 0.9) * size
    a = _pose_angles(rng, pose)
    hip = (0.0, 0.0)
    up = math.radians(a["bend"])

    def torso(x, y):  # rotate the upper body about the hip centre
        return (x * math.cos(up) - y * math.sin(up), x * math.sin(up) + y * math.cos(up))

    neck = torso(0, -0.32 * h)
    nose = torso(0, -0.43 * h)
    k = [None] * 18
    k[0], k[1] = nose, neck
    k[2], k[5] = torso(-0.10 * h, -0.30 * h), torso(0.10 * h, -0.30 * h)
    k[3] = _limb_end(k[2], a["arm_r"] + a["bend"], 0.15 * h)
    k[4] = _limb_end(k[3], a["fore_r"] + a["bend"], 0.14 * h)
    k[6] = _limb_end(k[5], a["arm_l"] + a["bend"], 0.15 * h)
    k[7] = _limb_end(k[6], a["fore_l"] + a["bend"], 0.14 * h)
    k[8], k[11] = (-0.06 * h, 0.0), (0.06 * h, 0.0)
    k[9] = _limb_end(k[8], a["leg_r"], 0.23 * h)
    k[10] = _limb_end(k[9], a["shin_r"], 0.23 * h)
    k[12] = _limb_end(k[11], a["leg_l"], 0.23 * h)
    k[13] = _limb_end(k[12], a["shin_l"], 0.23 * h)
    k[14], k[15] = torso(-0.025 * h, -0.455 * h), torso(0.025 * h, -0.455 * h)
    k[16], k[17] = torso(-0.055 * h, -0.44 * h), torso(0.055 * h, -0.44 * h)
    pts = np.array(k, np.float64)
    del hip
    lo, hi = pts.min(0) - 0.07 * h, pts.max(0) + 0.07 * h
    span = hi - lo
    shift = np.array([rng.uniform(-lo[i], size - span[i] - lo[i]) if span[i] < size else (size - span[i]) / 2 - lo[i]
                      for i in range(2)])
    return pts + shift


def draw_openpose(keypoints, height, width):
    """The OpenPose preprocessor's body drawing (draw_bodypose; docs/sd-pipeline.md §6.3), keypoints in pixels."""
    canvas = np.zeros((height, width, 3), np.uint8)
    for i, (a, b) in enumerate(LIMBS):
        (x1, y1), (x2, y2) = keypoints[a], keypoints[b]
        length = math.hypot(x1 - x2, y1 - y2)
        angle = math.degrees(math.atan2(y1 - y2, x1 - x2))
        poly = cv2.ellipse2Poly((int((x1 + x2) / 2), int((y1 + y2) / 2)), (int(length / 2), 4), int(angle), 0, 360, 1)
        cv2.fillConvexPoly(canvas, poly, [int(c * 0.6) for c in POSE_COLOURS[i]])
    for i, (x, y) in enumerate(keypoints):
        cv2.circle(canvas, (int(x), int(y)), 4, POSE_COLOURS[i], thickness=-1)
    return canvas


def draw_figure(canvas, keypoints, colour):
    """A filled figure: thick limbs, a torso and a round head, scaled to the canvas (keypoints in SIZE pixels)."""
    s = canvas.shape[0] / SIZE
    p = keypoints * s * 16
    h = np.linalg.norm(keypoints[1] - (keypoints[8] + keypoints[11]) / 2) / 0.32 * s
    w = max(2, int(round(0.065 * h)))
    ip = lambda i: (int(round(p[i][0])), int(round(p[i][1])))  # noqa: E731
    cv2.fillPoly(canvas, [np.array([ip(2), ip(5), ip(11), ip(8)], np.int32)], colour, cv2.LINE_AA, 4)
    for a, b in [(2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (9, 10), (11, 12), (12, 13), (1, 0), (2, 5), (8, 11)]:
        cv2.line(canvas, ip(a), ip(b), colour, w, cv2.LINE_AA, 4)
        for i in (a, b):
            cv2.circle(canvas, ip(i), int(w * 16 / 2), colour, -1, cv2.LINE_AA, 4)
    cv2.circle(canvas, ip(0), int(round(0.085 * h * 16)), colour, -1, cv2.LINE_AA, 4)


def figure_scene(rng, size=SIZE):
    """(image, caption, keypoints in SIZE pixels)."""
    bg = str(rng.choice(list(COLOURS)))
    colour = _caption_colour(rng, {bg})
    pose = str(rng.choice(POSES)) if rng.random() < 0.75 else None
    kp = pose_keypoints(rng, pose)
    canvas = np.empty((size, size, 3), np.uint8)
    canvas[:] = _jitter_colour(rng, bg)
    draw_figure(canvas, kp, _jitter_colour(rng, colour))
    caption = f"{article(colour)} {colour} figure" + (f" {pose}" if pose else "") + f" on {article(bg)} {bg} background"
    return canvas, caption, kp


CHUNK = 4000


def _build_chunk(args):
    n, seed, chunk, figure_fraction = args
    rng = np.random.default_rng([seed, chunk])
    images = np.empty((n, SIZE, SIZE, 3), np.uint8)
    captions, keypoints = [], np.full((n, 18, 2), np.nan, np.float32)
    for i in range(n):
        if rng.random() < figure_fraction:
            images[i], cap, keypoints[i] = figure_scene(rng)
        else:
            images[i], cap = shapes_scene(rng)
        captions.append(cap)
    return images, captions, keypoints


def build(n, seed, figure_fraction=0.3):
    """n images (uint8 [n,128,128,3]), captions, and keypoints (NaN for shape scenes). Drawn in chunks of CHUNK, each
    from its own seeded generator, on every CPU core: the same n and seed give the same data on any machine."""
    from multiprocessing import Pool

    jobs = [(min(CHUNK, n - start), seed, k, figure_fraction) for k, start in enumerate(range(0, n, CHUNK))]
    with Pool(min(len(jobs), os.cpu_count() or 1)) as pool:
        parts = pool.map(_build_chunk, jobs)
    return (np.concatenate([p[0] for p in parts]), [c for p in parts for c in p[1]],
            np.concatenate([p[2] for p in parts]))


if __name__ == "__main__":
    import sys
    from PIL import Image

    imgs, caps, kps = build(16, 0, 0.5)
    grid = np.concatenate([np.concatenate(list(imgs[r * 4:(r + 1) * 4]), 1) for r in range(4)], 0)
    Image.fromarray(grid).save(sys.argv[1])
    for i, c in enumerate(caps):
        print(i, c)
    first_fig = [i for i in range(16) if not np.isnan(kps[i, 0, 0])][0]
    Image.fromarray(np.concatenate([imgs[first_fig], draw_openpose(kps[first_fig], SIZE, SIZE)], 1)).save(
        sys.argv[1].replace(".png", "_pose.png"))
