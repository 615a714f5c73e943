"""The demo relevance model: a SigLIP-style dual encoder (frame image, question text) and the
learned predictor head of issue 3.

Image tower: pixel_values [batch, 3, 128, 128] (1/255, mean 0.5, std 0.5) -> image_embeds
[batch, E]; its convolutional trunk has the VLM vision encoder's layout and starts from its
pretrained weights (as SmolVLM's vision encoder is itself a SigLIP). Text tower: input_ids int64 [batch, 64] (the question, padded with the pad id) ->
text_embeds [batch, E]. Score: logit_scale.exp() * cos(text, image) + logit_bias.
Predictor head: MLP over [u, v, u*v] (u, v the L2-normalized image and text embeddings) ->
one logit, weights fc1 [H, 3E], fc2 [1, H]. Knows nothing of videos or prompts.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from vision_model import make_trunk

TEXT_WINDOW = 64
IMAGE_SIZE = 128


class ImageTower(nn.Module):
    def __init__(self, embed=64):
        super().__init__()
        self.trunk = make_trunk()
        self.proj = nn.Sequential(nn.Linear(256, 128), nn.GELU(), nn.Linear(128, embed))

    def forward(self, pixel_values):
        x = F.gelu(self.trunk(pixel_values))
        pooled = torch.cat([x.amax(dim=(2, 3)), x.mean(dim=(2, 3))], dim=1)
        return self.proj(pooled)


class TextBlock(nn.Module):
    """Pre-norm transformer block, bidirectional, no padding mask (pads are part of the input)."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))

    def forward(self, x):
        b, s, w = x.shape
        hd = w // self.heads
        q, k, v = self.qkv(self.norm1(x)).view(b, s, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), dim=-1)
        x = x + self.out((att @ v).transpose(1, 2).reshape(b, s, w))
        return x + self.mlp(self.norm2(x))


class TextTower(nn.Module):
    def __init__(self, vocab_size, embed=64, width=64, layers=2, heads=4):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(TEXT_WINDOW, width) * 0.02)
        self.blocks = nn.ModuleList([TextBlock(width, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)
        self.proj = nn.Linear(width, embed)

    def forward(self, input_ids):
        h = self.tok(input_ids) + self.pos[: input_ids.shape[1]]
        for block in self.blocks:
            h = block(h)
        return self.proj(self.norm(h).mean(dim=1))


class DualEncoder(nn.Module):
    def __init__(self, vocab_size, embed=64):
        super().__init__()
        self.image = ImageTower(embed)
        self.text = TextTower(vocab_size, embed)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        self.logit_bias = nn.Parameter(torch.tensor(-10.0))

    def logits(self, image_embeds, text_embeds):
        """[images, texts] SigLIP logits."""
        u = F.normalize(image_embeds, dim=-1)
        v = F.normalize(text_embeds, dim=-1)
        return self.logit_scale.exp() * u @ v.T + self.logit_bias


def sigmoid_loss(logits, labels):
    """SigLIP's pairwise sigmoid loss with {0,1} labels (several positives allowed)."""
    z = 2 * labels - 1
    return -F.logsigmoid(z * logits).sum() / logits.shape[0]


class PredictorHead(nn.Module):
    def __init__(self, embed=64, hidden=64, activation="gelu"):
        super().__init__()
        self.fc1 = nn.Linear(3 * embed, hidden)
        self.fc2 = nn.Linear(hidden, 1)
        self.activation = activation

    def forward(self, u, v):
        """u [..., E], v [..., E] normalized -> logit [...]."""
        x = torch.cat([u, v, u * v], dim=-1)
        act = F.gelu if self.activation == "gelu" else F.relu
        return self.fc2(act(self.fc1(x)))[..., 0]
