"""Stage 2 of the demo VLM: train the decoder on pruned prompts, vision encoder frozen.

Train-split videos are encoded once by the frozen vision encoder from stage 1 (TokenCache:
32 sampled frames each, codec-simulated); every step draws cached videos with a fresh frame
subset, a fresh pruning plan (keep ratio 1 down to 0.05; uniform, relevance-shaped, hard or
random per-frame budgets; random, ToMe or PruMerge reduction) and up to 24 packed questions
with one-word answers. Besides the answers' cross-entropy, two heads of each of the first two
layers are taught where to look (attention supervision): in layer 0 from the question's word
for what it asks about (the shape, or the colour, it names) to the kept tokens that show it, as
the vision encoder's own heads label them; in layer 1 from the position that predicts the
answer to that word; and what arrives there (the residual at the word after layer 0, at the
answer's position after layer 1) must name every attribute of the asked-about event — colour,
shape, number of copies, place — through small linear heads, so a weakly encoded attribute (the
place) is carried to the answer rather than lost. Training aids only: the exported model is the
plain decoder. A curriculum on the number of frames (a few first, then mostly 8 to 16 with some
24 and 32: with the supervised lookup, accuracy carries over to longer prompts) and on the share
of unpruned prompts, over a fixed number of steps (deterministic in the seed; about 20 minutes
with the encoding on this project's 2-core machine). Writes .cache/vlm.pt. Usage:
  /usr/bin/python3 tools/demo/train_vlm.py [--steps 1500] [--videos 1500]
Needs a fast BLAS for torch on the CPU (Debian: apt-get install libopenblas0-pthread).
"""

import argparse
import math
import time
from collections import defaultdict

import numpy as np
import torch
import torch.nn.functional as F

from common import elapsed, load, log, save, setup
from decoder_model import Decoder, DecoderConfig
from demo_tokenizer import load as load_tokenizer
from prompt import PromptBuilder
from vision_model import VisionEncoder
from vlm_data import TokenCache, answer_starts, attention_targets, collate

TOKENS_PER_STEP = 2600  # padded tokens per optimizer step
POOL = 8  # sequences kept waiting, so that a batch groups similar lengths
ATTEND_HEADS = 2  # heads of the middle layer taught where to look (they share one KV head)
EVAL_PLANS = {
    "all tokens": (1.0, "uniform", "none"),
    "tome 0.2 kvtp": (0.2, "exact", "tome"),
    "prumerge 0.1 uniform": (0.1, "uniform", "prumerge"),
}


def frames_for(rng, frac):
    """Few frames first: finding an event's tokens among a few frames' comes before 32's. With
    attention supervision the lookup carries over to longer prompts, so long ones stay a minority
    (they cost the most)."""
    if frac < 0.15:
        return int(rng.choice([4, 6, 8]))
    return int(rng.choice([8, 12, 16, 24, 32], p=[0.3, 0.25, 0.2, 0.1, 0.15]))


def take_batch(pool, rng):
    """Sequences of similar length from the pool, up to TOKENS_PER_STEP padded tokens."""
    pool.sort(key=lambda s: len(s.ids))
    i = int(rng.integers(0, len(pool)))
    lo = hi = i
    while True:
        grow = []
        if lo > 0:
            grow.append(lo - 1)
        if hi < len(pool) - 1:
            grow.append(hi + 1)
        if not grow:
            break
        j = min(grow, key=lambda k: abs(len(pool[k].ids) - len(pool[i].ids)))
        n_lo, n_hi = min(lo, j), max(hi, j)
        if (n_hi - n_lo + 1) * len(pool[n_hi].ids) > TOKENS_PER_STEP:
            break
        lo, hi = n_lo, n_hi
    batch = pool[lo : hi + 1]
    del pool[lo : hi + 1]
    return batch


def load_vision():
    vision = VisionEncoder()
    vision.load_state_dict(load("vision.pt")["state"])
    return vision.eval()


