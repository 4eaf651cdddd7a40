"""UNet2DConditionModel with diffusers' structure (models/unets/unet_2d_condition.py, unet_2d_blocks.py):
epsilon prediction; optional ControlNet residuals added where diffusers adds down_block_additional_residuals and
mid_block_additional_residual."""
import torch
from torch import nn
import torch.nn.functional as F

from blocks import Downsample2D, ResnetBlock2D, TimestepEmbedding, Transformer2DModel, Upsample2D, timestep_embedding

CONFIGS = {
    "tiny": dict(sample_size=16, in_channels=4, out_channels=4, block_out_channels=[32, 64, 96], layers_per_block=1,
                 # attention only at 8×8 and 4×4 latents: self-attention over 16×16 dominated the CPU training cost
                 down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
                 up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
                 attention_head_dim=4, cross_attention_dim=64, norm_num_groups=8, norm_eps=1e-5),
    "sd15": dict(sample_size=64, in_channels=4, out_channels=4, block_out_channels=[320, 640, 1280, 1280],
                 layers_per_block=2,
                 down_block_types=["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
                 up_block_types=["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
                 attention_head_dim=8, cross_attention_dim=768, norm_num_groups=32, norm_eps=1e-5),
}


def skip_features(config):
    """(channels, downscale) of each skip feature in diffusers order = the ControlNet residuals."""
    ch, n = config["block_out_channels"], config["layers_per_block"]
    out, scale = [(ch[0], 1)], 1
    for i, width in enumerate(ch):
        out += [(width, scale)] * n
        if i < len(ch) - 1:
            scale *= 2
            out.append((width, scale))
    return out


class DownBlock(nn.Module):
    """CrossAttnDownBlock2D (with attentions) or DownBlock2D."""

    def __init__(self, c, in_ch, out_ch, temb, cross_attn, last):
        super().__init__()
        g, eps, n = c["norm_num_groups"], c["norm_eps"], c["layers_per_block"]
        self.resnets = nn.ModuleList([ResnetBlock2D(in_ch if i == 0 else out_ch, out_ch, temb, g, eps) for i in range(n)])
        self.attentions = nn.ModuleList(
            [Transformer2DModel(out_ch, c["attention_head_dim"], c["cross_attention_dim"], g) for _ in range(n)]
            if cross_attn else [])
        self.downsamplers = nn.ModuleList([] if last else [Downsample2D(out_ch, 1)])

    def forward(self, x, temb, context):
        states = []
        for i, resnet in enumerate(self.resnets):
            x = resnet(x, temb)
            if self.attentions:
                x = self.attentions[i](x, context)
            states.append(x)
        for d in self.downsamplers:
            x = d(x)
            states.append(x)
        return x, states


class UpBlock(nn.Module):
    """CrossAttnUpBlock2D or UpBlock2D: each resnet takes the previous output concatenated with a skip feature."""

    def __init__(self, c, in_ch, prev_ch, out_ch, temb, cross_attn, last):
        super().__init__()
        g, eps, n = c["norm_num_groups"], c["norm_eps"], c["layers_per_block"] + 1
        self.resnets = nn.ModuleList([
            ResnetBlock2D((prev_ch if i == 0 else out_ch) + (in_ch if i == n - 1 else out_ch), out_ch, temb, g, eps)
            for i in range(n)])
        self.attentions = nn.ModuleList(
            [Transformer2DModel(out_ch, c["attention_head_dim"], c["cross_attention_dim"], g) for _ in range(n)]
            if cross_attn else [])
        self.upsamplers = nn.ModuleList([] if last else [Upsample2D(out_ch)])

    def forward(self, x, skips, temb, context, size):
        for i, resnet in enumerate(self.resnets):
            x = resnet(torch.cat([x, skips.pop()], dim=1), temb)
            if self.attentions:
                x = self.attentions[i](x, context)
        for u in self.upsamplers:
            x = u(x, size)
        return x


class MidBlock(nn.Module):
    """UNetMidBlock2DCrossAttn: resnet, transformer, resnet."""

    def __init__(self, c, ch, temb):
        super().__init__()
        g, eps = c["norm_num_groups"], c["norm_eps"]
        self.resnets = nn.ModuleList([ResnetBlock2D(ch, ch, temb, g, eps) for _ in range(2)])
        self.attentions = nn.ModuleList([Transformer2DModel(ch, c["attention_head_dim"], c["cross_attention_dim"], g)])

    def forward(self, x, temb, context):
        return self.resnets[1](self.attentions[0](self.resnets[0](x, temb), context), temb)


class Encoder(nn.Module):
    """The UNet's input half (conv_in, time embedding, down blocks, mid block), shared with the ControlNet."""

    def __init__(self, c):
        super().__init__()
        ch = c["block_out_channels"]
        temb = ch[0] * 4
        self.conv_in = nn.Conv2d(c["in_channels"], ch[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        self.down_blocks = nn.ModuleList()
        out = ch[0]
        for i, kind in enumerate(c["down_block_types"]):
            self.down_blocks.append(DownBlock(c, out, ch[i], temb, kind.startswith("CrossAttn"), i == len(ch) - 1))
            out = ch[i]
        self.mid_block = MidBlock(c, ch[-1], temb)

    def embed_time(self, timestep, sample):
        t = timestep.float().reshape(-1).expand(sample.shape[0])
        return self.time_embedding(timestep_embedding(t, self.conv_in.out_channels))

    def down(self, x, temb, context):
        skips = [x]
        for block in self.down_blocks:
            x, states = block(x, temb, context)
            skips += states
        return x, skips


class UNet2DConditionModel(Encoder):
    def __init__(self, config):
        super().__init__(config)
        self.config = dict(config)
        c = config
        ch = list(reversed(c["block_out_channels"]))
        temb = ch[-1] * 4
        self.up_blocks = nn.ModuleList()
        out = ch[0]
        for i, kind in enumerate(c["up_block_types"]):
            prev, out = out, ch[i]
            self.up_blocks.append(UpBlock(c, ch[min(i + 1, len(ch) - 1)], prev, out, temb, kind.startswith("CrossAttn"),
                                          i == len(ch) - 1))
        self.conv_norm_out = nn.GroupNorm(c["norm_num_groups"], ch[-1], eps=c["norm_eps"])
        self.conv_out = nn.Conv2d(ch[-1], c["out_channels"], 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, down_residuals=None, mid_residual=None):
        temb = self.embed_time(timestep, sample)
        x, skips = self.down(self.conv_in(sample), temb, encoder_hidden_states)
        if down_residuals is not None:
            skips = [s + r for s, r in zip(skips, down_residuals)]
        x = self.mid_block(x, temb, encoder_hidden_states)
        if mid_residual is not None:
            x = x + mid_residual
        for block in self.up_blocks:
            n = len(block.resnets)
            size = skips[-n - 1].shape[2:] if block.upsamplers and len(skips) > n else None
            x = block(x, skips, temb, encoder_hidden_states, size)
        return self.conv_out(F.silu(self.conv_norm_out(x)))
