"""Write the trained demo models as model packages the app loads (public/models/demo-*).

    /usr/bin/python3 tools/demo/package.py

needs .cache/{tokenizer.json, vision.pt, vlm.pt, relevance.pt, head.pt} (the train_*.py
scripts) and writes, with the real models' file layout and ONNX contracts (MODELS.md):

  public/models/demo-vlm/        onnx/{vision_encoder, embed_tokens, decoder_model_merged}.onnx,
                                 config.json, generation_config.json, preprocessor_config.json,
                                 tokenizer.json, tokenizer_config.json, chat_template.json,
                                 special_tokens_map.json
  public/models/demo-relevance/  onnx/{text_model, vision_model}.onnx (last_hidden_state,
                                 pooler_output), config.json (logit scale and bias),
                                 preprocessor_config.json, tokenizer.json, tokenizer_config.json,
                                 predictor_head.safetensors (the learned head of issue 3)

and .cache/parity.json: feeds and torch outputs of every exported model, which
`node tools/demo/verify_onnx.mjs tools/demo/.cache/parity.json` checks in ONNX Runtime Web.
"""

import json
import os
import shutil

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import parity
from common import ckpt_path, load, log
from decoder_model import Decoder, DecoderConfig
from demo_tokenizer import load as load_tokenizer
from onnx_export import export_decoder, export_embed, export_vision, _export
from paths import REPO
from relevance_data import PAD_TOKEN, question_ids
from relevance_model import IMAGE_SIZE, TEXT_WINDOW, DualEncoder, PredictorHead
from safetensors_min import write as write_safetensors
from vision_model import GRID, VisionEncoder

OUT = os.path.join(REPO, "public", "models")

# SmolVLM2's chat template (the fixture's, from the real chat_template.json)
CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}"
    "{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{ line['text'] }}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}"
    "<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)


class _ImageTower(nn.Module):
    """SigLIP vision tower outputs: last_hidden_state (the trunk's grid) and pooler_output."""

    def __init__(self, tower):
        super().__init__()
        self.tower = tower

    def forward(self, pixel_values):
        x = F.gelu(self.tower.trunk(pixel_values))
        pooled = torch.cat([x.amax(dim=(2, 3)), x.mean(dim=(2, 3))], dim=1)
        return x.flatten(2).transpose(1, 2), self.tower.proj(pooled)


class _TextTower(nn.Module):
    """SigLIP text tower outputs: last_hidden_state and pooler_output."""

    def __init__(self, tower):
        super().__init__()
        self.tower = tower

    def forward(self, input_ids):
        t = self.tower
        h = t.tok(input_ids) + t.pos[: input_ids.shape[1]]
        for block in t.blocks:
            h = block(h)
        h = t.norm(h)
        return h, t.proj(h.mean(dim=1))


def _rel(path):
    """A model's path as the parity file (in the cache folder) names it."""
    return os.path.relpath(path, os.path.dirname(ckpt_path("parity.json")))


def _fresh(folder):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(os.path.join(folder, "onnx"))


def _write_json(folder, files):
    for name, value in files.items():
        with open(os.path.join(folder, name), "w") as f:
            json.dump(value, f, indent=1, ensure_ascii=False)
            f.write("\n")


def package_vlm(tok, cases):
    folder = os.path.join(OUT, "demo-vlm")
    _fresh(folder)
    vision = VisionEncoder()
    vision.load_state_dict(load("vision.pt")["state"])
    vision.eval()
    ck = load("vlm.pt")
    config = DecoderConfig(**ck["config"])
    decoder = Decoder(config)
    decoder.load_state_dict(ck["decoder"])
    decoder.eval()
    onnx = os.path.join(folder, "onnx")
    for name, (feeds, expected) in {
        "vision_encoder": export_vision(vision, os.path.join(onnx, "vision_encoder.onnx")),
        "embed_tokens": export_embed(decoder, os.path.join(onnx, "embed_tokens.onnx")),
        "decoder_model_merged": export_decoder(decoder, os.path.join(onnx, "decoder_model_merged.onnx")),
    }.items():
        cases.append(parity.case(name, _rel(os.path.join(onnx, f"{name}.onnx")), feeds,
                                 expected))
    sp = tok.special
    c = config
    _write_json(folder, {
        "config.json": {
            "model_type": "smolvlm",
            "image_token_id": sp["<image>"],
            "text_config": {
                "hidden_size": c.hidden_size, "num_hidden_layers": c.num_hidden_layers,
                "num_attention_heads": c.num_attention_heads,
                "num_key_value_heads": c.num_key_value_heads, "head_dim": c.head_dim,
                "intermediate_size": c.intermediate_size, "vocab_size": c.vocab_size,
                "rope_theta": c.rope_theta, "rms_norm_eps": c.rms_norm_eps,
                "partial_rotary_dim": c.rotary_dim,
                "bos_token_id": sp["<|im_start|>"], "eos_token_id": sp["<end_of_utterance>"],
                "pad_token_id": sp[PAD_TOKEN],
            },
            "vision_config": {"image_size": vision.image_size, "tokens_per_image": GRID * GRID,
                              "grid": [GRID, GRID]},
        },
        "generation_config.json": {"eos_token_id": [sp["<end_of_utterance>"]],
                                   "pad_token_id": sp[PAD_TOKEN]},
        "preprocessor_config.json": {
            "do_resize": True, "size": {"longest_edge": vision.image_size}, "do_rescale": True,
            "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5] * 3,
            "image_std": [0.5] * 3, "do_pad": True,
        },
        "tokenizer.json": tok.tokenizer_json(),
        "tokenizer_config.json": {
            "model_max_length": 8192, "pad_token": PAD_TOKEN, "eos_token": "<end_of_utterance>",
            "bos_token": "<|im_start|>", "clean_up_tokenization_spaces": False,
        },
        "chat_template.json": {"chat_template": CHAT_TEMPLATE},
        "special_tokens_map.json": {
            "pad_token": PAD_TOKEN, "eos_token": "<end_of_utterance>",
            "additional_special_tokens": ["<fake_token_around_image>", "<image>", "<global-img>",
                                          "<end_of_utterance>"],
        },
    })
    return {"hidden": c.hidden_size, "layers": c.num_hidden_layers, "heads": c.num_attention_heads,
            "kvHeads": c.num_key_value_heads, "headDim": c.head_dim,
            "intermediate": c.intermediate_size, "vocab": c.vocab_size,
            "eos": sp["<end_of_utterance>"], "pad": sp[PAD_TOKEN], "image": sp["<image>"]}


