"""Stage 2 of the demo VLM: train the decoder on pruned prompts, vision encoder frozen.

Fresh train-split videos every step (rendered, codec-simulated, encoded by the frozen vision
encoder from stage 1), pruned as KVTP may prune them, packed questions with one-word answers.
Curriculum on the number of sampled frames (short videos first, 32 frames at the end), within
a wall-clock budget. Writes .cache/vlm.pt. Usage:
  nice -n 10 /usr/bin/python3 tools/demo/train_vlm.py [--minutes 18]
"""

import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F

from common import elapsed, load, log, save, setup
from decoder_model import Decoder, DecoderConfig
from demo_tokenizer import load as load_tokenizer
from prompt import PromptBuilder
from vision_model import VisionEncoder
from vlm_data import VideoSampler, collate

TOKENS_PER_STEP = 1200  # padded tokens per optimizer step: small steps, many of them (2 CPU cores)
POOL = 6  # sequences kept waiting, so that a batch groups similar lengths


def frames_for(rng, frac):
    # few frames first: finding an event's tokens among a few frames' is what the decoder must
    # learn before it can do so among 32 frames'
    if frac < 0.3:
        return int(rng.choice([4, 5, 6, 8]))
    if frac < 0.6:
        return int(rng.choice([6, 8, 10, 12]))
    if frac < 0.85:
        return int(rng.choice([12, 16, 24]))
    return int(rng.choice([24, 32]))


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
def quick_eval(decoder, sampler, image_id, videos=12, frames=32):
    """First-answer-token accuracy on val videos (each with its own pruning plan)."""
    decoder.eval()
    correct = total = 0
    for i in range(videos):
        seq = sampler.sequence(frames, index=i)
        emb, pos, allowed, tgt = collate([seq], decoder, image_id)
        logits = decoder.forward_train(emb, pos, allowed)
        first = torch.zeros_like(tgt, dtype=torch.bool)
        t = tgt[0].numpy()
        starts = [k for k in range(len(t)) if t[k] != -100 and (k == 0 or t[k - 1] == -100)]
        first[0, starts] = True
        pred = logits.argmax(-1)
        correct += (pred[first] == tgt[first]).sum().item()
        total += int(first.sum())
    decoder.train()
    return correct / max(total, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=18)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--questions", type=int, default=16, help="questions packed per video")
    args = ap.parse_args()
    setup(args.seed)
    tok = load_tokenizer()
    pb = PromptBuilder(tok)
    vision = load_vision()
    config = DecoderConfig(vocab_size=len(tok), hidden_size=vision.hidden)
    decoder = Decoder(config)
    if args.resume:
        decoder.load_state_dict(load("vlm.pt")["decoder"])
    log(f"decoder parameters {sum(p.numel() for p in decoder.parameters())}")
    sampler = VideoSampler(vision, pb, "train", seed=args.seed, questions=args.questions)
    val_sampler = VideoSampler(vision, pb, "val", seed=1)
    opt = torch.optim.AdamW(decoder.parameters(), lr=args.lr, weight_decay=0.05, betas=(0.9, 0.98))
    budget = args.minutes * 60
    start = elapsed()
    rng = np.random.default_rng(args.seed + 5)
    step, ema, pool = 0, None, []
    while True:
        frac = (elapsed() - start) / budget
        if frac >= 1:
            break
        warm = min(1.0, (step + 1) / (20 if args.resume else 100))
        lr = args.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1))))
        for g in opt.param_groups:
            g["lr"] = lr
        while len(pool) < POOL:
            pool.append(sampler.sequence(frames_for(rng, frac)))
        seqs = take_batch(pool, rng)
        emb, pos, allowed, tgt = collate(seqs, decoder, pb.image_id)
        at = tgt != -100
        logits = decoder.forward_train(emb, pos, allowed, at)
        loss = F.cross_entropy(logits, tgt[at])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(decoder.parameters(), 1.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if step % 25 == 0:
            log(f"step {step} batch {len(seqs)}x{emb.shape[1]} loss {ema:.3f} lr {lr:.2e} "
                f"time {frac * 100:.0f}%")
        if step % 100 == 0:
            acc = quick_eval(decoder, val_sampler, pb.image_id, videos=8)
            log(f"step {step} val first-token accuracy (32 frames, mixed pruning) {acc:.3f}")
            save({"decoder": decoder.state_dict(), "config": config.to_dict(), "step": step,
                  "seconds": elapsed()}, "vlm.pt")
    acc = quick_eval(decoder, val_sampler, pb.image_id, videos=30)
    log(f"final step {step} val first-token accuracy {acc:.3f}")
    save({"decoder": decoder.state_dict(), "config": config.to_dict(), "step": step,
          "seconds": elapsed()}, "vlm.pt")


if __name__ == "__main__":
    main()
