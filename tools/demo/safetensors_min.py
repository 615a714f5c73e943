"""A minimal safetensors writer/reader (F32 only), used until tools/safetensors_io.py exists.

Layout: 8-byte little-endian header length, a JSON header (name -> dtype, shape,
data_offsets; "__metadata__" -> string map) padded with spaces to 8 bytes, then the raw data.
"""

import json
import struct

import numpy as np


def write(path, tensors, metadata=None):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, h in header.items():
        s, e = h["data_offsets"]
        out[name] = np.frombuffer(data[s:e], "<f4").reshape(h["shape"])
    return out, meta
