"""Export the SD 1.5-shaped UNet and VAE (same model code, --config sd15, random weights) to ONNX for GPU benchmarks:
same tensor names as the tiny export, opset 17, weights stored as fp16 (external data file model.onnx_data, as
Optimum does). Never commit the output (about 2 GB).

usage: export_sd15.py [OUT_DIR]        (default tools/tiny-sd/work/sd15)
"""
import os
import sys

import onnx
import torch

from export import OPSET, UNetGraph, VaeDecoderGraph, VaeEncoderGraph, unet_graph_io, write_json
from onnx_graph import store_weights_fp16
from unet import CONFIGS as UNET_CONFIGS, UNet2DConditionModel
from vae import CONFIGS as VAE_CONFIGS, AutoencoderKL

HERE = os.path.dirname(os.path.abspath(__file__))


def export_large(module, args, folder, inputs, outputs, dynamic):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True)
    model = store_weights_fp16(onnx.load(path))
    for f in os.listdir(folder):
        if f != "config.json":
            os.remove(os.path.join(folder, f))
    onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location="model.onnx_data")
    onnx.checker.check_model(path)


def main(out):
    torch.manual_seed(0)
    uc, vc = UNET_CONFIGS["sd15"], VAE_CONFIGS["sd15"]
    img = {0: "batch", 2: "height", 3: "width"}
    vae = AutoencoderKL(vc).eval()
    export_large(VaeDecoderGraph(vae), (torch.randn(1, 4, 64, 64),), os.path.join(out, "vae_decoder"),
                 ["latent_sample"], ["sample"], {"latent_sample": img, "sample": img})
    export_large(VaeEncoderGraph(vae), (torch.randn(1, 3, 512, 512),), os.path.join(out, "vae_encoder"),
                 ["sample"], ["latent_parameters"], {"sample": img, "latent_parameters": img})
    for name in ("vae_encoder", "vae_decoder"):
        write_json(os.path.join(out, name, "config.json"), {"_class_name": "AutoencoderKL", **vc, "scaling_factor": 0.18215})
    del vae
    unet = UNet2DConditionModel(uc).eval()
    args, names, dynamic = unet_graph_io(uc, batch=2, size=64)
    export_large(UNetGraph(unet), args, os.path.join(out, "unet"), names, ["out_sample"], dynamic)
    write_json(os.path.join(out, "unet", "config.json"), {"_class_name": "UNet2DConditionModel", **uc})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "work", "sd15"))
