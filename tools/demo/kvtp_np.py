"""KVTP in numpy: budget allocation and per-frame token reduction (random, ToMe, PruMerge).

Follows DESIGN.md and issue 3's semantics so Python training and evaluation see the inputs the
browser pipeline builds. The TypeScript CPU references in src/kvtp/ are the authority; this is
a re-implementation for the demo's training augmentation and Python-side evaluation.
Each reduction returns (features [k, D], indices [k], groups: list of index lists) in grid order.
"""

import numpy as np


def allocate(scores, keep_ratio, tokens, mode="exact", temperature=2.0, min_per_frame=1):
    """Per-frame budgets k_i. Modes: paper, exact (water-filling), uniform, hard."""
    s = np.asarray(scores, np.float64)
    n_frames = len(s)
    total = int(round(keep_ratio * n_frames * tokens))
    if mode == "uniform":
        return np.full(n_frames, int(round(keep_ratio * tokens)), np.int64)
    if mode == "hard":
        keep = np.zeros(n_frames, np.int64)
        left = total
        for i in np.argsort(-s, kind="stable"):
            keep[i] = min(tokens, left)
            left -= keep[i]
        return keep
    z = (s - s.mean()) / temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    rates = n_frames * keep_ratio * p
    if mode == "paper":
        return np.floor(tokens * np.minimum(rates, 1.0) + 1e-9).astype(np.int64)
    return _water_fill(p, total, tokens, min(min_per_frame, tokens))


def _water_fill(p, total, tokens, floor):
    """Shares p of `total`, each frame in [floor, tokens], overflow handed on; sum == total."""
    n = len(p)
    total = max(total, floor * n)
    alloc = np.full(n, float(floor))
    free = np.ones(n, bool)
    remaining = total - floor * n
    for _ in range(n + 1):
        if remaining <= 1e-9 or not free.any():
            break
        share = p * free
        share = share / share.sum() * remaining
        room = tokens - alloc
        add = np.minimum(share, room)
        alloc += add
        remaining -= add.sum()
        free &= alloc < tokens - 1e-9
    keep = np.floor(alloc + 1e-9).astype(np.int64)
    short = int(total - keep.sum())
    frac = alloc - keep
    for i in np.argsort(-frac, kind="stable"):
        if short <= 0:
            break
        if keep[i] < tokens:
            keep[i] += 1
            short -= 1
    return keep


def reduce_random(x, k, rng):
    idx = np.sort(rng.choice(len(x), size=k, replace=False))
    return x[idx], idx, [[int(i)] for i in idx]


def _normalize(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def reduce_tome(x, k):
    """Bipartite soft matching until k tokens remain; norm-preserving means."""
    n = len(x)
    sums = x.astype(np.float64).copy()
    maxnorm = np.linalg.norm(x, axis=-1).astype(np.float64)
    groups = [[i] for i in range(n)]
    alive = list(range(n))
    while len(alive) > k:
        cur = np.array(alive)
        feats = np.stack([sums[i] / len(groups[i]) for i in cur])
        a, b = cur[0::2], cur[1::2]
        if len(b) == 0:
            break
        fa, fb = _normalize(feats[0::2]), _normalize(feats[1::2])
        sim = fb @ fa.T
        best = sim.argmax(axis=1)
        best_sim = sim[np.arange(len(b)), best]
        r = min(len(alive) - k, len(b))
        take = np.argsort(-best_sim, kind="stable")[:r]
        gone = set()
        for j in take:
            src, dst = b[j], a[best[j]]
            sums[dst] += sums[src]
            maxnorm[dst] = max(maxnorm[dst], maxnorm[src])
            groups[dst] = groups[dst] + groups[src]
            gone.add(src)
        alive = [i for i in alive if i not in gone]
    idx = np.array(alive)
    feats = np.stack([sums[i] / len(groups[i]) for i in idx])
    feats = _normalize(feats) * maxnorm[idx, None]
    return feats.astype(x.dtype), idx, [sorted(groups[i]) for i in idx]


def prumerge_importance(x):
    m = x.mean(axis=0)
    z = x @ m / np.sqrt(x.shape[1])
    e = np.exp(z - z.max())
    return e / e.sum()


def reduce_prumerge(x, k, importance=None, neighbours=32):
    """Top-k by importance; each kept token adds the importance-weighted sum of its
    min(32, N-1) most key-similar other tokens."""
    n = len(x)
    imp = prumerge_importance(x) if importance is None else importance
    idx = np.sort(np.argsort(-imp, kind="stable")[:k])
    xn = _normalize(x)
    sim = xn[idx] @ xn.T
    sim[np.arange(len(idx)), idx] = -np.inf
    m = min(neighbours, n - 1)
    out = x[idx].astype(np.float64).copy()
    groups = []
    for r, i in enumerate(idx):
        nb = np.argsort(-sim[r], kind="stable")[:m]
        out[r] += (imp[nb, None] * x[nb]).sum(axis=0)
        groups.append(sorted([int(i)] + [int(j) for j in nb]))
    return out.astype(x.dtype), idx, groups


def reduce_frames(tokens, keep, method, rng=None):
    """Per-frame reduction of tokens [L, N, D] to budgets keep[L]: list of per-frame arrays."""
    out = []
    for f, k in zip(tokens, keep):
        k = int(k)
        if method == "none" or k >= len(f):
            out.append(f)
        elif k == 0:
            out.append(f[:0])
        elif method == "random":
            out.append(reduce_random(f, k, rng)[0])
        elif method == "tome":
            out.append(reduce_tome(f, k)[0])
        elif method == "prumerge":
            out.append(reduce_prumerge(f, k)[0])
        else:
            raise ValueError(method)
    return out
