#!/usr/bin/env python3
"""Make the golden vision-encoder fixtures for SwiftVLA's Transformers target.

What it makes
-------------
Tiny, randomly initialised ViT image encoders built with the REAL reference
classes, and what those classes compute for one random image:

    Tests/Fixtures/vision/<case>/config.json            the model's configuration
    Tests/Fixtures/vision/<case>/model.safetensors      its weights
    Tests/Fixtures/vision/<case>/reference.safetensors  the expected numbers

Cases
-----
``siglip-hf``
    transformers ``SiglipVisionModel`` (hidden 56, 4 heads of 14, MLP 104,
    3 layers, patch 8, image 40 -> 25 patches, ``gelu_pytorch_tanh``), saved
    with ``save_pretrained``: its checkpoint also holds the attention-pooling
    ``head.*`` that VLAs do not use. Reference: ``pixel_values`` [1,3,40,40],
    ``hidden_states.0`` (embeddings) ... ``hidden_states.3`` (each layer's
    output) and ``last_hidden_state`` (post-layernorm), all [1, 25, 56].

``siglip-timm``
    timm ``vit_so400m_patch14_siglip_224`` (the SigLIP tower Prismatic and
    OpenVLA use) shrunk through ``timm.create_model`` keyword overrides
    (embed 48, depth 3, 3 heads, patch 8, image 24 -> 9 patches). Like the
    real model it has no class token, exact GELU (timm's registry gives this
    model no ``act_layer``, so ``nn.GELU``), and an attention-pooling
    ``attn_pool.*`` that Prismatic never runs. ``config.json`` is timm's hub
    format: ``{"architecture": ..., "model_args": {...}}``. Reference:
    ``hidden_states.N`` (N = 0 embeddings, then each block), ``last_hidden_state``
    (``forward_features``: after the final ``norm``) and ``prismatic_features``:
    ``get_intermediate_layers(x, n={depth - 2})[0]``, the second-to-last block's
    output without prefix tokens, exactly what Prismatic's featurizer returns.

``dinov2-timm``
    timm ``vit_large_patch14_reg4_dinov2`` shrunk the same way (embed 32,
    2 heads, depth 3, patch 8, image 24): a class token, 4 register tokens, ``no_embed_class``
    position embeddings (patches only; timm folds DINOv2's class position into
    ``cls_token``), LayerScale ``ls1.gamma``/``ls2.gamma``. Same reference tensors.

``prismatic-fused``
    An OpenVLA-layout vision stack: ``vision_backbone.featurizer.*`` (the
    DINOv2 case's architecture, LayerScale renamed to ``scale_factor`` as
    OpenVLA's ``ls_apply_patch`` stores it), ``vision_backbone.fused_featurizer.*``
    (the SigLIP case's architecture, with ``attn_pool``) and ``projector.fc1/2/3``
    (fused GELU MLP into a decoder width of 64). ``config.json`` follows OpenVLA's
    (``use_fused_vision_backbone``, ``image_sizes``, ``timm_model_ids``,
    ``timm_override_act_layers``, ``text_config.hidden_size``) plus
    ``timm_model_args``, a SwiftVLA extension listing the keyword overrides
    that shrink each timm model (absent in real checkpoints). Reference:
    ``pixel_values`` [1, 6, 24, 24] (DINOv2 planes, then SigLIP planes, as
    OpenVLA stacks them), ``featurizer_patches`` [1,9,32], ``fused_patches``
    [1,9,48], ``patch_features`` [1,9,80] and ``projected`` [1,9,64].

``prismatic-siglip``
    A single-backbone Prismatic stack (a depth-2 SigLIP, embed 32, so the
    features come from block 0) with the two-layer
    ``gelu-mlp`` projector (``projector.fc1``, ``projector.fc2``); pixel_values
    [1,3,24,24], ``patch_features`` [1,9,32] and ``projected`` [1,9,64].

The Prismatic forward pass is re-implemented here in a few lines of plain
torch instead of importing OpenVLA's ``modeling_prismatic.py`` (which pins
timm 0.9.x and transformers 4.40). The lines it follows, in
openvla/openvla ``prismatic/extern/hf/modeling_prismatic.py``:

* ``PrismaticVisionBackbone.__init__``: each featurizer's ``forward`` is
  ``get_intermediate_layers(n={len(blocks) - 2})`` unpacked to its one output
  (the second-to-last block, no final norm, prefix tokens dropped);
  every timm ``LayerScale`` is patched so its parameter is ``scale_factor``
  (a clone of ``gamma``), because HF renames parameters named ``gamma``.
* ``PrismaticVisionBackbone.forward``: ``torch.split(pixel_values, [3, 3], dim=1)``,
  featurizer on the first three planes, fused featurizer on the last three,
  ``torch.cat([patches, patches_fused], dim=2)``.
* ``PrismaticProjector``: fused: ``fc1`` (D -> 4D), GELU, ``fc2`` (4D -> llm),
  GELU, ``fc3`` (llm -> llm); single: ``fc1`` (D -> llm), GELU, ``fc2``
  (llm -> llm). ``nn.GELU()``: exact erf GELU.

Checks made
-----------
* every reloaded checkpoint (``from_pretrained``, ``load_state_dict`` from the
  safetensors file) reproduces the reference tensors bit for bit;
* timm's ``get_intermediate_layers`` output equals our manual block loop's
  ``hidden_states[depth - 1]`` without prefix tokens, and
  ``forward_features`` equals ``norm(hidden_states[depth])``;
* the patched ``scale_factor`` model computes what the ``gamma`` model does;
* every reference tensor is O(1): max |x| between 0.3 and 100.

How to run it (from the repository root)
----------------------------------------
    .venv/bin/pip install -r Models/tools/requirements.txt timm==1.0.31 torchvision==0.29.2
    .venv/bin/python Models/tools/make_vision_fixtures.py [--out DIR]

Deterministic: one CPU thread, fixed seeds, our own initialisation; re-running
gives identical numbers with the pinned versions (transformers 5.24.0,
torch 2.15.0, timm 1.0.31).
"""
import argparse
import json
import math
import os
import shutil

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

