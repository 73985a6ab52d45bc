#!/usr/bin/env python3
"""Train a small OpenVLA-layout policy on SwiftVLA simulator demonstrations (work in progress).

Reads episodes in SwiftVLA's native format (Models/tools/read_episode.py), trains a tiny
model in the family the Swift runtime loads — a timm SigLIP-style ViT tower (features of
its second-to-last block, as Prismatic), the Prismatic GELU-MLP projector and a Llama
decoder — on OpenVLA's action tokens (256 bins over [-1, 1], token = 32000 − bin, actions
normalised with per-dimension q01/q99, the gripper left raw), and writes a complete
OpenVLA-layout folder that `VLAPolicy` / `vla run` / `vla eval` load unchanged.

The recipe and the state of training are in Models/README.md:

    vla record --task reach --count 1000 --seed 1 --every-target --fast --phrasings training --episodes demos/reach
    vla record --task pick  --count 1000 --seed 1 --every-target --fast --phrasings training --episodes demos/pick
    python Models/tools/train_policy.py --episodes demos/reach demos/pick --out /tmp/policy --steps 3000
    vla eval --model /tmp/policy --episodes 100 --seed 100000

Determinism: a fixed --seed, a step-based schedule and one data order; PyTorch on CPU with
the same thread count repeats the run.

Requirements: Models/tools/requirements.txt (torch, transformers, timm, tokenizers, pillow).
"""
import argparse
import functools
import glob
import io
import json
import math
import multiprocessing
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
FIRST_ACTION = BASE_VOCAB - BINS   # token of bin 256 (OpenVLA: token = 32000 − bin)
TIMM_ID = "vit_so400m_patch14_siglip_224"
UNNORM_KEY = "sim_tabletop"
# --filler: words inserted into training instructions so the policy learns that words other
# than the object, its colour and the direction carry no meaning. None of them appears in
# any simulator template (so none of the held-out phrasings' words), nor is a colour, a
# shape or a direction.
FILLERS = ["please", "now", "robot", "okay", "then", "slowly", "carefully", "quickly", "gently", "kindly",
           "just", "again", "first", "next", "hey", "can", "you", "could", "would", "try", "soon", "today",
           "yes", "so", "well", "here", "a", "little", "bit", "exactly", "ok", "arm"]


KINEMATICS = os.path.join(ROOT, "Hardware/kinematics/so101.json")


def transform(xyz, rpy):
    """A URDF joint origin as a 4x4 matrix: R = Rz(yaw)·Ry(pitch)·Rx(roll), then the translation."""
    (cr, cp, cy), (sr, sp, sy) = np.cos(rpy), np.sin(rpy)
    t = np.eye(4)
    t[:3, :3] = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]]) @ np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]]) \
        @ np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    t[:3, 3] = xyz
    return t


@functools.cache
def arm_chain():
    """Hardware/kinematics/so101.json, read once per process."""
    with open(KINEMATICS) as f:
        return json.load(f)


def tool_positions(states, joint_names):
    """The tool point (metres, the arm's base frame = the simulator's table frame) for each row
    of joint positions (radians), by the forward kinematics of Hardware/kinematics/so101.json
    (as SerialChainKinematics.forward: each joint's origin, then a turn about its z axis)."""
    chain = arm_chain()
    t = np.tile(np.eye(4), (len(states), 1, 1))
    for joint in chain["joints"]:
        a = states[:, joint_names.index(joint["name"])]
        turn = np.tile(np.eye(4), (len(states), 1, 1))
        turn[:, 0, 0], turn[:, 0, 1], turn[:, 1, 0], turn[:, 1, 1] = np.cos(a), -np.sin(a), np.sin(a), np.cos(a)
        t = t @ transform(joint["xyz"], joint["rpy"]) @ turn
    return (t @ transform(chain["tool"]["xyz"], chain["tool"]["rpy"]))[:, :3, 3]


def load_episode(args):
    """One episode → (uint8 [N, S, S, 3] RGB frames resized as VLAPolicy resizes, actions [N, 7], instruction, meta)."""
    path, size = args
    ep = Episode(path)
    acts = np.asarray(ep.actions(), dtype=np.float64)
    # The expert's pauses — a step that neither moves the arm nor changes the gripper (when
    # it switches phase, e.g. above the object before descending) — show the same frame as
    # the step after them with a "hold" label: a policy that learns to hold there holds
    # forever. Drop them; the step after carries the frame's real label.
    states = np.asarray(ep.states(), dtype=np.float64)
    still = np.zeros(len(acts), dtype=bool)
    if len(states) == len(acts) and len(acts) > 1:
        moved = np.nan_to_num(np.abs(np.diff(states, axis=0)).max(1), nan=1.0)
        still[:-1] = (moved < 0.01) & (np.abs(acts[:-1, :3]).max(1) < 0.001)
    keep = np.nonzero(~still)[0]
    acts = acts[keep]
    frames = []
    for i in keep:
        # Frames are stored as true-colour PNG; PIL's bicubic resize is what the Swift preprocessor matches.
        rgb = Image.open(io.BytesIO(ep.frame_bytes(i))).convert("RGB")
        frames.append(np.asarray(rgb.resize((size, size), Image.BICUBIC), dtype=np.uint8))
    extra = dict(ep.meta.get("extra", {}), dropped_pauses=int(still.sum()), kept_steps=keep.tolist())
    # Where the gripper is in each kept frame (training-only target; NaN without joint states).
    tool = np.full((len(keep), 3), np.nan)
    if len(states) == len(ep.actions()) and not np.isnan(states).any():
        tool = tool_positions(states[keep], ep.meta["joint_names"])
        extra["joints"] = states[keep]
    extra["tool"] = tool
    return np.stack(frames), acts, ep.meta["instruction"], extra, ep.meta["camera"]["width"]


COLORS = ["red", "green", "blue", "yellow", "purple", "orange"]
SHAPES = ["block", "ball", "cup"]


