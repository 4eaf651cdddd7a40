"""Held-out procedural scenes for the tiny depth model's quality test (test/models/tiny-depth-quality.test.ts): each
a 64×64 PNG and its true depth as a float32 .npy (larger = farther), drawn by scenes.py from a seed stream that
training (batches.py: [seed, step]) and evaluate.py ([7, k]) never use.

usage: /usr/bin/python3 tools/tiny-depth/make_fixtures.py test/fixtures/depth/scenes [COUNT]
"""
import os
import sys

import cv2
import numpy as np

import scenes

FIXTURE_SEED, SIZE = 11, 64


def main(out, count):
    os.makedirs(out, exist_ok=True)
    for k in range(count):
        image, depth, _ = scenes.scene(np.random.default_rng([FIXTURE_SEED, k]), SIZE)
        cv2.imwrite(os.path.join(out, f"{k:02d}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        np.save(os.path.join(out, f"{k:02d}.npy"), depth.astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 16)
