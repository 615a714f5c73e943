"""Uniform frame sampling: which L of a video's frames the pipeline looks at.

The midpoint rule is the browser's (src/video/plan.ts): targets at the centres of L equal
segments, t_i = (i + 0.5) * duration / L, each taking the frame shown nearest to it (the earlier
on a tie). The linspace rule (first to last frame) is kept to check that events survive either.
"""

import numpy as np

DEFAULT_FRAMES = 32


def sample_indices_midpoint(total, count=DEFAULT_FRAMES):
    if total <= count:
        return np.arange(total, dtype=np.int64)
    x = (np.arange(count) + 0.5) * total / count
    lo = np.floor(x)
    idx = np.where(lo + 1 - x < x - lo, lo + 1, lo).astype(np.int64)
    return np.minimum(idx, total - 1)


def sample_indices_linspace(total, count=DEFAULT_FRAMES):
    return np.round(np.linspace(0, total - 1, count)).astype(np.int64)


def sample_indices(total, count=DEFAULT_FRAMES):
    return sample_indices_midpoint(total, count)


def sample_times(total, fps, count=DEFAULT_FRAMES):
    """Timestamps in seconds of the sampled frames (their presentation times)."""
    return sample_indices(total, count) / float(fps)
