"""Train the UNet and the text encoder jointly on VAE latents of the procedural dataset (epsilon prediction,
10% empty captions for classifier-free guidance, EMA weights, cosine learning rate after a warm-up).

usage: train_unet.py WORK_DIR STEPS|auto:SECONDS [--batch N] [--lr LR] [--resume] [--stop-after N] [--caption-noise P]
                                                                                              → WORK_DIR/unet.pt
WORK_DIR must hold vae.pt; the encoded dataset is written to WORK_DIR/latents.npz for the ControlNet. --resume starts
from WORK_DIR/unet.pt's weights (a second stage with a fresh optimiser, e.g. at a larger batch).
"""
import argparse
import copy
import os
import time

import numpy as np
import torch

import dataset
import diffusion
import training
from text_encoder import CONFIGS as TEXT_CONFIGS, ClipTextModel
from tokenizer import ClipTokenizer
from unet import CONFIGS as UNET_CONFIGS, UNet2DConditionModel
from vae import CONFIGS as VAE_CONFIGS, AutoencoderKL, sample_posterior

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(HERE, "..", "..", "models", "tiny-sd", "tokenizer")
DATASET_SIZE = int(os.environ.get("TINY_SD_DATASET", "120000"))
WARMUP, EMA, UNCOND_P, PLANNED_STEPS = 200, 0.999, 0.1, 20000
# Each sample's eps-MSE is weighted by clamp(σ², 1, 25), i.e. toward x0-MSE at high noise: plain eps-MSE gives the
# high-noise steps (where the caption decides the colours) ~1/σ² of the signal, and the model then ignores the caption.
MAX_WEIGHT = 25.0


def load_vae(work, dev):
    vae = AutoencoderKL(VAE_CONFIGS["tiny"])
    vae.load_state_dict(torch.load(os.path.join(work, "vae.pt"))["model"])
    return vae.to(dev).eval()


def encode_dataset(work, dev, scaling_factor=None):
    """Posterior parameters (fp16), token ids and keypoints of the dataset, and the latents' scaling factor (measured
    unless given: a resumed UNet keeps the one it was trained with); also written to latents.npz for
    train_controlnet.py."""
    images, captions, keypoints = dataset.build(DATASET_SIZE, seed=2)  # forks workers: before CUDA starts
    vae = load_vae(work, dev)
    params = []
    with torch.no_grad():
        for i in range(0, len(images), 500):
            x = torch.from_numpy(images[i:i + 500]).to(dev).permute(0, 3, 1, 2).float() / 127.5 - 1
            params.append(vae.encode(x).half())
    params = torch.cat(params)
    if scaling_factor is None:
        scaling_factor = 1.0 / sample_posterior(params[:2000].float(), training.generator(dev, 0)).std().item()
    ids = ClipTokenizer(TOKENIZER)(captions)
    path = os.path.join(work, "latents.npz")
    np.savez(path + ".tmp.npz", params=params.cpu().numpy(), ids=ids, keypoints=keypoints,
             scaling_factor=scaling_factor)
    os.replace(path + ".tmp.npz", path)
    return params, torch.from_numpy(ids).to(dev), scaling_factor


def main(work, steps_arg, batch, lr_max, resume, stop_after=None, caption_noise=0.0):
    dev = training.device()
    torch.manual_seed(0)
    ckpt = os.path.join(work, "unet.pt")
    state = torch.load(ckpt) if resume else None
    params, ids, sf = encode_dataset(work, dev, state and float(state["scaling_factor"]))
    empty = torch.from_numpy(ClipTokenizer(TOKENIZER)([""])).to(dev)
    sigmas = diffusion.SIGMAS.to(dev)
    print(f"dataset {len(ids)} scaling_factor {sf:.4f}", flush=True)
    unet = UNet2DConditionModel(UNET_CONFIGS["tiny"]).to(dev)
    text = ClipTextModel(TEXT_CONFIGS["tiny"]).to(dev)
    nn_params = list(unet.parameters()) + list(text.parameters())
    opt = torch.optim.AdamW(nn_params, lr=lr_max, weight_decay=0.0)
    if state:
        unet.load_state_dict(state["ema_unet"])
        text.load_state_dict(state["ema_text"])
    ema_unet, ema_text = copy.deepcopy(unet), copy.deepcopy(text)
    ema_params = list(ema_unet.parameters()) + list(ema_text.parameters())
    budget = training.StepBudget(steps_arg, PLANNED_STEPS)
    g = training.generator(dev, 1 if resume else 0)

    def checkpoint(step):
        training.save({"ema_unet": training.shipped(ema_unet), "ema_text": training.shipped(ema_text), "step": step,
                       "scaling_factor": sf}, ckpt)

    t0, last_save, step = time.time(), time.time(), 0
    while step < min(budget.total, stop_after or budget.total):
        progress = max(0.0, (step - WARMUP) / max(1, budget.total - WARMUP))
        lr = min(1.0, (step + 1) / WARMUP) * lr_max * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * progress)))
        for group in opt.param_groups:
            group["lr"] = lr
        _, z, tok, t, noise = training.noised_batch(params, ids, empty, sf, batch, UNCOND_P, g, caption_noise)
        pred = unet(diffusion.add_noise(z, noise, t), t.float(), text(tok)[0])
        per_sample = ((pred - noise) ** 2).mean(dim=(1, 2, 3)) * (sigmas[t] ** 2).clamp(1.0, MAX_WEIGHT)
        loss = per_sample.mean()
        training.optimise(opt, loss, nn_params)
        training.ema_update(ema_params, nn_params, step, EMA)
        budget.observe(step, dev)
        if step % 250 == 0 or step == budget.total - 1:
            print(f"unet step {step}/{budget.total} loss {loss.item():.4f} lr {lr:.2e} {time.time() - t0:.0f}s",
                  flush=True)
        step += 1
        if time.time() - last_save > 60:
            checkpoint(step)
            last_save = time.time()
    checkpoint(step)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("work")
    p.add_argument("steps")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=8e-4)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--stop-after", type=int, help="end after this many steps of the STEPS-long schedule")
    p.add_argument("--caption-noise", type=float, default=0.0,
                   help="share of pictures trained with another picture's caption (makes CFG matter, as in SD)")
    a = p.parse_args()
    main(a.work, a.steps, a.batch, a.lr, a.resume, a.stop_after, a.caption_noise)
