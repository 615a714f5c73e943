"""Train the demo relevance dual encoder with SigLIP's sigmoid loss.

Each batch: frames of train-split scenes (half inside key events, codec-simulated) against questions of the same scenes; a pair is positive when the frame
shows what the question asks about (the question's shape, or its colour for shape questions),
across scenes too. Writes .cache/relevance.pt.
Usage: nice -n 10 /usr/bin/python3 tools/demo/train_relevance.py [--steps N]
"""

import argparse

import numpy as np
import torch

from common import elapsed, load, log, save, setup
from demo_tokenizer import load as load_tokenizer
from relevance_model import DualEncoder, sigmoid_loss
from relevance_data import frame_batch, label_matrix, question_ids, within_video_auc

TRAIN_SCENES = 20000


def vision_trunk():
    """The VLM vision encoder's pretrained trunk (stage 1) as the image tower's start."""
    state = load("vision.pt")["state"]
    return {k[len("trunk."):]: v for k, v in state.items() if k.startswith("trunk.")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=2e-3)
    args = ap.parse_args()
    setup(args.seed)
    tok = load_tokenizer()
    rng = np.random.default_rng(args.seed + 1)
    model = DualEncoder(len(tok))
    model.image.trunk.load_state_dict(vision_trunk())
    trunk = list(model.image.trunk.parameters())
    rest = [p for n, p in model.named_parameters() if not n.startswith("image.trunk.")]
    opt = torch.optim.AdamW([{"params": trunk, "lr": args.lr / 4}, {"params": rest}],
                            lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[args.lr / 4, args.lr],
                                                total_steps=args.steps, pct_start=0.1)
    for step in range(1, args.steps + 1):
        pixels, contents, questions = frame_batch(rng, "train", TRAIN_SCENES, scenes=32)
        ids = question_ids(tok, [q["question"] for q in questions])
        labels = torch.as_tensor(label_matrix(contents, questions), dtype=torch.float32)
        logits = model.logits(model.image(pixels), model.text(ids))
        loss = sigmoid_loss(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps:
            auc = within_video_auc(model, tok, split="val", videos=40)
            log(f"step {step} loss {loss.item():.3f} scale {model.logit_scale.exp().item():.2f} "
                f"bias {model.logit_bias.item():.2f} val within-video AUC {auc:.4f}")
            save({"state": model.state_dict(), "vocab": len(tok), "step": step,
                  "seconds": elapsed()}, "relevance.pt")
    log("done")


if __name__ == "__main__":
    main()
