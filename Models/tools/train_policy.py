#!/usr/bin/env python3
"""Train a small OpenVLA-layout policy on SwiftVLA simulator demonstrations (work in progress).

Reads episodes in SwiftVLA's native format (Models/tools/read_episode.py), trains a tiny
model in the family the Swift runtime loads — a timm SigLIP-style ViT tower (features of
its second-to-last block, as Prismatic), the Prismatic GELU-MLP projector and a Llama
decoder — on OpenVLA's action tokens (256 bins over [-1, 1], token = 32000 − bin, actions
normalised with per-dimension q01/q99, the gripper left raw), and writes a complete
OpenVLA-layout folder that `VLAPolicy` / `vla run` / `vla eval` load.

    vla record --task reach --count 200 --seed 1 --fast --episodes /tmp/demos
    /work/venv/bin/python Models/tools/train_policy.py --episodes /tmp/demos --out /tmp/policy --minutes 8
    vla eval --model /tmp/policy --episodes 20 --seed 100000 --task reach

Requirements: Models/tools/requirements.txt (torch, transformers, timm, tokenizers, pillow).
"""
import argparse
import glob
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from read_episode import Episode  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZER_DIR = os.path.join(ROOT, "Models/tiny-random-openvla")
BASE_VOCAB, PAD, BINS, SPACE = 32000, 64, 256, 29871
IMAGE = 56
VISION = dict(embed_dim=64, depth=3, num_heads=2, mlp_ratio=2.0)
TEXT = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4)


def preprocess(bgr):
    """BGR frame → normalised [3, 56, 56] planes: PIL bicubic resize, SigLIP mean/std 0.5 (as VLAPolicy)."""
    rgb = Image.fromarray(np.ascontiguousarray(bgr[..., ::-1]))
    small = np.asarray(rgb.resize((IMAGE, IMAGE), Image.BICUBIC), dtype=np.float32) / 255.0
    return torch.from_numpy(((small - 0.5) / 0.5).transpose(2, 0, 1).copy())


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        import timm
        from transformers import LlamaConfig, LlamaForCausalLM
        self.featurizer = timm.create_model("vit_so400m_patch14_siglip_224", pretrained=False, num_classes=0,
                                            img_size=IMAGE, **VISION)
        d, h = VISION["embed_dim"], TEXT["hidden_size"]
        self.fc1, self.fc2 = nn.Linear(d, h), nn.Linear(h, h)
        self.lm = LlamaForCausalLM(LlamaConfig(vocab_size=BASE_VOCAB + PAD, max_position_embeddings=256,
                                               rms_norm_eps=1e-6, tie_word_embeddings=False, **TEXT))

    def patches(self, pixels):
        # Prismatic: get_intermediate_layers(n={len(blocks) - 2}): the second-to-last block, no norm.
        feats = self.featurizer.get_intermediate_layers(pixels, n={len(self.featurizer.blocks) - 2})[0]
        return self.fc2(nn.functional.gelu(self.fc1(feats)))

    def forward(self, pixels, prompt_ids, action_ids):
        emb = self.lm.get_input_embeddings()
        p = self.patches(pixels)
        text = emb(prompt_ids)
        acts = emb(action_ids[:, :-1])
        x = torch.cat([text[:, :1], p, text[:, 1:], acts], dim=1)
        logits = self.lm(inputs_embeds=x).logits
        # [BOS, P patches, T-1 prompt tokens, A-1 action tokens]: the last prompt token (index
        # P + T - 1) predicts action 0, and action k is predicted k positions later.
        start = p.shape[1] + prompt_ids.shape[1] - 1
        return logits[:, start:start + action_ids.shape[1]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 2)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(TOKENIZER_DIR, "tokenizer.json"))

    frames, prompts, actions = [], [], []
    for path in sorted(glob.glob(os.path.join(args.episodes, "*"))):
        ep = Episode(path)
        text = f"In: What action should the robot take to {ep.meta['instruction'].lower()}?\nOut:"
        ids = tok.encode(text).ids
        if ids[-1] != SPACE:
            ids.append(SPACE)
        acts = ep.actions()
        for i in range(len(acts)):
            frames.append(preprocess(ep.frame(i)))
            prompts.append(ids)
            actions.append(acts[i])
    actions = np.array(actions)
    q01, q99 = np.quantile(actions, 0.01, axis=0), np.quantile(actions, 0.99, axis=0)
    mask = np.array([True] * 6 + [False])
    rng_ = np.where(q99 - q01 == 0, 1, q99 - q01)
    norm = np.where(mask, np.clip(2 * (actions - q01) / rng_ - 1, -1, 1), actions)
    norm = np.where(mask & (q99 - q01 == 0), 0, norm)
    edges = np.linspace(-1, 1, BINS)
    tokens = BASE_VOCAB - np.digitize(np.clip(norm, -1, 1), edges)
    print(f"{len(frames)} samples from {len(glob.glob(os.path.join(args.episodes, '*')))} episodes")

    model = Policy()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    pixels = torch.stack(frames)
    order = np.arange(len(frames))
    start, step = time.time(), 0
    while time.time() - start < args.minutes * 60:
        np.random.shuffle(order)
        for b in range(0, len(order), args.batch):
            idx = order[b:b + args.batch]
            # Prompts differ in length: group the batch by prompt length (pad-free).
            by_len = {}
            for i in idx:
                by_len.setdefault(len(prompts[i]), []).append(i)
            loss_total, n = 0.0, 0
            opt.zero_grad()
            for length, group in by_len.items():
                p_ids = torch.tensor([prompts[i] for i in group])
                a_ids = torch.tensor(tokens[group])
                logits = model(pixels[group], p_ids, a_ids)
                loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), a_ids.reshape(-1)) * len(group) / len(idx)
                loss.backward()
                loss_total += loss.item()
            opt.step()
            step += 1
            if step % 20 == 0:
                print(f"step {step}  {time.time() - start:5.0f}s  loss {loss_total:.3f}", flush=True)
            if time.time() - start > args.minutes * 60:
                break
    export(model, args.out, q01, q99, mask, tok)


