#!/usr/bin/env python3
"""Make the golden decoder-LM fixtures for SwiftVLA's Transformers target.

What it makes
-------------
For each case below it builds a tiny, randomly initialised causal LM with the
REAL Hugging Face classes (``LlamaForCausalLM``, ``MistralForCausalLM``,
``Qwen2ForCausalLM``), eager attention, float32 maths, and writes

    Tests/Fixtures/lm/<case>/config.json             as transformers writes it
                                                     (or rewritten to the legacy
                                                     4.x style, see Case.legacy)
    Tests/Fixtures/lm/<case>/generation_config.json  as transformers writes it
    Tests/Fixtures/lm/<case>/model.safetensors       weights (or model-0000x-of-0000y
                                                     shards + model.safetensors.index.json)
    Tests/Fixtures/lm/<case>/reference.safetensors   the expected numbers:
        input_ids      I64 [T]         the prompt (fixed per case)
        prompt_logits  F32 [T, vocab]  logits at every prompt position, one forward pass
        step_logits    F32 [N, vocab]  logits that chose each greedy token;
                                       row 0 == prompt_logits[T-1]
        generated      I64 [N]         greedy tokens, KV-cached decode, N = 8

and ``Tests/Fixtures/lm/manifest.json`` (per case: model_type, features, T, N,
minimum top-1/top-2 margin, max |logit|, how much each feature moves the
logits). It then copies the ``llama-gqa`` checkpoint to ``Models/tiny-random-llama/``.

Every checkpoint is reloaded from disk with ``from_pretrained`` and re-run;
the script fails if anything disagrees. Checks made for every case:

* the prompt pass with a cache equals the prompt pass without one;
* our own KV-cached greedy loop, ``model.generate(do_sample=False,
  output_logits=True)`` and a cache-free recomputation over the growing
  sequence all give the same tokens and logits;
* ``generated == argmax(step_logits)``, ``step_logits[0] == prompt_logits[-1]``;
* at every greedy step top-1 beats top-2 by at least MIN_REL_MARGIN of that
  row's logit range (seeds are searched until this holds, so a float32 engine
  with slightly different rounding still picks the same tokens);
* no greedy token is BOS/EOS, so an engine that stops at EOS still makes N tokens;
* the reloaded checkpoint (legacy configs included) reproduces the logits;
* ``np_forward``, an ~80-line float64 NumPy decoder that reads only the files
  on disk, reproduces every logit (so the fixtures test documented semantics);
* switching each case's feature off (rope scaling, sliding window, biases,
  bf16/f16 rounding) moves the logits by more than 1e-3.

Low-precision cases (``llama-bf16``, ``llama-f16``) store bf16/f16 weights;
their reference logits come from those same rounded weights upcast to float32
and run in float32, which is what the Swift engine does at load time.

How to run it (from the repository root)
----------------------------------------
    python3 -m venv .venv
    .venv/bin/pip install -r Models/tools/requirements.txt
    .venv/bin/python Models/tools/make_lm_fixtures.py

Options: ``--out DIR`` (default Tests/Fixtures/lm), ``--model-out DIR``
(default Models/tiny-random-llama, ``""`` to skip), ``--only CASE`` (repeatable).
Output is deterministic: one CPU thread, deterministic algorithms, our own
seeded initialisation; re-running gives byte-identical files with the pinned
versions.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import argparse
import copy
import dataclasses
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import transformers
from safetensors import safe_open
from transformers import (
    DynamicCache,
    GenerationConfig,
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
N_STEPS = 8
MIN_REL_MARGIN = 2e-2  # (top1 - top2) / (max - min) of the row, at every greedy step
MAX_SEED_TRIES = 200
NORM_STD = 0.1  # RMSNorm weights ~ 1 + N(0, NORM_STD)
BIAS_STD = 0.3  # q/k/v biases ~ N(0, BIAS_STD)

# Tolerances for "these two float32 computations should agree".
TOL_SAME_MATH = 1e-5  # e.g. cached vs cache-free attention (different reduction order)
TOL_NUMPY = 1e-4  # float32 HF vs the float64 NumPy reimplementation below


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Case:
    name: str
    model_cls: type
    config_cls: type
    config: dict[str, Any]
    prompt_len: int
    features: list[str]
    base_seed: int
    save_dtype: torch.dtype = torch.float32
    legacy: bool = False  # rewrite config.json to 4.x style after saving
    legacy_extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    legacy_drop: list[str] = dataclasses.field(default_factory=list)
    max_shard_size: str | None = None
    # name -> function(config dict) -> config dict with one feature turned off;
    # the manifest records how far the logits move, proving the fixture tests it.
    ablations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = dataclasses.field(
        default_factory=dict
    )
    # Weight ablations: name -> function(state_dict) -> state_dict.
    weight_ablations: dict[str, Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]] = (
        dataclasses.field(default_factory=dict)
    )


COMMON = dict(
    hidden_size=64,
    num_hidden_layers=2,
    intermediate_size=160,
    hidden_act="silu",
    initializer_range=0.2,
    attn_implementation="eager",
)


def _with(**kv: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def f(c: dict[str, Any]) -> dict[str, Any]:
        c = dict(c)
        c.update(kv)
        return c

    return f


def _zero_biases(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: (torch.zeros_like(v) if k.endswith(".bias") else v) for k, v in sd.items()}


CASES: list[Case] = [
    Case(
        name="llama-mha",
        model_cls=LlamaForCausalLM,
        config_cls=LlamaConfig,
        config=dict(
            COMMON,
            vocab_size=256,
            num_attention_heads=4,
            num_key_value_heads=4,
            rope_theta=10000.0,
            rms_norm_eps=1e-5,
            max_position_embeddings=128,
            bos_token_id=1,
            eos_token_id=2,
        ),
        prompt_len=12,
        features=[
            "multi-head attention (4 q heads, 4 kv heads, head_dim 16 = hidden/heads)",
            "default RoPE, rope_theta 10000",
            "legacy config.json: top-level rope_theta, rope_scaling null, torch_dtype, no head_dim",
        ],
        base_seed=1000,
        legacy=True,
        legacy_drop=["head_dim"],
    ),
    Case(
        name="llama-gqa",
        model_cls=LlamaForCausalLM,
        config_cls=LlamaConfig,
        config=dict(
            COMMON,
            vocab_size=256,
            num_attention_heads=8,
            num_key_value_heads=2,
            head_dim=16,  # hidden/heads would be 8
            rope_theta=10000.0,
            rope_scaling={"rope_type": "linear", "factor": 2.0},
            rms_norm_eps=1e-6,
            max_position_embeddings=256,
            bos_token_id=1,
            eos_token_id=2,
        ),
        prompt_len=11,
        features=[
            "grouped-query attention (8 q heads, 2 kv heads: 4 q heads per kv head)",
            "explicit head_dim 16 != hidden_size/num_attention_heads (8); q_proj is [128, 64]",
            "linear RoPE scaling, factor 2 (positions divided by 2)",
            "transformers 5.x config.json: rope_parameters {rope_type, factor, rope_theta}",
        ],
        base_seed=2000,
        ablations={"linear rope scaling off": _with(rope_scaling=None, rope_parameters=None)},
    ),
    Case(
        name="llama3-tied",
        model_cls=LlamaForCausalLM,
        config_cls=LlamaConfig,
        config=dict(
            COMMON,
            vocab_size=320,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=16,
            rope_theta=500000.0,
            rope_scaling={
                "rope_type": "llama3",
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                # Small on purpose: at head_dim 16, theta 5e5 the wavelengths are
                # 6.3, 32, 167, 862, ... so 64 leaves pair 0 alone, smooths pair 1
                # and divides pairs 2..7 by 8 (8192 would touch only pairs 4..7,
                # whose rotation over 20 positions is ~1e-3 rad).
                "original_max_position_embeddings": 64,
            },
            attention_bias=False,
            tie_word_embeddings=True,
            rms_norm_eps=1e-5,
            max_position_embeddings=512,
            bos_token_id=1,
            eos_token_id=2,
        ),
        prompt_len=12,
        features=[
            "tie_word_embeddings: no lm_head.weight in the checkpoint, logits use model.embed_tokens.weight",
            "llama3 RoPE scaling (factor 8, low_freq_factor 1, high_freq_factor 4, "
            "original_max_position_embeddings 64): pair 0 unscaled, pair 1 smoothed, pairs 2-7 divided by 8",
            "rope_theta 500000",
            "GQA 4 q heads / 2 kv heads, vocab 320 (not a power of two)",
            "legacy config.json: top-level rope_theta and rope_scaling {rope_type: llama3, ...}, torch_dtype",
        ],
        base_seed=3000,
        legacy=True,
        ablations={
            "llama3 rope scaling off": _with(rope_scaling=None, rope_parameters=None, rope_theta=500000.0)
        },
    ),
    Case(
        name="qwen2-bias",
        model_cls=Qwen2ForCausalLM,
        config_cls=Qwen2Config,
        config=dict(
            COMMON,
            vocab_size=384,
            num_attention_heads=4,
            num_key_value_heads=2,
            rope_theta=1000000.0,
            rms_norm_eps=1e-6,
            max_position_embeddings=512,
            use_sliding_window=False,
            tie_word_embeddings=False,
        ),
        prompt_len=13,
        features=[
            "Qwen2: q_proj/k_proj/v_proj have biases (random, non-zero); o_proj has none",
            "GQA 4 q heads / 2 kv heads, head_dim = hidden/heads = 16 (no head_dim key)",
            "rope_theta 1e6, no BOS/EOS ids in config",
            "legacy config.json: top-level rope_theta, rope_scaling null, torch_dtype; "
            "use_sliding_window false with sliding_window 4 < T: the window must be IGNORED "
            "(as in real Qwen2.5 configs, which carry sliding_window with use_sliding_window false)",
        ],
        base_seed=4000,
        legacy=True,
        legacy_extra={"sliding_window": 4, "use_sliding_window": False, "max_window_layers": 1},
        legacy_drop=["layer_types"],
        ablations={
            # What an engine that wrongly honours sliding_window would compute.
            "sliding_window 4 wrongly applied to layers >= max_window_layers": _with(
                use_sliding_window=True, sliding_window=4, max_window_layers=1
            )
        },
        weight_ablations={"q/k/v biases zeroed": _zero_biases},
    ),
    Case(
        name="mistral-sw",
        model_cls=MistralForCausalLM,
        config_cls=MistralConfig,
        config=dict(
            COMMON,
            vocab_size=300,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=16,
            rope_theta=10000.0,
            rms_norm_eps=1e-5,
            max_position_embeddings=256,
            sliding_window=6,
            bos_token_id=1,
            eos_token_id=2,
        ),
        prompt_len=12,
        features=[
            "Mistral sliding-window attention, sliding_window 6 < T=12: query i sees keys j with "
            "i-6 < j <= i (itself and the 5 before it), in the prompt pass and while decoding",
            "GQA 4 q heads / 2 kv heads, vocab 300",
            "transformers 5.x config.json (rope_parameters)",
        ],
        base_seed=5000,
        ablations={"sliding window off": _with(sliding_window=None)},
    ),
    Case(
        name="llama-bf16",
        model_cls=LlamaForCausalLM,
        config_cls=LlamaConfig,
        config=dict(
            COMMON,
            vocab_size=256,
            num_attention_heads=4,
            num_key_value_heads=2,
            rope_theta=10000.0,
            rms_norm_eps=1e-5,
            max_position_embeddings=128,
            bos_token_id=1,
            eos_token_id=2,
        ),
        prompt_len=12,
        features=[
            "bfloat16 checkpoint (all tensors BF16, config dtype bfloat16)",
            "reference = the same BF16 weights upcast to float32, float32 maths",
        ],
        base_seed=6000,
        save_dtype=torch.bfloat16,
    ),
    Case(
        name="llama-f16",
        model_cls=LlamaForCausalLM,
        config_cls=LlamaConfig,
        config=dict(
            COMMON,
            vocab_size=256,
            num_attention_heads=4,
            num_key_value_heads=2,
            rope_theta=10000.0,
            rms_norm_eps=1e-5,
            max_position_embeddings=128,
            bos_token_id=1,
            eos_token_id=2,
        ),
        prompt_len=12,
        features=[
            "float16 checkpoint (all tensors F16, config dtype float16)",
            "reference = the same F16 weights upcast to float32, float32 maths",
        ],
        base_seed=7000,
        save_dtype=torch.float16,
    ),
    Case(
        name="llama-sharded",
        model_cls=LlamaForCausalLM,
        config_cls=LlamaConfig,
        config=dict(
            COMMON,
            vocab_size=256,
            num_attention_heads=4,
            num_key_value_heads=2,
            rope_theta=10000.0,
            rms_norm_eps=1e-5,
            max_position_embeddings=128,
            bos_token_id=1,
            eos_token_id=2,
        ),
        prompt_len=10,
        features=[
            "sharded checkpoint: model-0000k-of-0000n.safetensors + model.safetensors.index.json (weight_map)",
            "transformers 5.x config.json (rope_parameters)",
        ],
        base_seed=8000,
        max_shard_size="200KB",
    ),
]


# --------------------------------------------------------------------------
# Model construction
# --------------------------------------------------------------------------

def make_config(case: Case, overrides: dict[str, Any] | None = None):
    """The case's HF config object, or one built from ``overrides`` (a full kwargs dict)."""
    kw = dict(case.config)
    if overrides:
        kw = overrides
    kw = {k: v for k, v in kw.items() if not (k == "rope_parameters" and v is None)}
    if kw.get("rope_scaling", "absent") is None:
        kw.pop("rope_scaling")
    return case.config_cls(**kw)


