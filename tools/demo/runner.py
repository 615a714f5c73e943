"""Running the trained demo models the way the pipeline does, in torch: vision tokens per
frame, relevance scores per frame (SigLIP logit or learned head), and greedy answers from the
decoder through its KV-cache interface (prefill, then one token per step until
<end_of_utterance>). Used by eval.py and the sample checks; trains nothing.
"""

import numpy as np
import torch
import torch.nn.functional as F

from common import load
from decoder_model import Decoder, DecoderConfig
from demo_tokenizer import load as load_tokenizer
from prompt import PromptBuilder
from relevance_data import question_ids, relevance_pixels
from relevance_model import DualEncoder, PredictorHead
from vision_model import VisionEncoder, normalize_frames


class DemoModels:
    def __init__(self, head=True):
        self.tok = load_tokenizer()
        self.pb = PromptBuilder(self.tok)
        self.vision = VisionEncoder()
        self.vision.load_state_dict(load("vision.pt")["state"])
        self.vision.eval()
        ck = load("vlm.pt")
        self.decoder = Decoder(DecoderConfig(**ck["config"]))
        self.decoder.load_state_dict(ck["decoder"])
        self.decoder.eval()
        rel = load("relevance.pt")
        self.relevance = DualEncoder(rel["vocab"])
        self.relevance.load_state_dict(rel["state"])
        self.relevance.eval()
        self.head = None
        if head:
            h = load("head.pt")
            self.head = PredictorHead(**h["config"])
            self.head.load_state_dict(h["state"])
            self.head.eval()

    @torch.no_grad()
    def vision_tokens(self, frames_uint8):
        return self.vision.encode(normalize_frames(frames_uint8)).numpy()

    @torch.no_grad()
    def frame_embeds(self, frames_uint8):
        return self.relevance.image(relevance_pixels(frames_uint8))

    @torch.no_grad()
    def scores(self, image_embeds, question, learned=False):
        """Per-frame relevance logits for one question: SigLIP-style or the learned head."""
        txt = self.relevance.text(question_ids(self.tok, [question]))
        if not learned:
            return self.relevance.logits(image_embeds, txt)[:, 0].numpy()
        u = F.normalize(image_embeds, dim=-1)
        v = F.normalize(txt, dim=-1).expand_as(u)
        return self.head(u, v).numpy()

    def _embed(self, ids, image):
        ids_t = torch.as_tensor(np.asarray(ids, np.int64))[None]
        emb = self.decoder.embed_tokens(ids_t)
        if image is not None and len(image):
            slots = ids_t == self.pb.image_id
            emb = emb.masked_scatter(slots[..., None], torch.as_tensor(image, dtype=torch.float32))
        return emb

    def _step(self, emb, past, past_len):
        s = emb.shape[1]
        mask = torch.ones(1, past_len + s, dtype=torch.long)
        pos = torch.arange(past_len, past_len + s)[None]
        return self.decoder(emb, mask, pos, past)

    def _empty_past(self):
        c = self.decoder.config
        z = torch.zeros(1, c.num_key_value_heads, 0, c.head_dim)
        return [(z, z) for _ in range(c.num_hidden_layers)]

    @torch.no_grad()
    def prefill_video(self, kept, times, duration):
        """KV cache after the video part of the prompt (kept: per-frame arrays [k_i, D])."""
        ids = self.pb.video_ids(times, duration, [len(k) for k in kept])
        nonempty = [k for k in kept if len(k)]
        image = np.concatenate(nonempty) if nonempty else None
        _, past = self._step(self._embed(ids, image), self._empty_past(), 0)
        return past, len(ids)

    @torch.no_grad()
    def answer_from(self, past, past_len, question, max_tokens=6):
        """Greedy answer to `question` continuing from a video's KV cache."""
        ids = self.pb.question_ids(question)
        logits, past = self._step(self._embed(ids, None), past, past_len)
        past_len += len(ids)
        out = []
        for _ in range(max_tokens):
            nxt = int(logits[0, -1].argmax())
            if nxt == self.pb.eou_id:
                break
            out.append(nxt)
            logits, past = self._step(self._embed([nxt], None), past, past_len)
            past_len += 1
        return self.tok.decode(out).strip()

    def answer(self, kept, times, duration, question):
        past, n = self.prefill_video(kept, times, duration)
        return self.answer_from(past, n, question)
