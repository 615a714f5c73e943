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
from questions import all_questions, question_target
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


def pruning_plan(rng, relevance, unpruned=0.2):
    """(keep ratio, allocation mode, reduction method, scores) for one training sequence."""
    if rng.random() < unpruned:
        return 1.0, "uniform", "none", None
    rho = float(np.exp(rng.uniform(np.log(0.05), np.log(0.7))))
    method = str(rng.choice(["random", "tome", "prumerge"], p=[0.4, 0.3, 0.3]))
    u = rng.random()
    if u < 0.35:
        return rho, "uniform", method, None
    if u < 0.85:
        sharp = rng.uniform(2, 14)
        scores = relevance * sharp + rng.normal(0, rng.uniform(0.3, 2.5), size=len(relevance))
        mode = str(rng.choice(["exact", "paper", "hard"], p=[0.6, 0.25, 0.15]))
        return rho, mode, method, scores
    return rho, "random", method, rng.normal(0, 3, size=len(relevance))


def budgets(rng, rho, mode, scores, n_frames, tokens):
    if mode == "hard":
        return allocate(scores, rho, tokens, "hard")
    if mode == "uniform":
        return allocate(np.zeros(n_frames), rho, tokens, "uniform")
    if mode == "random":
        return allocate(scores, rho, tokens, "exact", min_per_frame=int(rng.integers(0, 2)))
    return allocate(scores, rho, tokens, mode)


@torch.no_grad()
def encode_video(vision, spec, n_frames, rng, codec=True):
    """A video's L sampled frames (rendered, codec-simulated with `rng`) through the frozen vision
    encoder: (frame indices, tokens [L, N, D])."""
    idx = sample_indices(spec["frames"], n_frames)
    frames = render_frames(spec, idx)
    if codec:
        frames = simulate_codec(frames, rng)
    return idx, vision.encode(normalize_frames(frames)).numpy()


def pack_sequence(pb, hidden, spec, idx, kept, qs, variant=None):
    """The video prefix with each frame's kept tokens (`kept`: per frame [k, hidden]), then the
    questions `qs` packed after it, each with its answer as the targets."""
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
        else np.zeros((0, hidden), np.float32)
    return Sequence(np.concatenate(ids), np.concatenate(pos), np.concatenate(seg),
                    np.concatenate(tgt), image.astype(np.float32))


def answer_starts(targets):
    """Positions that predict each answer's first token (where a run of targets begins)."""
    t = targets
    return [k for k in range(len(t)) if t[k] != -100 and (k == 0 or t[k - 1] == -100)]


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


ATTRIBUTES = ("colour", "shape", "count", "where")


def event_attributes(ev):
    """Class indices of what an event shows (-100: none), for the retrieval's deep supervision."""
    from render import COLOUR_INDEX, SHAPE_INDEX, WHERE_INDEX
    return (COLOUR_INDEX[ev["colour"]] - 1, SHAPE_INDEX[ev["shape"]] - 1, ev["count"] - 1,
            WHERE_INDEX[ev["where"]] - 1 if ev["where"] else -100)


def attention_targets(seqs, s_max, image_id):
    """For attention supervision, per layer, (batch rows, query positions, key masks [n, S],
    the asked-about event's attributes [n, 4]):
    layer 0 — from the question's word for its target (the shape or colour it names) to the kept
    tokens that show it; layer 1 — from the position that predicts the answer to that word.
    Questions whose target no kept token shows are left out."""
    per = {0: ([], [], [], []), 1: ([], [], [], [])}

    def add(layer, b, q, keys, attrs):
        m = np.zeros(s_max, bool)
        m[keys] = True
        per[layer][0].append(b)
        per[layer][1].append(q)
        per[layer][2].append(m)
        per[layer][3].append(attrs)

    for b, s in enumerate(seqs):
        rel = getattr(s, "relevant", None)
        if rel is None:
            continue
        slots = np.flatnonzero(s.ids == image_id)
        for j, k in enumerate(answer_starts(s.targets)):
            if j >= len(rel) or not rel[j].any():
                continue
            seg = np.flatnonzero((s.segment == j + 1)[: k + 1])
            word = [p for p in seg if int(s.ids[p]) in s.word_ids[j]]
            if not word:
                continue
            add(0, b, word[-1], slots[rel[j]], s.attrs[j])
            add(1, b, k, [word[-1]], s.attrs[j])
    out = {}
    for layer, (rows, queries, masks, attrs) in per.items():
        if rows:
            out[layer] = (torch.as_tensor(rows), torch.as_tensor(np.array(queries)),
                          torch.as_tensor(np.stack(masks)), torch.as_tensor(np.array(attrs)))
    return out or None