@torch.no_grad()
def init_weights(model: torch.nn.Module, seed: int, std: float) -> None:
    """Our own seeded init, independent of transformers' init order.

    Linear/embedding weights ~ N(0, std); RMSNorm weights ~ 1 + N(0, NORM_STD);
    biases ~ N(0, BIAS_STD). Parameters are visited in sorted-name order.
    """
    gen = torch.Generator().manual_seed(seed)
    params = dict(model.named_parameters())  # tied weights appear once
    for name in sorted(params):
        p = params[name]
        noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
        if "norm" in name:
            p.copy_(1.0 + NORM_STD * noise)
        elif name.endswith(".bias"):
            p.copy_(BIAS_STD * noise)
        else:
            p.copy_(std * noise)


def build_model(case: Case, seed: int, round_to_storage: bool = True):
    config = make_config(case)
    torch.manual_seed(seed)
    model = case.model_cls(config).to(torch.float32)
    init_weights(model, seed, config.initializer_range)
    if round_to_storage and case.save_dtype != torch.float32:
        # Round to the storage dtype, then compute in float32 from the rounded values.
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(case.save_dtype).to(torch.float32))
    model.eval()
    assert model.config._attn_implementation == "eager", model.config._attn_implementation
    return model


# --------------------------------------------------------------------------
# Reference computation
# --------------------------------------------------------------------------

