"""The sd15 configuration of the same model code has exactly SD 1.5's shapes (parameter counts of
runwayml/stable-diffusion-v1-5's UNet, VAE and CLIP text encoder).

usage: /usr/bin/python3 tools/tiny-sd/test_sd15_params.py   (or python3 -m pytest)
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import torch  # noqa: F401
except ImportError:
    torch = None


def count(module):
    return sum(p.numel() for p in module.parameters())


@unittest.skipIf(torch is None, "PyTorch is not installed")
class Sd15ParameterCounts(unittest.TestCase):
    def test_unet(self):
        from unet import CONFIGS, UNet2DConditionModel
        self.assertEqual(count(UNet2DConditionModel(CONFIGS["sd15"])), 859_520_964)

    def test_vae(self):
        from vae import CONFIGS, AutoencoderKL
        self.assertEqual(count(AutoencoderKL(CONFIGS["sd15"])), 83_653_863)

    def test_text_encoder(self):
        from text_encoder import CONFIGS, ClipTextModel
        self.assertEqual(count(ClipTextModel(CONFIGS["sd15"])), 123_060_480)


if __name__ == "__main__":
    unittest.main()
