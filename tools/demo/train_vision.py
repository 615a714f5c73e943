"""Stage 1 of the demo VLM: pretrain the vision encoder on dense per-cell labels.

Frames of train-split scenes (half inside key events), an approximate codec round trip, and
cross-entropy on each token's cell content (event shape, colour, object centre, row, column,
and for event cells the number of copies and the place). About 7 minutes on 2 cores.
Writes .cache/vision.pt. Usage: nice -n 10 /usr/bin/python3 tools/demo/train_vision.py [--steps N]
"""

import argparse

import numpy as np
import torch
import torch.nn.functional as F

from common import elapsed, load, log, save, setup
from render import LABELS, render_frames, simulate_codec
from scene import make_scene
from vision_model import GRID, VisionEncoder, normalize_frames

TRAIN_SCENES = 20000


def batch(rng, split="train", scenes=16, per_scene=2, codec=True):
    frames, labs = [], [[] for _ in LABELS]
    for _ in range(scenes):
        spec = make_scene(split, int(rng.integers(0, TRAIN_SCENES)))
        idx = []
        for _ in range(per_scene // 2):
            ev = spec["events"][int(rng.integers(0, len(spec["events"])))]
            idx.append(int(rng.integers(ev["start"], ev["end"])))
        idx += list(rng.integers(0, spec["frames"], size=per_scene - len(idx)))
        f, lab = render_frames(spec, idx, labels=True)
        if codec:
            f = simulate_codec(f, rng)
        frames.append(f)
        for k in range(len(LABELS)):
            labs[k].append(lab[k])
    frames = np.concatenate(frames)
    flat = [torch.as_tensor(np.concatenate(l)).reshape(-1, GRID * GRID) for l in labs]
    return (normalize_frames(frames), *flat)


def losses(model, x, shape, colour, centre, count, where):
    out = model.aux(model.encode(x))
    n = x.shape[0]
    rows = torch.arange(GRID).repeat_interleave(GRID).expand(n, -1)
    cols = torch.arange(GRID).repeat(GRID).expand(n, -1)
    ls = {
        "shape": F.cross_entropy(out["shape"].transpose(1, 2), shape)
        + 2 * F.cross_entropy(out["shape"][shape > 0], shape[shape > 0]),
        "colour": F.cross_entropy(out["colour"].transpose(1, 2), colour)
        + 2 * F.cross_entropy(out["colour"][colour > 0], colour[colour > 0]),
        "centre": F.binary_cross_entropy_with_logits(
            out["centre"][..., 0], centre, pos_weight=torch.tensor(4.0)),
        "row": 0.2 * F.cross_entropy(out["row"].transpose(1, 2), rows),
        "col": 0.2 * F.cross_entropy(out["col"].transpose(1, 2), cols),
        # event cells: the event's copies (1-4) and, for a single copy, its place
        "count": F.cross_entropy(out["count"][count > 0], count[count > 0] - 1),
        "where": F.cross_entropy(out["where"][where > 0], where[where > 0] - 1),
    }
    acc = {
        "shape": (out["shape"].argmax(-1) == shape)[shape > 0].float().mean().item(),
        "colour": (out["colour"].argmax(-1) == colour)[colour > 0].float().mean().item(),
        "centre": ((out["centre"][..., 0] > 0) == (centre > 0.5))[centre > 0.5].float().mean().item(),
        "centre_shape": (out["shape"].argmax(-1) == shape)[(shape > 0) & (centre > 0.5)]
        .float().mean().item(),
        "empty": (out["shape"].argmax(-1) == 0)[shape == 0].float().mean().item(),
        "count": (out["count"].argmax(-1) == count - 1)[count > 0].float().mean().item(),
        "where": (out["where"].argmax(-1) == where - 1)[where > 0].float().mean().item(),
    }
    return ls, acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--resume", action="store_true", help="continue from .cache/vision.pt")
    args = ap.parse_args()
    setup(args.seed)
    rng = np.random.default_rng([args.seed, int(args.resume)])
    model = VisionEncoder()
    if args.resume:
        model.load_state_dict(load("vision.pt")["state"])
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps,
                                                pct_start=0.1)
    val = batch(np.random.default_rng(123), split="val", scenes=48, per_scene=4)
    for step in range(1, args.steps + 1):
        ls, _ = losses(model, *batch(rng))
        loss = sum(ls.values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps:
            model.eval()
            with torch.no_grad():
                vls, acc = losses(model, *val)
            model.train()
            log(f"step {step} loss {loss.item():.3f} val", {k: round(v.item(), 3) for k, v in vls.items()},
                {k: round(v, 3) for k, v in acc.items()})
            save({"state": model.state_dict(), "step": step, "seconds": elapsed()}, "vision.pt")
    log("done")


if __name__ == "__main__":
    main()
