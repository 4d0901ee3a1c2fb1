"""Train the two digits nets and write them as float ONNX models (the committed
``models/*.onnx``; the rest of the example needs no training).

The framework is a small numpy one (this file: conv, ReLU, max-pool 2/2, flatten,
dense, softmax cross-entropy, Adam), so training needs nothing beyond the example's
own dependencies (numpy, onnx, scikit-learn: ``pip install .[train]``). The nets:

* ``small_cnn`` (8x8): Conv 3x3 pad 1 -> 8, Relu, MaxPool 2/2, Conv 3x3 pad 1 -> 16,
  Relu, MaxPool 2/2, Flatten (64), Gemm 10;
* ``lenet`` (28x28, LeNet-shaped): Conv 5x5 -> 6, Relu, MaxPool 2/2, Conv 5x5 -> 16,
  Relu, MaxPool 2/2, Flatten (256), Gemm 32, Relu, Gemm 10.

Usage: python examples/digits/train_digits.py [--net small_cnn|lenet|all] [--epochs N]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digits_data import splits

MODELS = Path(__file__).resolve().parent / "models"


@dataclass
class Layer:
    """One layer: kind conv/relu/pool/flatten/dense, its shape and trained parameters."""

    kind: str
    cout: int = 0
    k: int = 0
    pad: int = 0
    w: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    b: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


NETS: dict[str, tuple[int, list[Layer]]] = {
    "small_cnn": (
        8,
        [
            Layer("conv", 8, 3, 1),
            Layer("relu"),
            Layer("pool"),
            Layer("conv", 16, 3, 1),
            Layer("relu"),
            Layer("pool"),
            Layer("flatten"),
            Layer("dense", 10),
        ],
    ),
    "lenet": (
        28,
        [
            Layer("conv", 6, 5),
            Layer("relu"),
            Layer("pool"),
            Layer("conv", 16, 5),
            Layer("relu"),
            Layer("pool"),
            Layer("flatten"),
            Layer("dense", 32),
            Layer("relu"),
            Layer("dense", 10),
        ],
    ),
}


def init(layers: list[Layer], shape: tuple[int, int, int], rng: np.random.Generator) -> None:
    """He-initialise the weights for an input of ``shape`` (C, H, W)."""
    c, h, w = shape
    for layer in layers:
        if layer.kind == "conv":
            fan = c * layer.k * layer.k
            layer.w = rng.normal(0, np.sqrt(2 / fan), (layer.cout, c, layer.k, layer.k))
            layer.b = np.zeros(layer.cout)
            c, h, w = layer.cout, h + 2 * layer.pad - layer.k + 1, w + 2 * layer.pad - layer.k + 1
        elif layer.kind == "pool":
            h, w = h // 2, w // 2
        elif layer.kind == "flatten":
            c, h, w = c * h * w, 1, 1
        elif layer.kind == "dense":
            layer.w = rng.normal(0, np.sqrt(2 / c), (layer.cout, c))
            layer.b = np.zeros(layer.cout)
            c = layer.cout


def forward(layers: list[Layer], x: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Logits and what backward needs per layer."""
    cache: list[Any] = []
    for layer in layers:
        if layer.kind == "conv":
            p, k = layer.pad, layer.k
            xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
            win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))
            cache.append((x.shape, win))
            x = np.einsum("nchwij,ocij->nohw", win, layer.w, optimize=True)
            x = x + layer.b[None, :, None, None]
        elif layer.kind == "relu":
            cache.append(x > 0)
            x = np.maximum(x, 0)
        elif layer.kind == "pool":
            n, c, h, w = x.shape
            x = x[:, :, : h // 2 * 2, : w // 2 * 2]
            r = x.reshape(n, c, h // 2, 2, w // 2, 2)
            m = r.max(axis=(3, 5))
            mask = r == m[:, :, :, None, :, None]
            cache.append(((n, c, h, w), mask / mask.sum(axis=(3, 5), keepdims=True)))
            x = m
        elif layer.kind == "flatten":
            cache.append(x.shape)
            x = x.reshape(len(x), -1)
        else:
            cache.append(x)
            x = x @ layer.w.T + layer.b
    return x, cache


def backward(layers: list[Layer], cache: list[Any], d: np.ndarray) -> list[tuple[Any, ...]]:
    """Gradients (dw, db) per layer (None for layers without parameters)."""
    grads: list[tuple[Any, ...]] = [()] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        layer, c = layers[i], cache[i]
        if layer.kind == "dense":
            x = c
            grads[i] = (d.T @ x, d.sum(axis=0))
            d = d @ layer.w
        elif layer.kind == "flatten":
            d = d.reshape(c)
        elif layer.kind == "relu":
            d = d * c
        elif layer.kind == "pool":
            (n, ch, h, w), share = c
            full = np.zeros((n, ch, h, w))
            g = share * d[:, :, :, None, :, None]
            full[:, :, : h // 2 * 2, : w // 2 * 2] = g.reshape(n, ch, h // 2 * 2, w // 2 * 2)
            d = full
        elif layer.kind == "conv":
            shape, win = c
            grads[i] = (np.einsum("nchwij,nohw->ocij", win, d, optimize=True), d.sum((0, 2, 3)))
            p, k = layer.pad, layer.k
            n, ch, h, w = shape
            dxp = np.zeros((n, ch, h + 2 * p, w + 2 * p))
            ho, wo = d.shape[2:]
            for a in range(k):
                for b in range(k):
                    dxp[:, :, a : a + ho, b : b + wo] += np.einsum(
                        "nohw,oc->nchw", d, layer.w[:, :, a, b], optimize=True
                    )
            d = dxp[:, :, p : p + h, p : p + w]
    return grads


def train(name: str, epochs: int, seed: int = 0) -> list[Layer]:
    """Train net ``name`` with Adam on the training split; prints progress."""
    size, spec = NETS[name]
    layers = [Layer(s.kind, s.cout, s.k, s.pad) for s in spec]
    rng = np.random.default_rng(seed)
    init(layers, (1, size, size), rng)
    tr, _, te = splits(size)
    params = [(i, j) for i, layer in enumerate(layers) if layer.w.size for j in (0, 1)]
    m = {p: 0.0 for p in params}
    v = {p: 0.0 for p in params}
    step, lr = 0, 3e-3
    for epoch in range(epochs):
        order = rng.permutation(len(tr.x))
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            logits, cache = forward(layers, tr.x[idx].astype(np.float64))
            prob = np.exp(logits - logits.max(axis=1, keepdims=True))
            prob /= prob.sum(axis=1, keepdims=True)
            prob[np.arange(len(idx)), tr.y[idx]] -= 1
            grads = backward(layers, cache, prob / len(idx))
            step += 1
            for i, j in params:
                g = grads[i][j]
                m[(i, j)] = 0.9 * m[(i, j)] + 0.1 * g
                v[(i, j)] = 0.999 * v[(i, j)] + 0.001 * g * g
                mh = m[(i, j)] / (1 - 0.9**step)
                vh = v[(i, j)] / (1 - 0.999**step)
                upd = lr * mh / (np.sqrt(vh) + 1e-8)
                if j == 0:
                    layers[i].w = layers[i].w - upd
                else:
                    layers[i].b = layers[i].b - upd
        lr *= 0.85
        acc = float(np.mean(forward(layers, te.x.astype(np.float64))[0].argmax(1) == te.y))
        print(f"{name}: epoch {epoch + 1}/{epochs}, held-out accuracy {100 * acc:.1f} %")
    return layers


def to_onnx(name: str, layers: list[Layer]) -> onnx.ModelProto:
    """The trained net as a float ONNX model (as PyTorch exports it), input ``input``."""
    size = NETS[name][0]
    nodes, inits = [], []
    x = "input"
    for i, layer in enumerate(layers):
        out = f"{layer.kind}_{i}"
        if layer.kind in ("conv", "dense"):
            w, b = f"w{i}", f"b{i}"
            inits += [
                numpy_helper.from_array(layer.w.astype(np.float32), w),
                numpy_helper.from_array(layer.b.astype(np.float32), b),
            ]
            if layer.kind == "conv":
                at: dict[str, Any] = {"kernel_shape": [layer.k] * 2, "pads": [layer.pad] * 4}
                nodes.append(helper.make_node("Conv", [x, w, b], [out], name=f"Conv_{i}", **at))
            else:
                nodes.append(helper.make_node("Gemm", [x, w, b], [out], name=f"Gemm_{i}", transB=1))
        elif layer.kind == "relu":
            nodes.append(helper.make_node("Relu", [x], [out], name=f"Relu_{i}"))
        elif layer.kind == "pool":
            at = {"kernel_shape": [2, 2], "strides": [2, 2]}
            nodes.append(helper.make_node("MaxPool", [x], [out], name=f"MaxPool_{i}", **at))
        else:
            nodes.append(helper.make_node("Flatten", [x], [out], name=f"Flatten_{i}", axis=1))
        x = out
    nodes[-1].output[0] = "output"
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--net", choices=[*NETS, "all"], default="all")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--out", type=Path, default=MODELS)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in NETS if args.net == "all" else [args.net]:
        model = to_onnx(name, train(name, args.epochs))
        onnx.save(model, args.out / f"{name}.onnx")
        print(f"wrote {args.out / f'{name}.onnx'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
