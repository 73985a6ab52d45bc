#!/usr/bin/env python3
"""Build small real tokenizer.json files and reference encodings for SwiftVLA's tokenizer tests.

make_tokenizer_fixtures.py
==========================

What it does
------------
Uses the Hugging Face ``tokenizers`` library (the Rust implementation behind
``transformers``' fast tokenizers) to *train* small BPE tokenizers laid out like the
real ones VLA models ship, and writes, for each of them::

    Tests/Fixtures/tokenizers/<name>/tokenizer.json         the tokenizer, as tokenizers saves it
    Tests/Fixtures/tokenizers/<name>/tokenizer_config.json  (llama2 only) bos/eos/add_bos flags
    Tests/Fixtures/tokenizers/<name>/cases.json             reference encodings (see below)
    Tests/Fixtures/tokenizers/<name>/info.json              vocabulary sizes and id <-> token samples

Nothing is downloaded: the training corpus is the docstrings of Python's own standard
library plus a few generated lines of accented, CJK and emoji text and numbers.

The fixtures
------------
``gpt2``       byte-level BPE: ByteLevel pre-tokenizer with its own GPT-2 regex,
               ByteLevel decoder and post-processor, ``<|endoftext|>`` special token.
``roberta``    byte-level BPE with ``add_prefix_space=True``; TemplateProcessing adding
               ``<s> … </s>``; added tokens with lstrip / rstrip / single_word flags and a
               normalised (non-special) added token.
``llama3``     Split(Llama-3's regex, Isolated) + ByteLevel(use_regex=False),
               ``ignore_merges=True``, merges stored as ``[a, b]`` pairs, Sequence post-processor
               (ByteLevel + TemplateProcessing adding ``<|begin_of_text|>``).
``qwen2``      NFC normaliser, Split(Qwen2's regex) + ByteLevel(use_regex=False), ChatML
               special tokens, no BOS, a normalised added token ``café``.
``llama2``     SentencePiece-style BPE as in Llama-2's (and so OpenVLA's) tokenizer.json:
               normaliser Sequence[Prepend("▁"), Replace(" ", "▁")], no pre-tokenizer,
               ``byte_fallback`` with ``<0x00>``…``<0xFF>`` at ids 3…258, ``<unk>``/``<s>``/``</s>``
               at 0/1/2, decoder Sequence[Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0)],
               TemplateProcessing adding ``<s>``, OpenVLA's extra ``<PAD>`` special token after the
               base vocabulary; also a tokenizer_config.json.
``metaspace``  Metaspace pre-tokenizer (prepend_scheme "first", split) and decoder, no byte
               fallback: unknown characters become ``<unk>`` with ``fuse_unk``.
``extras``     not a real layout: the cheaper components (NFKD, StripAccents, Lowercase, Strip,
               regex Replace, NFKC; Split with every delimiter behaviour and ``invert``;
               ``continuing_subword_prefix`` / ``end_of_word_suffix``; BPEDecoder; BertProcessing).
``extras2``    not a real layout: WhitespaceSplit, Punctuation, Digits, Whitespace pre-tokenizers,
               left truncation to 24 ids (with room kept for ``<bos>``/``<eos>``), Fuse + Strip.

cases.json
----------
A list of ``{"text", "ids", "ids_no_special", "decoded", "decoded_skip_special"}``:
``ids`` is ``encode(text).ids`` (special tokens added), ``ids_no_special`` is
``encode(text, add_special_tokens=False).ids``, ``decoded`` is ``decode(ids)`` and
``decoded_skip_special`` is ``decode(ids, skip_special_tokens=True)``. The texts cover ASCII,
accents (composed and decomposed), CJK, emoji (with ZWJ), combining marks, long numbers,
punctuation, contractions, repeated / leading / trailing spaces, newlines, tabs, unusual
whitespace, the empty string and text containing the special-token strings, followed by
120 deterministic random concatenations of tricky fragments (``FUZZ_FRAGMENTS``) and 120 of
single code points (``FUZZ_CODE_POINTS``).

How to run
----------
With the project's Python environment (``tokenizers`` 0.23.3, ``transformers`` 5.24)::

    /work/venv/bin/python Models/tools/make_tokenizer_fixtures.py            # writes the fixtures
    /work/venv/bin/python Models/tools/make_tokenizer_fixtures.py --out DIR  # somewhere else

Re-running it rewrites the fixtures. Training is deterministic except for ``extras``: with
``continuing_subword_prefix`` set, the trainer breaks ties between equally frequent pairs in
hash order, so that file (and its cases, which always describe the file written) changes from
run to run. Any version is a valid fixture. The Swift side is ``Tests/TokenizersTests``; it requires every case's ids to
equal the reference exactly and decoding to give the reference's text.
"""