import timm  # noqa: E402
import transformers  # noqa: E402
from transformers import SiglipVisionConfig, SiglipVisionModel  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------------------
# Initialisation: outputs of order one, so 1e-4 relative is a real test
# ---------------------------------------------------------------------------

def randomize(model: nn.Module, seed: int) -> None:
    """Fill every parameter from a seeded generator.

    Matrices and conv kernels: N(0, 1/fan_in) (each linear map keeps O(1) values);
    biases N(0, 0.1²); norm weights 1 + N(0, 0.1²); LayerScale 0.5 + N(0, 0.1²);
    position embeddings and class/register tokens N(0, 0.5²).
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.split(".")[-1]
            if leaf in ("gamma", "scale_factor"):
                p.copy_(0.5 + 0.1 * torch.randn(p.shape, generator=g))
            elif "norm" in name and leaf == "weight":
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif leaf == "bias" or p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif leaf in ("pos_embed", "cls_token", "reg_token", "latent", "probe") or "position_embedding" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else p.numel()
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))


def pixels(shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def check_scale(name, tensors):
    for k, v in tensors.items():
        m = v.abs().max().item()
        assert 0.3 < m < 100, f"{name}/{k}: max |x| = {m}, not O(1)"


def save_reference(folder, tensors):
    save_file({k: v.detach().contiguous().float() for k, v in tensors.items()},
              os.path.join(folder, "reference.safetensors"))


def fresh(folder):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)


# ---------------------------------------------------------------------------
# Hugging Face SiglipVisionModel
# ---------------------------------------------------------------------------

def make_siglip_hf(out):
    folder = os.path.join(out, "siglip-hf")
    fresh(folder)
    config = SiglipVisionConfig(hidden_size=56, intermediate_size=104, num_hidden_layers=3,
                                num_attention_heads=4, num_channels=3, image_size=40, patch_size=8,
                                hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6)
    torch.manual_seed(0)
    model = SiglipVisionModel(config).eval()
    randomize(model, 1)
    model.save_pretrained(folder, safe_serialization=True)
    x = pixels((1, 3, 40, 40), 2)
    with torch.no_grad():
        o = model(pixel_values=x, output_hidden_states=True)
    ref = {"pixel_values": x, "last_hidden_state": o.last_hidden_state}
    for i, h in enumerate(o.hidden_states):
        ref[f"hidden_states.{i}"] = h
    check_scale("siglip-hf", ref)
    reloaded = SiglipVisionModel.from_pretrained(folder).eval()
    with torch.no_grad():
        o2 = reloaded(pixel_values=x, output_hidden_states=True)
    assert torch.equal(o2.last_hidden_state, o.last_hidden_state)
    save_reference(folder, ref)
    return {"class": "transformers.SiglipVisionModel", "layers": 3, "patches": 25, "hidden": 56,
            "reference": sorted(ref)}


# ---------------------------------------------------------------------------
# timm VisionTransformer
# ---------------------------------------------------------------------------

SIGLIP_ID = "vit_so400m_patch14_siglip_224"
SIGLIP_ARGS = dict(img_size=24, patch_size=8, embed_dim=48, depth=3, num_heads=3)
SIGLIP_SMALL_ARGS = dict(img_size=24, patch_size=8, embed_dim=32, depth=2, num_heads=2)
DINO_ID = "vit_large_patch14_reg4_dinov2"
DINO_ARGS = dict(img_size=24, patch_size=8, embed_dim=32, depth=3, num_heads=2)


def timm_model(arch, args, seed):
    torch.manual_seed(0)
    # As Prismatic creates them: pretrained=False, num_classes=0 (no classifier head).
    model = timm.create_model(arch, pretrained=False, num_classes=0, **args).eval()
    randomize(model, seed)
    return model


def timm_hidden_states(model, x):
    """Embeddings, then each block's output: Hugging Face's hidden_states convention."""
    h = model.norm_pre(model.patch_drop(model._pos_embed(model.patch_embed(x))))
    states = [h]
    for blk in model.blocks:
        h = blk(h)
        states.append(h)
    return states


def prismatic_featurizer(model, x):
    """What Prismatic's monkey-patched featurizer.forward returns (see the module docstring)."""
    out = model.get_intermediate_layers(x, n={len(model.blocks) - 2})
    return out[0] if isinstance(out, tuple) or isinstance(out, list) else out


