#!/usr/bin/env python3
"""Reference fixtures for SwiftVLA's action tokenizer and un-normalisation.

Uses OpenVLA's own code: `prismatic/vla/action_tokenizer.py` (the ActionTokenizer used
to train OpenVLA) is loaded from a checkout of https://github.com/openvla/openvla, and
the de-tokenisation / un-normalisation of `OpenVLAForActionPrediction.predict_action`
(prismatic/extern/hf/modeling_prismatic.py) is evaluated with the same numpy expressions
on the same inputs.

Run (from the repository root):
    OPENVLA_SRC=/path/to/openvla .venv/bin/python Models/tools/make_action_fixtures.py

Writes Tests/Fixtures/policy/actions.json:
    vocab_size, bins, edges, centers,
    encode: [{action: [...], tokens: [...]}]   (ActionTokenizer.__call__'s ids)
    decode: [{tokens: [...], normalized: [...], unnormalized: [...]}] with the q01/q99/mask used
"""
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SRC = Path(os.environ.get("OPENVLA_SRC", "openvla"))


class VocabOnly:
    """The one attribute ActionTokenizer reads from a HF tokenizer (plus decode for __call__)."""

    def __init__(self, vocab_size):
        self.vocab_size = vocab_size

    def decode(self, ids):
        return list(ids)  # ids instead of text, so the fixture records token ids


def main():
    spec = importlib.util.spec_from_file_location("action_tokenizer", SRC / "prismatic/vla/action_tokenizer.py")
    if spec is None or not (SRC / "prismatic/vla/action_tokenizer.py").exists():
        sys.exit(f"set OPENVLA_SRC to a checkout of openvla/openvla (tried {SRC})")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    vocab = 32000
    tok = module.ActionTokenizer(VocabOnly(vocab), bins=256, min_action=-1, max_action=1)
    rng = np.random.default_rng(7)
    actions = [
        rng.uniform(-1.2, 1.2, size=7),
        np.array([-1.0, 1.0, 0.0, -0.99999, 0.99999, 1.5, -7.0]),
        np.array([tok.bins[3], tok.bins[128], tok.bins[254], tok.bins[255], tok.bin_centers[0], tok.bin_centers[254], 1e-9]),
    ] + [rng.uniform(-1, 1, size=7) for _ in range(5)]
    encode = [{"action": a.tolist(), "tokens": [int(t) for t in tok(a)]} for a in actions]

    # predict_action's de-tokenisation and un-normalisation, same expressions, same inputs.
    bins = np.linspace(-1, 1, 256)
    bin_centers = (bins[:-1] + bins[1:]) / 2.0
    q01 = rng.uniform(-0.5, 0.0, size=7).tolist()
    q99 = rng.uniform(0.1, 0.6, size=7).tolist()
    mask = [True] * 6 + [False]
    decode = []
    token_sets = [e["tokens"] for e in encode] + [[vocab - 256, vocab - 1, vocab, vocab + 5, 31000, 5, vocab - 128]]
    for ids in token_sets:
        predicted = np.array(ids)
        discretized = vocab - predicted
        discretized = np.clip(discretized - 1, a_min=0, a_max=bin_centers.shape[0] - 1)
        normalized = bin_centers[discretized]
        high, low = np.array(q99), np.array(q01)
        actions_out = np.where(np.array(mask), 0.5 * (normalized + 1) * (high - low) + low, normalized)
        decode.append({"tokens": ids, "normalized": normalized.tolist(), "unnormalized": actions_out.tolist()})

    out = {
        "generator": "Models/tools/make_action_fixtures.py (OpenVLA prismatic/vla/action_tokenizer.py)",
        "vocab_size": vocab, "bins": 256,
        "edges": tok.bins.tolist(), "centers": tok.bin_centers.tolist(),
        "q01": q01, "q99": q99, "mask": mask,
        "encode": encode, "decode": decode,
    }
    path = ROOT / "Tests/Fixtures/policy/actions.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
