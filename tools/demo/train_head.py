"""Train the learned predictor head on the frozen relevance model's embeddings.

For train-split videos: the 32 sampled frames' image embeddings and the embeddings of every
question about the video (all phrasings); target 1 when the frame shows what the question asks
about. An MLP over [u, v, u*v] (u, v L2-normalized) with binary cross-entropy: its logit is
the log-odds that a frame answers the question, and replaces the SigLIP logit in KVTP's
allocation. Writes .cache/head.pt. Usage:
  nice -n 10 /usr/bin/python3 tools/demo/train_head.py [--videos 600] [--epochs 30]
"""

import argparse

import numpy as np
import torch
import torch.nn.functional as F

from common import elapsed, load, log, save, setup
from demo_tokenizer import load as load_tokenizer
from questions import all_questions, question_target
from relevance_data import is_relevant, question_ids, relevance_pixels, video_frames, within_video_auc
from relevance_model import DualEncoder, PredictorHead
from scene import make_scene


@torch.no_grad()
def embed_videos(model, tok, split, videos, rng):
    """Per video: normalized frame embeddings [32, E], question embeddings [Q, E], labels [32, Q]."""
    out = []
    for i in range(videos):
        spec = make_scene(split, i + 50000)
        frames, contents = video_frames(spec, rng=rng)
        qs = all_questions(spec)
        u = F.normalize(model.image(relevance_pixels(frames)), dim=-1)
        v = F.normalize(model.text(question_ids(tok, [q["question"] for q in qs])), dim=-1)
        lab = np.array([[is_relevant(c, question_target(spec, q)) for q in qs] for c in contents],
                       np.float32)
        out.append((u, v, torch.as_tensor(lab)))
    return out


def pairs(data):
    us, vs, ys = [], [], []
    for u, v, y in data:
        f, q = y.shape
        us.append(u[:, None, :].expand(f, q, -1).reshape(f * q, -1))
        vs.append(v[None, :, :].expand(f, q, -1).reshape(f * q, -1))
        ys.append(y.reshape(-1))
    return torch.cat(us), torch.cat(vs), torch.cat(ys)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=600)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--activation", default="gelu", choices=["gelu", "relu"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    setup(args.seed)
    tok = load_tokenizer()
    rel = load("relevance.pt")
    model = DualEncoder(rel["vocab"])
    model.load_state_dict(rel["state"])
    model.eval()
    rng = np.random.default_rng(args.seed + 3)
    u, v, y = pairs(embed_videos(model, tok, "train", args.videos, rng))
    log(f"{len(y)} pairs from {args.videos} videos, {y.mean().item():.3f} positive")
    head = PredictorHead(u.shape[1], args.hidden, args.activation)
    opt = torch.optim.AdamW(head.parameters(), lr=3e-3, weight_decay=0.01)
    n = len(y)
    for epoch in range(args.epochs):
        perm = torch.randperm(n)
        total = 0.0
        for k in range(0, n, 4096):
            b = perm[k : k + 4096]
            loss = F.binary_cross_entropy_with_logits(head(u[b], v[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
        if epoch % 5 == 4 or epoch == args.epochs - 1:
            auc = within_video_auc(model, tok, "val", 40, head=head)
            log(f"epoch {epoch + 1} loss {total / n:.4f} val within-video AUC {auc:.4f}")
    config = {"embed": u.shape[1], "hidden": args.hidden, "activation": args.activation}
    save({"state": head.state_dict(), "config": config, "seconds": elapsed()}, "head.pt")
    log("done")


if __name__ == "__main__":
    main()
