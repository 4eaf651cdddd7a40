"""Train the pose ControlNet on the stick-figure part of the dataset, the UNet and text encoder frozen (EMA weights).
The conditioning image is the figure's pose drawn as the OpenPose preprocessor draws it, at the image's pixel size.

usage: train_controlnet.py WORK_DIR STEPS
"""
import copy
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import dataset
import diffusion
from controlnet import CONDITIONING_CHANNELS, ControlNetModel
from text_encoder import CONFIGS as TEXT_CONFIGS, ClipTextModel
from tokenizer import ClipTokenizer
from train_unet import TOKENIZER
from unet import CONFIGS as UNET_CONFIGS, UNet2DConditionModel
from vae import sample_posterior

BATCH, LR, EMA, UNCOND_P = 16, 5e-4, 0.995, 0.3


def load_frozen(work):
    s = torch.load(os.path.join(work, "unet.pt"))
    unet, text = UNet2DConditionModel(UNET_CONFIGS["tiny"]), ClipTextModel(TEXT_CONFIGS["tiny"])
    unet.load_state_dict(s["ema_unet"])
    text.load_state_dict(s["ema_text"])
    for p in list(unet.parameters()) + list(text.parameters()):
        p.requires_grad_(False)
    return unet.eval(), text.eval(), s["scaling_factor"]


def main(work, steps):
    torch.set_num_threads(int(os.environ.get("TINY_SD_THREADS", "1")))
    torch.manual_seed(0)
    data = dict(np.load(os.path.join(work, "latents.npz")))
    figures = np.flatnonzero(~np.isnan(data["keypoints"][:, 0, 0]))
    params = torch.from_numpy(data["params"][figures])
    ids = torch.from_numpy(data["ids"][figures])
    conds = torch.from_numpy(np.stack([dataset.draw_openpose(k, dataset.SIZE, dataset.SIZE)
                                       for k in data["keypoints"][figures]])).permute(0, 3, 1, 2)
    empty = torch.from_numpy(ClipTokenizer(TOKENIZER)([""]))
    unet, text, sf = load_frozen(work)
    net = ControlNetModel.from_unet(unet, CONDITIONING_CHANNELS["tiny"])
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=0.0)
    ema = copy.deepcopy(net)
    ckpt = os.path.join(work, "controlnet.pt")
    start = 0
    if os.path.exists(ckpt):
        s = torch.load(ckpt)
        net.load_state_dict(s["net"])
        ema.load_state_dict(s["ema"])
        opt.load_state_dict(s["opt"])
        start = s["step"]
    print(f"{len(figures)} figure images", flush=True)
    g = torch.Generator().manual_seed(start)
    t0, avg = time.time(), None
    for step in range(start, steps):
        idx = torch.randint(0, len(figures), (BATCH,), generator=g)
        z = sample_posterior(params[idx].float(), g) * sf
        tok = ids[idx].clone()
        tok[torch.rand(BATCH, generator=g) < UNCOND_P] = empty[0]
        t = torch.randint(0, diffusion.TRAIN_STEPS, (BATCH,), generator=g)
        noise = torch.randn(z.shape, generator=g)
        x = diffusion.add_noise(z, noise, t)
        with torch.no_grad():
            ctx = text(tok)[0]
        down, mid = net(x, t.float(), ctx, conds[idx].float() / 255.0)
        loss = F.mse_loss(unet(x, t.float(), ctx, down, mid), noise)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(EMA, (1 + step) / (10 + step))
            for e, p in zip(ema.parameters(), net.parameters()):
                e.mul_(decay).add_(p, alpha=1 - decay)
        avg = loss.item() if avg is None else 0.98 * avg + 0.02 * loss.item()
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step} loss {avg:.4f} {time.time() - t0:.0f}s", flush=True)
        if step % 100 == 99 or step == steps - 1:
            torch.save({"net": net.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step + 1},
                       ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