def make_prompt(case: Case, vocab: int, special: set[int]) -> torch.Tensor:
    rng = np.random.default_rng(int(hashlib.sha256(case.name.encode()).hexdigest()[:8], 16))
    ids: list[int] = []
    bos = case.config.get("bos_token_id")
    if bos is not None:
        ids.append(bos)
    while len(ids) < case.prompt_len:
        t = int(rng.integers(0, vocab))
        # Also avoid 0: it is <unk>/<pad> in many vocabularies, and generate()
        # without an attention_mask treats pad_token_id tokens as padding.
        if t not in special and t != 0:
            ids.append(t)
    return torch.tensor(ids, dtype=torch.int64)


@torch.no_grad()
def prompt_forward(model, input_ids: torch.Tensor, use_cache: bool):
    cache = DynamicCache(config=model.config) if use_cache else None
    # transformers 5.24 renamed forward(past_key_values=) to forward(cache=).
    out = model(input_ids=input_ids[None], cache=cache, use_cache=use_cache)
    return out.logits[0].float(), cache


@torch.no_grad()
def greedy_cached(model, input_ids: torch.Tensor, n: int):
    """Prompt pass with a fresh KV cache, then one token at a time."""
    logits, cache = prompt_forward(model, input_ids, use_cache=True)
    prompt_logits = logits
    rows, toks = [], []
    row = logits[-1]
    for step in range(n):
        rows.append(row)
        tok = int(torch.argmax(row))
        toks.append(tok)
        if step == n - 1:
            break
        out = model(
            input_ids=torch.tensor([[tok]]),
            cache=cache,
            use_cache=True,
        )
        cache = out.cache
        row = out.logits[0, -1].float()
    return prompt_logits, torch.stack(rows), torch.tensor(toks, dtype=torch.int64)


