"""ToMe as the KVTP reference code does it, for test fixtures.

A port of the per-frame loop of `tome` in llava/model/llava_arch.py of github.com/1999Lyd/KVTP
(the `rate_list` branch, from the visual features and the pooled keys on): the same rounds,
written from its rules, in float64, plus the groups (which original tokens each kept token stands
for), which the reference does not track. The kept tokens come out in the reference's final
sequence order; the fixture also lists them in grid order of their representatives, as kvtp-web
reports them.

    /usr/bin/python3 tools/kvtp/tome_reference.py [--out tests/fixtures/tome-reference.json]

Needs torch (Debian: apt-get install python3-torch).
"""

import argparse
import json
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit("tome_reference.py needs torch: apt-get install python3-torch")


def reference_tome(features, keys, removed):
    """One frame: features [N, D], keys [N, Dk]; `removed` = int(N * (1 - rate)) tokens go."""
    x = features.clone()
    k = keys.clone()
    idx = torch.arange(x.shape[0])
    groups = [[j] for j in range(x.shape[0])]
    r = removed
    rounds = 0
    while r > 0:
        n = x.shape[0]
        even = torch.arange(0, n, 2)
        odd = torch.arange(1, n, 2)
        a_x, b_x = x[even], x[odd]
        a_k, b_k = k[even], k[odd]
        a_i, b_i = idx[even], idx[odd]
        a_g = [groups[p] for p in even.tolist()]
        b_g = [groups[p] for p in odd.tolist()]
        sim = F.cosine_similarity(b_k.unsqueeze(1), a_k.unsqueeze(0), dim=-1)
        best, partner = sim.max(dim=1)
        m = min(r, len(b_x))
        _, chosen = torch.topk(best, k=m, largest=True)
        chosen = chosen.tolist()
        into = [[] for _ in range(len(a_x))]
        for b in chosen:
            into[partner[b].item()].append(b)
        for a, bs in enumerate(into):
            if not bs:
                continue
            tokens = torch.cat([a_x[a].unsqueeze(0), b_x[bs]], dim=0)
            tkeys = torch.cat([a_k[a].unsqueeze(0), b_k[bs]], dim=0)
            top = torch.norm(tokens, p=2, dim=-1).max()
            mean = tokens.mean(dim=0)
            a_x[a] = mean / torch.norm(mean, p=2) * top
            kmean = tkeys.mean(dim=0)
            a_k[a] = kmean / torch.norm(kmean, p=2) * top
            a_g[a] = a_g[a] + [g for b in bs for g in b_g[b]]
        rest = [b for b in range(len(b_x)) if b not in chosen]
        x = torch.cat([a_x, b_x[rest]], dim=0)
        k = torch.cat([a_k, b_k[rest]], dim=0)
        idx = torch.cat([a_i, b_i[rest]], dim=0)
        groups = a_g + [b_g[b] for b in rest]
        r -= m
        rounds += 1
    return x, idx, groups, rounds


def rounded(v, digits):
    """Nested lists of floats to `digits` significant digits (9 round-trip a float32)."""
    if isinstance(v, list):
        return [rounded(x, digits) for x in v]
    return float(f"{v:.{digits}g}")


def f32(t):
    """Values a float32 holds exactly, so the TypeScript side reads the same inputs."""
    return t.to(torch.float32).to(torch.float64)


def case(gen, grid, dim, key_dim, keep, name):
    n = grid[0] * grid[1]
    features = f32(torch.randn(n, dim, generator=gen, dtype=torch.float64))
    # keys with some shared direction, as real keys have, so merges are not all near zero cosine
    keys = f32(torch.randn(n, key_dim, generator=gen, dtype=torch.float64) + 0.5)
    x, idx, groups, rounds = reference_tome(features, keys, n - keep)
    order = sorted(range(len(idx)), key=lambda p: idx[p].item())
    return {
        "name": name,
        "rounds": rounds,
        "input": {
            "method": "tome",
            "grid": list(grid),
            "features": rounded(features.tolist(), 9),
            "keys": rounded(keys.tolist(), 9),
            "keep": keep,
        },
        "sequence": idx.tolist(),
        "indices": [idx[p].item() for p in order],
        "features": [rounded(x[p].tolist(), 10) for p in order],
        "groups": [sorted(groups[p]) for p in order],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures/tome-reference.json")
    args = ap.parse_args()
    gen = torch.Generator().manual_seed(13)
    shapes = [
        ([1, 3], 4, 3, 2, "N=3 to 2"),
        ([1, 3], 4, 3, 1, "N=3 to 1"),
        ([2, 2], 3, 3, 3, "2x2 to 3"),
        ([3, 3], 5, 4, 5, "3x3 to 5"),
        ([3, 3], 5, 4, 3, "3x3 to 3"),
        ([3, 3], 5, 4, 1, "3x3 to 1"),
        ([3, 5], 8, 4, 4, "3x5 to 4"),
        ([5, 5], 6, 5, 12, "5x5 to 12"),
        ([5, 5], 6, 5, 6, "5x5 to 6"),
        ([5, 5], 6, 5, 3, "5x5 to 3"),
        ([7, 7], 8, 8, 10, "7x7 to 10"),
        ([7, 7], 8, 8, 4, "7x7 to 4"),
        ([7, 7], 8, 8, 1, "7x7 to 1"),
        ([6, 9], 12, 6, 7, "6x9 to 7"),
        ([13, 13], 8, 6, 34, "13x13 to 34"),
        ([13, 13], 8, 6, 9, "13x13 to 9"),
    ]
    cases = [case(gen, g, d, dk, k, name) for g, d, dk, k, name in shapes]
    out = {
        "about": "ToMe as github.com/1999Lyd/KVTP llava_arch.py tome does it, in float64 "
        "(tools/kvtp/tome_reference.py); indices, features and groups in grid order of the "
        "representatives; sequence: the reference's final order",
        "cases": cases,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"{args.out}: {len(cases)} cases, rounds {[c['rounds'] for c in cases]}")


if __name__ == "__main__":
    main()
