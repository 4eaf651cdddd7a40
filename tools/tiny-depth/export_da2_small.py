"""A Depth-Anything-V2-Small-shaped ONNX model with random weights, for benchmarks (bench/depth.ts): the same
architecture as depth-anything/Depth-Anything-V2-Small-hf (a DINOv2 ViT-S/14 encoder: 12 blocks, width 384, 6 heads,
MLP 1536, LayerScale; a DPT head reading blocks 3, 6, 9 and 12 through 48/96/192/384-channel reassemble layers, 64
fusion features, the depth head ending in ReLU), so its parameter count (24.8 M) and FLOPs at 518×518 are the real
model's, and the same layout as onnx-community/depth-anything-v2-small (input `pixel_values`, output
`predicted_depth`, dynamic size, preprocessor_config.json). Written from the published architecture, not from its
code. Never committed (about 99 MB in fp32).

usage: export_da2_small.py [OUT_DIR]   (default tools/tiny-depth/work/da2-small)
"""
import json
import os
import sys

import torch
from torch import nn
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(HERE, "..", "fixtures"))
from make_random_depth import DEPTH_ANYTHING_CONFIG  # noqa: E402

PATCH, DIM, DEPTH, HEADS, MLP = 14, 384, 12, 6, 1536
READ_FROM = (2, 5, 8, 11)
REASSEMBLE, FEATURES = (48, 96, 192, 384), 64
GRID = 37  # DINOv2's position embeddings are for 518×518 (37×37 patches), interpolated for other sizes


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(DIM, eps=1e-6), nn.LayerNorm(DIM, eps=1e-6)
        self.qkv, self.proj = nn.Linear(DIM, 3 * DIM), nn.Linear(DIM, DIM)
        self.fc1, self.fc2 = nn.Linear(DIM, MLP), nn.Linear(MLP, DIM)
        self.ls1, self.ls2 = nn.Parameter(torch.full((DIM,), 1e-5)), nn.Parameter(torch.full((DIM,), 1e-5))

    def forward(self, x):
        b, n, _ = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, HEADS, DIM // HEADS).permute(2, 0, 3, 1, 4)
        attention = (q @ k.transpose(-2, -1) * (DIM // HEADS) ** -0.5).softmax(-1)
        x = x + self.ls1 * self.proj((attention @ v).transpose(1, 2).reshape(b, n, DIM))
        return x + self.ls2 * self.fc2(F.gelu(self.fc1(self.norm2(x))))


class ResidualUnit(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(FEATURES, FEATURES, 3, 1, 1), nn.Conv2d(FEATURES, FEATURES, 3, 1, 1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class Fusion(nn.Module):
    def __init__(self, skip):
        super().__init__()
        self.skip = ResidualUnit() if skip else None
        self.unit = ResidualUnit()
        self.out = nn.Conv2d(FEATURES, FEATURES, 1)

    def forward(self, x, skip=None, size=None):
        if skip is not None:
            x = x + self.skip(skip)
        x = self.unit(x)
        x = F.interpolate(x, size=size, scale_factor=None if size is not None else 2.0, mode="bilinear", align_corners=True)
        return self.out(x)


class DepthAnythingSmall(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, DIM, PATCH, PATCH)
        self.cls = nn.Parameter(torch.randn(1, 1, DIM) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, GRID * GRID + 1, DIM) * 0.02)
        self.blocks = nn.ModuleList(Block() for _ in range(DEPTH))
        self.norm = nn.LayerNorm(DIM, eps=1e-6)
        self.project = nn.ModuleList(nn.Conv2d(DIM, c, 1) for c in REASSEMBLE)
        self.resize = nn.ModuleList([nn.ConvTranspose2d(REASSEMBLE[0], REASSEMBLE[0], 4, 4), nn.ConvTranspose2d(REASSEMBLE[1], REASSEMBLE[1], 2, 2),
                                     nn.Identity(), nn.Conv2d(REASSEMBLE[3], REASSEMBLE[3], 3, 2, 1)])
        self.layer_rn = nn.ModuleList(nn.Conv2d(c, FEATURES, 3, 1, 1, bias=False) for c in REASSEMBLE)
        self.fusion = nn.ModuleList([Fusion(True) for _ in range(3)] + [Fusion(False)])
        self.head1 = nn.Conv2d(FEATURES, FEATURES // 2, 3, 1, 1)
        self.head2 = nn.Conv2d(FEATURES // 2, 32, 3, 1, 1)
        self.head3 = nn.Conv2d(32, 1, 1)

    def forward(self, pixel_values):
        h, w = pixel_values.shape[-2] // PATCH, pixel_values.shape[-1] // PATCH
        x = self.patch(pixel_values).flatten(2).transpose(1, 2)
        grid = self.pos[:, 1:].reshape(1, GRID, GRID, DIM).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=False).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + torch.cat([self.pos[:, :1], grid], 1)
        features = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in READ_FROM:
                features.append(self.norm(x)[:, 1:].transpose(1, 2).reshape(x.shape[0], DIM, h, w))
        maps = [rn(resize(project(f))) for f, project, resize, rn in zip(features, self.project, self.resize, self.layer_rn)]
        path = self.fusion[3](maps[3], size=maps[2].shape[-2:])
        path = self.fusion[2](path, maps[2], size=maps[1].shape[-2:])
        path = self.fusion[1](path, maps[1], size=maps[0].shape[-2:])
        path = self.fusion[0](path, maps[0])
        out = F.interpolate(self.head1(path), size=(h * PATCH, w * PATCH), mode="bilinear", align_corners=True)
        return F.relu(self.head3(F.relu(self.head2(out))))[:, 0]


def main(out):
    torch.manual_seed(0)
    model = DepthAnythingSmall().eval()
    print(f"parameters: {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M", flush=True)
    path = os.path.join(out, "onnx", "model.onnx")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    dynamic = {"pixel_values": {0: "batch_size", 2: "height", 3: "width"}, "predicted_depth": {0: "batch_size", 1: "height", 2: "width"}}
    with torch.no_grad():
        torch.onnx.export(model, (torch.zeros(1, 3, 518, 518),), path, input_names=["pixel_values"], output_names=["predicted_depth"],
                          dynamic_axes=dynamic, opset_version=17, do_constant_folding=True)
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump(DEPTH_ANYTHING_CONFIG, f, indent=2)
        f.write("\n")
    print(f"{path}: {os.path.getsize(path) / 2 ** 20:.1f} MiB", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "work", "da2-small"))
