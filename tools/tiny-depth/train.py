"""Train the tiny depth model on procedural scenes (batches.py). Loss: MiDaS's scale-and-shift-invariant L1
(prediction and target each centred on their mean and divided by their mean absolute deviation, then compared: the
scale is positive, so a map upside down is never as good as the right one), L1 on the normalised maps' horizontal and
vertical differences (sharp steps at a cut-out's edge), and an L1 to the target itself lifted to [0.05, 1], which
fixes the output's level: the farthest pixel near 0.05, so the 8-bit step of the Depth-Anything pipeline
(value·255/max) keeps most of its 256 levels for the scene. AdamW with a cosine learning rate after a short warm-up;
EMA of the weights and of the BatchNorm statistics (the EMA model is shipped). Fresh scenes every step: nothing is
seen twice. Checks the held-out pair accuracy (evaluate.py) every 500 steps and at the end.

usage: train.py WORK_DIR STEPS|auto:SECONDS [--batch N] [--lr LR] [--seed S]        → WORK_DIR/depth.pt
Threads: TINY_SD_THREADS (default 1) for the model, plus one worker process drawing the scenes.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tiny-sd"))
import training  # noqa: E402  (tools/tiny-sd/training.py: device, step budget, EMA, checkpoints)

import batches  # noqa: E402
import evaluate  # noqa: E402
from model import TinyDepth  # noqa: E402

PLANNED_STEPS, WARMUP, EMA = 8000, 100, 0.998
EDGE_WEIGHT, LEVEL_WEIGHT, FAR_LEVEL = 0.5, 0.5, 0.05
CHECK_EVERY, CHECK_SCENES = 500, 48


def normalised(x):
    """x − mean, divided by the mean absolute deviation, per picture."""
    flat = x.flatten(1)
    centred = flat - flat.mean(1, keepdim=True)
    return (centred / (centred.abs().mean(1, keepdim=True) + 1e-6)).view_as(x)


def loss_fn(pred, target):
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]  # noqa: E731
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]  # noqa: E731
    p, t = normalised(pred), normalised(target)
    edges = (dx(p) - dx(t)).abs().mean() + (dy(p) - dy(t)).abs().mean()
    level = (pred - (FAR_LEVEL + (1 - FAR_LEVEL) * target)).abs().mean()
    return (p - t).abs().mean() + EDGE_WEIGHT * edges + LEVEL_WEIGHT * level


def main(a):
    dev = training.device()
    torch.manual_seed(a.seed)
    model = TinyDepth().to(dev)
    ema = TinyDepth().to(dev)
    ema.load_state_dict(model.state_dict())
    ema_params = list(ema.parameters())
    # BatchNorm's running statistics are averaged with the weights, so the EMA model's layers see matching statistics
    stats = [(e, b) for e, b in zip(ema.buffers(), model.buffers()) if e.is_floating_point()]
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    budget = training.StepBudget(a.steps, PLANNED_STEPS)
    data = iter(torch.utils.data.DataLoader(batches.Batches(a.seed, 0, a.batch), batch_size=None, num_workers=1,
                                            prefetch_factor=4, persistent_workers=True))
    ckpt = os.path.join(a.work, "depth.pt")
    os.makedirs(a.work, exist_ok=True)
    t0, step = time.time(), 0
    while step < budget.total:
        lr = a.lr * min(1.0, (step + 1) / WARMUP) * 0.5 * (1 + np.cos(np.pi * step / budget.total))
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = (t.to(dev) for t in next(data))
        model.train()
        loss = loss_fn(model(x), y)
        training.optimise(opt, loss, model.parameters())
        training.ema_update(ema_params + [e for e, _ in stats], list(model.parameters()) + [b for _, b in stats], step, EMA)
        budget.observe(step, dev)
        step += 1
        if step % 100 == 0:
            print(f"depth step {step}/{budget.total} loss {loss.item():.4f} lr {lr:.2e} {time.time() - t0:.0f}s", flush=True)
        if step % CHECK_EVERY == 0 or step == budget.total:
            scores = evaluate.held_out(ema.cpu(), CHECK_SCENES)
            ema.to(dev)
            print(f"  held-out pair accuracy ({CHECK_SCENES} scenes): " + " ".join(f"{k} {v:.3f}" for k, v in sorted(scores.items())), flush=True)
            training.save({"ema": training.shipped(ema), "step": step, "steps": budget.total, "seconds": time.time() - t0}, ckpt)
    print(f"trained {step} steps in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("work")
    p.add_argument("steps")
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    main(p.parse_args())