def timm_reference(name, model, x):
    with torch.no_grad():
        states = timm_hidden_states(model, x)
        last = model.forward_features(x)
        feats = prismatic_featurizer(model, x)
    depth = len(model.blocks)
    assert torch.equal(feats, states[depth - 1][:, model.num_prefix_tokens:]), name
    assert torch.allclose(last, model.norm(states[depth]), rtol=0, atol=1e-6), name
    ref = {"pixel_values": x, "last_hidden_state": last, "prismatic_features": feats}
    for i, h in enumerate(states):
        ref[f"hidden_states.{i}"] = h
    check_scale(name, ref)
    return ref


def make_timm(out, name, arch, args, seed):
    folder = os.path.join(out, name)
    fresh(folder)
    model = timm_model(arch, args, seed)
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(sd, os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"architecture": arch, "num_classes": 0, "model_args": args}, f, indent=2)
        f.write("\n")
    x = pixels((1, 3, args["img_size"], args["img_size"]), seed + 1)
    ref = timm_reference(name, model, x)
    again = timm_model(arch, args, seed + 99)
    again.load_state_dict(load_file(os.path.join(folder, "model.safetensors")))
    with torch.no_grad():
        assert torch.equal(again.forward_features(x), ref["last_hidden_state"]), name
    save_reference(folder, ref)
    return {"class": f"timm.create_model({arch!r}, num_classes=0, **model_args)", "model_args": args,
            "prefix_tokens": model.num_prefix_tokens, "keys": len(sd), "reference": sorted(ref)}


# ---------------------------------------------------------------------------
# Prismatic (OpenVLA) vision backbone + projector
# ---------------------------------------------------------------------------

def ls_state_dict(model, prefix):
    """The featurizer's weights as OpenVLA stores them: LayerScale `gamma` -> `scale_factor`."""
    out = {}
    for k, v in model.state_dict().items():
        if k.endswith(".gamma") and (".ls1." in k or ".ls2." in k):
            k = k[: -len("gamma")] + "scale_factor"
        out[prefix + k] = v.contiguous()
    return out


def projector(fused, vision_dim, llm_dim, seed):
    """PrismaticProjector's layers (modeling_prismatic.py), randomised."""
    torch.manual_seed(0)
    if fused:
        layers = nn.ModuleDict({"fc1": nn.Linear(vision_dim, 4 * vision_dim), "fc2": nn.Linear(4 * vision_dim, llm_dim),
                                "fc3": nn.Linear(llm_dim, llm_dim)})
    else:
        layers = nn.ModuleDict({"fc1": nn.Linear(vision_dim, llm_dim), "fc2": nn.Linear(llm_dim, llm_dim)})
    randomize(layers, seed)
    return layers


def project(layers, x):
    """PrismaticProjector.forward: fc1, GELU, fc2 (, GELU, fc3) with exact nn.GELU()."""
    y = F.gelu(layers["fc1"](x))
    y = layers["fc2"](y)
    if "fc3" in layers:
        y = layers["fc3"](F.gelu(y))
    return y


