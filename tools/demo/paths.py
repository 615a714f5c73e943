"""Where the demo's generated data, checkpoints and logs live (never committed)."""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("KVTP_DEMO_CACHE", os.path.join(HERE, ".cache"))
REPO = os.path.dirname(os.path.dirname(HERE))
