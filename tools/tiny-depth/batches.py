"""Training batches: procedural scenes (scenes.py) as the depth model sees them at inference — drawn at a random size
and resized to the model's input (so pictures upscaled from 64 px and downscaled from 176 px both occur), blurred and
noised a little as the SD model's frames are, sometimes cropped to another aspect ratio (the preprocessor keeps a
frame's aspect) — with the target each pixel should get: inverse depth scaled so the farthest pixel is 0 and the
nearest 1. The input is 126 px high (the shipped preprocessor_config.json) in 40 % of the batches and 84, 98 or 112
px in the rest: a smaller batch costs half as much, so the same minutes give more steps, and the model learns the
world at more than one scale. Every batch comes from its own seeded generator, so a step's data does not depend on
the machine.
"""
import cv2
import numpy as np
import torch

import scenes

INPUT = 126  # preprocessor_config.json's size, a multiple of 14 (export.py)
MULTIPLE = 14
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
DRAWN = (64, 176)
OTHER_ASPECT_P, BLUR_P, BLOTCH_P = 0.3, 0.5, 0.5
HEIGHTS, HEIGHT_P = (84, 98, 112, INPUT), (0.2, 0.2, 0.2, 0.4)


def normalise(images):
    """uint8 [..., H, W, 3] → pixel_values [..., 3, H, W] (rescale 1/255, ImageNet mean and std)."""
    x = (images.astype(np.float32) / 255 - MEAN) / STD
    return np.ascontiguousarray(np.moveaxis(x, -1, -3))


def target(depth):
    """Inverse depth, min-max scaled per picture: farthest 0, nearest 1."""
    disparity = 1 / depth
    lo, hi = disparity.min(), disparity.max()
    return ((disparity - lo) / max(hi - lo, 1e-9)).astype(np.float32)


def _degrade(rng, image):
    """The SD model's frames: soft edges, fine noise and faint blotches of colour."""
    x = image.astype(np.float32)
    if rng.random() < BLUR_P:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.3, 1.2))
    if rng.random() < BLOTCH_P:
        field = rng.normal(0, rng.uniform(2, 8), (4, 4, 3)).astype(np.float32)
        x += cv2.resize(field, x.shape[1::-1], interpolation=cv2.INTER_CUBIC)
    x += rng.normal(0, rng.uniform(0, 4), x.shape).astype(np.float32)
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)


def batch(seed, step, size):
    """(pixel_values [B, 3, H, W], target [B, H, W]) for one training step, H and W multiples of 14."""
    rng = np.random.default_rng([seed, step])
    height = int(rng.choice(HEIGHTS, p=HEIGHT_P))
    aspect = rng.uniform(0.6, 1.6) if rng.random() < OTHER_ASPECT_P else 1.0
    width = max(MULTIPLE, int(round(height * aspect / MULTIPLE)) * MULTIPLE)
    images, targets = [], []
    for _ in range(size):
        drawn = int(rng.integers(*DRAWN))
        image, depth, _ = scenes.scene(rng, drawn)
        if aspect != 1.0:
            h, w = (drawn, int(drawn / aspect)) if aspect > 1 else (int(drawn * aspect), drawn)
            y, x = int(rng.integers(0, drawn - h + 1)), int(rng.integers(0, drawn - w + 1))
            image, depth = image[y:y + h, x:x + w], depth[y:y + h, x:x + w]
        if rng.random() < 0.5:
            image, depth = image[:, ::-1], depth[:, ::-1]
        image = cv2.resize(np.ascontiguousarray(image), (width, height), interpolation=cv2.INTER_CUBIC if drawn < height else cv2.INTER_AREA)
        depth = cv2.resize(np.ascontiguousarray(depth), (width, height), interpolation=cv2.INTER_NEAREST)
        images.append(_degrade(rng, image))
        targets.append(target(depth))
    return torch.from_numpy(normalise(np.stack(images))), torch.from_numpy(np.stack(targets))


class Batches(torch.utils.data.IterableDataset):
    """Batches for steps first, first + 1, … (drawn in a worker process while the model trains)."""

    def __init__(self, seed, first, size):
        super().__init__()
        self.seed, self.first, self.size = seed, first, size

    def __iter__(self):
        step = self.first
        while True:
            yield batch(self.seed, step, self.size)
            step += 1