def openvla_config(fused, llm_dim, size):
    ids = [DINO_ID + ".lvd142m", SIGLIP_ID] if fused else [SIGLIP_ID]
    args = [DINO_ARGS, SIGLIP_ARGS] if fused else [SIGLIP_SMALL_ARGS]
    return {
        "model_type": "openvla",
        "architectures": ["OpenVLAForActionPrediction"],
        "vision_backbone_id": "dinosiglip-vit-so-224px" if fused else "siglip-vit-so400m",
        "arch_specifier": "no-align+fused-gelu-mlp" if fused else "no-align+gelu-mlp",
        "use_fused_vision_backbone": fused,
        "image_resize_strategy": "resize-naive",
        "image_sizes": [size] * len(ids),
        "timm_model_ids": ids,
        "timm_override_act_layers": [None] * len(ids),
        "timm_model_args": [{k: v for k, v in a.items() if k != "img_size"} for a in args],
        "text_config": {"model_type": "llama", "hidden_size": llm_dim},
    }


def make_prismatic(out, name, fused, seed):
    folder = os.path.join(out, name)
    fresh(folder)
    llm_dim = 64
    siglip_args = SIGLIP_ARGS if fused else SIGLIP_SMALL_ARGS
    siglip = timm_model(SIGLIP_ID, siglip_args, seed)
    weights = {}
    if fused:
        dino = timm_model(DINO_ID, DINO_ARGS, seed + 1)
        weights.update(ls_state_dict(dino, "vision_backbone.featurizer."))
        weights.update(ls_state_dict(siglip, "vision_backbone.fused_featurizer."))
        vision_dim = DINO_ARGS["embed_dim"] + SIGLIP_ARGS["embed_dim"]
    else:
        weights.update(ls_state_dict(siglip, "vision_backbone.featurizer."))
        vision_dim = siglip_args["embed_dim"]
    proj = projector(fused, vision_dim, llm_dim, seed + 2)
    weights.update({"projector." + k: v.contiguous() for k, v in proj.state_dict().items()})
    save_file(weights, os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(openvla_config(fused, llm_dim, 24), f, indent=2)
        f.write("\n")

    planes = 6 if fused else 3
    x = pixels((1, planes, 24, 24), seed + 3)
    with torch.no_grad():
        if fused:
            # PrismaticVisionBackbone.forward
            img, img_fused = torch.split(x, [3, 3], dim=1)
            # ls_apply_patch keeps the numbers: check the scale_factor model against the gamma one.
            patched = timm_model(DINO_ID, DINO_ARGS, seed + 50)
            for m in patched.modules():
                if type(m).__name__ == "LayerScale":
                    m.scale_factor = nn.Parameter(m.gamma.clone())
                    m.forward = (lambda self: (lambda t: t * self.scale_factor))(m)
                    del m.gamma
            patched.load_state_dict({k[len("vision_backbone.featurizer."):]: v for k, v in weights.items()
                                     if k.startswith("vision_backbone.featurizer.")})
            a = prismatic_featurizer(dino, img)
            assert torch.equal(prismatic_featurizer(patched, img), a)
            b = prismatic_featurizer(siglip, img_fused)
            feats = torch.cat([a, b], dim=2)
            ref = {"pixel_values": x, "featurizer_patches": a, "fused_patches": b}
        else:
            feats = prismatic_featurizer(siglip, x)
            ref = {"pixel_values": x}
        ref["patch_features"] = feats
        ref["projected"] = project(proj, feats)
    check_scale(name, ref)
    save_reference(folder, ref)
    return {"reference": sorted(ref), "vision_dim": vision_dim, "llm_dim": llm_dim,
            "keys": len(weights), "projector": sorted("projector." + k for k in proj.state_dict())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "Tests", "Fixtures", "vision"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    manifest = {
        "generator": "Models/tools/make_vision_fixtures.py",
        "versions": {"torch": torch.__version__.split("+")[0], "transformers": transformers.__version__,
                     "timm": timm.__version__},
        "cases": {
            "siglip-hf": make_siglip_hf(a.out),
            "siglip-timm": make_timm(a.out, "siglip-timm", SIGLIP_ID, SIGLIP_ARGS, 10),
            "dinov2-timm": make_timm(a.out, "dinov2-timm", DINO_ID, DINO_ARGS, 20),
            "prismatic-fused": make_prismatic(a.out, "prismatic-fused", True, 30),
            "prismatic-siglip": make_prismatic(a.out, "prismatic-siglip", False, 40),
        },
    }
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(manifest["cases"], indent=1, sort_keys=True)[:3000])


if __name__ == "__main__":
    main()
