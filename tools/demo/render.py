"""Rendering a scene spec to RGB frames (uint8 [H, W, 3]) with numpy, plus per-cell labels.

The fast path for training renders only the sampled frames; video_io.py renders all frames to
an MP4. Labels (per 16x16 cell of the 8x8 token grid: the key-event shape/colour covering it
and whether an object's centre lies in it) supervise the vision encoder's pretraining.
Never decodes video and never touches the network.
"""

import numpy as np

from scene import COLOURS, WHERE
from shapes import EVENT_SHAPES, coverage

GRID = 8
SHAPE_INDEX = {s: i + 1 for i, s in enumerate(EVENT_SHAPES)}
COLOUR_INDEX = {c: i + 1 for i, c in enumerate(COLOURS)}
WHERE_INDEX = {w: i + 1 for i, w in enumerate(WHERE)}
LABELS = ("shape", "colour", "centre", "count", "where")


def _bounce(p0, v, t, lo, hi):
    span = hi - lo
    p = (p0 - lo + v * t) % (2 * span)
    return lo + (2 * span - p if p > span else p)


def background(spec):
    h, w = spec["height"], spec["width"]
    bg = spec["background"]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32) + np.array(bg["base"], np.float32)
    img += (bg["grad"][0] * (x - w / 2) + bg["grad"][1] * (y - h / 2))[..., None] * 2
    for k, (amp, fx, fy, ph) in enumerate(bg["waves"]):
        wave = amp * np.sin(fx * x + fy * y + ph)
        img[..., k % 3] += wave
        img[..., (k + 1) % 3] += 0.5 * wave
    return img


def _paint(img, cov, rgb):
    if cov is None:
        return
    y0, x0, a = cov
    h, w = a.shape
    region = img[y0 : y0 + h, x0 : x0 + w]
    region *= 1 - a[..., None]
    region += a[..., None] * np.asarray(rgb, np.float32)


def distractor_state(d, t, w, h):
    m = d["r"] * 0.5
    x = _bounce(d["x0"], d["vx"], t, -m, w + m)
    y = _bounce(d["y0"], d["vy"], t, -m, h + m)
    return x, y, d["spin"] * t


def render_frame(spec, t, bg=None, labels=False):
    """Frame t of the spec; with labels=True also the per-cell labels of LABELS, each [8, 8]:
    the key-event shape and colour covering the cell (0: none), whether an object's centre lies
    in it, and for event cells the event's number of copies and (single copies) its place."""
    h, w = spec["height"], spec["width"]
    img = (background(spec) if bg is None else bg).copy()
    for d in spec["distractors"]:
        x, y, ang = distractor_state(d, t, w, h)
        _paint(img, coverage(d["shape"], x, y, d["r"], h, w, ang), (d["level"],) * 3)
    cell = h // GRID
    shape_lab = np.zeros((GRID, GRID), np.int64)
    colour_lab = np.zeros((GRID, GRID), np.int64)
    centre_lab = np.zeros((GRID, GRID), np.float32)
    count_lab = np.zeros((GRID, GRID), np.int64)
    where_lab = np.zeros((GRID, GRID), np.int64)
    best = np.zeros((GRID, GRID), np.float32)
    for ev in spec["events"]:
        if not ev["start"] <= t < ev["end"]:
            continue
        for cx, cy in ev["positions"]:
            cov = coverage(ev["shape"], cx, cy, ev["r"], h, w)
            _paint(img, cov, ev["rgb"])
            if labels and cov is not None:
                full = np.zeros((h, w), np.float32)
                y0, x0, a = cov
                full[y0 : y0 + a.shape[0], x0 : x0 + a.shape[1]] = a
                frac = full.reshape(GRID, cell, GRID, cell).mean(axis=(1, 3))
                take = (frac > 0.04) & (frac > best)
                shape_lab[take] = SHAPE_INDEX[ev["shape"]]
                colour_lab[take] = COLOUR_INDEX[ev["colour"]]
                count_lab[take] = ev["count"]
                where_lab[take] = WHERE_INDEX[ev["where"]] if ev["where"] else 0
                best = np.maximum(best, frac)
                gy, gx = min(int(cy // cell), GRID - 1), min(int(cx // cell), GRID - 1)
                centre_lab[gy, gx] = 1.0
    frame = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    if labels:
        return frame, (shape_lab, colour_lab, centre_lab, count_lab, where_lab)
    return frame


def render_frames(spec, indices, labels=False):
    """Frames at the given indices: uint8 [n, H, W, 3] (and stacked labels)."""
    bg = background(spec)
    out = [render_frame(spec, int(t), bg, labels) for t in indices]
    if not labels:
        return np.stack(out)
    frames = np.stack([o[0] for o in out])
    labs = tuple(np.stack([o[1][k] for o in out]) for k in range(len(LABELS)))
    return frames, labs


def simulate_codec(frames, rng, strength=1.0):
    """Approximate an H.264 yuv420p round trip: 2x2 chroma averaging, a colour jitter, noise."""
    x = frames.astype(np.float32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    yy = 0.2126 * r + 0.7152 * g + 0.0722 * b
    cb, cr = (b - yy) / 1.8556, (r - yy) / 1.5748
    n, h, w = yy.shape
    def sub(c):
        c = c.reshape(n, h // 2, 2, w // 2, 2).mean(axis=(2, 4))
        return np.repeat(np.repeat(c, 2, axis=1), 2, axis=2)
    cb, cr = sub(cb), sub(cr)
    r = yy + 1.5748 * cr
    b = yy + 1.8556 * cb
    g = (yy - 0.2126 * r - 0.0722 * b) / 0.7152
    out = np.stack([r, g, b], -1)
    out = out * (1 + strength * rng.uniform(-0.06, 0.06, size=(n, 1, 1, 3)))
    out += strength * rng.normal(0, 2.0, size=out.shape)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
