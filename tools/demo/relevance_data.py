"""Data for the relevance model and the predictor head: frames, questions, and which frames
answer which question (the frame shows the question's target: its shape, or its colour for
shape questions). Frames are rendered (fast path) and codec-simulated.
"""

import numpy as np
import torch

from questions import question_target, sample_questions
from relevance_model import TEXT_WINDOW
from render import render_frames, simulate_codec
from sampling import sample_indices
from scene import make_scene
from vision_model import normalize_frames

PAD_TOKEN = "<|endoftext|>"


def relevance_pixels(frames_uint8):
    """The relevance model reads the 128x128 frames as the VLM does."""
    return normalize_frames(frames_uint8)


def frame_content(spec, t):
    return {(ev["shape"], ev["colour"]) for ev in spec["events"] if ev["start"] <= t < ev["end"]}


def is_relevant(content, target):
    kind, value = target
    return any((s if kind == "shape" else c) == value for s, c in content)


def label_matrix(contents, questions):
    return np.array([[is_relevant(c, q["target"]) for q in questions] for c in contents], np.float32)


def frame_batch(rng, split, n_scenes, scenes=32, per_scene=4, questions_per_scene=2):
    frames, contents, questions = [], [], []
    for _ in range(scenes):
        spec = make_scene(split, int(rng.integers(0, n_scenes)))
        idx = []
        for _ in range(per_scene // 2):
            ev = spec["events"][int(rng.integers(0, len(spec["events"])))]
            idx.append(int(rng.integers(ev["start"], ev["end"])))
        idx += [int(t) for t in rng.integers(0, spec["frames"], size=per_scene - len(idx))]
        frames.append(simulate_codec(render_frames(spec, idx), rng))
        contents += [frame_content(spec, t) for t in idx]
        qs = sample_questions(spec, rng)
        for j in rng.choice(len(qs), size=min(questions_per_scene, len(qs)), replace=False):
            q = dict(qs[int(j)])
            q["target"] = question_target(spec, q)
            questions.append(q)
    return relevance_pixels(np.concatenate(frames)), contents, questions


def question_ids(tok, texts):
    """[n, 64] int64: each question's ids, cut to the window and padded with the pad id."""
    pad = tok.special[PAD_TOKEN]
    out = np.full((len(texts), TEXT_WINDOW), pad, np.int64)
    for i, t in enumerate(texts):
        ids = tok.encode(t)[:TEXT_WINDOW]
        out[i, : len(ids)] = ids
    return torch.as_tensor(out)


def video_frames(spec, frames=32, rng=None):
    """The sampled frames of a video (fast path) and their contents."""
    idx = sample_indices(spec["frames"], frames)
    f = render_frames(spec, idx)
    if rng is not None:
        f = simulate_codec(f, rng)
    return f, [frame_content(spec, int(t)) for t in idx]


def _auc(scores, labels):
    pos, neg = scores[labels > 0], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return None
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


@torch.no_grad()
def within_video_auc(model, tok, split="val", videos=40, head=None):
    """Mean AUC of relevant against irrelevant frames, per (video, question)."""
    rng = np.random.default_rng(99)
    aucs = []
    for i in range(videos):
        spec = make_scene(split, i)
        frames, contents = video_frames(spec, rng=rng)
        qs = sample_questions(spec, rng)
        for q in qs:
            q["target"] = question_target(spec, q)
        img = model.image(relevance_pixels(frames))
        txt = model.text(question_ids(tok, [q["question"] for q in qs]))
        if head is None:
            scores = model.logits(img, txt).numpy()
        else:
            u = torch.nn.functional.normalize(img, dim=-1)
            v = torch.nn.functional.normalize(txt, dim=-1)
            scores = head(u[:, None, :].expand(-1, len(qs), -1), v[None].expand(len(u), -1, -1)).numpy()
        labels = label_matrix(contents, qs)
        for j in range(len(qs)):
            a = _auc(scores[:, j], labels[:, j])
            if a is not None:
                aucs.append(a)
    return float(np.mean(aucs))
