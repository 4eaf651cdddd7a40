"""AutoencoderKL with diffusers' structure (models/autoencoders/autoencoder_kl.py, vae.py): 8× down-sampling,
4 latent channels, posterior mean ‖ logvar."""
import torch
from torch import nn
import torch.nn.functional as F

from blocks import Downsample2D, ResnetBlock2D, SpatialSelfAttention, Upsample2D

CONFIGS = {
    "tiny": dict(block_out_channels=[16, 32, 64, 64], layers_per_block=1, norm_num_groups=4, latent_channels=4,
                 in_channels=3, out_channels=3, sample_size=128),
    "sd15": dict(block_out_channels=[128, 256, 512, 512], layers_per_block=2, norm_num_groups=32, latent_channels=4,
                 in_channels=3, out_channels=3, sample_size=512),
}
EPS = 1e-6


class MidBlock(nn.Module):
    def __init__(self, channels, groups):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(channels, channels, 0, groups, EPS) for _ in range(2)])
        self.attentions = nn.ModuleList([SpatialSelfAttention(channels, groups, EPS)])

    def forward(self, x):
        return self.resnets[1](self.attentions[0](self.resnets[0](x)))


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        ch, g = c["block_out_channels"], c["norm_num_groups"]
        self.conv_in = nn.Conv2d(c["in_channels"], ch[0], 3, padding=1)
        self.down_blocks = nn.ModuleList()
        out = ch[0]
        for i, width in enumerate(ch):
            block = nn.Module()
            block.resnets = nn.ModuleList(
                [ResnetBlock2D(out if j == 0 else width, width, 0, g, EPS) for j in range(c["layers_per_block"])])
            block.downsamplers = nn.ModuleList([Downsample2D(width, 0)] if i < len(ch) - 1 else [])
            self.down_blocks.append(block)
            out = width
        self.mid_block = MidBlock(ch[-1], g)
        self.conv_norm_out = nn.GroupNorm(g, ch[-1], eps=EPS)
        self.conv_out = nn.Conv2d(ch[-1], 2 * c["latent_channels"], 3, padding=1)

    def forward(self, x):
        x = self.conv_in(x)
        for block in self.down_blocks:
            for r in block.resnets:
                x = r(x)
            for d in block.downsamplers:
                x = d(x)
        return self.conv_out(F.silu(self.conv_norm_out(self.mid_block(x))))


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        ch, g = list(reversed(c["block_out_channels"])), c["norm_num_groups"]
        self.conv_in = nn.Conv2d(c["latent_channels"], ch[0], 3, padding=1)
        self.mid_block = MidBlock(ch[0], g)
        self.up_blocks = nn.ModuleList()
        out = ch[0]
        for i, width in enumerate(ch):
            block = nn.Module()
            block.resnets = nn.ModuleList(
                [ResnetBlock2D(out if j == 0 else width, width, 0, g, EPS) for j in range(c["layers_per_block"] + 1)])
            block.upsamplers = nn.ModuleList([Upsample2D(width)] if i < len(ch) - 1 else [])
            self.up_blocks.append(block)
            out = width
        self.conv_norm_out = nn.GroupNorm(g, ch[-1], eps=EPS)
        self.conv_out = nn.Conv2d(ch[-1], c["out_channels"], 3, padding=1)

    def forward(self, z):
        x = self.mid_block(self.conv_in(z))
        for block in self.up_blocks:
            for r in block.resnets:
                x = r(x)
            for u in block.upsamplers:
                x = u(x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class AutoencoderKL(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = dict(config)
        lat = config["latent_channels"]
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.quant_conv = nn.Conv2d(2 * lat, 2 * lat, 1)
        self.post_quant_conv = nn.Conv2d(lat, lat, 1)

    def encode(self, x):
        """Posterior parameters: mean ‖ logvar, [B, 8, H/8, W/8]."""
        return self.quant_conv(self.encoder(x))

    def decode(self, z):
        return self.decoder(self.post_quant_conv(z))


def sample_posterior(params, generator=None):
    mean, logvar = params.chunk(2, dim=1)
    logvar = logvar.clamp(-30.0, 20.0)
    return mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=generator, device=mean.device)
