"""Real-size replicas of the real models, random weights, for benchmarks and limit tests.

    /usr/bin/python3 tools/replicas/make_replicas.py [--only vision|embed|decoder|siglip] [OUT]

Needs Debian's python3-torch, python3-onnx, python3-numpy (apt-get install python3-torch
python3-onnx python3-numpy). Writes under OUT (default .cache/replicas/, gitignored; never
committed: about 1.8 GB), made on demand:

- smolvlm2-256m/onnx/vision_encoder.onnx (+ .onnx_data): SmolVLM2-256M's vision encoder, SigLIP-B/16
  (12 layers, width 768, 12 heads, MLP 3072) on 512 × 512, pixel shuffle 4 → 64 tokens of
  576 (MODELS.md). In `pixel_values` float [batch, images, 3, 512, 512], `pixel_attention_mask`
  bool [batch, images, 512, 512]; out `image_features` [images, 64, 576]. Attention unfused
  (MatMul, Softmax, MatMul): [images, 12, 1024, 1024] scores, as a plain torch export has them.
- smolvlm2-256m/onnx/embed_tokens.onnx: `input_ids` int64 [batch, seq] → `inputs_embeds`
  [batch, seq, 576] (49 280 × 576).
- smolvlm2-256m/onnx/decoder_model_merged.onnx: the bench decoder of
  tools/fixtures/make_fixtures.py --bench-decoder (30 layers, hidden 576, 9 heads, 3 KV heads).
- siglip-base-224/onnx/vision_model.onnx and text_model.onnx: SigLIP base's two towers at 224
  (196 patches, 12 layers, width 768; text 64 tokens, vocabulary 32 000), outputs
  `last_hidden_state` and `pooler_output` [batch, 768].
"""

import os
import sys

try:
    import onnx
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    sys.exit(f"{e}: apt-get install python3-torch python3-onnx python3-numpy")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
from make_fixtures import make_bench_decoder  # noqa: E402

OPSET = 17


