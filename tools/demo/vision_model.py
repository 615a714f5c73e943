"""The demo VLM's vision encoder: a small CNN that turns a 128x128 frame into an 8x8 grid of
tokens of the decoder's width, each carrying a learned position embedding of its cell.

Contract (MODELS.md): pixel_values float [batch, images, 3, S, S] (rescaled 1/255, normalized
with mean 0.5 / std 0.5), pixel_attention_mask bool [batch, images, S, S] -> image_features
[batch*images, 64, hidden]. The receptive field of a token's local part is about 52 px (its
16 px cell and a margin), so tokens stay local and pruning them loses information, as with real
patch tokens; like a ViT's tokens they also carry a little of the whole frame (a pooled context
vector mixed into every token), which is how an event cell knows how many copies of its shape
the frame shows. Auxiliary heads (training only) read each token's content: the key-event shape
and colour covering it, whether an object's centre lies in it, its row and column, and for event
cells the event's number of copies and its place in the frame.
"""

import torch
import torch.nn as nn

GRID = 8


def _block(i, o, k, stride=1, pad=0):
    return nn.Sequential(nn.Conv2d(i, o, k, stride=stride, padding=pad), nn.BatchNorm2d(o), nn.GELU())


def make_trunk():
    """128x128 -> 128 channels on an 8x8 grid; receptive field about 52 px."""
    return nn.Sequential(
        _block(3, 32, 4, 4),
        _block(32, 32, 3, 1, 1),
        _block(32, 64, 3, 2, 1),
        _block(64, 64, 3, 1, 1),
        _block(64, 96, 3, 2, 1),
        nn.Conv2d(96, 128, 1),
    )


class VisionEncoder(nn.Module):
    def __init__(self, hidden=128, image_size=128, n_shapes=6, n_colours=6, n_counts=4,
                 n_places=5):
        super().__init__()
        self.image_size = image_size
        self.hidden = hidden
        self.trunk = make_trunk()
        self.to_hidden = nn.Linear(128, hidden)
        self.pos = nn.Parameter(torch.randn(GRID * GRID, hidden) * 0.5)
        self.mlp = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, 2 * hidden), nn.GELU(),
                                 nn.Linear(2 * hidden, hidden))
        # frame context: pooled over the grid, mixed back into every token
        self.context = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.GELU(),
                                     nn.Linear(2 * hidden, hidden))
        self.mix = nn.Sequential(nn.LayerNorm(2 * hidden), nn.Linear(2 * hidden, 2 * hidden),
                                 nn.GELU(), nn.Linear(2 * hidden, hidden))
        self.heads = nn.ModuleDict(
            {
                "shape": nn.Linear(hidden, n_shapes + 1),
                "colour": nn.Linear(hidden, n_colours + 1),
                "centre": nn.Linear(hidden, 1),
                "row": nn.Linear(hidden, GRID),
                "col": nn.Linear(hidden, GRID),
                "count": nn.Linear(hidden, n_counts),
                "where": nn.Linear(hidden, n_places),
            }
        )

    def encode(self, x):
        """x: normalized pixels [n, 3, S, S] -> tokens [n, 64, hidden] (grid order)."""
        x = self.trunk(x).flatten(2).transpose(1, 2)
        h = self.to_hidden(x) + self.pos
        h = h + self.mlp(h)
        # sum pooling (scaled), so the context can count what the cells show
        g = self.context(h.sum(dim=1) / GRID)
        return h + self.mix(torch.cat([h, g[:, None, :].expand_as(h)], dim=-1))

    def forward(self, pixel_values, pixel_attention_mask):
        b, n = pixel_values.shape[:2]
        s = self.image_size
        x = pixel_values.reshape(b * n, 3, s, s)
        m = pixel_attention_mask.reshape(b * n, 1, s, s).to(x.dtype)
        return self.encode(x * m)

    def aux(self, tokens):
        return {k: h(tokens) for k, h in self.heads.items()}


def normalize_frames(frames_uint8):
    """uint8 [n, H, W, 3] -> float [n, 3, H, W] rescaled by 1/255, mean 0.5, std 0.5."""
    x = torch.as_tensor(frames_uint8).permute(0, 3, 1, 2).to(torch.float32)
    return (x / 255.0 - 0.5) / 0.5