from __future__ import annotations

import argparse
import inspect
import json
import pathlib
import pydoc
import unicodedata

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from tokenizers import AddedToken

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "Tests" / "Fixtures" / "tokenizers"

# The Split patterns of the real files (copied from the published tokenizer.json files).
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------

STDLIB_MODULES = [
    "string", "re", "json", "collections", "itertools", "functools", "textwrap", "random",
    "math", "datetime", "pathlib", "typing", "argparse", "logging", "subprocess", "socket",
    "threading", "unittest", "decimal", "fractions", "statistics", "csv", "heapq", "bisect",
]

GENERATED_LINES = [
    "Le café est très bon, déjà vu à Noël; garçon, où est l'hôtel?",
    "Über den Straßen von München fährt ein Zug nach Köln.",
    "El niño comió piña en la mañana; ¿dónde está el baño?",
    "机器人拿起红色的方块。视觉语言动作模型控制机械臂。",
    "ロボットは赤いブロックを拾います。",
    "로봇이 빨간 블록을 집습니다.",
    "Привет, мир! Робот берёт красный кубик.",
    "Emoji: 🤖 🦾 👍🏽 ❤️ 👨‍👩‍👧 🎉🎉",
    "Numbers 1234567890 3.14159 2026-11-29 1,000,000 and 42.",
    "pick up the red block and place it in the bowl",
    "In: What action should the robot take to open the drawer?\nOut:",
]


def build_corpus() -> list[str]:
    """Docstrings of the standard library plus the generated lines, split into lines."""
    import importlib

    texts: list[str] = []
    for name in STDLIB_MODULES:
        module = importlib.import_module(name)
        docs = [inspect.getdoc(module) or ""]
        for attribute in sorted(dir(module)):
            if attribute.startswith("_"):
                continue
            doc = inspect.getdoc(getattr(module, attribute, None))
            if doc and doc not in docs:
                docs.append(doc)
        texts.extend(docs)
    lines = [line for text in texts for line in text.splitlines() if line.strip()]
    return lines + GENERATED_LINES * 20


# ---------------------------------------------------------------------------------------------
# Test texts
# ---------------------------------------------------------------------------------------------

TEST_TEXTS = [
    "",
    "Hello world",
    "Hello, world! How are you today?",
    "pick up the red block",
    "In: What action should the robot take to pick up the red block?\nOut:",
    "In: What action should the robot take to put the eggplant in the pot?\nOut: ",
    "It's John's car; they're here, we've gone, I'm sure, you'll see, he'd know.",
    "IT'S LOUD. They'RE shouting! O'Neil's 'quoted' text",
    "   leading spaces",
    "trailing spaces   ",
    "  both  ",
    "multiple     spaces    between   words",
    " ",
    "     ",
    "line one\nline two\n\nline four\r\nwindows line",
    "\n\n\n",
    "tabs\tbetween\t\twords\t",
    "\t\n \n\t mixed whitespace \n",
    "vertical\x0btab and form\x0cfeed",
    "no\u00a0break\u00a0space and\u2003em space and\u3000ideographic",
    "next\u0085line",
    "1234567890",
    "3.14159265358979 and 2.718281828",
    "Order #12345678901234567890 costs $1,234.56 (about €1.000,00).",
    "x = 42; y = x ** 2 + 3 * x - 7 // 2",
    "Punctuation!!! ??? ... --- ;;; ::: \"quotes\" 'single' `back` (paren) [bracket] {brace}",
    "email@example.com https://example.com/path?q=1&r=2#frag",
    "café naïve résumé façade Ångström",
    "cafe\u0301 decomposed e\u0301 and n\u0303",
    "Z\u0351\u0362a\u0360lg\u0315o combining marks",
    "Über Straße Köln",
    "¿Dónde está el baño?",
    "机器人拿起红色的方块",
    "你好，世界！这是一个测试。",
    "日本語のテキストとカタカナ",
    "한국어 텍스트",
    "Привет, мир!",
    "Emoji 🤖🦾 and 👍🏽 and 👨‍👩‍👧 and flags 🇫🇷",
    "🎉",
    "mixed 中文 and English 123 with émojis 🙂",
    "ΑΒΓ αβγ ΣΊΣΥΦΟΣ",
    "<s>",
    "</s>",
    "<unk>",
    "<s> hello </s>",
    "hello<s>world</s>",
    "<|endoftext|>",
    "text<|endoftext|>more text",
    "<|begin_of_text|>Hi<|eot_id|>",
    "<|im_start|>user\nWhat is this?<|im_end|>\n<|im_start|>assistant\n",
    "<mask> masked <mask>word <mask>",
    "the [ROBOT] arm and a[ROBOT]b",
    "grip the gripper",
    "<0x41> literal byte token text",
    "Tab\tseparated\tvalues\n1\t2\t3",
    "def f(x):\n    return x + 1\n",
    "a" * 40,
    "ab " * 20,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "\u2581already metaspace\u2581 chars",
    "\U0001F600\U0001F601 \u0000 control \u0007 chars",
]


