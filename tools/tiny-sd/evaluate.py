"""Measure the quality bar in PyTorch on the shipped (fp16-rounded) weights: Euler, 20 steps, A1111 sigmas, CFG.

  adherence  held-out captions × seeds at 128×128, CFG 7 and CFG 1: the border's dominant named colour is the
             background and the dominant non-background colour of the centre half is the shape's colour
  img2img    Deforum strength 0.8 (denoise 0.2): mean |pixel difference| to the input; strength 0.2 (denoise 0.8)
             with a different caption: adherence to that caption
  pose       fraction of the OpenPose skeleton's limb pixels covered by the figure's colour, with/without ControlNet
  256×256    adherence at twice the native size
  VAE        round trip alone: share of shape/figure pixels (and of background pixels) that keep their named colour;
             the diffusion model cannot draw a colour its VAE does not reproduce

usage: evaluate.py WORK_DIR [OUT_JSON]
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

import dataset
import diffusion
from export import load_models
from tokenizer import ClipTokenizer
from train_unet import TOKENIZER

NAMES = list(dataset.COLOURS)
PALETTE = np.array([dataset.COLOURS[n] for n in NAMES], np.float32)


def classify(image):
    """Per-pixel index of the nearest named colour."""
    d = ((image[..., None, :].astype(np.float32) - PALETTE) ** 2).sum(-1)
    return d.argmin(-1)


def adherent(image, shape_colour, background):
    labels = classify(image)
    s = image.shape[0]
    b = max(2, s // 16)
    border = np.concatenate([labels[:b].ravel(), labels[-b:].ravel(), labels[:, :b].ravel(), labels[:, -b:].ravel()])
    bg = NAMES.index(background)
    if np.bincount(border, minlength=len(NAMES)).argmax() != bg:
        return False
    centre = labels[s // 4: 3 * s // 4, s // 4: 3 * s // 4].ravel()
    counts = np.bincount(centre[centre != bg], minlength=len(NAMES))
    return counts.argmax() == NAMES.index(shape_colour) and counts.max() >= 0.05 * centre.size


class Pipeline:
    def __init__(self, work):
        self.vae, self.text, self.unet, self.control, self.sf = load_models(work)
        self.tokenizer = ClipTokenizer(TOKENIZER)

    def encode_text(self, prompts):
        with torch.no_grad():
            return self.text(torch.from_numpy(self.tokenizer(prompts)).int())[0]

    def noise(self, seeds, h, w):
        return torch.stack([torch.randn(4, h, w, generator=torch.Generator().manual_seed(s)) for s in seeds])

    def generate(self, prompts, seeds, cfg, size=128, init=None, denoise=1.0, pose=None, batch=24):
        out = []
        for i in range(0, len(prompts), batch):
            out.append(self._generate(prompts[i:i + batch], seeds[i:i + batch], cfg, size,
                                      None if init is None else init[i:i + batch], denoise,
                                      None if pose is None else pose[i:i + batch]))
        return np.concatenate(out)

    def _generate(self, prompts, seeds, cfg, size, init, denoise, pose):
        cond, uncond = self.encode_text(prompts), self.encode_text([""] * len(prompts))
        control = None
        if pose is not None:
            hint = torch.from_numpy(pose).permute(0, 3, 1, 2).float() / 255.0
            hint2 = torch.cat([hint, hint])
            control = lambda x, t, ctx: self.control(x, t, ctx, hint2)  # noqa: E731
        denoise_fn = diffusion.cfg_denoiser(self.unet, cond, uncond, cfg, control)
        n = self.noise(seeds, size // 8, size // 8)
        with torch.no_grad():
            if init is None:
                sigmas = diffusion.get_sigmas(20)
                x = n * sigmas[0]
            else:
                sigmas = diffusion.img2img_sigmas(20, denoise)
                img = torch.from_numpy(init).permute(0, 3, 1, 2).float() / 127.5 - 1
                x = self.vae.encode(img)[:, :4] * self.sf + n * sigmas[0]
            x = diffusion.sample_euler(denoise_fn, x, sigmas)
            img = self.vae.decode(x / self.sf)
        return ((img.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()


def vae_colour_accuracy(vae, n=48):
    """(shape pixels, background pixels) whose named colour survives encode → decode (latent mean)."""
    images, _, _ = dataset.build(n, seed=321)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
    with torch.no_grad():
        rec = vae.decode(vae.encode(x)[:, :4])
    rec = ((rec.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    truth, got = classify(images), classify(rec)
    shape = truth != truth[:, :1, :1]
    return float((truth[shape] == got[shape]).mean()), float((truth[~shape] == got[~shape]).mean())


def heldout_cases(seeds):
    cases = sorted(dataset.HELDOUT)
    return [(f"{dataset.article(c)} {c} {s} on {dataset.article(b)} {b} background", c, b, seed)
            for c, s, b in cases for seed in seeds]


def adherence(pipe, cases, cfg, size=128):
    imgs = pipe.generate([p for p, _, _, _ in cases], [s for *_, s in cases], cfg, size)
    return float(np.mean([adherent(im, c, b) for im, (_, c, b, _) in zip(imgs, cases)])), imgs


def grid(images, cols):
    rows = [np.concatenate(list(images[i:i + cols]), 1) for i in range(0, len(images) - cols + 1, cols)]
    return np.concatenate(rows, 0)


def main(work, out_json):
    torch.set_num_threads(int(os.environ.get("TINY_SD_THREADS", "1")))
    pipe = Pipeline(work)
    res = {}
    res["vae_shape_colour_accuracy"], res["vae_background_colour_accuracy"] = vae_colour_accuracy(pipe.vae)
    cases = heldout_cases([0, 1])
    res["adherence_cfg7"], imgs7 = adherence(pipe, cases, 7.0)
    res["adherence_cfg1"], _ = adherence(pipe, cases, 1.0)
    Image.fromarray(grid(imgs7, 12)).save(os.path.join(work, "eval_adherence.png"))
    print(res, flush=True)

    big = heldout_cases([5])[::3]
    res["adherence_256_cfg7"], imgs256 = adherence(pipe, big, 7.0, 256)
    Image.fromarray(grid(imgs256, 4)).save(os.path.join(work, "eval_256.png"))

    inputs, caps, _ = dataset.build(12, seed=77, figure_fraction=0.25)
    seeds = list(range(100, 112))
    keep = pipe.generate(caps, seeds, 7.0, init=inputs, denoise=0.2)
    res["img2img_strength0.8_mean_abs_diff"] = float(np.abs(keep.astype(np.float32) - inputs).mean())
    other = heldout_cases([0])[:12]
    follow = pipe.generate([p for p, *_ in other], seeds, 7.0, init=inputs, denoise=0.8)
    res["img2img_strength0.2_adherence"] = float(np.mean([adherent(im, c, b) for im, (_, c, b, _) in zip(follow, other)]))
    Image.fromarray(grid(np.concatenate([inputs, keep, follow]), 12)).save(os.path.join(work, "eval_img2img.png"))
    print(res, flush=True)

    if pipe.control is not None:
        rng = np.random.default_rng(5)
        poses, prompts, colours = [], [], []
        for i in range(16):
            kp = dataset.pose_keypoints(rng, str(rng.choice(dataset.POSES)))
            bg = str(rng.choice(["white", "black", "yellow", "blue"]))
            colour = str(rng.choice([c for c in dataset.COLOURS if c != bg]))
            poses.append(dataset.draw_openpose(kp, 128, 128))
            prompts.append(f"{dataset.article(colour)} {colour} figure on {dataset.article(bg)} {bg} background")
            colours.append(colour)
        poses = np.stack(poses)
        seeds = list(range(200, 216))
        with_cn = pipe.generate(prompts, seeds, 7.0, pose=poses)
        without = pipe.generate(prompts, seeds, 7.0)
        limbs = poses.max(-1) > 0

        def overlap(imgs):
            return float(np.mean([(classify(im)[m] == NAMES.index(c)).mean() for im, m, c in zip(imgs, limbs, colours)]))

        res["pose_overlap_with_controlnet"] = overlap(with_cn)
        res["pose_overlap_without_controlnet"] = overlap(without)
        Image.fromarray(grid(np.concatenate([poses, with_cn, without]), 16)).save(os.path.join(work, "eval_pose.png"))
    print(json.dumps(res, indent=2), flush=True)
    with open(out_json, "w") as f:
        json.dump(res, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else os.path.join(sys.argv[1], "quality.json"))
