"""Seeded scene specifications of the sparse-event videos (what happens where and when).

A spec is a plain JSON-able dict: frame size and rate, a background, moving achromatic
distractors, and 2-4 brief key events (a coloured shape, possibly several copies, at a place).
Deterministic in its seed. Rendering lives in render.py, questions in questions.py.
"""

import numpy as np

from shapes import EVENT_SHAPES
from sampling import DEFAULT_FRAMES, sample_indices_linspace, sample_indices_midpoint

WIDTH = HEIGHT = 128
FPS = 8
COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 190, 60),
    "blue": (50, 90, 235),
    "yellow": (235, 215, 40),
    "purple": (160, 60, 210),
    "orange": (245, 140, 30),
}
WHERE = {
    "center": (64, 64),
    "left": (26, 64),
    "right": (102, 64),
    "top": (64, 26),
    "bottom": (64, 102),
}
COUNT_WORDS = ("zero", "one", "two", "three", "four")
SPLIT_CODES = {"train": 1, "val": 2, "test": 3, "fresh": 4, "sample": 5}


def video_rng(split, index, seed=0):
    """The random stream of one video: splits (and fresh seeds) never share a stream."""
    return np.random.default_rng([SPLIT_CODES[split], int(seed), int(index)])


def _event_times(rng, frames, count, frames_sampled):
    stride = frames / frames_sampled
    lengths = [int(np.ceil(rng.uniform(2.6, 3.4) * stride)) for _ in range(count)]
    gap = int(np.ceil(stride))
    free = frames - sum(lengths) - gap * (count - 1) - 2
    while free < 0:
        count -= 1
        lengths = lengths[:count]
        free = frames - sum(lengths) - gap * (count - 1) - 2
    parts = rng.dirichlet(np.ones(count + 1)) * free
    starts, t = [], 1.0
    for i in range(count):
        t += parts[i]
        starts.append(int(t))
        t = int(t) + lengths[i] + gap
    return [(s, s + n) for s, n in zip(starts, lengths)]


def _scatter(rng, n, r):
    """n centres at least 2.4 r apart, inside the frame with a margin."""
    for _ in range(200):
        pts = rng.uniform(r + 6, WIDTH - r - 6, size=(n, 2))
        d = np.linalg.norm(pts[:, None] - pts[None], axis=-1) + np.eye(n) * 1e9
        if d.min() >= 2.4 * r + 3:
            return [[round(float(x), 2), round(float(y), 2)] for x, y in pts]
    raise RuntimeError("could not place objects")


def _event(rng, shape, colour, start, end):
    n = int(rng.choice([1, 2, 3, 4], p=[0.4, 0.2, 0.2, 0.2]))
    rgb = [int(np.clip(c + rng.integers(-15, 16), 0, 255)) for c in COLOURS[colour]]
    if n == 1:
        r = float(rng.uniform(9, 13))
        where = str(rng.choice(list(WHERE)))
        cx, cy = WHERE[where]
        pos = [[round(cx + float(rng.uniform(-5, 5)), 2), round(cy + float(rng.uniform(-5, 5)), 2)]]
    else:
        r = float(rng.uniform(7, 9.5))
        where = None
        pos = _scatter(rng, n, r)
    return {
        "shape": shape,
        "colour": colour,
        "rgb": rgb,
        "count": n,
        "r": round(r, 2),
        "where": where,
        "positions": pos,
        "start": int(start),
        "end": int(end),
    }


def _distractor(rng, kind):
    if kind == "ring":
        r = float(rng.uniform(6, 10))
    elif kind == "bar":
        r = float(rng.uniform(8, 12))
    else:
        r = float(rng.uniform(16, 24))
    speed = float(rng.uniform(0.6, 2.2))
    angle = float(rng.uniform(0, 2 * np.pi))
    return {
        "shape": kind,
        "r": round(r, 2),
        "level": int(rng.integers(60, 90)) if kind == "blob" else int(rng.integers(110, 235)),
        "x0": round(float(rng.uniform(0, WIDTH)), 2),
        "y0": round(float(rng.uniform(0, HEIGHT)), 2),
        "vx": round(speed * np.cos(angle), 3),
        "vy": round(speed * np.sin(angle), 3),
        "spin": round(float(rng.uniform(-0.15, 0.15)), 3),
    }


def make_scene(split, index, seed=0, frames_sampled=DEFAULT_FRAMES):
    """The spec of video `index` of `split` (and `seed` for fresh test sets)."""
    rng = video_rng(split, index, seed)
    frames = int(rng.integers(64, 257))
    n_events = int(rng.integers(2, 5))
    times = _event_times(rng, frames, n_events, frames_sampled)
    shapes = rng.permutation(EVENT_SHAPES)[: len(times)]
    colours = rng.permutation(list(COLOURS))[: len(times)]
    events = [_event(rng, str(s), str(c), a, b) for s, c, (a, b) in zip(shapes, colours, times)]
    kinds = ["ring", "bar"]
    distractors = [_distractor(rng, kinds[int(rng.integers(0, 2))]) for _ in range(rng.integers(2, 5))]
    if rng.random() < 0.7:
        distractors.insert(0, _distractor(rng, "blob"))
    background = {
        "base": [int(v) for v in rng.integers(15, 60, size=3)],
        "grad": [round(float(v), 3) for v in rng.uniform(-0.15, 0.15, size=2)],
        "waves": [
            [round(float(rng.uniform(3, 9)), 2), round(float(rng.uniform(0.02, 0.08)), 4),
             round(float(rng.uniform(0.02, 0.08)), 4), round(float(rng.uniform(0, 6.28)), 3)]
            for _ in range(2)
        ],
    }
    spec = {
        "id": f"{split}-{seed}-{index}",
        "width": WIDTH,
        "height": HEIGHT,
        "fps": FPS,
        "frames": frames,
        "background": background,
        "distractors": distractors,
        "events": events,
    }
    check_visibility(spec, frames_sampled)
    return spec


def check_visibility(spec, frames_sampled=DEFAULT_FRAMES):
    """Every event is seen by at least two frames of either uniform sampling."""
    for sampler in (sample_indices_midpoint, sample_indices_linspace):
        idx = sampler(spec["frames"], frames_sampled)
        for ev in spec["events"]:
            seen = int(np.sum((idx >= ev["start"]) & (idx < ev["end"])))
            if seen < 2:
                raise AssertionError(f"{spec['id']}: event {ev['shape']} seen in {seen} frames")


def events_at(spec, frame):
    """Indices of the events visible in `frame`."""
    return [i for i, ev in enumerate(spec["events"]) if ev["start"] <= frame < ev["end"]]