FUZZ_FRAGMENTS = [
    "the", "robot", "Pick", "UP", "block", "drawer", "x", "a", "I", "é", "e\u0301", "ñ", "ß", "İ", "ǅ",
    "机器", "人", "の", "한", "🤖", "👍🏽", "👨\u200d👩", "\u200b", "\u0301", "\u0308", "١٢٣", "12", "2026",
    "0", "999999999", "3.5", "'s", "'S", "'ll", "'RE", "'d", "'", "\"", "!", "?", "...", "--", "(", ")", "#",
    "$", "%", "@", "_", "<", ">", "<s>", "</s>", "<unk>", "<|endoftext|>", "<|im_start|>", "<|eot_id|>", "<mask>",
    "[ROBOT]", "grip", "café", "<PAD>", "<0x41>", "\u2581", " ", " ", " ", "  ", "   ", "\n", "\n\n", "\r\n", "\t",
    "\u00a0", "\u3000", "\x0b", "\u0085",
]


# Single code points for the character-level fuzz: ASCII (weighted), unusual whitespace and
# format characters, Latin-1 and Latin Extended, combining marks, Greek, Cyrillic, Hangul jamo
# and syllables (NFC composes jamo), CJK, kana, Arabic-Indic digits, emoji and skin tones,
# variation selectors, and characters that NFKC or lowercasing change.
FUZZ_CODE_POINTS = (
    list(range(0x20, 0x7F)) * 6
    + [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0xA0, 0x1680, 0x2000, 0x2028, 0x3000, 0x200B, 0x200C, 0x200D, 0xFEFF, 0x00]
    + list(range(0xC0, 0x180)) + list(range(0x300, 0x370)) + list(range(0x391, 0x3CA)) + list(range(0x400, 0x460))
    + list(range(0x1100, 0x1113)) + list(range(0x1161, 0x1176)) + list(range(0xAC00, 0xAC40)) + list(range(0x4E00, 0x4E40))
    + list(range(0x3040, 0x30A0)) + list(range(0x660, 0x66A)) + list(range(0x1F300, 0x1F340)) + list(range(0x1F3FB, 0x1F400))
    + [0xFE0F, 0xFE0E, 0x2581, 0x2160, 0xBD, 0xB2, 0x1D7D8, 0xFB01, 0x212B, 0x1E9B, 0x130, 0x3A3, 0x3C2, 0xDF, 0x1E9E]
)


def fuzz_texts(count: int = 120, seed: int = 20261129) -> list[str]:
    """Deterministic random concatenations of tricky fragments, then of single code points."""
    import random

    rng = random.Random(seed)
    fragments = ["".join(rng.choice(FUZZ_FRAGMENTS) for _ in range(rng.randint(1, 14))) for _ in range(count)]
    characters = []
    for _ in range(count):
        parts = [rng.choice(FUZZ_FRAGMENTS) if rng.random() < 0.1 else chr(rng.choice(FUZZ_CODE_POINTS))
                 for _ in range(rng.randint(1, 25))]
        characters.append("".join(parts))
    return fragments + characters


# ---------------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------------


