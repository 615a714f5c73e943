"""The demo VLM's language model: a small Llama-style decoder (RMSNorm, RoPE, GQA, SwiGLU,
tied embeddings) with the real decoder's KV-cache interface.

forward(inputs_embeds, attention_mask, position_ids, past) -> (logits, presents), keys stored
after RoPE, caches [batch, kv_heads, past, head_dim] as in MODELS.md. Training may pass an
explicit boolean attention matrix (`allowed`) instead, to pack several questions after one
video prefix. Knows nothing of vision or prompts.
"""

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class DecoderConfig:
    vocab_size: int = 512
    hidden_size: int = 128
    num_hidden_layers: int = 3
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 32
    # RoPE on the first `rotary_dim` dims of each head only (the rest are position-free, so
    # content lookups do not depend on distance and carry over to longer prompts)
    rotary_dim: int = 8
    intermediate_size: int = 192
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    max_position_embeddings: int = 8192

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(var + self.eps) * self.weight


def rope(x, position_ids, theta, rotary_dim):
    """Rotary embedding (half-split, as Llama) of the first rotary_dim dims of x [B, H, S, hd]
    at positions [B, S]; the other dims pass unchanged."""
    rd = rotary_dim
    inv = 1.0 / (theta ** (torch.arange(0, rd, 2, dtype=torch.float32) / rd))
    ang = position_ids.to(torch.float32)[:, None, :, None] * inv[None, None, None, :]
    cos, sin = torch.cos(ang), torch.sin(ang)
    x1, x2, rest = x[..., : rd // 2], x[..., rd // 2 : rd], x[..., rd:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin, rest], dim=-1)


class Attention(nn.Module):
    def __init__(self, c: DecoderConfig):
        super().__init__()
        self.c = c
        hd = c.head_dim
        self.q_proj = nn.Linear(c.hidden_size, c.num_attention_heads * hd, bias=False)
        self.k_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * hd, bias=False)
        self.v_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * hd, bias=False)
        self.o_proj = nn.Linear(c.num_attention_heads * hd, c.hidden_size, bias=False)

    def forward(self, x, position_ids, masked, past_k=None, past_v=None, probe=None):
        """masked: bool [B, 1, S, P+S], True where a query must not see a key. `probe`
        (training only): (batch rows, query positions) whose attention rows are kept in
        self.probed [n, heads, P+S]."""
        b, s, _ = x.shape
        c, hd = self.c, self.c.head_dim
        q = self.q_proj(x).view(b, s, c.num_attention_heads, hd).transpose(1, 2)
        k = self.k_proj(x).view(b, s, c.num_key_value_heads, hd).transpose(1, 2)
        v = self.v_proj(x).view(b, s, c.num_key_value_heads, hd).transpose(1, 2)
        q = rope(q, position_ids, c.rope_theta, c.rotary_dim) * (1.0 / math.sqrt(hd))
        k = rope(k, position_ids, c.rope_theta, c.rotary_dim)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        rep = c.num_attention_heads // c.num_key_value_heads
        # grouped queries: [B, KV, rep*S, hd] against [B, KV, P+S, hd]
        qg = q.reshape(b, c.num_key_value_heads, rep * s, hd)
        att = torch.matmul(qg, k.transpose(-1, -2)).view(b, c.num_attention_heads, s, -1)
        att = torch.softmax(att.masked_fill(masked, -1e9), dim=-1)
        if probe is not None:
            self.probed = att[probe[0], :, probe[1]]
        att = att.view(b, c.num_key_value_heads, rep * s, -1)
        out = torch.matmul(att, v).view(b, c.num_attention_heads, s, hd)
        out = out.transpose(1, 2).reshape(b, s, -1)
        return self.o_proj(out), k, v


class Block(nn.Module):
    def __init__(self, c: DecoderConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x, position_ids, masked, past_k=None, past_v=None, probe=None):
        h, k, v = self.self_attn(self.input_layernorm(x), position_ids, masked, past_k, past_v,
                                 probe)
        x = x + h
        y = self.post_attention_layernorm(x)
        x = x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))
        return x, k, v


class Decoder(nn.Module):
    def __init__(self, c: DecoderConfig):
        super().__init__()
        self.config = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList([Block(c) for _ in range(c.num_hidden_layers)])
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        # training only (never exported): read what the retrieval brought, per attribute
        self.aux = nn.ModuleList([nn.Linear(c.hidden_size, n) for n in (6, 6, 4, 5)])

    def logits(self, h):
        return F.linear(self.norm(h), self.embed_tokens.weight)

    def forward_train(self, inputs_embeds, position_ids, allowed, at=None, probe=None):
        """allowed: bool [B, S, S] (query, key). Returns logits [B, S, V], or only at the
        positions where the bool mask `at` [B, S] is set ([n, V]). `probe`: {layer: (batch
        rows, query positions)} whose attention rows are kept in
        self.layers[layer].self_attn.probed."""
        masked = ~allowed[:, None]
        h = inputs_embeds
        probe = probe or {}
        self.probed_h = {}
        for i, layer in enumerate(self.layers):
            h, _, _ = layer(h, position_ids, masked, probe=probe.get(i))
            if i in probe:
                self.probed_h[i] = h[probe[i][0], probe[i][1]]
        return self.logits(h if at is None else h[at])

    def forward(self, inputs_embeds, attention_mask, position_ids, past):
        """The contract's step: past is a list of (key, value); returns logits, presents."""
        b, s, _ = inputs_embeds.shape
        total = attention_mask.shape[1]
        past_len = total - s
        qpos = torch.arange(s)[:, None] + past_len
        kpos = torch.arange(total)[None, :]
        causal = kpos <= qpos
        allowed = causal[None] & (attention_mask[:, None, :] > 0)
        masked = ~allowed[:, None]
        h = inputs_embeds
        presents = []
        for layer, (pk, pv) in zip(self.layers, past):
            h, k, v = layer(h, position_ids, masked, pk, pv)
            presents.append((k, v))
        return self.logits(h), presents
