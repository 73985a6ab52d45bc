#!/usr/bin/env python3
"""A tiny OpenVLA-layout checkpoint and the reference pipeline's outputs on it.

Builds a whole OpenVLA model with OpenVLA's own Hugging Face code
(`prismatic/extern/hf/{configuration,modeling,processing}_prismatic.py` from a checkout of
https://github.com/openvla/openvla, loaded from OPENVLA_SRC, never copied here) at a tiny
size, with random weights, and records what `OpenVLAForActionPrediction.predict_action`
and `PrismaticProcessor` produce for a few images and instructions. SwiftVLA's
`VLAPolicy` must reproduce the tokens and actions exactly, and features/logits to 1e-4.

Architecture: the real `dinosiglip-vit-so-224px` fused backbone (DINOv2 with 4 registers
+ SigLIP, features from the second-to-last block, concatenated), the fused GELU-MLP
projector, a Llama-2 decoder with a 32000-token base vocabulary padded to 32064 — only
shrunk (timm.create_model gets smaller embed_dim/depth/heads; image 56x56, patch 14).
The vocabulary keeps Llama-2's full size because predict_action appends token id 29871
(SentencePiece's "▁") literally; the tokenizer is Tests/Fixtures/tokenizers/llama2 with
its ids laid out like Llama-2's ("▁" = 29871, <PAD> = 32000) and filler tokens between.

The tiny backbones' sizes are written to config.json as `timm_model_args` (SwiftVLA's
extension, the keyword arguments given to timm.create_model; real OpenVLA checkpoints
imply them by their timm model ids).

Needs OpenVLA's pinned stack in its own venv (its code predates transformers 5):
    python3 -m venv .venv-openvla
    .venv-openvla/bin/pip install torch==2.2.2 transformers==4.40.1 timm==0.9.10 tokenizers==0.19.1 "numpy<2" safetensors pillow
    OPENVLA_SRC=/path/to/openvla .venv-openvla/bin/python Models/tools/make_openvla_fixture.py

Writes Tests/Fixtures/openvla/tiny/ (the model folder) and
Tests/Fixtures/openvla/reference.safetensors + cases.json.
"""
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
SRC = Path(os.environ.get("OPENVLA_SRC", "openvla"))
OUT = ROOT / "Tests/Fixtures/openvla"
MODEL = OUT / "tiny"
SEED = 20260

# The two backbones, shrunk. Keys are timm VisionTransformer arguments.
DINO = dict(embed_dim=48, depth=3, num_heads=3, mlp_ratio=2.0)
SIGLIP = dict(embed_dim=32, depth=3, num_heads=2, mlp_ratio=2.0)
IMAGE = 56


def load_openvla_hf():
    pkg_dir = SRC / "prismatic/extern/hf"
    if not (pkg_dir / "modeling_prismatic.py").exists():
        sys.exit(f"set OPENVLA_SRC to a checkout of openvla/openvla (tried {SRC})")
    spec = importlib.util.spec_from_file_location("openvla_hf", pkg_dir / "__init__.py",
                                                  submodule_search_locations=[str(pkg_dir)])
    pkg = importlib.util.module_from_spec(spec)
    sys.modules["openvla_hf"] = pkg
    spec.loader.exec_module(pkg)
    mods = {}
    for name in ["configuration_prismatic", "modeling_prismatic", "processing_prismatic"]:
        s = importlib.util.spec_from_file_location(f"openvla_hf.{name}", pkg_dir / f"{name}.py")
        m = importlib.util.module_from_spec(s)
        sys.modules[f"openvla_hf.{name}"] = m
        s.loader.exec_module(m)
        mods[name] = m
    return mods


def shrink_timm():
    import timm
    original = timm.create_model

    def create(name, **kwargs):
        extra = DINO if "dinov2" in name else SIGLIP
        return original(name, **{**kwargs, **extra})

    timm.create_model = create
    return original