def train(tokenizer: Tokenizer, corpus: list[str], vocab_size: int, special: list[str],
          initial_alphabet: list[str] | None = None, limit_alphabet: int | None = None) -> None:
    options = {"limit_alphabet": limit_alphabet} if limit_alphabet is not None else {}
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=special,
        initial_alphabet=initial_alphabet or [],
        show_progress=False,
        **options,
    )
    tokenizer.train_from_iterator(corpus, trainer=trainer)


def make_gpt2(corpus: list[str]) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    train(tok, corpus, 1000, ["<|endoftext|>"], pre_tokenizers.ByteLevel.alphabet())
    return tok


def make_roberta(corpus: list[str]) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    train(tok, corpus, 800, ["<s>", "<pad>", "</s>", "<unk>"], pre_tokenizers.ByteLevel.alphabet())
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, special=True, normalized=False)])
    tok.add_tokens([
        AddedToken("[ROBOT]", single_word=True, rstrip=True, normalized=False),
        AddedToken("grip", single_word=True, normalized=True),
    ])
    return tok


def make_llama3(corpus: list[str]) -> Tokenizer:
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False, trim_offsets=True),
    ])
    tok.decoder = decoders.ByteLevel()
    special = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
    train(tok, corpus, 1500, special, pre_tokenizers.ByteLevel.alphabet())
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(
            single="<|begin_of_text|> $A",
            pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
            special_tokens=[("<|begin_of_text|>", tok.token_to_id("<|begin_of_text|>"))],
        ),
    ])
    return tok


def make_qwen2(corpus: list[str]) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False, trim_offsets=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    train(tok, corpus, 1200, special, pre_tokenizers.ByteLevel.alphabet())
    # A normalised added token: matched after NFC, so "cafe\u0301" finds it too.
    tok.add_tokens([AddedToken("café", normalized=True)])
    return tok


def make_llama2(corpus: list[str]) -> Tokenizer:
    # Train pieces the SentencePiece way (never across a "▁"), then lay the file out as
    # Llama-2's: specials at 0..2, byte tokens at 3..258, no pre-tokenizer.
    trainer_tok = Tokenizer(models.BPE())
    trainer_tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trainer_tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=True)
    train(trainer_tok, corpus, 1200, ["<unk>", "<s>", "</s>"], limit_alphabet=200)
    trained = json.loads(trainer_tok.to_str())
    old_vocab = sorted(trained["model"]["vocab"].items(), key=lambda item: item[1])
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for byte in range(256):
        vocab[f"<0x{byte:02X}>"] = len(vocab)
    for token, _ in old_vocab:
        if token not in vocab:
            vocab[token] = len(vocab)
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in trained["model"]["merges"]]

    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ["<unk>", "<s>", "</s>"]])
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.pre_tokenizer = None
    tok.decoder = decoders.Sequence([
        decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0),
    ])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s>:1 $B:1", special_tokens=[("<s>", 1)],
    )
    # OpenVLA adds a <PAD> special token after the base vocabulary.
    tok.add_special_tokens([AddedToken("<PAD>", special=True, normalized=False)])
    return tok


def make_metaspace(corpus: list[str]) -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    # Train on Latin-script lines only (not `limit_alphabet`, whose ties make training
    # non-deterministic), so CJK, Cyrillic and emoji become <unk>.
    latin = [line for line in corpus if all(ord(c) < 0x250 for c in line)]
    train(tok, latin, 700, ["<unk>", "<s>", "</s>"])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    return tok


def make_extras(corpus: list[str]) -> Tokenizer:
    # Not a real model's layout: the cheaper components, so each is checked against the reference.
    tok = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.Sequence([
        normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase(), normalizers.Strip(),
        normalizers.Replace(Regex(r"\s+"), " "), normalizers.NFKC(),
    ])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\p{N}"), behavior="contiguous"),
        pre_tokenizers.Split(Regex(r"[!?.,;:]"), behavior="merged_with_next"),
        pre_tokenizers.Split(" ", behavior="removed"),
        pre_tokenizers.Split(Regex(r"[a-z]+"), behavior="merged_with_previous", invert=True),
    ])
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    trainer = trainers.BpeTrainer(
        vocab_size=600, min_frequency=2, special_tokens=["[UNK]", "[CLS]", "[SEP]"], show_progress=False,
        continuing_subword_prefix="##", end_of_word_suffix="</w>",
    )
    latin = [line for line in corpus if all(ord(c) < 0x250 for c in line)]
    tok.train_from_iterator(latin, trainer=trainer)
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")), ("[CLS]", tok.token_to_id("[CLS]")))
    return tok