class TokenCache:
    """Videos encoded once by the frozen vision encoder (32 sampled frames each, codec-simulated),
    so the decoder's training spends its time on the decoder. Each draw takes a cached video, a
    subset of its frames (fewer frames early in the curriculum), a fresh pruning plan and up to
    `questions` packed questions about the events the chosen frames show."""

    def __init__(self, vision, builder, split, videos, seed=0, frames=32, log=None):
        self.pb = builder
        self.vision = vision
        self.frames = frames
        self.rng = np.random.default_rng([17, seed])
        # the vision encoder's own shape and colour heads name what each (kept) token shows
        heads = vision.heads
        self.label_heads = {k: (heads[k].weight.detach().numpy().T.copy(),
                                heads[k].bias.detach().numpy().copy()) for k in ("shape", "colour")}
        codec_rng = np.random.default_rng([11, seed])
        self.specs, self.idx, self.tokens = [], [], []
        for i in range(videos):
            spec = make_scene(split, i, frames_sampled=frames)
            idx, tok = encode_video(vision, spec, frames, codec_rng)
            self.specs.append(spec)
            self.idx.append(idx)
            self.tokens.append(tok.astype(np.float16))
            if log and (i + 1) % 250 == 0:
                log(f"encoded {i + 1}/{videos} {split} videos")

    def __len__(self):
        return len(self.specs)

    def draw(self, n_frames, questions, unpruned=0.2, index=None, plan=None, kinds=None):
        """One packed Sequence; `plan` = (rho, mode, method) fixes the pruning (evaluation);
        `kinds` limits the questions to those kinds (None: all)."""
        rng = self.rng
        v = int(rng.integers(0, len(self))) if index is None else index
        spec, idx, tok = self.specs[v], self.idx[v], self.tokens[v].astype(np.float32)
        if n_frames < len(idx):
            # an evenly spread subset of the cached frames, with a random phase
            step = len(idx) / n_frames
            pick = np.floor(rng.uniform(0, step) + step * np.arange(n_frames)).astype(int)
            idx, tok = idx[pick], tok[pick]
        seen = {e for t in idx for e in range(len(spec["events"]))
                if spec["events"][e]["start"] <= t < spec["events"][e]["end"]}
        pool = [q for q in all_questions(spec)
                if q["event"] in seen and (kinds is None or q["kind"] in kinds)]
        if not pool:
            return None
        # kinds in turn (position questions exist only for single objects: rarer otherwise)
        by_kind = {}
        for i in rng.permutation(len(pool)):
            by_kind.setdefault(pool[int(i)]["kind"], []).append(pool[int(i)])
        order = [by_kind[k] for k in sorted(by_kind)]
        qs = []
        while len(qs) < min(questions, len(pool)):
            for group in order:
                if group and len(qs) < questions:
                    qs.append(group.pop())
        focus = qs[0]
        target = question_target(spec, focus)
        relevance = np.array([is_relevant(frame_content(spec, int(t)), target) for t in idx], float)
        if plan is None:
            rho, mode, method, scores = pruning_plan(rng, relevance, unpruned)
        else:
            rho, mode, method = plan
            scores = relevance * 6 + rng.normal(0, 0.5, size=len(idx))
        keep = budgets(rng, rho, mode, scores, len(idx), tok.shape[1])
        kept = reduce_frames(tok, keep, method, rng)
        variant = None if plan is not None else {
            "bos": rng.random() < 0.1, "short_duration": rng.random() < 0.2}
        seq = pack_sequence(self.pb, self.vision.hidden, spec, idx, kept, qs, variant)
        seq.kinds = [q["kind"] for q in qs]
        targets = [question_target(spec, q) for q in qs]
        seq.relevant = self.relevant_tokens(seq.image_tokens, targets)
        seq.word_ids = [self.word_ids(t) for t in targets]
        seq.attrs = [event_attributes(spec["events"][q["event"]]) for q in qs]
        return seq

    def word_ids(self, target):
        """Token ids of the word a question names its target by (the shape, its plural, or the
        colour); each is one token of the demo's tokenizer."""
        from shapes import SHAPE_PLURALS
        kind, value = target
        words = [value] + ([SHAPE_PLURALS[value]] if kind == "shape" else [])
        ids = set()
        for w in words:
            enc = self.pb.tok.encode(" " + w)
            if len(enc) == 1:
                ids.add(enc[0])
        return ids

    def relevant_tokens(self, tokens, targets):
        """Per question, which kept tokens show what it asks about (by the vision heads' labels):
        the question's shape, or its colour for shape questions. bool [Q, K]."""
        from render import COLOUR_INDEX, SHAPE_INDEX
        lab = {k: (tokens @ w + b).argmax(-1) for k, (w, b) in self.label_heads.items()}
        out = np.zeros((len(targets), len(tokens)), bool)
        for j, (kind, value) in enumerate(targets):
            out[j] = lab[kind] == (SHAPE_INDEX if kind == "shape" else COLOUR_INDEX)[value]
        return out
