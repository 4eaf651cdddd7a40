"""ControlNetModel with diffusers' structure (models/controlnets/controlnet.py): a copy of the UNet's input half
plus controlnet_cond_embedding (÷8 conv stack, added to conv_in's output) and zero-initialised 1×1 convs per skip
feature and for the mid block. Outputs are unscaled (conditioning_scale 1)."""
import torch
from torch import nn
import torch.nn.functional as F

from unet import Encoder, skip_features

CONDITIONING_CHANNELS = {"tiny": [8, 16, 32, 64], "sd15": [16, 32, 96, 256]}


def zero_conv(cin, cout, k=1):
    conv = nn.Conv2d(cin, cout, k, padding=k // 2)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class ConditioningEmbedding(nn.Module):
    def __init__(self, out_channels, block_out_channels, in_channels=3):
        super().__init__()
        ch = block_out_channels
        self.conv_in = nn.Conv2d(in_channels, ch[0], 3, padding=1)
        self.blocks = nn.ModuleList()
        for a, b in zip(ch[:-1], ch[1:]):
            self.blocks.append(nn.Conv2d(a, a, 3, padding=1))
            self.blocks.append(nn.Conv2d(a, b, 3, padding=1, stride=2))
        self.conv_out = zero_conv(ch[-1], out_channels, 3)

    def forward(self, x):
        x = F.silu(self.conv_in(x))
        for conv in self.blocks:
            x = F.silu(conv(x))
        return self.conv_out(x)


class ControlNetModel(Encoder):
    def __init__(self, unet_config, conditioning_channels):
        super().__init__(unet_config)
        self.config = dict(unet_config, conditioning_embedding_out_channels=list(conditioning_channels),
                           conditioning_channels=3, controlnet_conditioning_channel_order="rgb",
                           controlnet_conditioning="openpose")
        ch = unet_config["block_out_channels"]
        self.controlnet_cond_embedding = ConditioningEmbedding(ch[0], conditioning_channels)
        self.controlnet_down_blocks = nn.ModuleList([zero_conv(c, c) for c, _ in skip_features(unet_config)])
        self.controlnet_mid_block = zero_conv(ch[-1], ch[-1])

    @classmethod
    def from_unet(cls, unet, conditioning_channels):
        net = cls(unet.config, conditioning_channels)
        missing, _ = net.load_state_dict(unet.state_dict(), strict=False)
        assert all(k.startswith("controlnet_") for k in missing), missing
        return net

    def forward(self, sample, timestep, encoder_hidden_states, controlnet_cond):
        temb = self.embed_time(timestep, sample)
        x = self.conv_in(sample) + self.controlnet_cond_embedding(controlnet_cond)
        x, skips = self.down(x, temb, encoder_hidden_states)
        x = self.mid_block(x, temb, encoder_hidden_states)
        return [conv(s) for conv, s in zip(self.controlnet_down_blocks, skips)], self.controlnet_mid_block(x)
