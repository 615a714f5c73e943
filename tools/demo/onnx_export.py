"""ONNX (opset 17) export of the trained demo models with the real models' tensor contracts.

VLM: vision_encoder (pixel_values, pixel_attention_mask -> image_features), embed_tokens
(input_ids -> inputs_embeds), decoder_model_merged (inputs_embeds, attention_mask,
position_ids, past_key_values.{i}.key|value -> logits, present.{i}.key|value).
Relevance: vision_model (pixel_values -> image_embeds), text_model (input_ids -> text_embeds).
Each export also returns a reference input/output pair (numpy) for the parity check in Node.
"""

import torch
import torch.nn as nn

OPSET = 17


class _Embed(nn.Module):
    def __init__(self, decoder):
        super().__init__()
        self.embed = decoder.embed_tokens

    def forward(self, input_ids):
        return self.embed(input_ids)


class _DecoderStep(nn.Module):
    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, inputs_embeds, attention_mask, position_ids, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(len(flat_past) // 2)]
        logits, presents = self.decoder(inputs_embeds, attention_mask, position_ids, past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def _export(module, args, path, inputs, outputs, axes):
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
        ref = module(*args)
    ref = ref if isinstance(ref, tuple) else (ref,)
    feeds = {n: a.numpy() for n, a in zip(inputs, args)}
    return feeds, {n: r.numpy() for n, r in zip(outputs, ref)}


def export_vision(vision, path, images=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    s = vision.image_size
    pixels = torch.rand(1, images, 3, s, s, generator=g) * 2 - 1
    mask = torch.ones(1, images, s, s, dtype=torch.bool)
    mask[0, -1, :, s - 16 :] = False
    return _export(vision, (pixels, mask), path, ["pixel_values", "pixel_attention_mask"],
                   ["image_features"],
                   {"pixel_values": {0: "batch", 1: "images"},
                    "pixel_attention_mask": {0: "batch", 1: "images"},
                    "image_features": {0: "images"}})


def export_embed(decoder, path):
    ids = torch.tensor([[1, 5, 7, 300, 2]], dtype=torch.long)
    return _export(_Embed(decoder), (ids,), path, ["input_ids"], ["inputs_embeds"],
                   {"input_ids": {0: "batch", 1: "sequence"},
                    "inputs_embeds": {0: "batch", 1: "sequence"}})


def export_decoder(decoder, path, past_len=3, seq=4, seed=0):
    c = decoder.config
    g = torch.Generator().manual_seed(seed)
    emb = torch.randn(1, seq, c.hidden_size, generator=g) * 0.5
    mask = torch.ones(1, past_len + seq, dtype=torch.long)
    pos = torch.arange(past_len, past_len + seq)[None]
    flat, names_in, names_out = [], [], ["logits"]
    axes = {"inputs_embeds": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "total_sequence"},
            "position_ids": {0: "batch", 1: "sequence"},
            "logits": {0: "batch", 1: "sequence"}}
    for i in range(c.num_hidden_layers):
        for kind in ("key", "value"):
            flat.append(torch.randn(1, c.num_key_value_heads, past_len, c.head_dim, generator=g))
            n_in, n_out = f"past_key_values.{i}.{kind}", f"present.{i}.{kind}"
            names_in.append(n_in)
            names_out.append(n_out)
            axes[n_in] = {0: "batch", 2: "past_sequence"}
            axes[n_out] = {0: "batch", 2: "total_sequence"}
    return _export(_DecoderStep(decoder), (emb, mask, pos, *flat), path,
                   ["inputs_embeds", "attention_mask", "position_ids", *names_in], names_out, axes)


class _Tower(nn.Module):
    def __init__(self, tower):
        super().__init__()
        self.tower = tower

    def forward(self, x):
        return self.tower(x)


def export_relevance_vision(model, path, seed=0):
    g = torch.Generator().manual_seed(seed)
    pixels = torch.rand(2, 3, 128, 128, generator=g) * 2 - 1
    return _export(_Tower(model.image), (pixels,), path, ["pixel_values"], ["image_embeds"],
                   {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})


def export_relevance_text(model, path, ids):
    return _export(_Tower(model.text), (ids,), path, ["input_ids"], ["text_embeds"],
                   {"input_ids": {0: "batch"}, "text_embeds": {0: "batch"}})
