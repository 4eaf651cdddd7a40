"""Train the tiny AutoencoderKL on random 64×64 crops of the procedural images (fully convolutional, so it runs at
any size afterwards); L1 + MSE reconstruction with a weak KL term, as SD's VAE but without the GAN/LPIPS terms.

usage: train_vae.py WORK_DIR STEPS
"""
import os
import sys
import time

import numpy as np
import torch

import dataset
from vae import CONFIGS, AutoencoderKL, sample_posterior

BATCH, CROP, LR, KL_WEIGHT = 8, 64, 1e-3, 1e-6


def to_tensor(images):
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def main(work, steps):
    torch.set_num_threads(int(os.environ.get("TINY_SD_THREADS", "1")))
    torch.manual_seed(0)
    images, _, _ = dataset.build(6000, seed=1)
    model = AutoencoderKL(CONFIGS["tiny"])
    # Start with a narrow posterior so the decoder sees informative latents from the first steps.
    torch.nn.init.constant_(model.quant_conv.bias[model.config["latent_channels"]:], -6.0)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.0)
    ckpt = os.path.join(work, "vae.pt")
    start = 0
    if os.path.exists(ckpt):
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start = state["step"]
    rng = np.random.default_rng(start)
    t0, avg = time.time(), None
    for step in range(start, steps):
        for g in opt.param_groups:
            g["lr"] = LR * 0.5 * (1 + np.cos(np.pi * step / steps))
        idx = rng.integers(0, len(images), BATCH)
        oy, ox = rng.integers(0, dataset.SIZE - CROP + 1, 2)
        x = to_tensor(images[idx, oy:oy + CROP, ox:ox + CROP])
        params = model.encode(x)
        rec = model.decode(sample_posterior(params))
        mean, logvar = params.chunk(2, dim=1)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()
        rec_loss = (rec - x).abs().mean() + (rec - x).pow(2).mean()
        loss = rec_loss + KL_WEIGHT * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        avg = rec_loss.item() if avg is None else 0.95 * avg + 0.05 * rec_loss.item()
        if step % 20 == 0 or step == steps - 1:
            print(f"step {step} rec {avg:.4f} kl {kl.item():.2f} {time.time() - t0:.0f}s", flush=True)
        if step % 200 == 199 or step == steps - 1:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step + 1}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