@torch.no_grad()
def greedy_generate(model, input_ids: torch.Tensor, n: int):
    gc = GenerationConfig(
        do_sample=False,
        max_new_tokens=n,
        min_new_tokens=n,
        eos_token_id=None,
        bos_token_id=None,
        pad_token_id=0,
        output_logits=True,
        return_dict_in_generate=True,
    )
    out = model.generate(input_ids=input_ids[None], attention_mask=torch.ones(1, len(input_ids), dtype=torch.long),
                         generation_config=gc)
    toks = out.sequences[0, len(input_ids):]
    logits = torch.stack([l[0].float() for l in out.logits])
    return logits, toks


@torch.no_grad()
def greedy_recompute(model, input_ids: torch.Tensor, toks: torch.Tensor):
    """Cache-free: re-run the whole sequence for every step."""
    rows = []
    for k in range(len(toks)):
        seq = torch.cat([input_ids, toks[:k]])
        out = model(input_ids=seq[None], use_cache=False)
        rows.append(out.logits[0, -1].float())
    return torch.stack(rows)


def margins(step_logits: torch.Tensor) -> tuple[float, float]:
    """Minimum over steps of (top1 - top2) absolute and relative to the row range."""
    top2 = torch.topk(step_logits, 2, dim=-1).values
    gap = top2[:, 0] - top2[:, 1]
    rng = step_logits.max(-1).values - step_logits.min(-1).values
    return float(gap.min()), float((gap / rng).min())


def maxdiff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.float() - b.float()).abs().max())