def make_extras2(corpus: list[str]) -> Tokenizer:
    # Not a real layout: the fixed-pattern pre-tokenizers and truncation.
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Punctuation(behavior="contiguous"),
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.Whitespace(),
    ])
    # (Strip with stop > 0 panics in tokenizers 0.23.3 when decoding to an empty string.)
    tok.decoder = decoders.Sequence([decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    train(tok, corpus, 900, ["<unk>", "<bos>", "<eos>"])
    tok.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>", special_tokens=[("<bos>", 1), ("<eos>", 2)],
    )
    tok.enable_truncation(max_length=24, direction="left")
    return tok


BUILDERS = {
    "gpt2": make_gpt2,
    "roberta": make_roberta,
    "llama3": make_llama3,
    "qwen2": make_qwen2,
    "llama2": make_llama2,
    "metaspace": make_metaspace,
    "extras": make_extras,
    "extras2": make_extras2,
}

LLAMA2_CONFIG = {
    "add_bos_token": True,
    "add_eos_token": False,
    "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": False, "normalized": False,
                  "rstrip": False, "single_word": False},
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": None,
    "clean_up_tokenization_spaces": False,
    "legacy": True,
    "model_max_length": 2048,
    "tokenizer_class": "LlamaTokenizer",
}


def pairs_to_lists(tokenizer_json: dict) -> dict:
    """Store merges as [a, b] pairs (the newer layout); Llama-3's file uses it."""
    merges = tokenizer_json["model"]["merges"]
    tokenizer_json["model"]["merges"] = [m.split(" ", 1) if isinstance(m, str) else m for m in merges]
    return tokenizer_json


def strings_merges(tokenizer_json: dict) -> dict:
    """Store merges as "a b" strings (the older layout GPT-2 and Llama-2 files use)."""
    merges = tokenizer_json["model"]["merges"]
    tokenizer_json["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in merges]
    return tokenizer_json


def write(out: pathlib.Path, name: str, tok: Tokenizer) -> None:
    directory = out / name
    directory.mkdir(parents=True, exist_ok=True)
    data = json.loads(tok.to_str())
    data = pairs_to_lists(data) if name in ("llama3", "qwen2") else strings_merges(data)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Reload what we write, so the cases describe exactly the committed file.
    reference = Tokenizer.from_str(text)
    (directory / "tokenizer.json").write_text(text + "\n", encoding="utf-8")
    if name == "llama2":
        (directory / "tokenizer_config.json").write_text(json.dumps(LLAMA2_CONFIG, indent=2) + "\n", encoding="utf-8")
    cases = []
    for text_case in TEST_TEXTS + fuzz_texts():
        ids = reference.encode(text_case).ids
        cases.append({
            "text": text_case,
            "ids": ids,
            "ids_no_special": reference.encode(text_case, add_special_tokens=False).ids,
            "decoded": reference.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": reference.decode(ids, skip_special_tokens=True),
        })
    vocab = reference.get_vocab(with_added_tokens=True)
    sample_ids = sorted({0, 1, 2, 3, 100, 257, 258, 259, reference.get_vocab_size() - 1} | set(range(0, len(vocab), 97)))
    info = {
        "vocab_size": reference.get_vocab_size(with_added_tokens=False),
        "vocab_size_with_added_tokens": reference.get_vocab_size(with_added_tokens=True),
        "id_to_token": [[i, reference.id_to_token(i)] for i in sample_ids if reference.id_to_token(i) is not None],
        "missing_ids": [-1, len(vocab) + 10],
    }
    (directory / "info.json").write_text(json.dumps(info, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = ",\n".join(json.dumps(case, ensure_ascii=False, separators=(",", ":")) for case in cases)
    (directory / "cases.json").write_text("[\n" + lines + "\n]\n", encoding="utf-8")
    print(f"{name}: vocab {reference.get_vocab_size()} tokens, {len(cases)} cases -> {directory}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args()
    corpus = build_corpus()
    for name, builder in BUILDERS.items():
        write(args.out, name, builder(corpus))


if __name__ == "__main__":
    main()
