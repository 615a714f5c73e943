"""Questions about a scene's key events, in several phrasings, with one-word answers.

Each event supports: its colour (asked by shape), its shape (asked by colour), how many copies
appeared, and (for a single copy) where it appeared. A question remembers the event it needs,
which is what the relevance model and the predictor head learn to find.
"""

import numpy as np

from scene import COUNT_WORDS
from shapes import SHAPE_PLURALS

TEMPLATES = {
    "colour": (
        "What colour was the {shape}?",
        "Which colour was the {shape} that appeared?",
        "What color was the {shape}?",
        "What was the colour of the {shape}?",
        "Which color did the {shape} have?",
    ),
    "shape": (
        "What shape was the {colour} object?",
        "Which shape appeared in {colour}?",
        "What was the {colour} shape?",
        "Which {colour} shape was shown?",
    ),
    "count": (
        "How many {shapes} appeared?",
        "How many {shapes} were shown?",
        "How many {shapes} did you see?",
        "Count the {shapes}.",
    ),
    "position": (
        "Where did the {shape} appear?",
        "Where was the {shape}?",
        "In which part of the frame was the {shape}?",
        "Where in the frame did the {shape} show up?",
    ),
}
KINDS = tuple(TEMPLATES)


def _answer(kind, ev):
    if kind == "colour":
        return ev["colour"]
    if kind == "shape":
        return ev["shape"]
    if kind == "count":
        return COUNT_WORDS[ev["count"]]
    return ev["where"]


def kinds_for(ev):
    return [k for k in KINDS if k != "position" or ev["count"] == 1]


def make_question(ev, event_index, kind, phrasing):
    text = TEMPLATES[kind][phrasing % len(TEMPLATES[kind])].format(
        shape=ev["shape"], shapes=SHAPE_PLURALS[ev["shape"]], colour=ev["colour"]
    )
    return {"question": text, "answer": _answer(kind, ev), "kind": kind, "event": event_index}


def all_questions(spec):
    """Every (event, kind, phrasing) question of the scene."""
    out = []
    for i, ev in enumerate(spec["events"]):
        for kind in kinds_for(ev):
            for p in range(len(TEMPLATES[kind])):
                out.append(make_question(ev, i, kind, p))
    return out


def sample_questions(spec, rng, per_event=None):
    """One question per (event, kind) with a random phrasing (or `per_event` random kinds)."""
    out = []
    for i, ev in enumerate(spec["events"]):
        kinds = kinds_for(ev)
        if per_event is not None:
            kinds = list(rng.choice(kinds, size=min(per_event, len(kinds)), replace=False))
        for kind in kinds:
            out.append(make_question(ev, i, kind, int(rng.integers(0, 100))))
    return out


def test_question(spec, index):
    """The deterministic test question of a test video: kind and phrasing cycle with index."""
    rng = np.random.default_rng([7, index])
    qs = sample_questions(spec, rng)
    return qs[int(rng.integers(0, len(qs)))]


def question_target(spec, q):
    ev = spec["events"][q["event"]]
    if q["kind"] == "shape":
        return ("colour", ev["colour"])
    return ("shape", ev["shape"])
