"""Training sequences for the demo VLM's decoder: a video's kept vision tokens spliced into
the prompt, followed by several packed questions and their answers.

Every sequence is pruned the way KVTP may prune it at inference (keep ratio from 1 down to
0.05; uniform, relevance-shaped or random per-frame budgets; random, ToMe or PruMerge
reduction), so that pruned inputs stay in distribution. Questions after the shared video
prefix are packed with a block mask: each sees the prefix and itself, with positions starting
where the prefix ends, exactly as if it were alone.
"""

from dataclasses import dataclass

import numpy as np
import torch

from kvtp_np import allocate, reduce_frames
from questions import all_questions, question_target, sample_questions
from relevance_data import frame_content, is_relevant
from render import render_frames, simulate_codec
from sampling import sample_indices
from scene import make_scene
from vision_model import normalize_frames


@dataclass
class Sequence:
    ids: np.ndarray          # [S] token ids (image slots hold the <image> id)
    positions: np.ndarray    # [S]
    segment: np.ndarray      # [S] 0 for the video prefix, j >= 1 for question j
    targets: np.ndarray      # [S] next-token targets, -100 where there is no loss
    image_tokens: np.ndarray  # [K, D] kept vision tokens, in slot order


def pruning_plan(rng, relevance):
    """(keep ratio, allocation mode, reduction method, scores) for one training sequence."""
    if rng.random() < 0.2:
        return 1.0, "uniform", "none", None
    rho = float(np.exp(rng.uniform(np.log(0.05), np.log(0.7))))
    method = str(rng.choice(["random", "tome", "prumerge"], p=[0.4, 0.3, 0.3]))
    u = rng.random()
    if u < 0.35:
        return rho, "uniform", method, None
    if u < 0.85:
        sharp = rng.uniform(2, 14)
        scores = relevance * sharp + rng.normal(0, rng.uniform(0.3, 2.5), size=len(relevance))
        return rho, str(rng.choice(["exact", "paper"], p=[0.7, 0.3])), method, scores
    return rho, "random", method, rng.normal(0, 3, size=len(relevance))


def budgets(rng, rho, mode, scores, n_frames, tokens):
    if mode == "uniform":
        return allocate(np.zeros(n_frames), rho, tokens, "uniform")
    if mode == "random":
        return allocate(scores, rho, tokens, "exact", min_per_frame=int(rng.integers(0, 2)))
    return allocate(scores, rho, tokens, mode)


class VideoSampler:
    """Fresh train-split videos encoded by the frozen vision encoder."""

    def __init__(self, vision, builder, split="train", seed=0, codec=True, questions=0):
        self.vision = vision
        self.questions = questions  # pack up to this many questions per video (0: one per kind)
        self.pb = builder
        self.split = split
        self.rng = np.random.default_rng([11, seed])
        self.codec = codec

    @torch.no_grad()
    def encode(self, spec, n_frames):
        idx = sample_indices(spec["frames"], n_frames)
        frames = render_frames(spec, idx)
        if self.codec:
            frames = simulate_codec(frames, self.rng)
        tokens = self.vision.encode(normalize_frames(frames)).numpy()
        return idx, tokens

    def sequence(self, n_frames, index=None):
        rng = self.rng
        if index is None:
            index = int(rng.integers(0, 10**9))
        spec = make_scene(self.split, index, frames_sampled=n_frames)
        idx, tokens = self.encode(spec, n_frames)
        qs = sample_questions(spec, rng)
        if self.questions > len(qs):
            # more answers per video prefix: further phrasings of the video's questions
            extra = all_questions(spec)
            picks = rng.permutation(len(extra))[: self.questions - len(qs)]
            qs = qs + [extra[int(i)] for i in picks]
        focus = qs[int(rng.integers(0, len(qs)))]
        target = question_target(spec, focus)
        relevance = np.array([is_relevant(frame_content(spec, int(t)), target) for t in idx], float)
        rho, mode, method, scores = pruning_plan(rng, relevance)
        keep = budgets(rng, rho, mode, scores, n_frames, tokens.shape[1])
        kept = reduce_frames(tokens, keep, method, rng)
        variant = {"bos": rng.random() < 0.1, "short_duration": rng.random() < 0.3}
        return self.pack(spec, idx, kept, qs, variant)

    def pack(self, spec, idx, kept, qs, variant=None):
        pb = self.pb
        times = idx / float(spec["fps"])
        duration = spec["frames"] / float(spec["fps"])
        prefix = pb.video_ids(times, duration, [len(k) for k in kept], variant)
        ids, pos, seg, tgt = [prefix], [np.arange(len(prefix))], [np.zeros(len(prefix), int)], [
            np.full(len(prefix), -100)]
        for j, q in enumerate(qs, start=1):
            qi = pb.question_ids(q["question"])
            ai = pb.answer_ids(q["answer"])
            part = np.array(qi + ai)
            t = np.full(len(part), -100)
            t[len(qi) - 1 : len(part) - 1] = ai
            ids.append(part)
            pos.append(len(prefix) + np.arange(len(part)))
            seg.append(np.full(len(part), j))
            tgt.append(t)
        image = np.concatenate([k for k in kept if len(k)], axis=0) if any(len(k) for k in kept) \
            else np.zeros((0, self.vision.hidden), np.float32)
        return Sequence(np.concatenate(ids), np.concatenate(pos), np.concatenate(seg),
                        np.concatenate(tgt), image.astype(np.float32))


def collate(seqs, decoder, image_id):
    """Embeddings, positions, allowed mask [B, S, S] and targets of a batch of sequences."""
    s_max = max(len(s.ids) for s in seqs)
    b = len(seqs)
    ids = torch.zeros(b, s_max, dtype=torch.long)
    pos = torch.zeros(b, s_max, dtype=torch.long)
    seg = torch.full((b, s_max), -1, dtype=torch.long)
    tgt = torch.full((b, s_max), -100, dtype=torch.long)
    for i, s in enumerate(seqs):
        n = len(s.ids)
        ids[i, :n] = torch.as_tensor(s.ids)
        pos[i, :n] = torch.as_tensor(s.positions)
        seg[i, :n] = torch.as_tensor(s.segment)
        tgt[i, :n] = torch.as_tensor(s.targets)
    emb = decoder.embed_tokens(ids)
    slots = ids == image_id
    image = torch.cat([torch.as_tensor(s.image_tokens) for s in seqs], dim=0)
    emb = emb.masked_scatter(slots[..., None], image) if len(image) else emb
    ar = torch.arange(s_max)
    causal = ar[None, :] <= ar[:, None]
    same = (seg[:, :, None] == seg[:, None, :]) | (seg[:, None, :] == 0)
    allowed = causal[None] & same & (seg[:, None, :] >= 0)
    allowed = allowed | torch.eye(s_max, dtype=torch.bool)[None]
    return emb, pos, allowed, tgt
