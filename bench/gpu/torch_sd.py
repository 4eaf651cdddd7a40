"""PyTorch side of the GPU benchmark (bench/gpu/run.sh), all in one process so the SD 1.5-shaped weights are built once:
the project's model code (tools/tiny-sd: text encoder, UNet, VAE; random weights, seed 0) is
  1. timed in eager mode for one UNet call with CFG (batch 2), median of --calls after warm-up;
  2. asked for a reference output on fixed inputs, written for the onnxruntime-node comparison (reference/);
  3. exported as a diffusers/Optimum ONNX model folder (model/) in --dtype, the UNet in Optimum's layout as users'
     SD 1.5 exports have it (with --phase residuals: the UNet alone with the ControlNet residual inputs of the project's
     own export, fed zeros by src/sampler/unet.ts when no ControlNet runs → unet_residuals/);
  4. with --phase optimize (a later run, so the measurements come first), exported again in fp32 and run through
     onnxruntime's transformer optimizer for UNets, which fuses attention, GroupNorm, BiasSplitGelu and converts to
     fp16 itself (it fails on an fp16 export, docs/gpu.md) → unet_opt/;
  5. timed as a Deforum-default frame loop (warp, VAE encode, img2img Euler a with CFG at strength 0.65, VAE decode,
     colour match, PNG write) built from the same modules.
Results go to OUT_DIR/torch.json (optimize.json, residuals.json for those phases).

usage: torch_sd.py OUT_DIR [--config sd15|tiny] [--device cuda|cpu] [--dtype fp16|fp32] [--size 512] [--calls 20]
                   [--frames 6] [--steps 25] [--strength 0.65] [--phase measure|optimize|residuals] [--op-order diffusers|project]
"""
import argparse
import inspect
import json
import math
import os
import shutil
import struct
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "tiny-sd"))

import blocks  # noqa: E402
from export import OPSET, SCHEDULER, TextEncoderGraph, UNetGraph, VaeDecoderGraph, VaeEncoderGraph, unet_graph_io  # noqa: E402
from text_encoder import CONFIGS as TEXT_CONFIGS, ClipTextModel  # noqa: E402
from unet import CONFIGS as UNET_CONFIGS, UNet2DConditionModel, skip_features  # noqa: E402
from vae import CONFIGS as VAE_CONFIGS, AutoencoderKL  # noqa: E402

SCALING_FACTOR = 0.18215  # docs/sd-pipeline.md: SD 1.x latent scale
# the fixed inputs of the comparison: one timestep for both CFG rows, as src/sampler/cfg-denoiser.ts passes it
REFERENCE_TIMESTEP = 500.5


def diffusers_op_order():
    """The same computation as tools/tiny-sd's blocks, in the op order of diffusers (AttnProcessor2_0, Transformer2DModel),
    which is what PyTorch eager users run and what onnxruntime's UNet fusions match: attention through
    F.scaled_dot_product_attention (PyTorch ≥ 2.0), and tokens made with permute+reshape — with reshape+transpose the
    self-attention's LayerNorm has a Transpose parent and FusionAttentionUnet skips it. Returns the attention used."""
    def transformer_forward(self, x, context):
        b, c, h, w = x.shape
        y = self.proj_in(self.norm(x)).permute(0, 2, 3, 1).reshape(b, h * w, c)
        for block in self.transformer_blocks:
            y = block(y, context)
        return self.proj_out(y.reshape(b, h, w, c).permute(0, 3, 1, 2)) + x

    blocks.Transformer2DModel.forward = transformer_forward
    if not hasattr(F, "scaled_dot_product_attention"):
        return "matmul"

    def attention_forward(self, x, context=None):
        context = x if context is None else context
        b = x.shape[0]
        split = lambda t: t.reshape(b, -1, self.heads, t.shape[-1] // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.to_q(x)), split(self.to_k(context)), split(self.to_v(context))
        out = F.scaled_dot_product_attention(q, k, v)
        return self.to_out[0](out.transpose(1, 2).reshape(b, -1, q.shape[1] * q.shape[3]))

    blocks.Attention.forward = attention_forward
    return "sdpa"


def build(config):
    """Text encoder, UNet, VAE in fp32 on the CPU, each from seed 0 so that every run builds the same weights."""
    torch.manual_seed(0)
    text = ClipTextModel(TEXT_CONFIGS[config]).eval()
    torch.manual_seed(0)
    unet = UNet2DConditionModel(UNET_CONFIGS[config]).eval()
    # the time embedding is computed in fp32 (blocks.timestep_embedding); an fp16 UNet takes it in its own dtype
    unet.time_embedding.linear_1.register_forward_pre_hook(lambda m, args: (args[0].to(m.weight.dtype),))
    torch.manual_seed(0)
    vae = AutoencoderKL(VAE_CONFIGS[config]).eval()
    return text, unet, vae


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def median_ms(fn, device, warmup, calls):
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), times


