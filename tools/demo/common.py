"""Shared training plumbing: thread count, seeding, logging with elapsed time, checkpoints."""

import os
import sys
import time

import numpy as np
import torch

from paths import CACHE

_T0 = time.time()


def setup(seed):
    torch.set_num_threads(int(os.environ.get("KVTP_DEMO_THREADS", "2")))
    torch.manual_seed(seed)
    np.random.seed(seed)
    os.makedirs(CACHE, exist_ok=True)


def log(*parts):
    print(f"[{time.time() - _T0:7.1f}s]", *parts, flush=True)
    sys.stdout.flush()


def elapsed():
    return time.time() - _T0


def ckpt_path(name):
    return os.path.join(CACHE, name)


def save(obj, name):
    path = ckpt_path(name)
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)
    return path


def load(name):
    return torch.load(ckpt_path(name), map_location="cpu")
