"""A byte-level BPE tokenizer like SmolLM2's, trained on the demo's own prompts.

Same model type and pre-tokenization as the real SmolVLM2 tokenizer (individual digits, then
GPT-2 byte-level regex), so the browser loads it with the same library code path. Trains
merges, encodes and decodes in pure Python (no `tokenizers` package here), and writes
`tokenizer.json`. ASCII text only: the regex's letter/number classes are ASCII here, which is
all the demo corpus contains (other bytes still round-trip, as single-byte tokens).
"""

import json
import re
from collections import Counter

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<fake_token_around_image>",
    "<image>",
    "<global-img>",
    "<end_of_utterance>",
    "<video>",
)
_GPT2_PATTERN = re.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+"""
)


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    bs += list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {v: k for k, v in BYTE_ENCODER.items()}


def pre_tokenize(text):
    """Digits(individual_digits) then ByteLevel(use_regex): byte-mapped words."""
    pieces = []
    for part in re.split(r"([0-9])", text):
        if part:
            pieces.extend(_GPT2_PATTERN.findall(part))
    return ["".join(BYTE_ENCODER[b] for b in p.encode("utf-8")) for p in pieces]


def train_bpe(texts, max_merges=400, min_count=2):
    """Merges learned from the corpus, most frequent pair first."""
    words = Counter()
    for t in texts:
        words.update(pre_tokenize(t))
    seqs = {w: list(w) for w in words}
    merges = []
    for _ in range(max_merges):
        pairs = Counter()
        for w, n in words.items():
            s = seqs[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        (a, b), n = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if n < min_count:
            break
        merges.append((a, b))
        for w in words:
            s = seqs[w]
            i, out = 0, []
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[w] = out
    return merges


class Tokenizer:
    """Vocabulary: special tokens first, then the 256 bytes, then one token per merge."""

    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        vocab = list(SPECIAL_TOKENS) + [BYTE_ENCODER[b] for b in range(256)]
        vocab += [a + b for a, b in self.merges]
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.inverse = vocab
        self.special = {t: self.vocab[t] for t in SPECIAL_TOKENS}
        self._split = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")
        self._cache = {}

    def __len__(self):
        return len(self.inverse)

    def _bpe(self, word):
        if word in self._cache:
            return self._cache[word]
        s = list(word)
        while len(s) > 1:
            ranked = [(self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(s, s[1:]))]
            rank, i = min(ranked)
            if rank == 1 << 30:
                break
            s = s[:i] + [s[i] + s[i + 1]] + s[i + 2 :]
        ids = [self.vocab[t] for t in s]
        self._cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for part in self._split.split(text):
            if not part:
                continue
            if part in self.special:
                ids.append(self.special[part])
            else:
                for w in pre_tokenize(part):
                    ids.extend(self._bpe(w))
        return ids

    def decode(self, ids, skip_special=True):
        out, buf = [], []
        for i in ids:
            t = self.inverse[i]
            if t in self.special:
                if buf:
                    out.append(bytes(buf).decode("utf-8", "replace"))
                    buf = []
                if not skip_special:
                    out.append(t)
            else:
                buf.extend(BYTE_DECODER[c] for c in t)
        if buf:
            out.append(bytes(buf).decode("utf-8", "replace"))
        return "".join(out)

    def tokenizer_json(self):
        """The Hugging Face `tokenizer.json` of this tokenizer."""
        added = [
            {"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False,
             "rstrip": False, "normalized": False, "special": True}
            for t in SPECIAL_TOKENS
        ]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {
                "type": "Sequence",
                "pretokenizers": [
                    {"type": "Digits", "individual_digits": True},
                    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                     "use_regex": True},
                ],
            },
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                        "use_regex": True},
            "model": {
                "type": "BPE", "dropout": None, "unk_token": None,
                "continuing_subword_prefix": None, "end_of_word_suffix": None,
                "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                "vocab": dict(self.vocab),
                "merges": [[a, b] for a, b in self.merges],
            },
        }

    def save(self, path):
        with open(path, "w") as f:
            json.dump(self.tokenizer_json(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        with open(path) as f:
            data = json.load(f)
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m)
                  for m in data["model"]["merges"]]
        tok = cls(merges)
        if tok.vocab != data["model"]["vocab"]:
            raise ValueError(f"{path}: vocabulary does not follow the demo layout")
        return tok
