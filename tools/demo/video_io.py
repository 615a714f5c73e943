"""MP4 files of scene specs (ffmpeg, H.264 yuv420p, BT.709 tagged) and decoding them back.

This is the browser path's input; training uses render.py's arrays directly. Needs the
`ffmpeg` binary; never touches the network.
"""

import subprocess

import numpy as np

from render import background, render_frame

COLOUR_TAGS = [
    "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
    "-color_range", "tv",
]


def write_mp4(spec, path, crf=18):
    """Render every frame of `spec` and encode it as an H.264 MP4 at `path`."""
    w, h = spec["width"], spec["height"]
    cmd = [
        "ffmpeg", "-y", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(spec["fps"]), "-i", "-",
        "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
        "-c:v", "libx264", "-preset", "medium", "-crf", str(crf), "-g", str(2 * spec["fps"]),
        "-pix_fmt", "yuv420p", *COLOUR_TAGS, "-movflags", "+faststart", str(path),
    ]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    bg = background(spec)
    for t in range(spec["frames"]):
        proc.stdin.write(render_frame(spec, t, bg).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed on {path}")


def read_mp4(path, width, height):
    """All frames of an MP4 as uint8 [n, H, W, 3] (BT.709 limited range to RGB)."""
    cmd = [
        "ffmpeg", "-loglevel", "error", "-i", str(path),
        "-vf", "scale=in_color_matrix=bt709:in_range=tv,format=rgb24",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
    ]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)