def reference(model, input_ids: torch.Tensor) -> dict[str, torch.Tensor]:
    prompt_logits, step_logits, generated = greedy_cached(model, input_ids, N_STEPS)
    return {
        "input_ids": input_ids.clone(),
        "prompt_logits": prompt_logits.contiguous().clone(),
        "step_logits": step_logits.contiguous().clone(),
        "generated": generated.clone(),
    }


def check_reference(model, ref: dict[str, torch.Tensor], label: str) -> dict[str, float]:
    """All the cross-checks; raises on disagreement. Returns the measured diffs."""
    ids, pl, sl, gen = ref["input_ids"], ref["prompt_logits"], ref["step_logits"], ref["generated"]
    T, V = pl.shape
    assert ids.dtype == torch.int64 and gen.dtype == torch.int64
    assert pl.dtype == torch.float32 and sl.dtype == torch.float32
    assert sl.shape == (N_STEPS, V) and gen.shape == (N_STEPS,) and ids.shape == (T,)
    assert torch.equal(sl[0], pl[-1]), f"{label}: step_logits[0] != prompt_logits[-1]"
    assert torch.equal(gen, sl.argmax(-1)), f"{label}: generated != argmax(step_logits)"

    nocache, _ = prompt_forward(model, ids, use_cache=False)
    d_nocache = maxdiff(nocache, pl)
    gl, gt = greedy_generate(model, ids, N_STEPS)
    d_generate = maxdiff(gl, sl)
    rl = greedy_recompute(model, ids, gen)
    d_recompute = maxdiff(rl, sl)
    assert torch.equal(gt, gen), f"{label}: generate() tokens {gt.tolist()} != loop {gen.tolist()}"
    for what, d in [("no-cache prompt", d_nocache), ("generate()", d_generate), ("recompute", d_recompute)]:
        assert d <= TOL_SAME_MATH, f"{label}: {what} max diff {d}"
    return {"nocache_prompt": d_nocache, "generate": d_generate, "recompute": d_recompute}


# --------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------

def legacy_config(path: Path, case: Case) -> None:
    """Rewrite a 5.x config.json into the 4.x style of downloaded checkpoints."""
    cfg = json.loads(path.read_text())
    rp = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rp.pop("rope_theta")
    rope_type = rp.pop("rope_type", "default")
    cfg["rope_scaling"] = None if rope_type == "default" else {"rope_type": rope_type, **rp}
    if "dtype" in cfg:
        cfg["torch_dtype"] = cfg.pop("dtype")
    for k in case.legacy_drop:
        cfg.pop(k, None)
    cfg.update(case.legacy_extra)
    path.write_text(json.dumps(dict(sorted(cfg.items())), indent=2) + "\n")