def layout_targets(extra, width, steps, grid, early):
    """From the layout `vla record` writes into the metadata (objects with their pixel in the
    recorded frame, and the target's id): per step, the label of every image patch (0: no
    object centre near it, else 1 + colour × 3 + shape), the target's position on the table
    (x, y in decimetres), the target's patch label and whether these labels hold (the objects
    have not moved yet: the first `early` steps of a pick, every step of a reach)."""
    labels = np.zeros((steps, grid * grid), dtype=np.int64)
    target = np.zeros((steps, 2), dtype=np.float32)
    named = np.zeros(steps, dtype=np.int64)
    valid = np.zeros(steps, dtype=bool)
    if "layout" not in extra or "target_id" not in extra:
        return labels, target, valid, named
    objects = json.loads(extra["layout"])
    cell = width / grid
    centres = (np.arange(grid) + 0.5) * cell
    py, px = np.meshgrid(centres, centres, indexing="ij")
    best = np.full(grid * grid, np.inf)
    for o in objects:
        d = np.hypot(px - o["pixel"][0], py - o["pixel"][1]).reshape(-1)
        near = (d < 0.75 * cell) & (d < best)
        label = 1 + COLORS.index(o["color"]) * len(SHAPES) + SHAPES.index(o["shape"])
        labels[:, near] = label
        best = np.where(near, d, best)
        if o["id"] == int(extra["target_id"]):
            target[:] = np.array(o["position"][:2], dtype=np.float32) * 10
            named[:] = label
    valid[:] = True
    if extra.get("task") != "reach":
        valid[early:] = False
    return labels, target, valid, named


def prompt_ids(tok, instruction):
    """OpenVLA's prompt, as VLAPolicy builds it: lower-cased instruction, "▁" appended."""
    ids = tok.encode(f"In: What action should the robot take to {instruction.lower()}?\nOut:").ids
    return ids if ids[-1] == SPACE else ids + [SPACE]


ATTEND_LAYER = 2      # the decoder layer whose head 0 --attend-weight supervises


class Policy(nn.Module):
    def __init__(self, image, vision, text):
        super().__init__()
        import timm
        from transformers import LlamaConfig, LlamaForCausalLM
        self.featurizer = timm.create_model(TIMM_ID, pretrained=False, num_classes=0, img_size=image, **vision)
        d, h = vision["embed_dim"], text["hidden_size"]
        self.fc1, self.fc2 = nn.Linear(d, h), nn.Linear(h, h)
        self.lm = LlamaForCausalLM(LlamaConfig(vocab_size=BASE_VOCAB + PAD, max_position_embeddings=256,
                                               rms_norm_eps=1e-6, tie_word_embeddings=False, **text))
        # Training only (not exported): the end-effector travel still ahead and the named
        # object's place on the table, guessed from the prompt positions, each image
        # patch's object (colour and shape) from the projected patch features, and where
        # the gripper is (x, y and height, from the last prompt positions).
        self.aux = nn.Linear(h, 3)
        self.where = nn.Linear(h, 2)
        self.what = nn.Linear(h, 1 + len(COLORS) * len(SHAPES))
        self.grip = nn.Linear(h, 3)
        # Training speed (the exported model is the usual full-vocabulary one): of the 32,064
        # embedding rows only the few hundred the prompts use are trained, as a compact table
        # whose rows are assigned on first use (a row never used keeps its initial value, as
        # it would in the full table); and the output layer is trained on the 256 action
        # tokens' rows only, the other rows fixed at zero (their logits are exactly 0, so the
        # full-vocabulary softmax is the 256-way one plus a constant: `action_log_probs`).
        # This takes the 32k-wide products and softmax out of every step.
        # The other rows are not left at zero but share one trained vector (`other_head`):
        # with a full table, training pushes all unused rows down together, which lets the
        # action logits rise above the rest early on; with the rows fixed at zero, the
        # action rows alone had to do it and learning lagged by 100–300 steps (run 14).
        vocab = BASE_VOCAB + PAD
        full_embed = self.lm.get_input_embeddings().weight
        full_embed.requires_grad_(False)
        self.lm.lm_head.weight.requires_grad_(False)
        self.embed = nn.Embedding(1024, h)
        self.embed.weight.data.zero_()
        self.register_buffer("slot", torch.full((vocab,), -1, dtype=torch.long), persistent=False)
        self.register_buffer("token_of_slot", torch.full((1024,), -1, dtype=torch.long), persistent=False)
        self.action_head = nn.Parameter(self.lm.lm_head.weight.data[BASE_VOCAB - BINS:BASE_VOCAB].clone())
        self.other_head = nn.Parameter(torch.zeros(h))
        self.write_head()

    def slots(self, ids):
        """Full-vocabulary ids → rows of the compact embedding, assigning (and initialising from
        the full table) rows to tokens seen for the first time."""
        new = torch.unique(ids[self.slot[ids] < 0])
        if len(new):
            used = int((self.token_of_slot >= 0).sum())
            if used + len(new) > len(self.token_of_slot):
                raise RuntimeError(f"more than {len(self.token_of_slot)} distinct prompt tokens")
            rows = torch.arange(used, used + len(new))
            self.slot[new] = rows
            self.token_of_slot[rows] = new
            with torch.no_grad():
                self.embed.weight[rows] = self.lm.get_input_embeddings().weight[new]
        return self.slot[ids]

    def sync_to_lm(self):
        """Writes the trained compact tables into the full-vocabulary decoder (for export)."""
        with torch.no_grad():
            used = self.token_of_slot >= 0
            self.lm.get_input_embeddings().weight[self.token_of_slot[used]] = self.embed.weight[used]
            self.write_head()

    def write_head(self):
        """The full output layer: the action rows from `action_head`, every other row `other_head`."""
        with torch.no_grad():
            self.lm.lm_head.weight.copy_(self.other_head.expand_as(self.lm.lm_head.weight))
            self.lm.lm_head.weight[BASE_VOCAB - BINS:BASE_VOCAB] = self.action_head

    def sync_from_lm(self):
        """After loading full-vocabulary weights: the action rows become the trained head (the
        others take row 0's values), and the compact embedding is assigned afresh from the full table."""
        with torch.no_grad():
            self.action_head.copy_(self.lm.lm_head.weight[BASE_VOCAB - BINS:BASE_VOCAB])
            self.other_head.copy_(self.lm.lm_head.weight[0])
            self.write_head()
            self.slot.fill_(-1)
            self.token_of_slot.fill_(-1)
            self.embed.weight.zero_()

    def patches(self, pixels):
        # Prismatic: get_intermediate_layers(n={len(blocks) - 2}): the second-to-last block, no norm.
        feats = self.featurizer.get_intermediate_layers(pixels, n={len(self.featurizer.blocks) - 2})[0]
        return self.fc2(nn.functional.gelu(self.fc1(feats)))

    def forward(self, pixels, slots, starts, n_actions, aux=False, full=False, queries=None, named=None):
        """slots: [B, L] = BOS, P placeholder slots, prompt[1:], actions[:-1], right padding, as
        rows of the compact embedding (`slots`). Returns the logits of the 256 action tokens
        (token 32000 − 256 + k at index k) followed by the one logit every other token shares
        (with full, the whole vocabulary's logits) that predict the n_actions action tokens of
        every row (and, with aux, the training-only heads' guesses and, for `queries` [B, Q]
        positions and `named` [B, P] patches, −log of the attention mass that head 0 of decoder
        layer ATTEND_LAYER puts on those patches from each query)."""
        p = self.patches(pixels)
        emb = self.embed(slots)
        x = torch.cat([emb[:, :1], p, emb[:, 1 + p.shape[1]:]], dim=1)
        # Causal attention: the real tokens come first, so the right padding never reaches them.
        out = self.lm.model(inputs_embeds=x, output_hidden_states=queries is not None)
        h = out.last_hidden_state
        rows = torch.arange(slots.shape[0])[:, None]
        cols = starts[:, None] + torch.arange(n_actions)[None, :]
        last = h[rows, cols]
        if full:
            logits = self.lm.lm_head(last)
        else:
            logits = torch.cat([last @ self.action_head.T, last @ self.other_head[:, None]], -1)
        if not aux:
            return logits
        # The auxiliary guess at every prompt position (after BOS and the patches) up to the
        # one that predicts action 0: once the object's words are read, each can say where it is.
        pos = torch.arange(h.shape[1])[None, :]
        mask = (pos >= 1 + p.shape[1]) & (pos <= starts[:, None])
        attend = None
        if queries is not None:
            attend = self.attention_nll(out.hidden_states[ATTEND_LAYER], queries, named, p.shape[1])
        return logits, self.aux(h), mask, self.where(h), self.what(p), self.grip(h), attend

    def attention_nll(self, hidden, queries, named, n_patches):
        """−log of the attention probability mass that head 0 of decoder layer ATTEND_LAYER (its
        own norm, projections and rotary embedding, as the layer computes them) puts on the
        `named` patches from each query position. Training only: it tells one head where the
        named object is, so the decoder need not find the binding of words to patches by chance."""
        from transformers.models.llama.modeling_llama import apply_rotary_pos_emb
        layer = self.lm.model.layers[ATTEND_LAYER]
        attn = layer.self_attn
        x = layer.input_layernorm(hidden)
        b, t, _ = x.shape
        d = attn.head_dim
        q = attn.q_proj(x)[..., :d].reshape(b, 1, t, d)
        k = attn.k_proj(x)[..., :d].reshape(b, 1, t, d)
        positions = torch.arange(t)[None, :].expand(b, t)
        cos, sin = self.lm.model.rotary_emb(x, positions)
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        rows = torch.arange(b)[:, None]
        scores = (q[:, 0][rows, queries] @ k[:, 0].transpose(1, 2)) / math.sqrt(d)       # [B, Q, T]
        causal = torch.arange(t)[None, None, :] <= queries[:, :, None]
        scores = scores.masked_fill(~causal, float("-inf"))
        on = torch.zeros(b, t, dtype=torch.bool)
        on[:, 1:1 + n_patches] = named | ~named.any(1, keepdim=True)     # rows without a target: any patch (masked out later)
        named_mass = torch.logsumexp(scores.masked_fill(~on[:, None, :], float("-inf")), -1)
        return torch.logsumexp(scores, -1) - named_mass


