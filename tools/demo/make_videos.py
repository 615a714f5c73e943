"""MP4 files and questions of the demo's sparse-event videos, for the browser pipeline.

    /usr/bin/python3 tools/demo/make_videos.py samples            # public/samples/ (committed)
    /usr/bin/python3 tools/demo/make_videos.py test --out DIR [--questions 300] [--seed S]

`samples` writes the app's sample videos and `public/samples/samples.json` (file, title, a
question and its answer, the other questions the video supports). `test` writes the test split
(or, with --seed, a fresh set from the generator that training never drew from) as
DIR/*.mp4 and DIR/questions.json: `{"split","seed","frames","questions":[{"video","question",
"answer","kind","event"}]}`, one question per (event, kind) with a random phrasing, videos
in order until there are enough questions. Deterministic in its arguments.
"""

import argparse
import json
import os

import numpy as np

from paths import REPO
from questions import all_questions, sample_questions
from sampling import DEFAULT_FRAMES
from scene import make_scene
from video_io import write_mp4

SAMPLES = [
    # (scene index in the "sample" split, title)
    (0, "Sparse events, sample 1"),
    (1, "Sparse events, sample 2"),
    (2, "Sparse events, sample 3"),
]


def _write(spec, folder):
    path = os.path.join(folder, spec["id"] + ".mp4")
    if not os.path.exists(path):
        write_mp4(spec, path)
    return os.path.basename(path)


def samples():
    folder = os.path.join(REPO, "public", "samples")
    os.makedirs(folder, exist_ok=True)
    out = []
    for index, title in SAMPLES:
        spec = make_scene("sample", index)
        file = _write(spec, folder)
        qs = all_questions(spec)
        # the featured question: the first event's colour, asked by its shape
        first = next(q for q in qs if q["kind"] == "colour")
        others = []
        seen = set()
        for q in qs:
            key = (q["event"], q["kind"])
            if key not in seen:
                seen.add(key)
                others.append({"question": q["question"], "answer": q["answer"]})
        ev = spec["events"][first["event"]]
        out.append({
            "file": file,
            "title": title,
            "duration": spec["frames"] / spec["fps"],
            "question": first["question"],
            "answer": first["answer"],
            # when the featured question's event is on screen (seconds, end exclusive)
            "event": {"start": ev["start"] / spec["fps"], "end": ev["end"] / spec["fps"]},
            "questions": others,
        })
    with open(os.path.join(folder, "samples.json"), "w") as f:
        json.dump({"samples": out}, f, indent=1)
        f.write("\n")
    print(f"{len(out)} samples -> {folder}")


def test_set(out, questions, seed, frames):
    os.makedirs(out, exist_ok=True)
    split = "test" if seed is None else "fresh"
    rows, index = [], 0
    while len(rows) < questions:
        spec = make_scene(split, index, seed or 0, frames_sampled=frames)
        rng = np.random.default_rng([13, seed or 0, index])
        file = _write(spec, out)
        for q in sample_questions(spec, rng):
            if len(rows) < questions:
                rows.append({"video": file, **q})
        index += 1
    with open(os.path.join(out, "questions.json"), "w") as f:
        json.dump({"split": split, "seed": seed, "frames": frames, "videos": index,
                   "questions": rows}, f, indent=1)
    print(f"{len(rows)} questions about {index} videos -> {out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["samples", "test"])
    ap.add_argument("--out", default=None)
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--frames", type=int, default=DEFAULT_FRAMES)
    args = ap.parse_args()
    if args.what == "samples":
        samples()
    else:
        if not args.out:
            ap.error("test needs --out DIR")
        test_set(args.out, args.questions, args.seed, args.frames)


if __name__ == "__main__":
    main()
