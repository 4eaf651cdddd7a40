"""What the three training scripts share: the device, the step budget, EMA, and checkpoints.

Steps are given as a count (reproducible) or as `auto:SECONDS`: the loop times its first steps and sets the count that
fits the wall-clock budget (used on a lent GPU machine whose speed is unknown beforehand); the count it chose is
printed and stored in the checkpoint, so the run can be replayed with that count.
"""
import os
import time

import torch

import diffusion
from vae import sample_posterior

CALIBRATION_STEPS = 30


def device():
    name = os.environ.get("TINY_SD_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    else:
        torch.set_num_threads(int(os.environ.get("TINY_SD_THREADS", "1")))
    return dev


def generator(dev, seed):
    return torch.Generator(device=dev).manual_seed(seed)


class StepBudget:
    """`total` steps, fixed or (for `auto:SECONDS`) set once CALIBRATION_STEPS have been timed."""

    def __init__(self, arg, planned):
        self.seconds = float(arg.split(":", 1)[1]) if str(arg).startswith("auto:") else None
        self.total = planned if self.seconds is not None else int(arg)
        self.t0 = time.time()
        self._calibrated_at = None

    def observe(self, step, dev):
        """Called after each step; on an `auto` budget fixes `total` from the measured step time."""
        if self.seconds is None or self._calibrated_at is not None:
            return
        if step == 4:
            if dev.type == "cuda":
                torch.cuda.synchronize()
            self._t5 = time.time()
        if step == CALIBRATION_STEPS - 1:
            if dev.type == "cuda":
                torch.cuda.synchronize()
            per_step = (time.time() - self._t5) / (CALIBRATION_STEPS - 5)
            left = self.seconds - (time.time() - self.t0)
            self.total = max(CALIBRATION_STEPS, min(self.total, CALIBRATION_STEPS + int(left / per_step)))
            self._calibrated_at = step
            print(f"calibrated: {per_step * 1000:.1f} ms/step → {self.total} steps", flush=True)


def noised_batch(params, ids, empty, scaling_factor, batch, uncond_p, g, caption_noise=0.0):
    """A UNet/ControlNet training batch: picture indices, latents sampled from their posteriors, captions with a
    `caption_noise` share swapped for another picture's (as web alt-text often misdescribes its image) and a
    `uncond_p` share emptied (so CFG has an unconditional model), timesteps, and the noise to add."""
    dev = params.device
    idx = torch.randint(0, len(ids), (batch,), generator=g, device=dev)
    z = sample_posterior(params[idx].float(), g) * scaling_factor
    tok = ids[idx].clone()
    if caption_noise:  # only then: runs without it keep their random sequence
        swap = torch.rand(batch, generator=g, device=dev) < caption_noise
        tok[swap] = ids[torch.randint(0, len(ids), (batch,), generator=g, device=dev)[swap]]
    tok[torch.rand(batch, generator=g, device=dev) < uncond_p] = empty[0]
    t = torch.randint(0, diffusion.TRAIN_STEPS, (batch,), generator=g, device=dev)
    return idx, z, tok, t, torch.randn(z.shape, generator=g, device=dev)


def optimise(opt, loss, params):
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()


def ema_update(ema_params, params, step, target):
    with torch.no_grad():
        decay = min(target, (1 + step) / (10 + step))
        torch._foreach_mul_(ema_params, decay)
        torch._foreach_add_(ema_params, params, alpha=1 - decay)


def save(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


def shipped(module):
    """The weights as shipped: fp16 (export rounds to fp16 anyway), so a checkpoint fits a device run's 16 MiB files."""
    return {k: v.detach().to("cpu", torch.float16) if v.is_floating_point() else v.cpu()
            for k, v in module.state_dict().items()}