def action_log_probs(logits):
    """Log-probabilities of the 256 action tokens under the full-vocabulary softmax, from the
    action logits and the one logit the other 31,808 tokens share (`Policy.forward`)."""
    other = logits[..., BINS:] + math.log(BASE_VOCAB + PAD - BINS)
    return torch.log_softmax(torch.cat([logits[..., :BINS], other], -1), -1)[..., :BINS]


def action_tokens(actions, q01, q99, mask):
    """OpenVLA's tokens: BOUNDS_Q99 normalisation (mask=False dims raw), 256-bin digitize, 32000 − bin."""
    span = np.where(q99 - q01 == 0, 1, q99 - q01)
    norm = np.where(mask, np.clip(2 * (actions - q01) / span - 1, -1, 1), actions)
    norm = np.where(mask & (q99 - q01 == 0), 0, norm)
    return BASE_VOCAB - np.digitize(np.clip(norm, -1, 1), np.linspace(-1, 1, BINS))


def soft_labels(q01, q99, mask, sigma):
    """Per-dimension tables (dims × 256 × 256): row i is the training target for bin index i,
    a Gaussian of `sigma` metres around it (in bins: sigma × 255 / (q99 − q01)), renormalised
    over the 256 bins. The plain cross-entropy calls a move 0.15 mm off as wrong as one 3 cm
    off; the Gaussian tells the model that neighbouring bins are nearly right (the "HL-Gauss"
    target of Imani & White, 2018; Farebrother et al., 2024). Dimensions that do not move
    (q01 = q99, or not normalised) keep one-hot targets. The runtime is unchanged: it takes
    the most likely bin."""
    idx = np.arange(BINS, dtype=np.float64)
    tables = []
    for lo, hi, m in zip(q01, q99, mask):
        if sigma <= 0 or not m or hi == lo:
            tables.append(np.eye(BINS))
            continue
        width = sigma * (BINS - 1) / (hi - lo)
        t = np.exp(-0.5 * ((idx[:, None] - idx[None, :]) / width) ** 2)
        tables.append(t / t.sum(1, keepdims=True))
    return torch.tensor(np.stack(tables), dtype=torch.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--episodes", nargs="+", required=True, help="folders of recorded episodes")
    ap.add_argument("--out", required=True, help="the model folder to write")
    ap.add_argument("--steps", type=int, default=5000, help="optimiser steps")
    ap.add_argument("--batch", type=int, default=96)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--image", type=int, default=112, help="input size in pixels (a multiple of --patch)")
    ap.add_argument("--patch", type=int, default=14)
    ap.add_argument("--vision-width", type=int, default=64)
    ap.add_argument("--vision-depth", type=int, default=4, help="blocks (the last one is unused, as in Prismatic)")
    ap.add_argument("--width", type=int, default=64, help="decoder width")
    ap.add_argument("--layers", type=int, default=4, help="decoder layers")
    ap.add_argument("--aux-weight", type=float, default=3.0,
                    help="weight of the auxiliary loss: the end-effector travel still ahead, guessed by a training-only "
                         "head at every prompt position (dense supervision for finding the named object)")
    ap.add_argument("--layout-weight", type=float, default=1.0,
                    help="weight of the layout losses (needs recordings with a layout in their metadata): the named "
                         "object's table position guessed at the end of the prompt, and each patch's object")
    ap.add_argument("--attend-weight", type=float, default=0.0,
                    help=f"weight of the attention loss: head 0 of decoder layer {ATTEND_LAYER} (0-based) should attend, from the last three "
                         "prompt positions, to the patches of the object the instruction names (needs a layout, as "
                         "--layout-weight)")
    ap.add_argument("--gripper-weight", type=float, default=0.0,
                    help="weight of the gripper loss: where the gripper is (x, y and its height, from the recorded joint "
                         "positions by forward kinematics), guessed at the last three prompt positions")
    ap.add_argument("--layout-steps", type=int, default=6,
                    help="in pick episodes, the first this many steps keep the recorded layout (objects not moved yet)")
    ap.add_argument("--early-steps", type=int, default=2, help="the first this many steps of an episode count as early")
    ap.add_argument("--early-weight", type=float, default=6.0, help="extra draws of early steps (see the comment in main)")
    ap.add_argument("--family-weight", action="append", default=[], metavar="FAMILY=W",
                    help="draw this task family's steps W times as often (repeatable; default 1 each)")
    ap.add_argument("--family-weight-from", type=int, default=0, metavar="STEP",
                    help="apply --family-weight from this step on (before it every family is drawn by its share of the steps)")
    ap.add_argument("--filler", type=float, default=0.0,
                    help="probability that a training sample's instruction gets one or two filler words inserted")
    ap.add_argument("--label-sigma", type=float, default=0.0, metavar="METRES",
                    help="train on Gaussian targets this wide around the recorded bin (0: one-hot; see soft_labels)")
    ap.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                    help="compile the training step with torch.compile (needs a C++ compiler; ~1.4x faster on 2 cores)")
    ap.add_argument("--init", help="start from this exported model folder (same architecture options) instead of random weights; "
                    "its action statistics are kept, so every action token means what it meant (see --restat)")
    ap.add_argument("--sample-temperature", type=float, default=1.0, metavar="T",
                    help="the exported generation_config.json: sample each action token at this temperature (top_k 0) "
                         "when the runtime drives; 0 writes greedy decoding (OpenVLA's). The parity sample is greedy either way")
    ap.add_argument("--state", choices=["none", "tool"], default="none",
                    help="proprioception in the prompt: 'tool' appends the tool point's x, y, z (metres, from the recorded "
                         "joint positions by forward kinematics) as three tokens after the prompt, binned like actions "
                         "with their own q01/q99 (config.json state_features, dataset statistics 'proprio')")
    ap.add_argument("--restat", action="store_true",
                    help="with --init: recompute the action statistics from the new data instead of keeping the init's")
    ap.add_argument("--warmup", type=int, default=300, help="learning-rate warm-up steps")
    ap.add_argument("--val", type=float, default=0.03, help="fraction of episodes kept for validation")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop early after this long (0: no limit)")
    ap.add_argument("--stop-at", type=int, default=0,
                    help="stop after this many steps of the --steps schedule (0: run it all); repeats a --max-minutes cut exactly")
    ap.add_argument("--checkpoint-every", type=int, default=1000,
                    help="also export the model to --out every this many steps (to evaluate it while training runs)")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.set_num_threads(os.cpu_count() or 2)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(TOKENIZER_DIR, "tokenizer.json"))
    vision = dict(embed_dim=args.vision_width, depth=args.vision_depth, num_heads=max(2, args.vision_width // 16),
                  mlp_ratio=2.0, patch_size=args.patch)
    text = dict(hidden_size=args.width, intermediate_size=2 * args.width, num_hidden_layers=args.layers,
                num_attention_heads=max(2, args.width // 16))

    t0 = time.time()
    paths = sorted(p for d in args.episodes for p in glob.glob(os.path.join(d, "*")) if os.path.isdir(p))
    with multiprocessing.Pool(os.cpu_count() or 2) as pool:
        loaded = pool.map(load_episode, [(p, args.image) for p in paths], chunksize=16)
    families, seeds = {}, set()
    for _, _, _, extra, _ in loaded:
        families[extra.get("task", "?")] = families.get(extra.get("task", "?"), 0) + 1
        seeds.add(int(extra.get("seed", -1)))
    frames = np.concatenate([f for f, _, _, _, _ in loaded])
    actions = np.concatenate([a for _, a, _, _, _ in loaded])
    episode_of = np.concatenate([np.full(len(a), i) for i, (_, a, _, _, _) in enumerate(loaded)])
    # Auxiliary target: the end-effector travel still ahead (sum of this and the later
    # translation actions), in decimetres: for reach and pick it points at the named object.
    remaining = np.concatenate([np.cumsum(a[::-1, :3], axis=0)[::-1] for _, a, _, _, _ in loaded]).astype(np.float32) * 10
    # In DAgger episodes (`vla record --policy`) a model drove and the expert only labelled, so
    # the labels do not add up to the travel ahead: no auxiliary travel target there.
    travel_ok = np.concatenate([np.full(len(a), extra.get("labels") != "scripted-expert")
                                for _, a, _, extra, _ in loaded]).astype(np.float32)
    if not travel_ok.all():
        print(f"DAgger steps (expert labels, no travel target): {1 - travel_ok.mean():.1%}", flush=True)
    prompts = [prompt_ids(tok, ins) for _, _, ins, _, _ in loaded]
    grid = args.image // args.patch
    made = [layout_targets(extra, width, len(a), grid, args.layout_steps) for _, a, _, extra, width in loaded]
    patch_labels = np.concatenate([m[0] for m in made])
    target_xy = np.concatenate([m[1] for m in made])
    layout_ok = np.concatenate([m[2] for m in made])
    # The named object's patches (where --attend-weight points one attention head).
    named_patches = (patch_labels == np.concatenate([m[3] for m in made])[:, None]) & (patch_labels > 0)
    # The gripper's place in decimetres, its height in units of 5 cm (millimetres up and down
    # decide between hovering, sweeping over an object and pushing it).
    gripper_at = (np.concatenate([extra["tool"] for _, _, _, extra, _ in loaded]) * np.array([10, 10, 20])).astype(np.float32)
    gripper_ok = ~np.isnan(gripper_at).any(1)
    gripper_at = np.nan_to_num(gripper_at)
    if args.gripper_weight:
        print(f"gripper positions on {gripper_ok.mean():.0%} of the steps", flush=True)
    print(f"layout labels on {layout_ok.mean():.0%} of the steps; patches with an object: "
          f"{(patch_labels[layout_ok] > 0).mean():.1%}", flush=True)
    instructions = sorted({ins for _, _, ins, _, _ in loaded})
    pauses = sum(extra["dropped_pauses"] for _, _, _, extra, _ in loaded)
    print(f"{len(frames)} steps from {len(paths)} episodes ({pauses} pauses dropped) {families} (seeds {min(seeds)}…{max(seeds)}), "
          f"{len(instructions)} distinct instructions, loaded in {time.time() - t0:.0f} s", flush=True)

    q01, q99 = np.quantile(actions, 0.01, axis=0), np.quantile(actions, 0.99, axis=0)
    mask = np.array([True] * (actions.shape[1] - 1) + [False])
    if args.init and not args.restat:
        # A continuation keeps the bins of the model it starts from: recomputed quantiles
        # would shift every token's meaning (DAgger labels once widened z from +3 to +19 mm,
        # and the loss jumped from 1.8 to 2.2 for ~300 steps).
        with open(os.path.join(args.init, "dataset_statistics.json")) as f:
            kept = json.load(f)[UNNORM_KEY]["action"]
        print("action q01/q99 of the new data (mm): " + " ".join(f"{a * 1000:.1f}/{b * 1000:.1f}" for a, b in zip(q01[:3], q99[:3]))
              + f"; kept those of {args.init}", flush=True)
        q01, q99, mask = np.array(kept["q01"]), np.array(kept["q99"]), np.array(kept["mask"], dtype=bool)
    tokens = action_tokens(actions, q01, q99, mask)
    n_act = tokens.shape[1]
    # Proprioception (--state tool): the tool point in metres, three more prompt tokens per step.
    tool_xyz = np.concatenate([extra["tool"] for _, _, _, extra, _ in loaded])
    state_q01 = state_q99 = None
    state_tokens = np.zeros((len(tool_xyz), 0), dtype=np.int64)
    if args.state == "tool":
        missing = sorted({os.path.basename(paths[e]) for e in episode_of[np.isnan(tool_xyz).any(1)]})
        if missing:
            ap.error(f"--state tool: {len(missing)} episodes have no joint states, e.g. {missing[0]}")
        state_q01, state_q99 = np.quantile(tool_xyz, 0.01, axis=0), np.quantile(tool_xyz, 0.99, axis=0)
        init_stats = os.path.join(args.init, "dataset_statistics.json") if args.init else None
        if init_stats and not args.restat:
            with open(init_stats) as f:
                kept = json.load(f)[UNNORM_KEY].get("proprio")
            if kept:
                state_q01, state_q99 = np.array(kept["q01"]), np.array(kept["q99"])
        state_tokens = action_tokens(tool_xyz, state_q01, state_q99, np.ones(3, dtype=bool))
        print("state: tool x y z, q01/q99 (mm) " + " ".join(f"{a * 1000:.1f}/{b * 1000:.1f}" for a, b in zip(state_q01, state_q99)),
              flush=True)
    proprio = None if state_q01 is None else {"features": ["tool.x", "tool.y", "tool.z"],
                                              "q01": state_q01.tolist(), "q99": state_q99.tolist()}
    bin_mm = np.where(mask, (q99 - q01) / (BINS - 1), 0) * 1000     # one bin, in millimetres
    smooth = soft_labels(q01, q99, mask, args.label_sigma) if args.label_sigma > 0 else None
    if smooth is not None:
        print(f"Gaussian action targets: sigma {args.label_sigma * 1000:.1f} mm = "
              + " ".join(f"{args.label_sigma * 1000 / b:.1f}" for b in bin_mm if b > 0) + " bins", flush=True)

    val_eps = set(rng.choice(len(paths), size=max(1, int(len(paths) * args.val)), replace=False).tolist())
    is_val = np.array([e in val_eps for e in episode_of])
    train_idx, val_idx = np.nonzero(~is_val)[0], np.nonzero(is_val)[0]

    model = Policy(args.image, vision, text)
    if args.init:
        # Continue from an exported model (same settings); the training-only heads start afresh.
        load_exported(model, args.init)
        print(f"initialised from {args.init}", flush=True)
    # The exported model's size (the compact training tables are views of its embedding and output layer).
    n_params = sum(p.numel() for n, p in model.named_parameters() if n not in ("embed.weight", "action_head", "other_head"))
    n_patches = (args.image // args.patch) ** 2
    print(f"model: {n_params / 1e6:.2f} M parameters ({n_patches} patches)", flush=True)
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = [p for n, p in trained if p.ndim >= 2 and "embed" not in n]
    no_decay = [p for n, p in trained if not (p.ndim >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0}],
                            lr=args.lr, betas=(0.9, 0.95))
    warmup = max(1, min(args.warmup, args.steps // 10))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / warmup) * (0.05 + 0.95 * 0.5 * (
        1 + math.cos(math.pi * min(1.0, s / args.steps)))))
    mean = torch.tensor(0.5)

    texts = [ins for _, _, ins, _, _ in loaded]
    aug_rng = np.random.default_rng(args.seed + 1)   # its own stream: --filler 0 keeps the data order

    def with_fillers(instruction):
        words = instruction.split()
        for _ in range(1 + int(aug_rng.random() < 0.5)):
            words.insert(int(aug_rng.integers(0, len(words) + 1)), FILLERS[int(aug_rng.integers(len(FILLERS)))])
        return prompt_ids(tok, " ".join(words))

    # One sequence length for every batch (the longest prompt, with two filler words), so the
    # compiled step sees one shape; the right padding never reaches a real token.
    filler_tokens = max(len(tok.encode(f"x {f} y").ids) - len(tok.encode("x y").ids) for f in FILLERS)
    longest = max(len(r) for r in prompts) + (2 * filler_tokens if args.filler > 0 else 0) + state_tokens.shape[1]

    def batch(idx, augment=False):
        pix = torch.from_numpy(frames[idx]).permute(0, 3, 1, 2).float().div_(255).sub_(mean).div_(0.5)
        rows = [with_fillers(texts[episode_of[i]]) if augment and args.filler > 0 and aug_rng.random() < args.filler else prompts[episode_of[i]]
                for i in idx]
        rows = [r + state_tokens[i].tolist() for r, i in zip(rows, idx)]
        length = 1 + n_patches + max(longest, max(len(r) for r in rows)) - 1 + n_act - 1
        ids = torch.zeros(len(idx), length, dtype=torch.long)
        starts = torch.zeros(len(idx), dtype=torch.long)
        for j, (i, r) in enumerate(zip(idx, rows)):
            seq = [r[0]] + [0] * n_patches + r[1:] + tokens[i, :-1].tolist()
            ids[j, :len(seq)] = torch.tensor(seq)
            starts[j] = n_patches + len(r) - 1      # the last prompt token predicts action 0
        return (pix, model.slots(ids), starts, torch.from_numpy(tokens[idx] - FIRST_ACTION), torch.from_numpy(remaining[idx]),
                torch.from_numpy(travel_ok[idx]),
                torch.from_numpy(patch_labels[idx]), torch.from_numpy(target_xy[idx]), torch.from_numpy(layout_ok[idx]),
                torch.from_numpy(gripper_at[idx]), torch.from_numpy(gripper_ok[idx]), torch.from_numpy(named_patches[idx]))

    def validate():
        model.eval()
        right, right_all, n, off_mm = np.zeros(n_act), 0, 0, np.zeros(n_act)
        with torch.no_grad():
            for b in range(0, len(val_idx), 256):
                pix, ids, starts, target = batch(val_idx[b:b + 256])[:4]
                pred = model(pix, ids, starts, n_act)[..., :BINS].argmax(-1)   # ids: compact slots; pred, target: bins
                ok = (pred == target).numpy()
                right += ok.sum(0)
                right_all += ok.all(1).sum()
                off_mm += ((pred - target).abs().numpy() * bin_mm).sum(0)
                n += len(ok)
        model.train()
        return right / n, right_all / n, off_mm / n

    # Causal confusion: after the first steps the gripper's offset from its home pose already
    # says which way the demonstration went, so a policy can copy its own direction and never
    # read the instruction. Only the first frames (gripper still at home; with --every-target
    # recordings, the same frame under 3–5 instructions) force it to find the named object:
    # they are drawn --early-weight times as often.
    step_in_episode = np.concatenate([np.arange(len(a)) for _, a, _, _, _ in loaded])
    weight = np.where(step_in_episode[train_idx] < args.early_steps, 1 + args.early_weight, 1.0)
    family_weight = {f: float(w) for f, w in (item.split("=", 1) for item in args.family_weight)}
    unknown = set(family_weight) - set(families)
    if unknown:
        ap.error(f"--family-weight: no recorded episodes of {', '.join(sorted(unknown))} (recorded: {', '.join(sorted(families))})")
    family_of = np.array([loaded[e][3].get("task", "?") for e in episode_of[train_idx]])
    uniform = weight / weight.sum()
    for f, w in family_weight.items():
        weight[family_of == f] *= w
    weight /= weight.sum()
    if args.family_weight_from:
        print("draws per family up to step " + f"{args.family_weight_from}: " + ", ".join(
            f"{f} {uniform[family_of == f].sum():.1%}" for f in sorted(families)), flush=True)
    print("draws per family" + (f" from step {args.family_weight_from}" if args.family_weight_from else "") + ": " +
          ", ".join(f"{f} {weight[family_of == f].sum():.1%}" for f in sorted(families)), flush=True)
    print(f"first-frame samples: {np.mean(step_in_episode[train_idx] < args.early_steps):.1%} of the data, "
          f"{weight[step_in_episode[train_idx] < args.early_steps].sum():.1%} of the draws", flush=True)
    forward = model
    if args.compile:
        forward = torch.compile(model, dynamic=False)
        print("compiling the training step (about a minute)", flush=True)
    start, losses, aux_losses, place_losses, patch_losses, grip_losses, attend_losses = time.time(), [], [], [], [], [], []
    for step in range(args.steps):
        draws = uniform if step < args.family_weight_from else weight
        pix, ids, starts, target, travel, travel_w, labels, place, ok, grip, grip_ok, named = batch(
            rng.choice(train_idx, size=args.batch, p=draws), augment=True)
        n_state = state_tokens.shape[1]
        queries = starts[:, None] - n_state - torch.arange(3)[None, :]
        logits, guess, where, place_guess, what, grip_guess, attend_nll = forward(
            pix, ids, starts, n_act, aux=True, queries=queries if args.attend_weight else None, named=named)
        log_probs = action_log_probs(logits)
        ce = -log_probs.gather(-1, target[..., None]).mean()
        if smooth is not None:
            action_loss = -(smooth[torch.arange(n_act)[None, :], target] * log_probs).sum(-1).mean()
        else:
            action_loss = ce
        err = ((guess - travel[:, None, :]) ** 2).mean(-1)
        final = (err[torch.arange(len(starts)), starts] * travel_w).sum() / travel_w.sum().clamp(min=1)  # at the last prompt token
        seen = where * travel_w[:, None]
        aux = final + (err * seen).sum() / seen.sum().clamp(min=1)
        loss = action_loss + args.aux_weight * aux
        rows = torch.arange(len(starts))[:, None]
        if args.gripper_weight and grip_ok.any():
            # Where the gripper is: at the last three prompt positions, as the place below.
            grip_err = ((grip_guess[rows, starts[:, None] - torch.arange(3)[None, :]] - grip[:, None, :]) ** 2).mean((1, 2))
            grip_loss = (grip_err * grip_ok).sum() / grip_ok.sum()
            loss = loss + args.gripper_weight * grip_loss
            grip_losses.append(grip_loss.item())
        if ok.any():
            # Where the named object is: at the last three prompt positions ("…Out:▁"), before
            # any state tokens. Those positions cannot see the state (causal attention), so the
            # grounding they learn is the one a policy without state learns.
            near_end = place_guess[rows, queries]
            place_err = ((near_end - place[:, None, :]) ** 2).mean((1, 2))
            place_loss = (place_err * ok).sum() / ok.sum()
            patch_loss = nn.functional.cross_entropy(what[ok].reshape(-1, what.shape[-1]), labels[ok].reshape(-1))
            loss = loss + args.layout_weight * (place_loss + patch_loss)
            place_losses.append(place_loss.item())
            patch_losses.append(patch_loss.item())
            pointed = ok & named.any(1)
            if args.attend_weight and pointed.any():
                attend_loss = (attend_nll.mean(1) * pointed).sum() / pointed.sum()
                loss = loss + args.attend_weight * attend_loss
                attend_losses.append(attend_loss.item())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(ce.item())
        aux_losses.append(final.item())
        if (step + 1) % 100 == 0 or step + 1 == args.steps:
            line = f"step {step + 1}/{args.steps}  {time.time() - start:5.0f} s  loss {np.mean(losses[-100:]):.3f}  aux {np.mean(aux_losses[-100:]):.3f}  place {np.mean(place_losses[-100:] or [0]):.3f}  patch {np.mean(patch_losses[-100:] or [0]):.3f}  grip {np.mean(grip_losses[-100:] or [0]):.3f}  attend {np.mean(attend_losses[-100:] or [0]):.3f}  lr {sched.get_last_lr()[0]:.2e}"
            if (step + 1) % 500 == 0 or step + 1 == args.steps:
                per_dim, whole, off = validate()
                line += (f"  val token acc {' '.join(f'{a:.2f}' for a in per_dim)}  all {whole:.2f}"
                         f"  mean error mm {' '.join(f'{e:.1f}' for e, m in zip(off, bin_mm) if m > 0)}")
            print(line, flush=True)
        if args.checkpoint_every and (step + 1) % args.checkpoint_every == 0 and step + 1 < args.steps:
            export(model, args.out, q01, q99, mask, args.image, vision, text,
                   {"families": families, "checkpoint_step": step + 1}, quiet=True, temperature=args.sample_temperature,
                   proprio=proprio)
        if args.stop_at and step + 1 >= args.stop_at:
            print(f"stopping at step {step + 1}: --stop-at", flush=True)
            break
        if args.max_minutes and time.time() - start > args.max_minutes * 60:
            print(f"stopping at step {step + 1}: --max-minutes reached", flush=True)
            break
    per_dim, whole, off = validate()
    summary = {
        "episodes": len(paths), "dagger_episodes": sum(extra.get("labels") == "scripted-expert" for _, _, _, extra, _ in loaded), "steps_recorded": int(len(frames)) + pauses, "pauses_dropped": pauses, "families": families,
        "seed_range": [min(seeds), max(seeds)], "instructions": len(instructions),
        "training_steps": step + 1, "schedule_steps": args.steps, "init": args.init, "restat": args.restat, "batch": args.batch, "lr": args.lr, "seed": args.seed, "aux_weight": args.aux_weight, "layout_weight": args.layout_weight, "gripper_weight": args.gripper_weight, "attend_weight": args.attend_weight, "early_steps": args.early_steps, "early_weight": args.early_weight, "filler": args.filler,
        "family_weight": family_weight, "family_weight_from": args.family_weight_from,
        "train_minutes": round((time.time() - start) / 60, 1), "final_loss": round(float(np.mean(losses[-100:])), 4),
        "val_token_accuracy": [round(float(a), 4) for a in per_dim], "val_all_tokens_accuracy": round(float(whole), 4),
        "val_mean_error_mm": [round(float(e), 2) for e in off], "label_sigma": args.label_sigma,
        "parameters": n_params, "image": args.image, "patch": args.patch, "vision": vision, "text": text,
        "torch": torch.__version__, "threads": torch.get_num_threads(), "state": args.state,
    }
    export(model, args.out, q01, q99, mask, args.image, vision, text, summary, temperature=args.sample_temperature,
           proprio=proprio)
    save_parity_sample(model, args.out, paths, frames, prompts, episode_of, val_idx, tokens, loaded, args.image,
                       state=tool_xyz if proprio else None, state_tokens=state_tokens)


def export(model, out, q01, q99, mask, image, vision, text, summary, quiet=False, temperature=1.0, proprio=None):
    from safetensors.torch import save_file
    os.makedirs(out, exist_ok=True)
    model.sync_to_lm()
    sd = {}
    for k, v in model.featurizer.state_dict().items():
        sd["vision_backbone.featurizer." + k] = v
    for k, v in [("fc1", model.fc1), ("fc2", model.fc2)]:
        sd[f"projector.{k}.weight"], sd[f"projector.{k}.bias"] = v.weight, v.bias
    for k, v in model.lm.state_dict().items():
        if "rotary_emb" not in k:
            sd["language_model." + k] = v
    save_file({k: v.detach().contiguous().to(torch.bfloat16) for k, v in sd.items()},
              os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    stats = {UNNORM_KEY: {"action": {"q01": q01.tolist(), "q99": q99.tolist(), "mask": mask.tolist()}}}
    if proprio:
        # OpenVLA's statistics keep a "proprio" entry per dataset; here it bins the state tokens.
        stats[UNNORM_KEY]["proprio"] = {"q01": proprio["q01"], "q99": proprio["q99"]}
    config = {
        "model_type": "openvla", "architectures": ["OpenVLAForActionPrediction"],
        "vision_backbone_id": "siglip-vit-so400m", "llm_backbone_id": "llama2-7b-pure",
        "arch_specifier": "no-align+gelu-mlp", "use_fused_vision_backbone": False,
        "timm_model_ids": [TIMM_ID], "timm_override_act_layers": [None],
        "timm_model_args": [vision], "image_sizes": [image], "image_resize_strategy": "resize-naive",
        "pad_token_id": BASE_VOCAB, "pad_to_multiple_of": PAD, "n_action_bins": BINS, "control_frequency": 10,
        "text_config": {"model_type": "llama", "vocab_size": BASE_VOCAB + PAD, "max_position_embeddings": 256,
                        "rms_norm_eps": 1e-6, "tie_word_embeddings": False, **text},
        "norm_stats": stats,
    }
    if proprio:
        # SwiftVLA's key: the observation features whose tokens follow the prompt, in order.
        config["state_features"] = proprio["features"]
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(out, "dataset_statistics.json"), "w") as f:
        json.dump(stats, f, indent=1)
    for name in ["tokenizer.json", "tokenizer_config.json"]:
        with open(os.path.join(TOKENIZER_DIR, name)) as src, open(os.path.join(out, name), "w") as dst:
            dst.write(src.read())
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump({"image_resize_strategy": "resize-naive", "interpolations": ["bicubic"], "means": [[0.5, 0.5, 0.5]],
                   "stds": [[0.5, 0.5, 0.5]], "input_sizes": [[3, image, image]]}, f, indent=1)
    # How the runtime chooses action tokens (transformers' generate reads the same file). Greedy
    # decoding gets stuck where the model is torn between two moves (up and down, say) and the
    # most likely bin flips from frame to frame; sampling from the model's own distribution
    # leaves such states (Models/README.md, "What made push better again").
    generation = {"do_sample": True, "temperature": temperature, "top_k": 0} if temperature > 0 else {"do_sample": False}
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": BASE_VOCAB, **generation}, f, indent=1)
    with open(os.path.join(out, "training.json"), "w") as f:
        json.dump(summary, f, indent=1)
    if not quiet:
        print("wrote", out, flush=True)


def load_exported(model, folder):
    """Loads an exported model folder's weights (as written by `export`) into `model`."""
    from safetensors.torch import load_file
    sd = load_file(os.path.join(folder, "model.safetensors"))
    model.featurizer.load_state_dict({k[len("vision_backbone.featurizer."):]: v.float() for k, v in sd.items()
                                      if k.startswith("vision_backbone.featurizer.")})
    for name in ["fc1", "fc2"]:
        getattr(model, name).weight.data = sd[f"projector.{name}.weight"].float()
        getattr(model, name).bias.data = sd[f"projector.{name}.bias"].float()
    model.lm.load_state_dict({k[len("language_model."):]: v.float() for k, v in sd.items()
                              if k.startswith("language_model.")}, strict=False)
    model.sync_from_lm()


def save_parity_sample(model, out, paths, frames, prompts, episode_of, val_idx, tokens, loaded, image, count=12,
                       state=None, state_tokens=None):
    """Validation frames (at full size, as PNG) with the tokens the exported bf16 weights choose in
    PyTorch: the Swift runtime must choose the same ones (Tests/PolicyTests)."""
    # Reload the exported (bf16-rounded) weights so the reference is exactly what ships.
    load_exported(model, out)
    model.eval()
    folder = os.path.join(out, "parity")
    os.makedirs(folder, exist_ok=True)
    picks = val_idx[np.linspace(0, len(val_idx) - 1, count).astype(int)]
    cases = []
    starts_of = np.concatenate([[0], np.cumsum([len(a) for _, a, _, _, _ in loaded])])
    for n, i in enumerate(picks):
        e = episode_of[i]
        instruction = loaded[e][2]
        with open(os.path.join(folder, f"{n:02d}.png"), "wb") as f:   # the recorded PNG, as it is
            f.write(Episode(paths[e]).frame_bytes(loaded[e][3]["kept_steps"][int(i - starts_of[e])]))
        pix = torch.from_numpy(frames[i:i + 1]).permute(0, 3, 1, 2).float().div(255).sub(0.5).div(0.5)
        ids = list(prompts[e]) + (state_tokens[i].tolist() if state is not None else [])
        prompt_length = len(ids)
        with torch.no_grad():
            for _ in range(tokens.shape[1]):
                seq = torch.tensor([[ids[0]] + [0] * ((image // model.featurizer.patch_embed.patch_size[0]) ** 2) + ids[1:]])
                logits = model(pix, model.slots(seq), torch.tensor([seq.shape[1] - 1]), 1, full=True)
                ids.append(int(logits[0, 0].argmax()))
        case = {"image": f"{n:02d}.png", "instruction": instruction,
                "tokens": ids[prompt_length:], "recorded_tokens": tokens[i].tolist()}
        if state is not None:
            # The joint positions recorded with the frame and the tool point numpy's forward
            # kinematics made of them: the Swift kinematics must agree (SimulationWorldTests).
            case["joint_names"] = Episode(paths[e]).meta["joint_names"]
            case["joints"] = loaded[e][3]["joints"][int(i - starts_of[e])].tolist()
            case["state"] = state[i].tolist()
            case["state_tokens"] = state_tokens[i].tolist()
        cases.append(case)
    with open(os.path.join(folder, "cases.json"), "w") as f:
        json.dump({"about": "PyTorch greedy action tokens of the exported weights on validation frames",
                   "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()
