"""Train the pose ControlNet on the stick-figure part of the dataset, the UNet and text encoder frozen (EMA weights).
The conditioning image is the figure's pose drawn as the OpenPose preprocessor draws it, at the image's pixel size.

usage: train_controlnet.py WORK_DIR STEPS|auto:SECONDS [--batch N] [--resume]   → WORK_DIR/controlnet.pt (EMA weights)
WORK_DIR must hold unet.pt and latents.npz (from train_unet.py). --resume starts from WORK_DIR/controlnet.pt's weights
(e.g. to follow a UNet that trained on) instead of a copy of the UNet's encoder.
"""
import argparse
import copy
import os
import time
from multiprocessing import Pool

import numpy as np
import torch
import torch.nn.functional as F

import dataset
import diffusion
import training
from controlnet import CONDITIONING_CHANNELS, ControlNetModel
from text_encoder import CONFIGS as TEXT_CONFIGS, ClipTextModel
from tokenizer import ClipTokenizer
from train_unet import TOKENIZER
from unet import CONFIGS as UNET_CONFIGS, UNet2DConditionModel

LR, EMA, UNCOND_P, PLANNED_STEPS = 5e-4, 0.998, 0.3, 8000


def load_frozen(work, dev):
    s = torch.load(os.path.join(work, "unet.pt"))
    unet, text = UNet2DConditionModel(UNET_CONFIGS["tiny"]), ClipTextModel(TEXT_CONFIGS["tiny"])
    unet.load_state_dict(s["ema_unet"])
    text.load_state_dict(s["ema_text"])
    for p in list(unet.parameters()) + list(text.parameters()):
        p.requires_grad_(False)
    return unet.to(dev).eval(), text.to(dev).eval(), s["scaling_factor"]


def skeleton(keypoints):
    return dataset.draw_openpose(keypoints, dataset.SIZE, dataset.SIZE)


def main(work, steps_arg, batch, resume):
    dev = training.device()
    torch.manual_seed(0)
    data = dict(np.load(os.path.join(work, "latents.npz")))
    figures = np.flatnonzero(~np.isnan(data["keypoints"][:, 0, 0]))
    with Pool(os.cpu_count() or 1) as pool:  # forks workers: before CUDA starts
        conds = torch.from_numpy(np.stack(pool.map(skeleton, data["keypoints"][figures], chunksize=256)))
    conds = conds.to(dev).permute(0, 3, 1, 2)
    params = torch.from_numpy(data["params"][figures]).to(dev)
    ids = torch.from_numpy(data["ids"][figures]).to(dev)
    empty = torch.from_numpy(ClipTokenizer(TOKENIZER)([""])).to(dev)
    unet, text, sf = load_frozen(work, dev)
    net = ControlNetModel.from_unet(unet, CONDITIONING_CHANNELS["tiny"])
    ckpt = os.path.join(work, "controlnet.pt")
    if resume:
        net.load_state_dict(torch.load(ckpt)["ema"])
    net.to(dev)
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=0.0)
    ema = copy.deepcopy(net)
    net_params, ema_params = list(net.parameters()), list(ema.parameters())
    budget = training.StepBudget(steps_arg, PLANNED_STEPS)
    print(f"{len(figures)} figure images", flush=True)
    g = training.generator(dev, 1 if resume else 0)
    t0, step = time.time(), 0
    while step < budget.total:
        idx, z, tok, t, noise = training.noised_batch(params, ids, empty, sf, batch, UNCOND_P, g)
        x = diffusion.add_noise(z, noise, t)
        with torch.no_grad():
            ctx = text(tok)[0]
        down, mid = net(x, t.float(), ctx, conds[idx].float() / 255.0)
        loss = F.mse_loss(unet(x, t.float(), ctx, down, mid), noise)
        training.optimise(opt, loss, net_params)
        training.ema_update(ema_params, net_params, step, EMA)
        budget.observe(step, dev)
        if step % 250 == 0 or step == budget.total - 1:
            print(f"controlnet step {step}/{budget.total} loss {loss.item():.4f} {time.time() - t0:.0f}s", flush=True)
        step += 1
    training.save({"ema": training.shipped(ema), "step": step}, ckpt)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("work")
    p.add_argument("steps")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--resume", action="store_true")
    a = p.parse_args()
    main(a.work, a.steps, a.batch, a.resume)