def save_case(model, case: Case, ref: dict[str, torch.Tensor], out: Path, meta: dict[str, str]) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    to_save = model if case.save_dtype == torch.float32 else _copy_as(model, case.save_dtype)
    kwargs: dict[str, Any] = {"safe_serialization": True}
    if case.max_shard_size:
        kwargs["max_shard_size"] = case.max_shard_size
    to_save.save_pretrained(out, **kwargs)
    if case.legacy:
        legacy_config(out / "config.json", case)
    write_safetensors(out / "reference.safetensors", ref, meta)


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """Write a safetensors file byte-for-byte reproducibly.

    ``safetensors.torch.save_file`` serialises ``__metadata__`` in hash order,
    so the bytes change from run to run; this writes the same format (u64 LE
    header length, JSON header, raw little-endian data) with sorted keys and
    the header padded with spaces to a multiple of 8 bytes.
    """
    names = sorted(tensors)
    dtype_names = {torch.float32: "F32", torch.int64: "I64"}
    header: dict[str, Any] = {"__metadata__": dict(sorted(metadata.items()))}
    blobs, offset = [], 0
    for name in names:
        t = tensors[name].contiguous()
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {
            "dtype": dtype_names[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(len(head).to_bytes(8, "little"))
        f.write(head)
        for raw in blobs:
            f.write(raw)
    # Read it back with the official library.
    with safe_open(str(path), "pt") as f:
        assert f.metadata() == metadata
        for name in names:
            assert torch.equal(f.get_tensor(name), tensors[name]), name


def _copy_as(model, dtype: torch.dtype):
    return copy.deepcopy(model).to(dtype)


@torch.no_grad()
def reload_and_check(case: Case, out: Path, ref: dict[str, torch.Tensor]) -> dict[str, Any]:
    """Load the saved folder with from_pretrained and re-run everything."""
    model = case.model_cls.from_pretrained(out, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    d = check_reference(model, ref, f"{case.name} (reloaded)")
    pl, _ = prompt_forward(model, ref["input_ids"], use_cache=True)
    _, sl, gen = greedy_cached(model, ref["input_ids"], N_STEPS)
    d_reload = max(maxdiff(pl, ref["prompt_logits"]), maxdiff(sl, ref["step_logits"]))
    assert torch.equal(gen, ref["generated"]), f"{case.name}: reloaded model generates differently"
    assert d_reload == 0.0 or d_reload <= TOL_SAME_MATH, f"{case.name}: reload diff {d_reload}"

    # What is actually on disk.
    files = sorted(p.name for p in out.iterdir())
    st_files = [out / f for f in files if f.endswith(".safetensors") and f != "reference.safetensors"]
    keys, dtypes = [], set()
    for f in st_files:
        with safe_open(str(f), "pt") as s:
            for k in s.keys():
                keys.append(k)
                dtypes.add(str(s.get_slice(k).get_dtype()))
    return {
        "reload_max_abs_diff": d_reload,
        "reloaded_checks": d,
        "files": files,
        "weight_keys": len(keys),
        "weight_dtypes": sorted(dtypes),
        "has_lm_head": "lm_head.weight" in keys,
        "extra_keys": sorted(k for k in keys if "rotary" in k or "inv_freq" in k),
        "loaded_config_rope": model.config.rope_parameters,
    }


@torch.no_grad()
def ablation_effects(case: Case, model, ref: dict[str, torch.Tensor]) -> dict[str, float]:
    """How far the prompt logits move when a feature is switched off."""
    effects: dict[str, float] = {}
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    for label, edit in case.ablations.items():
        cfg = make_config(case, edit(case.config))
        m = case.model_cls(cfg).to(torch.float32).eval()
        m.load_state_dict(sd)
        pl, _ = prompt_forward(m, ref["input_ids"], use_cache=False)
        effects[label] = maxdiff(pl, ref["prompt_logits"])
    for label, edit in case.weight_ablations.items():
        m = case.model_cls(make_config(case)).to(torch.float32).eval()
        m.load_state_dict(edit(sd))
        pl, _ = prompt_forward(m, ref["input_ids"], use_cache=False)
        effects[label] = maxdiff(pl, ref["prompt_logits"])
    return effects


# --------------------------------------------------------------------------
# Independent check: a from-scratch NumPy decoder reading only the files on disk
# --------------------------------------------------------------------------
#
# This is the contract the Swift engine implements, written out in ~80 lines:
# it reads config.json in either style, the (possibly sharded, possibly
# bf16/f16) safetensors, and recomputes every reference row in float64.
# If HF and this agree, the fixtures test the documented semantics and
# nothing hidden in transformers.

def np_load_checkpoint(folder: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    cfg = json.loads((folder / "config.json").read_text())
    index = folder / "model.safetensors.index.json"
    if index.exists():
        files = sorted(set(json.loads(index.read_text())["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    weights: dict[str, np.ndarray] = {}
    for f in files:
        with safe_open(str(folder / f), "pt") as s:  # "pt": numpy has no bfloat16
            for k in s.keys():
                weights[k] = s.get_tensor(k).to(torch.float64).numpy()
    return cfg, weights


def np_rope_inv_freq(cfg: dict[str, Any], head_dim: int) -> np.ndarray:
    """Inverse frequencies [head_dim/2] after any rope scaling."""
    rp = cfg.get("rope_parameters")  # transformers 5.x style
    if rp is None:  # legacy: top-level rope_theta + rope_scaling
        rp = dict(cfg.get("rope_scaling") or {})
        rp["rope_theta"] = cfg.get("rope_theta", 10000.0)
    theta = rp["rope_theta"]
    kind = rp.get("rope_type", rp.get("type", "default"))
    inv = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    if kind == "default":
        return inv
    if kind == "linear":
        return inv / rp["factor"]
    if kind == "llama3":
        factor, lo, hi = rp["factor"], rp["low_freq_factor"], rp["high_freq_factor"]
        old = rp["original_max_position_embeddings"]
        wavelen = 2 * np.pi / inv
        smooth = (old / wavelen - lo) / (hi - lo)
        mid = (1 - smooth) * inv / factor + smooth * inv
        return np.where(wavelen < old / hi, inv, np.where(wavelen > old / lo, inv / factor, mid))
    raise ValueError(f"rope_type {kind}")


def np_sliding_window(cfg: dict[str, Any], layer: int) -> int | None:
    if cfg["model_type"] == "qwen2":
        if cfg.get("use_sliding_window") and layer >= cfg.get("max_window_layers", 0):
            return cfg.get("sliding_window")
        return None
    return cfg.get("sliding_window")


def np_forward(cfg: dict[str, Any], w: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    """Logits [T, vocab] for a whole sequence, float64, no cache."""
    D, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or D // H
    eps = cfg["rms_norm_eps"]
    T = len(ids)

    def rmsnorm(x, g):  # x (T, D)
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g

    def linear(x, name):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    ang = np.arange(T, dtype=np.float64)[:, None] * np_rope_inv_freq(cfg, hd)[None]  # (T, hd/2)
    cos = np.concatenate([np.cos(ang)] * 2, -1)[:, None]  # (T, 1, hd): halves, not interleaved
    sin = np.concatenate([np.sin(ang)] * 2, -1)[:, None]

    def rope(x):  # (T, heads, hd)
        rot = np.concatenate([-x[..., hd // 2:], x[..., : hd // 2]], -1)
        return x * cos + rot * sin

    x = w["model.embed_tokens.weight"][ids]  # (T, D)
    i, j = np.arange(T)[:, None], np.arange(T)[None]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rmsnorm(x, w[p + "input_layernorm.weight"])
        q = rope(linear(h, p + "self_attn.q_proj").reshape(T, H, hd))
        k = rope(linear(h, p + "self_attn.k_proj").reshape(T, KV, hd))
        v = linear(h, p + "self_attn.v_proj").reshape(T, KV, hd)
        k, v = np.repeat(k, H // KV, axis=1), np.repeat(v, H // KV, axis=1)  # q head n uses kv head n // (H/KV)
        scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(hd)  # (H, T, T)
        allowed = j <= i
        win = np_sliding_window(cfg, l)
        if win is not None:
            allowed = allowed & (j > i - win)
        scores = np.where(allowed[None], scores, -np.inf)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        att = np.einsum("hqk,khd->qhd", scores, v).reshape(T, H * hd)
        x = x + linear(att, p + "self_attn.o_proj")
        h = rmsnorm(x, w[p + "post_attention_layernorm.weight"])
        g = linear(h, p + "mlp.gate_proj")
        x = x + linear(g / (1 + np.exp(-g)) * linear(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rmsnorm(x, w["model.norm.weight"])
    head = w.get("lm_head.weight")
    if head is None:
        assert cfg.get("tie_word_embeddings"), "no lm_head.weight and embeddings not tied"
        head = w["model.embed_tokens.weight"]
    return x @ head.T


def numpy_check(folder: Path, ref: dict[str, torch.Tensor]) -> float:
    """Max |numpy - reference| over prompt_logits and step_logits."""
    cfg, w = np_load_checkpoint(folder)
    ids = ref["input_ids"].numpy()
    gen = ref["generated"].numpy()
    T, N = len(ids), len(gen)
    logits = np_forward(cfg, w, np.concatenate([ids, gen[:-1]]))  # causal: one pass covers all steps
    d = max(
        np.abs(logits[:T] - ref["prompt_logits"].double().numpy()).max(),
        np.abs(logits[T - 1 : T - 1 + N] - ref["step_logits"].double().numpy()).max(),
    )
    assert np.array_equal(logits[T - 1 : T - 1 + N].argmax(-1), gen), f"{folder.name}: numpy greedy differs"
    return float(d)


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

def special_ids(cfg: dict[str, Any]) -> set[int]:
    return {i for i in (cfg.get("bos_token_id"), cfg.get("eos_token_id"), cfg.get("pad_token_id")) if i is not None}


def search_seed(case: Case) -> tuple[int, Any, dict[str, torch.Tensor], int]:
    special = special_ids(case.config)
    vocab = case.config["vocab_size"]
    input_ids = make_prompt(case, vocab, special)
    for k in range(MAX_SEED_TRIES):
        seed = case.base_seed + k
        model = build_model(case, seed)
        ref = reference(model, input_ids)
        _, rel = margins(ref["step_logits"])
        if rel < MIN_REL_MARGIN:
            continue
        if any(int(t) in special for t in ref["generated"]):
            continue
        return seed, model, ref, k + 1
    raise SystemExit(f"{case.name}: no seed in {MAX_SEED_TRIES} tries met the margin")


def run_case(case: Case, out_root: Path) -> dict[str, Any]:
    seed, model, ref, tries = search_seed(case)
    diffs = check_reference(model, ref, case.name)
    abs_m, rel_m = margins(ref["step_logits"])
    max_logit = float(max(ref["prompt_logits"].abs().max(), ref["step_logits"].abs().max()))
    assert 1.0 < max_logit < 50.0, f"{case.name}: logit scale {max_logit} is not O(1..10)"
    effects = ablation_effects(case, model, ref)
    if case.save_dtype != torch.float32:
        # How far the unrounded float32 weights are from the stored ones, in logits.
        exact = build_model(case, seed, round_to_storage=False)
        pl, _ = prompt_forward(exact, ref["input_ids"], use_cache=False)
        name = {torch.bfloat16: "bf16", torch.float16: "f16"}[case.save_dtype]
        effects[f"weights not rounded to {name} (float32 originals)"] = maxdiff(pl, ref["prompt_logits"])
    for label, e in effects.items():
        assert e > 1e-3, f"{case.name}: switching off '{label}' does not change the logits ({e})"

    meta = {
        "case": case.name,
        "seed": str(seed),
        "generator": "Models/tools/make_lm_fixtures.py",
        "transformers": transformers.__version__,
        "torch": torch.__version__.split("+")[0],
    }
    out = out_root / case.name
    save_case(model, case, ref, out, meta)
    info = reload_and_check(case, out, ref)
    d_numpy = numpy_check(out, ref)
    assert d_numpy <= TOL_NUMPY, f"{case.name}: numpy reimplementation differs by {d_numpy}"

    T = int(ref["input_ids"].shape[0])
    entry = {
        "model_type": model.config.model_type,
        "architecture": case.model_cls.__name__,
        "features": case.features,
        "config_style": "legacy (4.x)" if case.legacy else "transformers 5.x",
        "weights_dtype": info["weight_dtypes"],
        "files": info["files"],
        "seed": seed,
        "T": T,
        "N": N_STEPS,
        "vocab_size": case.config["vocab_size"],
        "input_ids": ref["input_ids"].tolist(),
        "generated": ref["generated"].tolist(),
        "min_top2_margin": round(abs_m, 6),
        "min_top2_margin_relative": round(rel_m, 6),
        "max_abs_logit": round(max_logit, 6),
        "feature_effect_max_abs_logit_change": {k: round(v, 6) for k, v in effects.items()},
        "self_check_max_abs_diff": {
            k: float(f"{v:.3g}") for k, v in {**diffs, "reload": info["reload_max_abs_diff"], "numpy_float64": d_numpy}.items()
        },
    }
    print(
        f"{case.name:14s} seed {seed} ({tries} tries)  T={T} N={N_STEPS}  "
        f"margin {abs_m:.4f} (rel {rel_m:.4f})  max|logit| {max_logit:.2f}  "
        f"diffs nocache {diffs['nocache_prompt']:.1e} generate {diffs['generate']:.1e} "
        f"recompute {diffs['recompute']:.1e} reload {info['reload_max_abs_diff']:.1e} numpy {d_numpy:.1e}  "
        f"effects {entry['feature_effect_max_abs_logit_change']}  "
        f"dtypes {info['weight_dtypes']} lm_head {info['has_lm_head']} extra {info['extra_keys']}"
    )
    return entry


def copy_demo_model(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for f in ("config.json", "generation_config.json", "model.safetensors"):
        shutil.copyfile(src / f, dst / f)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "Tests/Fixtures/lm")
    ap.add_argument("--model-out", default=str(REPO_ROOT / "Models/tiny-random-llama"))
    ap.add_argument("--only", action="append", default=[], help="case name (repeatable)")
    args = ap.parse_args(argv)

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()
    try:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    except Exception:
        pass

    cases = [c for c in CASES if not args.only or c.name in args.only]
    unknown = set(args.only) - {c.name for c in CASES}
    if unknown:
        ap.error(f"unknown case(s): {sorted(unknown)}")
    args.out.mkdir(parents=True, exist_ok=True)

    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if (args.only and manifest_path.exists()) else {}
    cases_out = manifest.get("cases", {})
    for case in cases:
        cases_out[case.name] = run_case(case, args.out)

    manifest = {
        "generator": "Models/tools/make_lm_fixtures.py",
        "versions": {
            "transformers": transformers.__version__,
            "torch": torch.__version__.split("+")[0],
            "numpy": np.__version__,
        },
        "reference_tensors": {
            "input_ids": "I64 [T] prompt token ids",
            "prompt_logits": "F32 [T, vocab] logits at every prompt position (one forward pass)",
            "step_logits": "F32 [N, vocab] logits that chose each greedy token; row 0 == prompt_logits[T-1]",
            "generated": "I64 [N] greedy tokens (argmax of step_logits), KV-cached decode",
        },
        "min_top2_margin_relative_required": MIN_REL_MARGIN,
        "cases": {name: cases_out[name] for name in [c.name for c in CASES] if name in cases_out},
    }
    text = json.dumps(manifest, indent=2)
    # Keep token-id lists on one line.
    text = re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)
    manifest_path.write_text(text + "\n")

    if args.model_out and any(c.name == "llama-gqa" for c in cases):
        copy_demo_model(args.out / "llama-gqa", Path(args.model_out))

    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {len(cases)} case(s) to {args.out} ({total / 1e6:.2f} MB in total)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