@torch.no_grad()
def evaluate(decoder, cache, image_id, plan, videos, frames=32, questions=8):
    """First-answer-token accuracy per question kind on cached val videos under one plan."""
    decoder.eval()
    tally = defaultdict(lambda: [0, 0])
    for i in range(min(videos, len(cache))):
        seq = cache.draw(frames, questions, index=i, plan=plan)
        if seq is None:
            continue
        emb, pos, allowed, tgt = collate([seq], decoder, image_id)
        t = tgt[0].numpy()
        starts = answer_starts(t)
        pred = decoder.forward_train(emb, pos, allowed).argmax(-1)[0].numpy()
        for kind, k in zip(seq.kinds, starts):
            tally[kind][0] += int(pred[k] == t[k])
            tally[kind][1] += 1
    decoder.train()
    right = sum(v[0] for v in tally.values())
    total = sum(v[1] for v in tally.values())
    kinds = " ".join(f"{k} {v[0] / v[1]:.2f}" for k, v in sorted(tally.items()))
    return right / max(total, 1), kinds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--videos", type=int, default=1500, help="train videos encoded once")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--questions", type=int, default=24, help="questions packed per video")
    ap.add_argument("--max-frames", type=int, default=32, help="cap on frames per prompt")
    ap.add_argument("--resume", action="store_true", help="continue from .cache/vlm.pt")
    ap.add_argument("--focus", default=None,
                    help="KIND:SHARE — that share of sequences asks only questions of KIND")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--attend", type=float, default=0.5,
                    help="weight of the attention supervision (0: none)")
    args = ap.parse_args()
    setup(args.seed)
    tok = load_tokenizer()
    pb = PromptBuilder(tok)
    vision = load_vision()
    config = DecoderConfig(vocab_size=len(tok), hidden_size=vision.hidden)
    decoder = Decoder(config)
    if args.resume:
        decoder.load_state_dict(load("vlm.pt")["decoder"])
    focus_kind, focus_share = (args.focus.split(":") if args.focus else (None, 0))
    focus_share = float(focus_share)
    log(f"decoder parameters {sum(p.numel() for p in decoder.parameters())}")
    train = TokenCache(vision, pb, "train", args.videos, seed=args.seed, log=log)
    val = TokenCache(vision, pb, "val", 60, seed=1)
    log(f"encoded {len(train)} train and {len(val)} val videos")
    opt = torch.optim.AdamW(decoder.parameters(), lr=args.lr, weight_decay=0.05, betas=(0.9, 0.98))
    rng = np.random.default_rng(args.seed + 5)
    step, ema, pool = 0, None, []
    while step < args.steps:
        frac = step / args.steps
        warm = min(1.0, (step + 1) / (30 if args.resume else 150))
        lr = args.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1))))
        for g in opt.param_groups:
            g["lr"] = lr
        unpruned = 0.1 if frac < 0.35 else 0.25
        while len(pool) < POOL:
            frames = min(frames_for(rng, frac), args.max_frames)
            only = [focus_kind] if focus_kind and rng.random() < focus_share else None
            seq = train.draw(frames, args.questions, unpruned, kinds=only)
            if seq is not None:
                pool.append(seq)
        seqs = take_batch(pool, rng)
        emb, pos, allowed, tgt = collate(seqs, decoder, pb.image_id)
        at = tgt != -100
        probe = attention_targets(seqs, emb.shape[1], pb.image_id) if args.attend > 0 else None
        logits = decoder.forward_train(
            emb, pos, allowed, at, probe={k: v[:2] for k, v in (probe or {}).items()})
        loss = F.cross_entropy(logits, tgt[at])
        for layer, (_, _, keys, attrs) in (probe or {}).items():
            # attention supervision: two heads (sharing the first KV head) of layer 0 look from
            # the question's word to the tokens showing it, two of layer 1 from the answer's
            # position to that word
            att = decoder.layers[layer].self_attn.probed[:, :ATTEND_HEADS]  # [n, h, S]
            mass = (att * keys[:, None, :]).sum(-1).clamp_min(1e-6)
            loss = loss + args.attend * (-mass.log()).mean()
            # and what they bring holds every attribute of the event (colour, shape, count,
            # place), so a weak one (the place) is not lost before the answer can use it
            h = decoder.probed_h[layer]
            for a, head in enumerate(decoder.aux):
                if (attrs[:, a] >= 0).any():
                    loss = loss + args.attend * F.cross_entropy(head(h), attrs[:, a],
                                                                ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(decoder.parameters(), 1.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if step % 50 == 0:
            log(f"step {step} batch {len(seqs)}x{emb.shape[1]} loss {ema:.3f} lr {lr:.2e} "
                f"time {frac * 100:.0f}%")
        if step % args.eval_every == 0:
            f = min(32, args.max_frames)
            acc, kinds = evaluate(decoder, val, pb.image_id, EVAL_PLANS["all tokens"], videos=24,
                                  frames=f)
            log(f"step {step} val first-token accuracy, {f} frames, all tokens: {acc:.3f} ({kinds})")
            save({"decoder": decoder.state_dict(), "config": config.to_dict(), "step": step,
                  "seconds": elapsed()}, "vlm.pt")
    save({"decoder": decoder.state_dict(), "config": config.to_dict(), "step": step,
          "seconds": elapsed()}, "vlm.pt")
    log(f"trained {step} steps; process CPU time {time.process_time():.0f} s")
    for name, plan in EVAL_PLANS.items():
        acc, kinds = evaluate(decoder, val, pb.image_id, plan, videos=60)
        log(f"final step {step} val first-token accuracy, 32 frames, {name}: {acc:.3f} ({kinds})")


if __name__ == "__main__":
    main()
