"""Train the UNet and the text encoder jointly on VAE latents of the procedural dataset (epsilon prediction,
10% empty captions for classifier-free guidance, EMA weights).

usage: train_unet.py WORK_DIR STEPS
WORK_DIR must hold vae.pt; latents.npz (the encoded dataset) is made there once.
"""
import copy
import os
import sys
import time

import numpy as np
import torch

import dataset
import diffusion
from text_encoder import CONFIGS as TEXT_CONFIGS, ClipTextModel
from tokenizer import ClipTokenizer
from unet import CONFIGS as UNET_CONFIGS, UNet2DConditionModel
from vae import CONFIGS as VAE_CONFIGS, AutoencoderKL, sample_posterior

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(HERE, "..", "..", "models", "tiny-sd", "tokenizer")
DATASET_SIZE = int(os.environ.get("TINY_SD_DATASET", "10000"))
BATCH, LR, WARMUP, EMA, UNCOND_P = 32, 8e-4, 100, 0.998, 0.1
# From this step on, each sample's eps-MSE is weighted by clamp(σ², 1, 25), i.e. toward x0-MSE at high noise: plain
# eps-MSE gives the high-noise steps (where the caption decides the colours) ~1/σ² of the signal, and the model ignored
# the caption there. The committed model's first 1500 steps used plain eps-MSE.
HIGH_NOISE_WEIGHTING_FROM, MAX_WEIGHT = 1500, 25.0


def load_vae(work):
    vae = AutoencoderKL(VAE_CONFIGS["tiny"])
    vae.load_state_dict(torch.load(os.path.join(work, "vae.pt"))["model"])
    return vae.eval()


def prepare(work):
    """Encode the dataset once: posterior parameters (fp16), token ids, keypoints, and the scaling factor."""
    path = os.path.join(work, "latents.npz")
    if not os.path.exists(path):
        vae = load_vae(work)
        images, captions, keypoints = dataset.build(DATASET_SIZE, seed=2)
        params = []
        with torch.no_grad():
            for i in range(0, len(images), 100):
                x = torch.from_numpy(images[i:i + 100]).permute(0, 3, 1, 2).float() / 127.5 - 1
                params.append(vae.encode(x).half().numpy())
        params = np.concatenate(params)
        g = torch.Generator().manual_seed(0)
        std = sample_posterior(torch.from_numpy(params[:2000]).float(), g).std().item()
        ids = ClipTokenizer(TOKENIZER)(captions)
        np.savez(path + ".tmp.npz", params=params, ids=ids, keypoints=keypoints, scaling_factor=1.0 / std)
        os.replace(path + ".tmp.npz", path)
    return dict(np.load(path))


def main(work, steps):
    torch.set_num_threads(int(os.environ.get("TINY_SD_THREADS", "1")))
    torch.manual_seed(0)
    data = prepare(work)
    params, ids, sf = torch.from_numpy(data["params"]), torch.from_numpy(data["ids"]), float(data["scaling_factor"])
    empty = torch.from_numpy(ClipTokenizer(TOKENIZER)([""]))
    print(f"dataset {len(ids)} scaling_factor {sf:.4f}", flush=True)
    unet, text = UNet2DConditionModel(UNET_CONFIGS["tiny"]), ClipTextModel(TEXT_CONFIGS["tiny"])
    nn_params = list(unet.parameters()) + list(text.parameters())
    opt = torch.optim.AdamW(nn_params, lr=LR, weight_decay=0.0)
    ema_unet, ema_text = copy.deepcopy(unet), copy.deepcopy(text)
    ckpt = os.path.join(work, "unet.pt")
    start = 0
    if os.path.exists(ckpt):
        s = torch.load(ckpt)
        for m, k in ((unet, "unet"), (text, "text"), (ema_unet, "ema_unet"), (ema_text, "ema_text"), (opt, "opt")):
            m.load_state_dict(s[k])
        start = s["step"]
    ema_params = list(ema_unet.parameters()) + list(ema_text.parameters())
    g = torch.Generator().manual_seed(start)
    t0, avg = time.time(), None
    for step in range(start, steps):
        for group in opt.param_groups:
            group["lr"] = LR * min(1.0, (step + 1) / WARMUP)
        idx = torch.randint(0, len(ids), (BATCH,), generator=g)
        z = sample_posterior(params[idx].float(), g) * sf
        tok = ids[idx].clone()
        tok[torch.rand(BATCH, generator=g) < UNCOND_P] = empty[0]
        t = torch.randint(0, diffusion.TRAIN_STEPS, (BATCH,), generator=g)
        noise = torch.randn(z.shape, generator=g)
        pred = unet(diffusion.add_noise(z, noise, t), t.float(), text(tok)[0])
        per_sample = ((pred - noise) ** 2).mean(dim=(1, 2, 3))
        if step >= HIGH_NOISE_WEIGHTING_FROM:
            per_sample = per_sample * (diffusion.SIGMAS[t] ** 2).clamp(1.0, MAX_WEIGHT)
        loss = per_sample.mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(nn_params, 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(EMA, (1 + step) / (10 + step))
            for e, p in zip(ema_params, nn_params):
                e.mul_(decay).add_(p, alpha=1 - decay)
        avg = loss.item() if avg is None else 0.98 * avg + 0.02 * loss.item()
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step} loss {avg:.4f} {time.time() - t0:.0f}s", flush=True)
        if step % 250 == 249 or step == steps - 1:
            torch.save({"unet": unet.state_dict(), "text": text.state_dict(), "ema_unet": ema_unet.state_dict(),
                        "ema_text": ema_text.state_dict(), "opt": opt.state_dict(), "step": step + 1,
                        "scaling_factor": sf}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
