"""Export the trained tiny model to the diffusers/Optimum ONNX layout (models/tiny-sd/, models/tiny-sd-controlnet-openpose/).

Conventions (the TypeScript loader relies on them): text_encoder input_ids int32 [batch, sequence] → last_hidden_state,
pooler_output, hidden_states.0..L; unet sample, timestep float32 [batch], encoder_hidden_states, down_block_0..N-1,
mid_block_additional_residual → out_sample; vae_encoder sample → latent_parameters (mean ‖ logvar, Optimum ≥ 1.23);
vae_decoder latent_sample → sample; controlnet sample, timestep, encoder_hidden_states, controlnet_cond [0, 1] →
down_block_0..N-1, mid_block_additional_residual (unscaled). Opset 17, float32 I/O, fp16-stored weights.

usage: export.py WORK_DIR [MODELS_DIR]
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn

from controlnet import CONDITIONING_CHANNELS, ControlNetModel
from onnx_graph import finish, round_to_fp16
from text_encoder import CONFIGS as TEXT_CONFIGS, ClipTextModel
from unet import CONFIGS as UNET_CONFIGS, UNet2DConditionModel, skip_features
from vae import CONFIGS as VAE_CONFIGS, AutoencoderKL

OPSET = 17
HERE = os.path.dirname(os.path.abspath(__file__))
SCHEDULER = {"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "clip_sample": False, "num_train_timesteps": 1000, "prediction_type": "epsilon",
             "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "timestep_spacing": "leading",
             "trained_betas": None}


class TextEncoderGraph(nn.Module):
    def __init__(self, text):
        super().__init__()
        self.text = text

    def forward(self, input_ids):
        last, pooled, hidden = self.text(input_ids)
        return (last, pooled, *hidden)


class UNetGraph(nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states, *residuals):
        return self.unet(sample, timestep, encoder_hidden_states, list(residuals[:-1]), residuals[-1])


class VaeEncoderGraph(nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, sample):
        return self.vae.encode(sample)


class VaeDecoderGraph(nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample)


class ControlNetGraph(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, sample, timestep, encoder_hidden_states, controlnet_cond):
        down, mid = self.net(sample, timestep, encoder_hidden_states, controlnet_cond)
        return (*down, mid)


def residual_names(unet_config):
    return [f"down_block_{i}" for i in range(len(skip_features(unet_config)))] + ["mid_block_additional_residual"]


def load_models(work):
    """The shipped weights (EMA, rounded to fp16) as PyTorch modules: vae, text, unet, controlnet, scaling_factor."""
    vae = AutoencoderKL(VAE_CONFIGS["tiny"])
    vae.load_state_dict(torch.load(os.path.join(work, "vae.pt"))["model"])
    s = torch.load(os.path.join(work, "unet.pt"))
    unet, text = UNet2DConditionModel(UNET_CONFIGS["tiny"]), ClipTextModel(TEXT_CONFIGS["tiny"])
    unet.load_state_dict(s["ema_unet"])
    text.load_state_dict(s["ema_text"])
    control = None
    if os.path.exists(os.path.join(work, "controlnet.pt")):
        control = ControlNetModel(UNET_CONFIGS["tiny"], CONDITIONING_CHANNELS["tiny"])
        control.load_state_dict(torch.load(os.path.join(work, "controlnet.pt"))["ema"])
    mods = [m for m in (vae, text, unet, control) if m is not None]
    for m in mods:
        round_to_fp16(m.eval())
    return vae, text, unet, control, float(s["scaling_factor"])


def export_graph(module, args, path, inputs, outputs, dynamic, fp16=True):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True)
    finish(path, fp16)


def unet_graph_io(unet_config, batch=2, size=None):
    """Example inputs, input names and dynamic axes of the UNet graph (also used for the SD 1.5 export)."""
    size = size or unet_config["sample_size"]
    d = unet_config["cross_attention_dim"]
    b = {0: "batch"}
    img = {0: "batch", 2: "height", 3: "width"}
    res_names = residual_names(unet_config)
    feats = skip_features(unet_config) + [(unet_config["block_out_channels"][-1], 2 ** (len(unet_config["block_out_channels"]) - 1))]
    args = (torch.randn(batch, 4, size, size), torch.tensor([999.0, 20.5][:batch] + [500.0] * max(0, batch - 2)),
            torch.randn(batch, 77, d)) + tuple(torch.zeros(batch, c, size // s, size // s) for c, s in feats)
    names = ["sample", "timestep", "encoder_hidden_states"] + res_names
    dynamic = {"sample": img, "timestep": b, "encoder_hidden_states": {0: "batch", 1: "sequence"},
               **{n: {0: "batch", 2: f"height_{s}", 3: f"width_{s}"} for n, (_, s) in zip(res_names, feats)},
               "out_sample": img}
    return args, names, dynamic


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def main(work, models):
    vae, text, unet, control, sf = load_models(work)
    root = os.path.join(models, "tiny-sd")
    tc, uc, vc = text.config, unet.config, vae.config
    L = tc["num_hidden_layers"]
    ids = torch.full((2, 77), 49407, dtype=torch.int32)
    ids[:, 0] = 49406
    export_graph(TextEncoderGraph(text), (ids,), os.path.join(root, "text_encoder", "model.onnx"), ["input_ids"],
                 ["last_hidden_state", "pooler_output"] + [f"hidden_states.{i}" for i in range(L + 1)],
                 {"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"},
                  "pooler_output": {0: "batch"}, **{f"hidden_states.{i}": {0: "batch", 1: "sequence"} for i in range(L + 1)}})
    write_json(os.path.join(root, "text_encoder", "config.json"),
               {"_class_name": "CLIPTextModel", "architectures": ["CLIPTextModel"], "model_type": "clip_text_model",
                "bos_token_id": 49406, "pad_token_id": 49407, **tc})

    args, names, dynamic = unet_graph_io(uc)
    export_graph(UNetGraph(unet), args, os.path.join(root, "unet", "model.onnx"), names, ["out_sample"], dynamic)
    feats = skip_features(uc)
    write_json(os.path.join(root, "unet", "config.json"),
               {"_class_name": "UNet2DConditionModel", **uc, "act_fn": "silu", "center_input_sample": False,
                "flip_sin_to_cos": True, "freq_shift": 0, "mid_block_type": "UNetMidBlock2DCrossAttn",
                "time_embedding_dim": uc["block_out_channels"][0] * 4, "prediction_type": "epsilon",
                "controlnet_residuals": len(feats) + 1, "num_down_block_residuals": len(feats),
                "down_block_residual_channels": [c for c, _ in feats],
                "down_block_residual_downscale": [s for _, s in feats]})

    img = {0: "batch", 2: "height", 3: "width"}
    vae_config = {"_class_name": "AutoencoderKL", **vc, "scaling_factor": sf, "act_fn": "silu",
                  "down_block_types": ["DownEncoderBlock2D"] * len(vc["block_out_channels"]),
                  "up_block_types": ["UpDecoderBlock2D"] * len(vc["block_out_channels"])}
    export_graph(VaeEncoderGraph(vae), (torch.rand(1, 3, 128, 128) * 2 - 1,), os.path.join(root, "vae_encoder", "model.onnx"),
                 ["sample"], ["latent_parameters"], {"sample": img, "latent_parameters": img})
    write_json(os.path.join(root, "vae_encoder", "config.json"), vae_config)
    export_graph(VaeDecoderGraph(vae), (torch.randn(1, 4, 16, 16),), os.path.join(root, "vae_decoder", "model.onnx"),
                 ["latent_sample"], ["sample"], {"latent_sample": img, "sample": img})
    write_json(os.path.join(root, "vae_decoder", "config.json"), vae_config)

    write_json(os.path.join(root, "scheduler", "scheduler_config.json"), SCHEDULER)
    write_json(os.path.join(root, "model_index.json"), {
        "_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.30.0",
        "feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None],
        "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"],
        "vae_decoder": ["diffusers", "OnnxRuntimeModel"], "vae_encoder": ["diffusers", "OnnxRuntimeModel"]})

    if control is not None:
        croot = os.path.join(models, "tiny-sd-controlnet-openpose")
        res = residual_names(uc)
        s = uc["sample_size"]
        export_graph(ControlNetGraph(control),
                     (torch.randn(2, 4, s, s), torch.tensor([999.0, 20.5]), torch.randn(2, 77, uc["cross_attention_dim"]),
                      torch.rand(2, 3, s * 8, s * 8)),
                     os.path.join(croot, "model.onnx"), ["sample", "timestep", "encoder_hidden_states", "controlnet_cond"],
                     res, {"sample": img, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch", 1: "sequence"},
                           "controlnet_cond": {0: "batch", 2: "image_height", 3: "image_width"},
                           **{n: {0: "batch", 2: f"height_{i}", 3: f"width_{i}"} for i, n in enumerate(res)}})
        write_json(os.path.join(croot, "config.json"), {"_class_name": "ControlNetModel", **control.config,
                                                       "global_pool_conditions": False, "act_fn": "silu",
                                                       "flip_sin_to_cos": True, "freq_shift": 0})
    write_reference_io(work, text, unet, vae, control)


def write_reference_io(work, text, unet, vae, control):
    """PyTorch inputs/outputs at odd sizes, for the onnxruntime-node comparison script (work/check_onnx.mjs)."""
    g = torch.Generator().manual_seed(1)
    out = os.path.join(work, "reference")
    os.makedirs(out, exist_ok=True)
    tensors = {}
    with torch.no_grad():
        ids = torch.full((2, 77), 49407, dtype=torch.int32)
        ids[:, :5] = torch.tensor([49406, 320, 736, 2866, 525])
        last, pooled, hidden = text(ids)
        tensors.update(input_ids=ids, last_hidden_state=last, pooler_output=pooled, hidden_states_1=hidden[1])
        x, t = torch.randn(2, 4, 24, 20, generator=g), torch.tensor([981.5, 3.25])
        ctx = torch.cat([last, last], dim=1)
        tensors.update(sample=x, timestep=t, encoder_hidden_states=ctx, out_sample=unet(x, t, ctx))
        img = torch.rand(1, 3, 136, 200, generator=g) * 2 - 1
        tensors.update(vae_in=img, latent_parameters=vae.encode(img))
        z = torch.randn(1, 4, 17, 25, generator=g)
        tensors.update(latent_sample=z, decoded=vae.decode(z))
        if control is not None:
            cond = torch.rand(2, 3, 192, 160, generator=g)
            down, mid = control(x, t, ctx, cond)
            tensors.update(controlnet_cond=cond, mid_block_additional_residual=mid, down_block_0=down[0],
                           controlled_out_sample=unet(x, t, ctx, down, mid))
    shapes = {}
    for k, v in tensors.items():
        v.numpy().tofile(os.path.join(out, k + ".bin"))
        shapes[k] = [list(v.shape), str(v.dtype).replace("torch.", "")]
    write_json(os.path.join(out, "shapes.json"), shapes)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "..", "models"))
