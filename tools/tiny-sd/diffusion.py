"""SD 1.x noise schedule (scaled_linear betas 0.00085–0.012, 1000 steps) and the k-diffusion view of it used by
A1111 (docs/sd-pipeline.md §3.1): sigmas, sigma↔t, the eps denoiser with CFG, and the Euler sampler."""
import numpy as np
import torch

TRAIN_STEPS = 1000
BETAS = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, TRAIN_STEPS, dtype=torch.float64) ** 2
ALPHAS_CUMPROD = torch.cumprod(1.0 - BETAS, dim=0).float()
SIGMAS = ((1 - ALPHAS_CUMPROD) / ALPHAS_CUMPROD) ** 0.5
LOG_SIGMAS = SIGMAS.log()


def add_noise(latents, noise, t):
    a = ALPHAS_CUMPROD.to(latents.device)[t].view(-1, 1, 1, 1)
    return a.sqrt() * latents + (1 - a).sqrt() * noise


def t_to_sigma(t):
    lo, hi, w = int(np.floor(t)), int(np.ceil(t)), t - np.floor(t)
    return float(torch.exp((1 - w) * LOG_SIGMAS[lo] + w * LOG_SIGMAS[hi]))


def sigma_to_t(sigma):
    log_sigma = np.log(sigma)
    lo = int(np.clip(np.searchsorted(LOG_SIGMAS.numpy(), log_sigma, side="right") - 1, 0, TRAIN_STEPS - 2))
    w = float(np.clip((LOG_SIGMAS[lo] - log_sigma) / (LOG_SIGMAS[lo] - LOG_SIGMAS[lo + 1]), 0, 1))
    return (1 - w) * lo + w * (lo + 1)


def get_sigmas(n):
    """A1111 'Automatic' schedule: n sigmas from t = 999 down to 0, then 0."""
    return [t_to_sigma(t) for t in np.linspace(TRAIN_STEPS - 1, 0, n)] + [0.0]


def cfg_denoiser(unet, cond, uncond, cfg, control=None):
    """D(x, σ) = uncond + cfg·(cond − uncond) on x0, eps model with c_in = 1/√(σ²+1). `control(x_in, t, ctx)` gives
    ControlNet residuals or None."""

    def denoise(x, sigma):
        x_in = torch.cat([x, x]) * (1 / (sigma ** 2 + 1) ** 0.5)
        t = torch.full((x_in.shape[0],), sigma_to_t(sigma), dtype=torch.float32)
        ctx = torch.cat([cond, uncond])
        res = control(x_in, t, ctx) if control else (None, None)
        eps_c, eps_u = unet(x_in, t, ctx, *res).chunk(2)
        eps = eps_u + cfg * (eps_c - eps_u)
        return x - eps * sigma

    return denoise


def sample_euler(denoise, x, sigmas):
    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        d = (x - denoise(x, s)) / s
        x = x + d * (s_next - s)
    return x


def img2img_sigmas(steps, denoise_strength):
    """A1111 img2img: t_enc + 1 steps from sigmas[steps − t_enc − 1] (docs/sd-pipeline.md §4.1)."""
    t_enc = int(min(denoise_strength, 0.999) * steps)
    return get_sigmas(steps)[steps - t_enc - 1:]