def onnx_export(module, args, path, inputs, outputs, dynamic):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # the TorchScript exporter, as tools/tiny-sd does; PyTorch ≥ 2.9 defaults to the dynamo one
    extra = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True, **extra)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def unet_config_json(uc):
    feats = skip_features(uc)
    return {"_class_name": "UNet2DConditionModel", **uc, "prediction_type": "epsilon",
            "num_down_block_residuals": len(feats), "down_block_residual_channels": [c for c, _ in feats],
            "down_block_residual_downscale": [s for _, s in feats]}


def export_unet(unet, uc, latent, dtype, device, path, residuals=False):
    """Optimum's layout (sample, timestep, encoder_hidden_states → out_sample), or with residuals=True the project's own
    export layout, which adds the ControlNet residual inputs that src/sampler/unet.ts feeds zeros when no ControlNet runs."""
    args, names, dynamic = unet_graph_io(uc, batch=2, size=latent)
    args = tuple(a.to(device) if i == 1 else a.to(device, dtype) for i, a in enumerate(args))
    if residuals:
        onnx_export(UNetGraph(unet), args, path, names, ["out_sample"], dynamic)
    else:
        onnx_export(unet, args[:3], path, names[:3], ["out_sample"], {k: dynamic[k] for k in names[:3] + ["out_sample"]})
    write_json(os.path.join(os.path.dirname(path), "config.json"), unet_config_json(uc))


def export_folder(out, config, text, unet, vae, size, dtype, device):
    """The diffusers/Optimum layout the project loads (docs/sd-pipeline.md §7.1); the text encoder stays fp32 (once a prompt)."""
    tc, uc, vc = TEXT_CONFIGS[config], UNET_CONFIGS[config], VAE_CONFIGS[config]
    latent = size // 8
    img = {0: "batch", 2: "height", 3: "width"}
    ids = torch.full((2, 77), 49407, dtype=torch.int32, device=device)
    ids[:, 0] = 49406
    layers = tc["num_hidden_layers"]
    onnx_export(TextEncoderGraph(text), (ids,), os.path.join(out, "text_encoder", "model.onnx"), ["input_ids"],
                ["last_hidden_state", "pooler_output"] + [f"hidden_states.{i}" for i in range(layers + 1)],
                {"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"},
                 "pooler_output": {0: "batch"}, **{f"hidden_states.{i}": {0: "batch", 1: "sequence"} for i in range(layers + 1)}})
    write_json(os.path.join(out, "text_encoder", "config.json"),
               {"_class_name": "CLIPTextModel", "model_type": "clip_text_model", "bos_token_id": 49406, "pad_token_id": 49407, **tc})
    export_unet(unet, uc, latent, dtype, device, os.path.join(out, "unet", "model.onnx"))
    vae_config = {"_class_name": "AutoencoderKL", **vc, "scaling_factor": SCALING_FACTOR}
    onnx_export(VaeEncoderGraph(vae), (torch.rand(1, 3, size, size, device=device, dtype=dtype) * 2 - 1,),
                os.path.join(out, "vae_encoder", "model.onnx"), ["sample"], ["latent_parameters"], {"sample": img, "latent_parameters": img})
    onnx_export(VaeDecoderGraph(vae), (torch.randn(1, 4, latent, latent, device=device, dtype=dtype),),
                os.path.join(out, "vae_decoder", "model.onnx"), ["latent_sample"], ["sample"], {"latent_sample": img, "sample": img})
    for name in ("vae_encoder", "vae_decoder"):
        write_json(os.path.join(out, name, "config.json"), vae_config)
    write_json(os.path.join(out, "scheduler", "scheduler_config.json"), SCHEDULER)
    shutil.copytree(os.path.join(ROOT, "models", "tiny-sd", "tokenizer"), os.path.join(out, "tokenizer"), dirs_exist_ok=True)
    write_json(os.path.join(out, "model_index.json"), {
        "_class_name": "OnnxStableDiffusionPipeline", "scheduler": ["diffusers", "PNDMScheduler"],
        "text_encoder": ["diffusers", "OnnxRuntimeModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "OnnxRuntimeModel"], "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
        "vae_encoder": ["diffusers", "OnnxRuntimeModel"]})


def optimize_unet(fp32_path, out_path, uc):
    """onnxruntime's offline fusions for UNets, fp16 with float32 inputs and outputs kept (as its SD pipeline script)."""
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model
    model = optimize_model(fp32_path, model_type="unet", opt_level=0, optimization_options=FusionOptions("unet"), use_gpu=True)
    fused = model.get_fused_operator_statistics()
    model.convert_float_to_float16(keep_io_types=True, op_block_list=["RandomNormalLike"])
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    model.save_model_to_file(out_path, use_external_data_format=False)
    write_json(os.path.join(os.path.dirname(out_path), "config.json"), unet_config_json(uc))
    return {k: v for k, v in fused.items() if v}


# ---- the Deforum-default frame loop in PyTorch (A1111 img2img with k-diffusion Euler a, docs/sd-pipeline.md §2–§3) ----

def model_sigmas():
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    alphas = torch.cumprod(1 - betas, dim=0)
    return ((1 - alphas) / alphas) ** 0.5


def sampling_sigmas(steps, sigmas):
    t = torch.linspace(999, 0, steps, dtype=torch.float64)
    log = sigmas.log()
    low, frac = t.floor().long(), t - t.floor()
    high = (low + 1).clamp(max=999)
    s = ((1 - frac) * log[low] + frac * log[high]).exp()
    return torch.cat([s, s.new_zeros(1)])


def sigma_to_t(sigma, log_sigmas):
    d = (math.log(sigma) - log_sigmas)
    low = int((d >= 0).nonzero().max().clamp(max=len(log_sigmas) - 2))
    w = (log_sigmas[low] - math.log(sigma)) / (log_sigmas[low] - log_sigmas[low + 1])
    return float((1 - w.clamp(0, 1)) * low + w.clamp(0, 1) * (low + 1))


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))  # noqa: E731
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def match_histogram(image, reference):
    """Per-channel histogram matching of uint8 images (the colour-coherence step; Deforum matches in LAB)."""
    out = torch.empty_like(image)
    for c in range(3):
        src, ref = image[c].flatten(), reference[c].flatten()
        ranks = src.argsort().argsort()
        out[c] = ref.sort().values[ranks].reshape(image[c].shape)
    return out


