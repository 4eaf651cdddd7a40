"""ONNX graph post-processing: store large float32 weights as float16 behind Cast nodes, so the graph still
computes and exchanges float32 (onnxruntime's CPU EP lacks many fp16 kernels) but the file is half the size."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Small constants (timestep frequencies, norms' eps, masks) stay float32: fp16 would shift the time embedding.
MIN_ELEMENTS = 1024


def store_weights_fp16(model):
    graph = model.graph
    casts, kept = [], []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or np.prod(init.dims) < MIN_ELEMENTS:
            kept.append(init)
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + "_fp16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "_cast"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def round_to_fp16(module):
    """Round a PyTorch module's weights as they will be stored, so PyTorch checks see the shipped numbers."""
    for p in module.parameters():
        if p.numel() >= MIN_ELEMENTS:
            p.data = p.data.half().float()
    return module


def finish(path, fp16=True):
    model = onnx.load(path)
    if fp16:
        model = store_weights_fp16(model)
    onnx.checker.check_model(model)
    onnx.save(model, path)
