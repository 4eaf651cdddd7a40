"""Interpolate two checkpoints of the same run, weight by weight: (1 − ALPHA)·A + ALPHA·B for the UNet and text
encoder (unet.pt) and the ControlNet (controlnet.pt); the step and scaling factor are A's. Both must descend from one
checkpoint (a fine-tune and its parent), where the straight line between them stays a good model.

usage: average.py A_DIR B_DIR ALPHA OUT_DIR      → OUT_DIR/unet.pt, OUT_DIR/controlnet.pt
"""
import os
import sys

import torch

import training

PARTS = {"unet.pt": ("ema_unet", "ema_text"), "controlnet.pt": ("ema",)}


def main(a_dir, b_dir, alpha, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, modules in PARTS.items():
        a, b = torch.load(os.path.join(a_dir, name)), torch.load(os.path.join(b_dir, name))
        for m in modules:
            a[m] = {k: ((1 - alpha) * v.float() + alpha * b[m][k].float()).half() if v.is_floating_point() else v
                    for k, v in a[m].items()}
        training.save(a, os.path.join(out_dir, name))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4])
