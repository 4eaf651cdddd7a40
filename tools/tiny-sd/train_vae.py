"""Train the tiny AutoencoderKL on the procedural images (fully convolutional, so it runs at any size afterwards);
L1 + MSE reconstruction with a weak KL term, as SD's VAE but without the GAN/LPIPS terms. Cosine learning rate.

usage: train_vae.py WORK_DIR STEPS|auto:SECONDS [--crop PX] [--batch N] [--lr LR] [--resume] [--decoder-only]
                    [--foreground-weight W] [--stop-after N]                      → WORK_DIR/vae.pt
--resume starts from WORK_DIR/vae.pt's weights (a later stage with a fresh optimiser). --decoder-only freezes the
encoder, so the latents (and a UNet trained on them) stay valid while the decoder improves. --foreground-weight
weights the pixels that differ from the picture's background colour: shapes are a small part of each picture, and a
plain mean lets the decoder get their colours wrong while the backgrounds are right.
"""
import argparse
import os
import time

import numpy as np
import torch

import dataset
import evaluate
import training
from vae import CONFIGS, AutoencoderKL, sample_posterior

IMAGES, KL_WEIGHT, PLANNED_STEPS = 20000, 1e-6, 6000


def to_tensor(images):
    return images.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def main(a):
    dev = training.device()
    torch.manual_seed(0)
    images = torch.from_numpy(dataset.build(IMAGES, seed=1)[0]).to(dev)
    model = AutoencoderKL(CONFIGS["tiny"])
    ckpt = os.path.join(a.work, "vae.pt")
    if a.resume:
        model.load_state_dict(torch.load(ckpt)["model"])
    else:
        # Start with a narrow posterior so the decoder sees informative latents from the first steps.
        torch.nn.init.constant_(model.quant_conv.bias[model.config["latent_channels"]:], -6.0)
    model.to(dev)
    trained = list(model.decoder.parameters()) + list(model.post_quant_conv.parameters()) if a.decoder_only \
        else list(model.parameters())
    opt = torch.optim.AdamW(trained, lr=a.lr, weight_decay=0.0)
    budget = training.StepBudget(a.steps, PLANNED_STEPS)
    g = training.generator(dev, 1 if a.resume else 0)
    t0, step = time.time(), 0
    while step < min(budget.total, a.stop_after or budget.total):
        for group in opt.param_groups:
            group["lr"] = a.lr * 0.5 * (1 + np.cos(np.pi * step / budget.total))
        idx = torch.randint(0, len(images), (a.batch,), generator=g, device=dev)
        oy, ox = (torch.randint(0, dataset.SIZE - a.crop + 1, (2,), generator=g, device=dev) // 8 * 8).tolist()
        x = to_tensor(images[idx])
        background = x[:, :, :1, :1]
        x = x[:, :, oy:oy + a.crop, ox:ox + a.crop]
        weight = 1 + (a.foreground_weight - 1) * ((x - background).abs().sum(1, keepdim=True) > 0.15).float()
        with torch.set_grad_enabled(not a.decoder_only):
            params = model.encode(x)
        rec = model.decode(sample_posterior(params, g))
        mean, logvar = params.chunk(2, dim=1)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()
        rec_loss = (weight * ((rec - x).abs() + (rec - x).pow(2))).mean()
        loss = rec_loss + KL_WEIGHT * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        budget.observe(step, dev)
        if step % 200 == 0 or step == budget.total - 1:
            print(f"vae step {step}/{budget.total} rec {rec_loss.item():.4f} kl {kl.item():.2f} {time.time() - t0:.0f}s",
                  flush=True)
        step += 1
        if step % 1000 == 0:
            training.save({"model": training.shipped(model), "step": step}, ckpt + ".partial")
    training.save({"model": training.shipped(model), "step": step}, ckpt)
    shape, background = evaluate.vae_colour_accuracy(model.float().cpu().eval())
    print(f"colour kept by the round trip: shapes {shape:.3f}, backgrounds {background:.3f}", flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("work")
    p.add_argument("steps")
    p.add_argument("--crop", type=int, default=dataset.SIZE)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--decoder-only", action="store_true")
    p.add_argument("--foreground-weight", type=float, default=1.0)
    p.add_argument("--stop-after", type=int, help="end after this many steps of the STEPS-long schedule")
    main(p.parse_args())