def llama2_layout_tokenizer():
    """The llama2 fixture tokenizer re-laid to Llama-2's ids: base vocab 32000, "▁" = 29871, <PAD> = 32000."""
    src = json.loads((ROOT / "Tests/Fixtures/tokenizers/llama2/tokenizer.json").read_text())
    vocab = src["model"]["vocab"]
    pad = next(t for t in src["added_tokens"] if t["content"] == "<PAD>")
    tokens = sorted((i, t) for t, i in vocab.items() if t != "<PAD>")
    order = [t for _, t in tokens]
    order.remove("▁")
    while len(order) < 29871:
        order.append(f"<filler_{len(order)}>")
    order.insert(29871, "▁")
    while len(order) < 32000:
        order.append(f"<filler_{len(order)}>")
    new_vocab = {t: i for i, t in enumerate(order)}
    src["model"]["vocab"] = new_vocab
    for t in src["added_tokens"]:
        t["id"] = 32000 if t["content"] == "<PAD>" else new_vocab[t["content"]]
    pp = src.get("post_processor")
    if pp and "special_tokens" in pp:
        for k, v in pp["special_tokens"].items():
            v["ids"] = [new_vocab[x] for x in v["tokens"]]
    return src, pad


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    mods = load_openvla_hf()
    shrink_timm()
    OpenVLAConfig = mods["configuration_prismatic"].OpenVLAConfig
    OpenVLA = mods["modeling_prismatic"].OpenVLAForActionPrediction
    proc_mod = mods["processing_prismatic"]

    MODEL.mkdir(parents=True, exist_ok=True)
    tok_json, _ = llama2_layout_tokenizer()
    (MODEL / "tokenizer.json").write_text(json.dumps(tok_json, ensure_ascii=False))
    (MODEL / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<PAD>",
        "add_bos_token": True, "add_eos_token": False, "model_max_length": 2048,
        "tokenizer_class": "LlamaTokenizer", "padding_side": "right"}, indent=1))
    from transformers import PreTrainedTokenizerFast
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(MODEL / "tokenizer.json"),
                                        bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<PAD>")
    assert tokenizer.convert_tokens_to_ids("▁") == 29871 and tokenizer.vocab_size == 32000, tokenizer.vocab_size

    rng = np.random.default_rng(SEED)
    def stats(scale):
        q01 = (-scale * rng.uniform(0.5, 1.0, 7)).round(6).tolist()
        q99 = (scale * rng.uniform(0.5, 1.0, 7)).round(6).tolist()
        return {"action": {"q01": q01, "q99": q99, "mask": [True] * 6 + [False],
                           "mean": [0.0] * 7, "std": [1.0] * 7, "min": q01, "max": q99},
                "num_transitions": 1000, "num_trajectories": 10}
    norm_stats = {"sim_tabletop": stats(0.05), "sim_tabletop_fast": stats(0.2)}

    text_config = {"model_type": "llama", "vocab_size": 32064, "hidden_size": 32, "intermediate_size": 96,
                   "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4,
                   "max_position_embeddings": 256, "pad_token_id": 32000, "rms_norm_eps": 1e-6}
    config = OpenVLAConfig(
        vision_backbone_id="dinosiglip-vit-so-224px", llm_backbone_id="llama2-7b-pure",
        arch_specifier="no-align+fused-gelu-mlp", use_fused_vision_backbone=True,
        image_resize_strategy="resize-naive", text_config=text_config, llm_max_length=256,
        pad_token_id=32000, pad_to_multiple_of=64, norm_stats=norm_stats, n_action_bins=256,
        image_sizes=[IMAGE, IMAGE])
    model = OpenVLA(config).eval()
    # Random weights with enough spread that every part matters (LayerScale included:
    # timm initialises it to 1e-5, which would hide the blocks).
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("scale_factor"):
                p.copy_(torch.empty_like(p).uniform_(0.5, 1.5))
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "embed_tokens" in name or "lm_head" in name:
                p.copy_(0.5 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) / max(1.0, p.shape[-1] ** 0.5) * 1.5)
        # Favour the action tokens (the top 256 ids of the base vocabulary) so that most
        # greedy choices land inside the bins, as a trained policy's do, while some still
        # fall outside and exercise the reference's clipping.
        model.language_model.lm_head.weight[31744:32000] *= 1.6
        # The checkpoint is stored in bfloat16 (as OpenVLA's are) to stay small; the
        # reference runs in float32 on exactly those rounded values.
        for p in model.parameters():
            p.copy_(p.bfloat16().float())
    # The keyword arguments the shrunk towers were created with, in the order of timm_model_ids.
    model.config.timm_model_args = [dict(DINO), dict(SIGLIP)]
    # Save a bfloat16 copy: converting the model itself would also round buffers such as the
    # rotary inv_freq, which from_pretrained recomputes in float32.
    import copy
    copy.deepcopy(model).to(torch.bfloat16).save_pretrained(MODEL, safe_serialization=True)
    (MODEL / "dataset_statistics.json").write_text(json.dumps(norm_stats, indent=1))

    processor = proc_mod.PrismaticImageProcessor(
        use_fused_vision_backbone=True, image_resize_strategy="resize-naive",
        input_sizes=[(3, IMAGE, IMAGE)] * 2, interpolations=["bicubic", "bicubic"],
        means=[(0.485, 0.456, 0.406), (0.5, 0.5, 0.5)], stds=[(0.229, 0.224, 0.225), (0.5, 0.5, 0.5)])
    processor.save_pretrained(MODEL)

    # Images: coloured blocks on a table, drawn with numpy, saved as PNG for the Swift side.
    from PIL import Image
    images = []
    for k in range(2):
        img = np.full((96, 128, 3), (180, 160, 130), np.uint8)
        for j in range(3):
            x, y = rng.integers(5, 100), rng.integers(5, 70)
            img[y:y + 20, x:x + 20] = rng.integers(0, 256, 3)
        Image.fromarray(img).save(OUT / f"image{k}.png")
        images.append(Image.fromarray(img))

    instructions = ["Put the red block in the bowl", "pick up the green cup", "push the blue cube left"]
    tensors, cases = {}, []
    from safetensors.torch import save_file
    for ci, (ii, text, key) in enumerate([(0, instructions[0], "sim_tabletop"), (1, instructions[1], "sim_tabletop_fast"),
                                          (0, instructions[2], "sim_tabletop_fast")]):
        prompt = f"In: What action should the robot take to {text.lower()}?\nOut:"
        input_ids = tokenizer(prompt, return_tensors="pt").input_ids
        pixel_values = processor(images[ii], return_tensors="pt")["pixel_values"].float()
        with torch.no_grad():
            actions = model.predict_action(input_ids=input_ids, pixel_values=pixel_values, unnorm_key=key, do_sample=False)
            ids = input_ids if input_ids[0, -1] == 29871 else torch.cat([input_ids, torch.tensor([[29871]])], dim=1)
            gen = model.generate(ids, pixel_values=pixel_values, max_new_tokens=7, do_sample=False,
                                 output_scores=True, return_dict_in_generate=True)
            margins = [float(t[0] - t[1]) for t in (torch.topk(sc[0], 2).values for sc in gen.scores)]
            gen = gen.sequences
            out = model(input_ids=ids, pixel_values=pixel_values, output_projector_features=True)
        tokens = gen[0, -7:]
        tensors[f"case{ci}.pixel_values"] = pixel_values.contiguous()
        tensors[f"case{ci}.input_ids"] = ids[0].contiguous()
        tensors[f"case{ci}.action_tokens"] = tokens.contiguous()
        tensors[f"case{ci}.actions"] = torch.tensor(actions, dtype=torch.float64)
        tensors[f"case{ci}.projector_features"] = out.projector_features[0].float().contiguous()
        tensors[f"case{ci}.last_logits"] = out.logits[0, -1].float().contiguous()
        top2 = torch.topk(out.logits[0, -1], 2).values
        cases.append({"case": ci, "image": f"image{ii}.png", "instruction": text, "unnorm_key": key,
                      "prompt": prompt, "input_ids": ids[0].tolist(), "action_tokens": tokens.tolist(),
                      "actions": np.asarray(actions).tolist(), "first_step_top2_margin": float(top2[0] - top2[1]),
                      "min_top2_margin_over_steps": min(margins)})
    save_file(tensors, str(OUT / "reference.safetensors"), metadata={"format": "pt"})
    (OUT / "cases.json").write_text(json.dumps({"generator": "Models/tools/make_openvla_fixture.py",
                                                "cases": cases}, indent=1) + "\n")
    for c in cases:
        print(c["instruction"], c["action_tokens"], np.round(c["actions"], 4).tolist(), "min margin", round(c["min_top2_margin_over_steps"], 3))


if __name__ == "__main__":
    main()
