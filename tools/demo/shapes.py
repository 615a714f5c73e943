"""Anti-aliased shape coverage masks for the synthetic sparse-event videos.

Pure numpy: every function returns, for a square patch around a centre, the fraction of each
pixel covered by the shape (2x2 supersampling). Knows nothing of scenes, colours or time.
"""

import numpy as np

EVENT_SHAPES = ("circle", "square", "triangle", "star", "diamond", "cross")
SHAPE_PLURALS = {
    "circle": "circles",
    "square": "squares",
    "triangle": "triangles",
    "star": "stars",
    "diamond": "diamonds",
    "cross": "crosses",
}
SUPERSAMPLE = 2


def _polygon_inside(x, y, verts):
    """Even-odd point-in-polygon test, vectorised over the points (x, y)."""
    inside = np.zeros(x.shape, dtype=bool)
    n = len(verts)
    for i in range(n):
        x1, y1 = verts[i]
        x2, y2 = verts[(i + 1) % n]
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xint = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (x < xint)
    return inside


def _regular(n, radius, start):
    angles = start + np.arange(n) * 2 * np.pi / n
    return [(radius * np.cos(a), radius * np.sin(a)) for a in angles]


def _star(radius, inner=0.45):
    verts = []
    for k in range(10):
        r = radius if k % 2 == 0 else radius * inner
        a = -np.pi / 2 + k * np.pi / 5
        verts.append((r * np.cos(a), r * np.sin(a)))
    return verts


def inside(shape, dx, dy, r, angle=0.0):
    """Boolean membership of offsets (dx, dy) from the centre (y axis pointing down)."""
    if angle:
        c, s = np.cos(angle), np.sin(angle)
        dx, dy = c * dx + s * dy, -s * dx + c * dy
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        return np.maximum(np.abs(dx), np.abs(dy)) <= 0.8 * r
    if shape == "diamond":
        return np.abs(dx) + np.abs(dy) <= 1.1 * r
    if shape == "cross":
        a, b = np.abs(dx), np.abs(dy)
        arm = 0.32 * r
        return ((a <= arm) & (b <= r)) | ((b <= arm) & (a <= r))
    if shape == "triangle":
        return _polygon_inside(dx, dy + 0.15 * r, _regular(3, 1.15 * r, -np.pi / 2))
    if shape == "star":
        return _polygon_inside(dx, dy, _star(1.2 * r))
    if shape == "ring":
        d2 = dx * dx + dy * dy
        return (d2 <= r * r) & (d2 >= (r - 2.2) ** 2)
    if shape == "bar":
        return (np.abs(dx) <= r) & (np.abs(dy) <= 2.5)
    if shape == "blob":
        return dx * dx + dy * dy <= r * r
    raise ValueError(f"unknown shape {shape}")


def coverage(shape, cx, cy, r, height, width, angle=0.0):
    """(y0, x0, alpha) with alpha the covered fraction of each pixel of the patch at (y0, x0).

    Returns None when the patch lies outside the frame.
    """
    half = int(np.ceil(1.3 * r)) + 2
    x0, y0 = int(np.floor(cx)) - half, int(np.floor(cy)) - half
    x1, y1 = x0 + 2 * half + 1, y0 + 2 * half + 1
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if cx0 >= cx1 or cy0 >= cy1:
        return None
    s = SUPERSAMPLE
    offs = (np.arange(s) + 0.5) / s
    xs = (np.arange(cx0, cx1)[:, None] + offs[None, :]).reshape(-1) - cx
    ys = (np.arange(cy0, cy1)[:, None] + offs[None, :]).reshape(-1) - cy
    dx, dy = np.meshgrid(xs, ys)
    m = inside(shape, dx, dy, r, angle).astype(np.float32)
    h, w = cy1 - cy0, cx1 - cx0
    alpha = m.reshape(h, s, w, s).mean(axis=(1, 3))
    return cy0, cx0, alpha
