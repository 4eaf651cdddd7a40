"""Export the trained tiny depth model in the Depth-Anything ONNX layout (what onnx-community/depth-anything-v2-small
ships, so the same loader reads both; src/depth/depth-layout.ts): models/tiny-depth/onnx/model.onnx with input
`pixel_values` float32 [batch_size, 3, height, width] and output `predicted_depth` float32 [batch_size, height, width],
opset 17, weights stored as fp16 behind Cast nodes (tools/tiny-sd/onnx_graph.py), and a DPTImageProcessor
preprocessor_config.json sized for speed: 126 px on the side that changes least, multiples of 14, aspect kept.

usage: export.py WORK_DIR [MODELS_DIR]
"""
import json
import os
import sys

import torch

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tiny-sd"))
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from onnx_graph import finish, round_to_fp16  # noqa: E402
from onnx_dims import check_model, io_shapes  # noqa: E402

import batches  # noqa: E402
import evaluate  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PREPROCESSOR = {
    "do_normalize": True,
    "do_pad": False,
    "do_rescale": True,
    "do_resize": True,
    "ensure_multiple_of": batches.MULTIPLE,
    "image_mean": batches.MEAN.tolist(),
    "image_processor_type": "DPTImageProcessor",
    "image_std": batches.STD.tolist(),
    "keep_aspect_ratio": True,
    "resample": 3,
    "rescale_factor": 1 / 255,
    "size": {"height": batches.INPUT, "width": batches.INPUT},
}


def main(work, models):
    model = round_to_fp16(evaluate.load(os.path.join(work, "depth.pt")))
    root = os.path.join(models, "tiny-depth")
    path = os.path.join(root, "onnx", "model.onnx")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    example = (torch.zeros(1, 3, batches.INPUT, batches.INPUT + 2 * batches.MULTIPLE),)
    dynamic = {"pixel_values": {0: "batch_size", 2: "height", 3: "width"}, "predicted_depth": {0: "batch_size", 1: "height", 2: "width"}}
    with torch.no_grad():
        torch.onnx.export(model, example, path, input_names=["pixel_values"], output_names=["predicted_depth"],
                          dynamic_axes=dynamic, opset_version=17, do_constant_folding=True)
    finish(path, fp16=True)
    check_model(path, io_shapes(model, example, ["pixel_values"], ["predicted_depth"]))
    with open(os.path.join(root, "preprocessor_config.json"), "w") as f:
        json.dump(PREPROCESSOR, f, indent=2)
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "..", "models"))
