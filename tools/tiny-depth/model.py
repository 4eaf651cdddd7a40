"""The tiny depth network: a small U-Net that maps an ImageNet-normalised RGB image (Depth-Anything's `pixel_values`)
to relative inverse depth (larger = nearer) at the input's size. It ends in a softplus: positive, as Depth-Anything's
final ReLU makes its output, but with a gradient everywhere (under a ReLU, pixels pushed below zero early in training
stay at 0 for good, and every far pixel ties).

Every surface in this world is a plane (walls, floors, the fronto-parallel cut-outs), and a plane's inverse depth is
an affine function of the image coordinates: 1/z = a·u + b·v + c. So the network predicts, per pixel, the plane
(a, b, c) of the surface it belongs to — constant over a surface, which a small network learns much faster than the
ramps themselves — and the depth head evaluates it at the pixel's coordinates. The coordinates are computed from the
input's own shape inside the graph (CumSum/ReduceSum, any size exports) and also fed in as two channels, since where a
pixel sits is part of the answer (a floor is lower down). The encoder halves the resolution five times (126 → 4), a
global-average context feeds the bottleneck, the decoder comes back up with skip connections to half resolution, and a
last convolution at full resolution on the upsampled features and the image itself puts the edges where the colours
change and adds a small correction to the plane.
"""
import torch
from torch import nn
from torch.nn import functional as F

WIDTHS = (16, 32, 48, 96, 128)


def conv(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Block(nn.Module):
    """A residual pair of 3×3 convolutions."""

    def __init__(self, channels):
        super().__init__()
        self.a = conv(channels, channels)
        self.b = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


def coordinates(x):
    """(B, 2, H, W): each pixel's column and row as (index + 1)/size, from the input's shape alone."""
    ones = torch.ones_like(x[:, :1])
    return torch.cat([ones.cumsum(3) / ones.sum(3, keepdim=True), ones.cumsum(2) / ones.sum(2, keepdim=True)], 1)


def up(x, like):
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


class TinyDepth(nn.Module):
    def __init__(self, widths=WIDTHS):
        super().__init__()
        w = widths
        self.down = nn.ModuleList()
        cin = 5
        for c in w:
            self.down.append(nn.Sequential(conv(cin, c, 2), Block(c)))
            cin = c
        self.context = nn.Linear(w[-1], w[-1])
        # the half-resolution stage, where most pixels are, gets one convolution on the way up and no residual pair
        self.up = nn.ModuleList(nn.Sequential(conv(w[i + 1] + w[i], w[i]), Block(w[i]) if i else nn.Identity())
                                for i in reversed(range(len(w) - 1)))
        self.to_full = nn.Conv2d(w[0], 8, 1)
        self.plane = nn.Conv2d(w[0], 3, 1)
        self.refine = nn.Sequential(conv(8 + 5, 8), nn.Conv2d(8, 1, 3, 1, 1))

    def forward(self, pixel_values):
        uv = coordinates(pixel_values) * 2 - 1
        x0 = torch.cat([pixel_values, uv], 1)
        skips, x = [], x0
        for stage in self.down:
            x = stage(x)
            skips.append(x)
        x = x + self.context(x.mean((2, 3)))[:, :, None, None]
        for stage, skip in zip(self.up, reversed(skips[:-1])):
            x = stage(torch.cat([up(x, skip), skip], 1))
        a, b, c = up(self.plane(x), x0).unbind(1)
        planar = a * uv[:, 0] + b * uv[:, 1] + c
        x = up(self.to_full(x), x0)
        return F.softplus(planar + self.refine(torch.cat([x, x0], 1))[:, 0])
