"""The demo's tokenizer: byte-level BPE trained on prompts, questions and answers of the
generator (train split only), cached in tools/demo/.cache/tokenizer.json.

Run as a script to (re)train it. Deterministic: same corpus, same merges.
"""

import os
import sys

import numpy as np

from bpe import Tokenizer, train_bpe
from paths import CACHE
from prompt import PromptBuilder, format_timestamp, num2words
from questions import all_questions
from scene import COLOURS, COUNT_WORDS, WHERE, make_scene
from shapes import EVENT_SHAPES, SHAPE_PLURALS

PATH = os.path.join(CACHE, "tokenizer.json")


def corpus():
    texts = []
    pb = PromptBuilder.__new__(PromptBuilder)
    for n in list(range(1, 65)) + [96, 100, 128, 160, 200, 256]:
        for d in range(0, 200, 7):
            texts.append(pb.intro(n, d))
            texts.append(pb.intro(n, d, long_form=False))
    for s in range(0, 120):
        texts.append(f"\nFrame from {format_timestamp(s)}:")
    for i in range(300):
        for q in all_questions(make_scene("train", i)):
            texts.append("\n\n" + q["question"])
            texts.append(" " + q["answer"])
    words = list(COLOURS) + list(EVENT_SHAPES) + list(SHAPE_PLURALS.values())
    words += list(COUNT_WORDS) + list(WHERE) + [num2words(n) for n in range(65)]
    texts += [" " + w for w in words] * 50 + ["\nAssistant:"] * 50
    return texts


def build():
    tok = Tokenizer(train_bpe(corpus(), max_merges=600, min_count=8))
    os.makedirs(CACHE, exist_ok=True)
    tok.save(PATH)
    return tok


def load():
    if os.path.exists(PATH):
        return Tokenizer.load(PATH)
    return build()


if __name__ == "__main__":
    tok = build()
    print(f"vocabulary {len(tok)} tokens -> {PATH}")
    pb = PromptBuilder(tok)
    ids = pb.video_ids(np.arange(32) * 0.5, 16, [64] * 32) + pb.question_ids("What colour was the star?")
    print("prompt tokens (unpruned, 32 frames):", len(ids), file=sys.stderr)
    for w in ["red", "triangle", "three", "left", "center", "crosses"]:
        print(w, tok.encode(" " + w))
