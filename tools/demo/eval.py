"""Python-side accuracy of the demo models on the test split (or a fresh seed), unpruned and
at lower keep ratios, with uniform against KVTP allocation (SigLIP-style logit, learned head,
and diagnostics: hard keyframes and an oracle that knows the relevant frames).

Frames come from the real MP4 files (ffmpeg encode + decode, cached) or, with
--source render, straight from the renderer. Allocation and reduction are the numpy versions
in kvtp_np.py; the browser benchmark later runs the real pipeline. Usage:
  nice -n 10 /usr/bin/python3 tools/demo/eval.py [--videos 60] [--ratios 1,0.3,0.2,0.1]
      [--methods random,tome,prumerge] [--allocations uniform,kvtp,kvtp-learned,hard,oracle]
      [--mode exact|paper] [--seed S] [--source mp4|render] [--json FILE]
"""

import argparse
import json
import os
import time
from collections import defaultdict

import numpy as np

from kvtp_np import allocate, reduce_frames
from paths import CACHE
from questions import question_target, sample_questions
from relevance_data import frame_content, is_relevant
from render import render_frames
from runner import DemoModels
from sampling import sample_indices
from scene import make_scene
from video_io import read_mp4, write_mp4

TOKENS = 64


def video_frames(spec, frames, source):
    idx = sample_indices(spec["frames"], frames)
    if source == "render":
        return idx, render_frames(spec, idx)
    folder = os.path.join(CACHE, "videos")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, spec["id"] + ".mp4")
    if not os.path.exists(path):
        write_mp4(spec, path)
    return idx, read_mp4(path, spec["width"], spec["height"])[idx]


def test_questions(spec, split, index, seed):
    rng = np.random.default_rng([13, {"test": 0, "val": 1, "fresh": 2}[split], seed, index])
    qs = sample_questions(spec, rng)
    for q in qs:
        q["target"] = question_target(spec, q)
    return qs


class Tally:
    def __init__(self):
        self.rows = defaultdict(lambda: {"correct": 0, "questions": 0, "kept": 0, "total": 0,
                                         "kinds": defaultdict(lambda: [0, 0])})

    def add(self, key, q, answer, kept):
        r = self.rows[key]
        ok = answer == q["answer"]
        r["correct"] += ok
        r["questions"] += 1
        r["kept"] += kept
        r["total"] += kept if key[2] == 1.0 else 0
        r["kinds"][q["kind"]][0] += ok
        r["kinds"][q["kind"]][1] += 1


def run(args):
    models = DemoModels(head="kvtp-learned" in args.allocations)
    ratios = [float(r) for r in args.ratios.split(",")]
    tally = Tally()
    diag = defaultdict(list)
    t0 = time.time()
    for v in range(args.videos):
        split = "fresh" if args.seed is not None else args.split
        seed = args.seed or 0
        spec = make_scene(split, v, seed, frames_sampled=args.frames)
        idx, frames = video_frames(spec, args.frames, args.source)
        times = idx / float(spec["fps"])
        duration = spec["frames"] / float(spec["fps"])
        tokens = models.vision_tokens(frames)
        image_embeds = models.frame_embeds(frames)
        qs = test_questions(spec, split, v, seed)
        contents = [frame_content(spec, int(t)) for t in idx]
        rng = np.random.default_rng([17, v])
        full = len(idx) * TOKENS
        scores = {}
        for j, q in enumerate(qs):
            rel = np.array([is_relevant(c, q["target"]) for c in contents], float)
            scores[j] = {
                "kvtp": models.scores(image_embeds, q["question"]),
                "oracle": rel * 10.0,
                "hard": models.scores(image_embeds, q["question"]),
            }
            if models.head is not None:
                scores[j]["kvtp-learned"] = models.scores(image_embeds, q["question"], learned=True)
            for name in ("kvtp", "kvtp-learned"):
                if name in scores[j]:
                    s = scores[j][name]
                    diag[name + " top3 hit"].append(float(rel[np.argsort(-s)[:3]].max()))
                    p = np.exp((s - s.max()) / 2)
                    diag[name + " softmax mass on relevant"].append(float((p * rel).sum() / p.sum()))
            diag["relevant frames"].append(float(rel.sum()))
        for rho in ratios:
            if rho >= 1.0:
                past, n = models.prefill_video(list(tokens), times, duration)
                for q in qs:
                    tally.add(("none", "none", 1.0), q, models.answer_from(past, n, q["question"]), full)
                continue
            for method in args.methods.split(","):
                for alloc in args.allocations.split(","):
                    if alloc == "uniform":
                        keep = allocate(np.zeros(len(idx)), rho, TOKENS, "uniform")
                        kept = reduce_frames(tokens, keep, method, rng)
                        past, n = models.prefill_video(kept, times, duration)
                        for q in qs:
                            tally.add((method, alloc, rho), q, models.answer_from(past, n, q["question"]),
                                      int(keep.sum()))
                        continue
                    for j, q in enumerate(qs):
                        mode = "hard" if alloc == "hard" else args.mode
                        keep = allocate(scores[j][alloc], rho, TOKENS, mode)
                        kept = reduce_frames(tokens, keep, method, rng)
                        answer = models.answer(kept, times, duration, q["question"])
                        tally.add((method, alloc, rho), q, answer, int(keep.sum()))
        if (v + 1) % 10 == 0:
            print(f"[{time.time() - t0:6.0f}s] {v + 1} videos", flush=True)
    return tally, {k: float(np.mean(x)) for k, x in diag.items()}


def table(tally, frames):
    rows = []
    for (method, alloc, rho), r in sorted(tally.rows.items(), key=lambda kv: (-kv[0][2], kv[0][0], kv[0][1])):
        rows.append({
            "method": method, "allocation": alloc, "keep": rho, "questions": r["questions"],
            "accuracy": r["correct"] / r["questions"],
            "visual_kept": r["kept"], "visual_total": r["questions"] * frames * TOKENS,
            "kinds": {k: round(a / n, 3) for k, (a, n) in sorted(r["kinds"].items())},
        })
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="test", choices=["test", "val"])
    ap.add_argument("--seed", type=int, default=None, help="a fresh test set never seen in training")
    ap.add_argument("--videos", type=int, default=60)
    ap.add_argument("--frames", type=int, default=32)
    ap.add_argument("--ratios", default="1,0.3,0.2,0.1")
    ap.add_argument("--methods", default="random")
    ap.add_argument("--allocations", default="uniform,kvtp,kvtp-learned")
    ap.add_argument("--mode", default="exact", choices=["exact", "paper"])
    ap.add_argument("--source", default="mp4", choices=["mp4", "render"])
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    import torch
    torch.set_num_threads(int(os.environ.get("KVTP_DEMO_THREADS", "2")))
    tally, diag = run(args)
    rows = table(tally, args.frames)
    print(f"{'method':9} {'allocation':13} {'keep':>5} {'n':>5} {'accuracy':>8} {'kept':>6}  per kind")
    for r in rows:
        kept = r["visual_kept"] / r["visual_total"]
        print(f"{r['method']:9} {r['allocation']:13} {r['keep']:5.2f} {r['questions']:5d} "
              f"{r['accuracy']:8.3f} {kept:6.3f}  {r['kinds']}")
    print("relevance diagnostics:", {k: round(v, 3) for k, v in diag.items()})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": vars(args), "rows": rows, "relevance": diag}, f, indent=1)


if __name__ == "__main__":
    main()