class Block(nn.Module):
    """A SigLIP encoder layer: pre-LN attention and MLP (gelu tanh), attention unfused."""

    def __init__(self, width, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.q, self.k, self.v, self.o = (nn.Linear(width, width) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(width, mlp), nn.Linear(mlp, width)

    def forward(self, x):
        B, P, W = x.shape
        h = self.ln1(x)
        split = lambda t: t.view(B, P, self.heads, W // self.heads).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        att = (q @ k.transpose(-1, -2)) * (W // self.heads) ** -0.5  # [B, heads, P, P]
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, P, W)
        x = x + self.o(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class VisionTower(nn.Module):
    def __init__(self, size, patch=16, width=768, layers=12, heads=12, mlp=3072):
        super().__init__()
        self.patch = nn.Conv2d(3, width, patch, stride=patch)
        self.pos = nn.Parameter(torch.randn((size // patch) ** 2, width) * 0.02)
        self.blocks = nn.ModuleList(Block(width, heads, mlp) for _ in range(layers))
        self.post = nn.LayerNorm(width)

    def forward(self, pixels):  # [B, 3, S, S] → [B, P, width]
        x = self.patch(pixels).flatten(2).transpose(1, 2) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.post(x)


class SmolVisionEncoder(nn.Module):
    """SigLIP-B/16 at 512, pixel shuffle 4 (32 × 32 → 8 × 8 of 768·16), projection to 576."""

    def __init__(self):
        super().__init__()
        self.tower = VisionTower(512)
        self.proj = nn.Linear(768 * 16, 576, bias=False)

    def forward(self, pixel_values, pixel_attention_mask):
        x = pixel_values.flatten(0, 1) * pixel_attention_mask.flatten(0, 1).unsqueeze(1).to(pixel_values.dtype)
        h = self.tower(x)  # [I, 1024, 768]
        I = h.shape[0]
        h = h.view(I, 8, 4, 8, 4, 768).permute(0, 1, 3, 2, 4, 5).reshape(I, 64, 768 * 16)
        return self.proj(h)


class SiglipVision(nn.Module):
    """SigLIP base's vision tower at 224 with its attention-pooling head (a probe query)."""

    def __init__(self):
        super().__init__()
        self.tower = VisionTower(224)
        self.probe = nn.Parameter(torch.randn(1, 1, 768) * 0.02)
        self.pool = nn.MultiheadAttention(768, 12, batch_first=True)
        self.ln = nn.LayerNorm(768)
        self.mlp = nn.Sequential(nn.Linear(768, 3072), nn.GELU(approximate="tanh"), nn.Linear(3072, 768))

    def forward(self, pixel_values):
        h = self.tower(pixel_values)
        p, _ = self.pool(self.probe.expand(h.shape[0], -1, -1), h, h, need_weights=False)
        p = p + self.mlp(self.ln(p))
        return h, p[:, 0]


class SiglipText(nn.Module):
    def __init__(self, vocab=32000, length=64, width=768, layers=12):
        super().__init__()
        self.emb = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.randn(length, width) * 0.02)
        self.blocks = nn.ModuleList(Block(width, 12, 3072) for _ in range(layers))
        self.final = nn.LayerNorm(width)
        self.head = nn.Linear(width, width)

    def forward(self, input_ids):
        x = self.emb(input_ids) + self.pos
        for b in self.blocks:
            x = b(x)
        h = self.final(x)
        return h, self.head(h[:, -1])  # SigLIP pools the last position


def export(model, args, path, inputs, outputs, axes):
    """fp32, weights in `<file>.onnx_data` as large exports keep them."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model.eval(), args, path, input_names=inputs, output_names=outputs,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
    proto = onnx.load(path)
    data = path + "_data"
    if os.path.exists(data):
        os.remove(data)
    onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=os.path.basename(data), size_threshold=1024)
    print("wrote", path, os.path.getsize(data) // 2**20, "MiB of weights", flush=True)


def main():
    args = sys.argv[1:]
    only = None
    if len(args) >= 2 and args[0] == "--only":
        only, args = args[1], args[2:]
    out = args[0] if args else os.path.join(HERE, "..", "..", ".cache", "replicas")
    smol = os.path.join(out, "smolvlm2-256m", "onnx")
    sig = os.path.join(out, "siglip-base-224", "onnx")
    torch.manual_seed(3)
    if only in (None, "vision"):
        export(SmolVisionEncoder(), (torch.randn(1, 1, 3, 512, 512), torch.ones(1, 1, 512, 512, dtype=torch.bool)),
               os.path.join(smol, "vision_encoder.onnx"), ["pixel_values", "pixel_attention_mask"],
               ["image_features"], {"pixel_values": {0: "batch", 1: "images"},
                                    "pixel_attention_mask": {0: "batch", 1: "images"},
                                    "image_features": {0: "images"}})
    if only in (None, "embed"):
        export(nn.Embedding(49280, 576), (torch.zeros(1, 3, dtype=torch.long),),
               os.path.join(smol, "embed_tokens.onnx"), ["input_ids"], ["inputs_embeds"],
               {"input_ids": {0: "batch", 1: "seq"}, "inputs_embeds": {0: "batch", 1: "seq"}})
    if only in (None, "decoder"):
        make_bench_decoder(smol)
    if only in (None, "siglip"):
        export(SiglipVision(), (torch.randn(2, 3, 224, 224),), os.path.join(sig, "vision_model.onnx"),
               ["pixel_values"], ["last_hidden_state", "pooler_output"],
               {"pixel_values": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}})
        export(SiglipText(), (torch.zeros(2, 64, dtype=torch.long),), os.path.join(sig, "text_model.onnx"),
               ["input_ids"], ["last_hidden_state", "pooler_output"],
               {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}})


if __name__ == "__main__":
    main()