def export(model, out, q01, q99, mask, tok):
    from safetensors.torch import save_file
    os.makedirs(out, exist_ok=True)
    sd = {}
    for k, v in model.featurizer.state_dict().items():
        sd["vision_backbone.featurizer." + k] = v
    for k, v in [("fc1", model.fc1), ("fc2", model.fc2)]:
        sd[f"projector.{k}.weight"], sd[f"projector.{k}.bias"] = v.weight, v.bias
    for k, v in model.lm.state_dict().items():
        if "rotary_emb" not in k:
            sd["language_model." + k] = v
    save_file({k: v.detach().contiguous().float() for k, v in sd.items()}, os.path.join(out, "model.safetensors"),
              metadata={"format": "pt"})
    stats = {"sim_tabletop": {"action": {"q01": q01.tolist(), "q99": q99.tolist(), "mask": mask.tolist()}}}
    config = {
        "model_type": "openvla", "architectures": ["OpenVLAForActionPrediction"],
        "vision_backbone_id": "siglip-vit-so400m", "llm_backbone_id": "llama2-7b-pure",
        "arch_specifier": "no-align+gelu-mlp", "use_fused_vision_backbone": False,
        "timm_model_ids": ["vit_so400m_patch14_siglip_224"], "timm_override_act_layers": [None],
        "timm_model_args": [VISION], "image_sizes": [IMAGE], "image_resize_strategy": "resize-naive",
        "pad_token_id": BASE_VOCAB, "pad_to_multiple_of": PAD, "n_action_bins": BINS, "control_frequency": 10,
        "text_config": {"model_type": "llama", "vocab_size": BASE_VOCAB + PAD, "max_position_embeddings": 256,
                        "rms_norm_eps": 1e-6, **TEXT},
        "norm_stats": stats,
    }
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=1)
    json.dump(stats, open(os.path.join(out, "dataset_statistics.json"), "w"), indent=1)
    for f in ["tokenizer.json", "tokenizer_config.json"]:
        with open(os.path.join(TOKENIZER_DIR, f)) as src, open(os.path.join(out, f), "w") as dst:
            dst.write(src.read())
    json.dump({"image_resize_strategy": "resize-naive", "interpolations": ["bicubic"], "means": [[0.5, 0.5, 0.5]],
               "stds": [[0.5, 0.5, 0.5]], "input_sizes": [[3, IMAGE, IMAGE]]},
              open(os.path.join(out, "preprocessor_config.json"), "w"), indent=1)
    print("wrote", out)


if __name__ == "__main__":
    main()