def package_relevance(tok, cases):
    folder = os.path.join(OUT, "demo-relevance")
    _fresh(folder)
    rel = load("relevance.pt")
    model = DualEncoder(rel["vocab"])
    model.load_state_dict(rel["state"])
    model.eval()
    onnx = os.path.join(folder, "onnx")
    g = torch.Generator().manual_seed(0)
    pixels = torch.rand(2, 3, IMAGE_SIZE, IMAGE_SIZE, generator=g) * 2 - 1
    feeds, expected = _export(_ImageTower(model.image), (pixels,), os.path.join(onnx, "vision_model.onnx"),
                              ["pixel_values"], ["last_hidden_state", "pooler_output"],
                              {"pixel_values": {0: "batch"}, "last_hidden_state": {0: "batch"},
                               "pooler_output": {0: "batch"}})
    cases.append(parity.case("relevance vision_model", _rel(os.path.join(onnx, "vision_model.onnx")),
                             feeds, expected))
    ids = question_ids(tok, ["What colour was the star?", "How many circles appeared?"])
    feeds, expected = _export(_TextTower(model.text), (ids,), os.path.join(onnx, "text_model.onnx"),
                              ["input_ids"], ["last_hidden_state", "pooler_output"],
                              {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"},
                               "pooler_output": {0: "batch"}})
    cases.append(parity.case("relevance text_model", _rel(os.path.join(onnx, "text_model.onnx")),
                             feeds, expected))
    h = load("head.pt")
    head = PredictorHead(**h["config"])
    head.load_state_dict(h["state"])
    write_safetensors(
        os.path.join(folder, "predictor_head.safetensors"),
        {"w1": head.fc1.weight.detach().numpy(), "b1": head.fc1.bias.detach().numpy(),
         "w2": head.fc2.weight.detach().numpy(), "b2": head.fc2.bias.detach().numpy()},
        {"activation": h["config"]["activation"]},
    )
    scale, bias = model.logit_scale.item(), model.logit_bias.item()
    embed = model.text.proj.out_features
    _write_json(folder, {
        "config.json": {
            "model_type": "siglip", "logit_scale": scale, "logit_bias": bias,
            "text_config": {"max_position_embeddings": TEXT_WINDOW, "pad_token_id": tok.special[PAD_TOKEN]},
            "vision_config": {"image_size": IMAGE_SIZE}, "projection_dim": embed,
        },
        "preprocessor_config.json": {
            "do_resize": True, "size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE}, "do_rescale": True,
            "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5] * 3,
            "image_std": [0.5] * 3,
        },
        "tokenizer.json": tok.tokenizer_json(),
        "tokenizer_config.json": {"model_max_length": TEXT_WINDOW, "pad_token": PAD_TOKEN,
                                  "clean_up_tokenization_spaces": False},
    })
    return {"logitScale": float(np.exp(scale)), "logitBias": bias, "embedDim": embed,
            "padToken": tok.special[PAD_TOKEN], "head": h["config"]}


def golden_prompts(tok):
    """Prompts as the demo was trained on them (ids from the Python builder), which the app's
    TypeScript builder (chat template + @huggingface/tokenizers) must reproduce exactly."""
    from prompt import PromptBuilder

    pb = PromptBuilder(tok)
    cases = []
    for question, times, duration, keep in [
        ("What colour was the triangle?", [0.5, 1.5, 2.5], 3.0, [2, 0, 3]),
        ("How many crosses appeared?", [i * 0.75 + 0.375 for i in range(32)], 24.125,
         [(7 * i) % 65 for i in range(32)]),
        ("Where in the frame did the star show up?", [65.0, 3599.0, 3725.5], 7322.0, [64, 1, 5]),
    ]:
        ids = pb.video_ids(times, duration, keep) + pb.question_ids(question)
        cases.append({"question": question, "times": times, "duration": duration, "keep": keep,
                      "text": pb.prompt_text(question, times, duration, keep), "ids": ids,
                      "answer": "red", "answer_ids": pb.answer_ids("red")})
    path = os.path.join(REPO, "tests", "fixtures", "demo-prompts.json")
    with open(path, "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")


def main():
    torch.manual_seed(0)
    tok = load_tokenizer()
    golden_prompts(tok)
    cases = []
    vlm = package_vlm(tok, cases)
    rel = package_relevance(tok, cases)
    parity.write(ckpt_path("parity.json"), cases)
    log("demo-vlm", vlm)
    log("demo-relevance", rel)
    log("registry constants above; parity cases in", ckpt_path("parity.json"))


if __name__ == "__main__":
    main()
