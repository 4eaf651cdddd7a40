"""The tiny depth model's quality bar in PyTorch: on held-out procedural scenes (their own seed stream, never drawn in
training), random pixel pairs whose true depths differ by more than 10 %; a pair is right when the nearer pixel gets
the larger predicted inverse depth. The same measure runs through the ONNX file in test/models/tiny-depth-quality.test.ts.

usage: evaluate.py CHECKPOINT [SCENES]
"""
import sys

import numpy as np
import torch
from torch.nn import functional as F

import batches
import scenes
from model import TinyDepth

HELD_OUT_SEED = 7
PAIRS, MIN_RATIO = 2000, 1.1


def predict(model, image):
    """Inverse depth at the image's size: resized to the model's input, run, and resized back bicubically."""
    import cv2

    h, w = image.shape[:2]
    x = cv2.resize(image, (batches.INPUT, batches.INPUT), interpolation=cv2.INTER_CUBIC if h < batches.INPUT else cv2.INTER_AREA)
    with torch.no_grad():
        out = model(torch.from_numpy(batches.normalise(x))[None])
        return F.interpolate(out[:, None], size=(h, w), mode="bicubic", align_corners=False)[0, 0].numpy()


def pair_accuracy(prediction, depth, rng, pairs=PAIRS):
    """(right, counted): pairs of pixels whose depths differ by more than 10 %, and how many the prediction orders."""
    flat_d, flat_p = depth.ravel(), prediction.ravel()
    i, j = rng.integers(0, flat_d.size, (2, pairs))
    near, far = np.minimum(flat_d[i], flat_d[j]), np.maximum(flat_d[i], flat_d[j])
    keep = far > MIN_RATIO * near
    nearer_first = flat_d[i] < flat_d[j]
    pn = np.where(nearer_first, flat_p[i], flat_p[j])
    pf = np.where(nearer_first, flat_p[j], flat_p[i])
    return int((keep & (pn > pf)).sum()), int(keep.sum())


def held_out(model, count, size=batches.INPUT):
    """Pair accuracy over `count` held-out scenes, overall and per kind of scene."""
    model.eval()
    totals = {}
    for k in range(count):
        rng = np.random.default_rng([HELD_OUT_SEED, k])
        image, depth, kind = scenes.scene(rng, size)
        right, counted = pair_accuracy(predict(model, image), depth, rng)
        for key in ("all", kind):
            r, c = totals.get(key, (0, 0))
            totals[key] = (r + right, c + counted)
    return {key: r / max(c, 1) for key, (r, c) in totals.items()}


def load(checkpoint):
    model = TinyDepth()
    model.load_state_dict({k: v.float() for k, v in torch.load(checkpoint)["ema"].items()})
    return model.eval()


if __name__ == "__main__":
    torch.set_num_threads(1)
    scores = held_out(load(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200)
    print(" ".join(f"{k} {v:.3f}" for k, v in sorted(scores.items())))