def frame_loop(text, unet, vae, size, dtype, device, frames, steps, strength, out_dir):
    """Seconds per frame (median after the first) of a Deforum frame: zoom 1.04 warp, img2img, colour match, PNG."""
    os.makedirs(out_dir, exist_ok=True)
    sigmas_all = model_sigmas().to(torch.float64)
    log_sigmas = sigmas_all.log()
    sigmas = sampling_sigmas(steps, sigmas_all)
    start_at = steps - int(steps * strength)
    run = sigmas[start_at:]
    with torch.no_grad():
        ids = torch.full((2, 77), 49407, dtype=torch.int32, device=device)
        ids[:, 0] = 49406
        ids[0, 1:4] = torch.tensor([320, 736, 2866])
        context = text(ids)[0].to(dtype)
        g = torch.Generator(device=device).manual_seed(1)
        image = (torch.rand(3, size, size, generator=g, device=device) * 255).to(torch.uint8)
        colour_ref = image.clone()
        zoom = torch.tensor([[1 / 1.04, 0, 0], [0, 1 / 1.04, 0]], device=device, dtype=torch.float32)[None]
        grid = F.affine_grid(zoom, [1, 3, size, size], align_corners=False)
        times = []
        for frame in range(frames):
            start = time.perf_counter()
            warped = F.grid_sample(image[None].float(), grid, mode="bilinear", padding_mode="reflection", align_corners=False)
            x_img = (warped / 127.5 - 1).to(dtype)
            mean = vae.encode(x_img)[:, :4].float() * SCALING_FACTOR
            x = mean + torch.randn(mean.shape, generator=g, device=device) * float(run[0])
            for i in range(len(run) - 1):
                s, s_next = float(run[i]), float(run[i + 1])
                c_in = 1 / math.sqrt(s * s + 1)
                t = torch.full((2,), sigma_to_t(s, log_sigmas), device=device)
                eps = unet((x * c_in).repeat(2, 1, 1, 1).to(dtype), t, context).float()
                denoised = x - eps * s
                guided = denoised[1:] + 7.0 * (denoised[:1] - denoised[1:])
                up = min(s_next, (s_next ** 2 * (s ** 2 - s_next ** 2) / s ** 2) ** 0.5)
                down = (s_next ** 2 - up ** 2) ** 0.5
                x = x + (x - guided) / s * (down - s)
                if s_next > 0:
                    x = x + torch.randn(x.shape, generator=g, device=device) * up
            decoded = vae.decode((x / SCALING_FACTOR).to(dtype)).float()[0]
            image = ((decoded.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
            image = match_histogram(image, colour_ref)
            write_png(os.path.join(out_dir, f"{frame:05d}.png"), image.permute(1, 2, 0).contiguous().cpu().numpy())
            sync(device)
            times.append(time.perf_counter() - start)
    return float(np.median(times[1:] if len(times) > 1 else times)), len(run) - 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--config", default="sd15", choices=sorted(UNET_CONFIGS))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtype", default=None, choices=["fp16", "fp32"])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--calls", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--frames", type=int, default=6)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--strength", type=float, default=0.65)
    p.add_argument("--phase", default="measure", choices=["measure", "optimize", "residuals"])
    p.add_argument("--op-order", default="diffusers", choices=["diffusers", "project"],
                   help="diffusers: diffusers_op_order(); project: tools/tiny-sd's blocks as they are")
    a = p.parse_args()
    dtype = {"fp16": torch.float16, "fp32": torch.float32}[a.dtype or ("fp16" if a.device == "cuda" else "fp32")]
    attention = diffusers_op_order() if a.op_order == "diffusers" else "matmul (project op order)"
    result = {"torch": torch.__version__, "device": a.device, "config": a.config, "dtype": str(dtype).replace("torch.", ""),
              "size": a.size, "attention": attention,
              "gpu": torch.cuda.get_device_name(0) if a.device == "cuda" else None}
    os.makedirs(a.out, exist_ok=True)

    def save(name="torch.json"):
        write_json(os.path.join(a.out, name), result)
        print(json.dumps(result), flush=True)

    t0 = time.perf_counter()
    text, unet, vae = build(a.config)
    uc = UNET_CONFIGS[a.config]
    latent = a.size // 8
    result["build_s"] = round(time.perf_counter() - t0, 1)
    if a.phase == "optimize":
        del text, vae
        t0 = time.perf_counter()
        export_unet(unet.to(a.device), uc, latent, torch.float32, a.device, os.path.join(a.out, "unet_fp32", "model.onnx"))
        result["export_fp32_s"] = round(time.perf_counter() - t0, 1)
        del unet
        if a.device == "cuda":
            torch.cuda.empty_cache()
        t0 = time.perf_counter()
        result["optimizer_fusions"] = optimize_unet(os.path.join(a.out, "unet_fp32", "model.onnx"),
                                                    os.path.join(a.out, "unet_opt", "model.onnx"), uc)
        result["optimize_s"] = round(time.perf_counter() - t0, 1)
        save("optimize.json")
        return
    if a.phase == "residuals":
        t0 = time.perf_counter()
        export_unet(unet.to(a.device, dtype), uc, latent, dtype, a.device, os.path.join(a.out, "unet_residuals", "model.onnx"),
                    residuals=True)
        result["export_residuals_s"] = round(time.perf_counter() - t0, 1)
        save("residuals.json")
        return
    text, unet, vae = text.to(a.device), unet.to(a.device, dtype), vae.to(a.device, dtype)

    g = torch.Generator().manual_seed(1)
    sample = torch.randn(2, 4, latent, latent, generator=g)
    context = torch.randn(2, 77, uc["cross_attention_dim"], generator=g)
    timestep = torch.full((2,), REFERENCE_TIMESTEP)
    inputs = (sample.to(a.device, dtype), timestep.to(a.device), context.to(a.device, dtype))
    with torch.no_grad():
        result["unet_ms"], times = median_ms(lambda: unet(*inputs), a.device, a.warmup, a.calls)
        result["unet_ms_all"] = [round(t, 3) for t in times]
        reference = unet(*inputs).float().cpu()
    ref_dir = os.path.join(a.out, "reference")
    os.makedirs(ref_dir, exist_ok=True)
    for name, tensor in (("sample", sample), ("context", context), ("out_sample", reference)):
        tensor.numpy().astype(np.float32).tofile(os.path.join(ref_dir, name + ".bin"))
    write_json(os.path.join(ref_dir, "reference.json"), {"timestep": REFERENCE_TIMESTEP, "rows": 2, "latent": latent,
                                                         "tokens": 77, "dim": uc["cross_attention_dim"]})
    save()

    t0 = time.perf_counter()
    export_folder(os.path.join(a.out, "model"), a.config, text, unet, vae, a.size, dtype, a.device)
    result["export_s"] = round(time.perf_counter() - t0, 1)
    save()

    if a.frames > 0:
        result["frame_s"], result["frame_steps"] = frame_loop(text, unet, vae, a.size, dtype, a.device, a.frames, a.steps,
                                                              a.strength, os.path.join(a.out, "torch-frames"))
        result["frames_per_s"] = round(1 / result["frame_s"], 3)
        save()

if __name__ == "__main__":
    main()
