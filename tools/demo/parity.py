"""Parity files for verify_onnx.mjs: feeds and torch outputs of each exported model, as JSON
with base64 little-endian buffers."""

import base64
import json

import numpy as np


def encode(array):
    a = np.ascontiguousarray(array)
    dtype = {np.dtype("float32"): "float32", np.dtype("int64"): "int64", np.dtype("bool"): "bool"}[a.dtype]
    return {"dtype": dtype, "dims": list(a.shape), "data": base64.b64encode(a.tobytes()).decode()}


def case(name, model, feeds, expected, abs_tol=1e-4, rel_tol=1e-4):
    return {
        "name": name,
        "model": model,
        "feeds": {k: encode(v) for k, v in feeds.items()},
        "expected": {k: encode(v) for k, v in expected.items()},
        "tolerance": {"abs": abs_tol, "rel": rel_tol},
    }


def write(path, cases):
    with open(path, "w") as f:
        json.dump(cases, f)
