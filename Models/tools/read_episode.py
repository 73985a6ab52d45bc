#!/usr/bin/env python3
"""Read a SwiftVLA episode folder (format version 1) with numpy and the standard library.

An episode is what `vla run` / `vla record` write (spec: Sources/Episodes/FORMAT.md):

    meta.json    task, model, arm, camera, action and joint names
    steps.log    one CRC-checked record per step (JSON: state, action, sent, clamps, ...)
    frames.bin   one CRC-checked record per camera frame (PNG, JPEG or raw pixels)
    end.json     summary and outcome, present once the recording finished

Like the Swift reader, this one tolerates a recording that was killed mid-write: a torn
last record is dropped and reported in `Episode.torn_tails`; damage followed by whole
records raises `CorruptEpisode`.

Command line (prints a summary; --json for machines):

    python3 Models/tools/read_episode.py episodes/20261129-115703-123-pick-up-the-red-cube
    python3 Models/tools/read_episode.py EPISODE --frames      # also decode every frame
    python3 Models/tools/read_episode.py EPISODE --json

From a training script:

    from read_episode import Episode
    ep = Episode("episodes/...")
    ep.meta["instruction"], ep.meta["action_names"]
    states = ep.states()       # float64 (steps, joints); NaN where a step has no state
    actions = ep.actions()     # float64 (steps, action values)
    image = ep.frame(0)        # uint8 (H, W, C) in the captured channel order (ep.frame_info(0))

PNG and raw frames decode with numpy alone (a small PNG decoder is included); JPEG
frames need OpenCV (cv2) or Pillow, or take the bytes with `ep.frame_bytes(i)`.
"""

import argparse
import json
import math
import os
import struct
import sys
import zlib

import numpy as np

FORMAT_NAME = "swiftvla-episode"
SUPPORTED_VERSION = 1
FILE_HEADER = 16
RECORD_HEADER = 16
RECORD_MAGIC = b"VREC"
MAX_PAYLOAD = 256 << 20
ENCODINGS = {0: "raw", 1: "png", 2: "jpeg"}
PIXEL_FORMATS = {0: "gray", 1: "rgb", 2: "bgr"}


class EpisodeError(Exception):
    """The episode cannot be read; the message names the file."""


class CorruptEpisode(EpisodeError):
    """A record in the middle of a log is damaged and whole records follow it."""


# ---------------------------------------------------------------------------- the logs

def _whole_record(data, offset):
    """The payload (start, end) of the whole, checked record at `offset`, or None."""
    if offset + RECORD_HEADER > len(data) or data[offset:offset + 4] != RECORD_MAGIC:
        return None
    length, payload_crc, header_crc = struct.unpack_from("<III", data, offset + 4)
    if zlib.crc32(data[offset:offset + 12]) != header_crc or length > MAX_PAYLOAD:
        return None
    start, end = offset + RECORD_HEADER, offset + RECORD_HEADER + length
    if end > len(data) or zlib.crc32(data[start:end]) != payload_crc:
        return None
    return start, end


def scan_log(data, magic, path):
    """Splits a log into payload ranges; returns (ranges, torn) where torn is None or
    (offset, bytes) of a dropped tail. Raises CorruptEpisode for damage in the middle."""
    head = data[:FILE_HEADER]
    expected = magic + struct.pack("<II", 1, 0)
    if head[:12] != expected[:len(head[:12])]:
        raise EpisodeError(f"{path}: not a {magic.decode()} log of version 1")
    if len(data) < FILE_HEADER:
        return [], ((0, len(data)) if data else None)
    ranges, offset = [], FILE_HEADER
    while offset < len(data):
        found = _whole_record(data, offset)
        if found:
            ranges.append(found)
            offset = found[1]
            continue
        later = data.find(RECORD_MAGIC, offset + 1)
        while later != -1:
            if _whole_record(data, later):
                raise CorruptEpisode(f"{path}: record {len(ranges)} at byte {offset} is corrupt "
                                     f"and whole records follow it")
            later = data.find(RECORD_MAGIC, later + 1)
        return ranges, (offset, len(data) - offset)
    return ranges, None


def _float(x):
    return float(x) if isinstance(x, str) else x   # "NaN", "Infinity", "-Infinity"


# ---------------------------------------------------------------------------- PNG

def decode_png(data):
    """Decodes an 8-bit, non-interlaced gray/RGB/RGBA PNG (what OpenCV writes) to
    uint8 (H, W, C) in the file's channel order (RGB)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace != 0 or color not in (0, 2, 4, 6):
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {color}, interlace {interlace})")
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if width is None:
        raise ValueError("PNG without IHDR")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.uint8)
    prior = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        if kind == 0:
            row = line
        elif kind == 1:      # Sub: a running sum per channel
            row = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1) & 0xFF
        elif kind == 2:      # Up
            row = (line + prior) & 0xFF
        elif kind in (3, 4):  # Average, Paeth: sequential along the row
            cur, up, filt = [0] * stride, prior.tolist(), line.tolist()
            for i in range(stride):
                left = cur[i - channels] if i >= channels else 0
                if kind == 3:
                    cur[i] = (filt[i] + ((left + up[i]) >> 1)) & 0xFF
                else:
                    upleft = up[i - channels] if i >= channels else 0
                    p = left + up[i] - upleft
                    pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - upleft)
                    pred = left if pa <= pb and pa <= pc else (up[i] if pb <= pc else upleft)
                    cur[i] = (filt[i] + pred) & 0xFF
            row = np.array(cur, dtype=np.int64)
        else:
            raise ValueError(f"bad PNG filter {kind} in row {y}")
        out[y] = row
        prior = row
    return out.reshape(height, width, channels)


def _decode_jpeg(data):
    try:
        import cv2  # noqa: PLC0415
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        return img[:, :, ::-1] if img.ndim == 3 else img[:, :, None]   # BGR -> RGB
    except ImportError:
        pass
    try:
        import io  # noqa: PLC0415
        from PIL import Image  # noqa: PLC0415
        return np.asarray(Image.open(io.BytesIO(data)))
    except ImportError as exc:
        raise EpisodeError("JPEG frames need cv2 or Pillow; use frame_bytes() for the file bytes") from exc


# ---------------------------------------------------------------------------- Episode

class Episode:
    """An episode folder, opened the way the Swift `EpisodeReader` opens it."""

    def __init__(self, path):
        self.path = path
        meta_path = os.path.join(path, "meta.json")
        if not os.path.exists(meta_path):
            raise EpisodeError(f"{meta_path}: missing — not an episode folder")
        with open(meta_path, encoding="utf-8") as f:
            self.meta = json.load(f)
        if self.meta.get("format") != FORMAT_NAME:
            raise EpisodeError(f"{meta_path}: \"format\" is not \"{FORMAT_NAME}\"")
        if self.meta.get("version", 0) > SUPPORTED_VERSION:
            raise EpisodeError(f"{meta_path}: version {self.meta['version']} is newer than this reader ({SUPPORTED_VERSION})")
        end_path = os.path.join(path, "end.json")
        self.end = None
        if os.path.exists(end_path):
            with open(end_path, encoding="utf-8") as f:
                self.end = json.load(f)

        steps_path = os.path.join(path, "steps.log")
        if not os.path.exists(steps_path):
            raise EpisodeError(f"{steps_path}: missing")
        with open(steps_path, "rb") as f:
            data = f.read()
        ranges, torn = scan_log(data, b"VLASTEPS", steps_path)
        self.torn_tails = []
        if torn:
            self.torn_tails.append({"file": "steps.log", "offset": torn[0], "bytes": torn[1], "dropped_steps": 1})
        self.steps = []
        for i, (a, b) in enumerate(ranges):
            step = json.loads(data[a:b])
            if step.get("index") != i:
                raise CorruptEpisode(f"{steps_path}: record {i} says it is step {step.get('index')}")
            self.steps.append(step)

        frames_path = os.path.join(path, "frames.bin")
        self._frames = None
        if os.path.exists(frames_path):
            with open(frames_path, "rb") as f:
                self._frames = f.read()
            dropped = 0
            # Unfinished: drop steps at the end whose frame never became whole (power cut).
            while self.end is None and self.steps and "frame" in self.steps[-1] \
                    and not self._frame_whole(self.steps[-1]["frame"]):
                first_bad = self.steps.pop()["frame"]["offset"]
                dropped += 1
            if dropped:
                self.torn_tails.append({"file": "frames.bin", "offset": first_bad,
                                        "bytes": len(self._frames) - first_bad, "dropped_steps": dropped})

    def _frame_whole(self, ref):
        found = _whole_record(self._frames, ref["offset"])
        return found is not None and found[1] - found[0] == ref["length"]

    @property
    def status(self):
        """'finished' with end.json, else 'unfinished' (cut short, or still recording)."""
        return "finished" if self.end else "unfinished"

    def __len__(self):
        return len(self.steps)

    def _matrix(self, key, names):
        out = np.full((len(self.steps), len(names)), np.nan)
        for i, step in enumerate(self.steps):
            if key in step:
                out[i] = [_float(v) for v in step[key]]
        return out

    def states(self):
        """Joint positions read at each step, float64 (steps, joints), per meta['joint_names']."""
        return self._matrix("state", self.meta["joint_names"])

    def actions(self):
        """Requested actions, float64 (steps, values), per meta['action_names']."""
        return self._matrix("action", self.meta["action_names"])

    def sent(self):
        """Joint targets sent after safety, float64 (steps, joints)."""
        return self._matrix("sent", self.meta["joint_names"])

    def times(self):
        """Seconds since the start of recording, float64 (steps,)."""
        start = self.meta["start_timestamp"]
        return np.array([s["time"] - start for s in self.steps])

    def _frame_payload(self, i):
        ref = self.steps[i].get("frame")
        if ref is None:
            return None
        if self._frames is None:
            raise EpisodeError(f"{os.path.join(self.path, 'frames.bin')}: missing")
        found = _whole_record(self._frames, ref["offset"])
        if found is None:
            raise CorruptEpisode(f"{os.path.join(self.path, 'frames.bin')}: frame of step {i} "
                                 f"at byte {ref['offset']} is missing or corrupt")
        return self._frames[found[0]:found[1]]

    def frame_info(self, i):
        """The frame header of step i: encoding, format, width, height, sequence, time."""
        payload = self._frame_payload(i)
        if payload is None:
            return None
        enc, fmt, width, height, seq, t = struct.unpack_from("<BB2xII4xQd", payload, 0)
        return {"encoding": ENCODINGS[enc], "format": PIXEL_FORMATS[fmt], "width": width, "height": height,
                "sequence": seq, "time": t}

    def frame_bytes(self, i):
        """The stored image bytes of step i (a PNG or JPEG file, or packed pixels)."""
        payload = self._frame_payload(i)
        return None if payload is None else payload[32:]

    def frame(self, i):
        """The frame of step i as uint8 (H, W, C) in the captured channel order, or None."""
        info = self.frame_info(i)
        if info is None:
            return None
        data = self.frame_bytes(i)
        channels = 1 if info["format"] == "gray" else 3
        if info["encoding"] == "raw":
            return np.frombuffer(data, np.uint8).reshape(info["height"], info["width"], channels)
        image = decode_png(data) if info["encoding"] == "png" else _decode_jpeg(data)
        image = image[:, :, :channels]
        if info["format"] == "bgr":
            image = image[:, :, ::-1]     # files are true colour (RGB); give back BGR
        return np.ascontiguousarray(image)

    def summary(self):
        """end.json, or the same keys computed from the steps (outcome None)."""
        if self.end:
            return self.end
        duration = (self.steps[-1]["time"] - self.meta["start_timestamp"]) if self.steps else 0.0
        return {"steps": len(self.steps), "frames": sum("frame" in s for s in self.steps),
                "duration": max(0.0, duration), "outcome": None,
                "clamped_steps": sum(bool(s.get("clamps")) for s in self.steps)}


def _ranges(names, matrix):
    rows = []
    for j, name in enumerate(names):
        col = matrix[:, j] if matrix.size else np.array([])
        col = col[np.isfinite(col)]
        if col.size:
            rows.append({"name": name, "min": float(col.min()), "mean": float(col.mean()), "max": float(col.max())})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("episode", help="an episode folder")
    parser.add_argument("--frames", action="store_true", help="decode every frame and report their shapes")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    try:
        ep = Episode(args.episode)
        report = {
            "path": args.episode, "status": ep.status, "instruction": ep.meta.get("instruction"),
            "model": ep.meta.get("model"), "summary": ep.summary(), "torn_tails": ep.torn_tails,
            "state": _ranges(ep.meta["joint_names"], ep.states()),
            "action": _ranges(ep.meta["action_names"], ep.actions()),
        }
        if args.frames:
            shapes = {}
            for i in range(len(ep)):
                image = ep.frame(i)
                if image is not None:
                    shapes[str(image.shape)] = shapes.get(str(image.shape), 0) + 1
            report["frames"] = shapes
    except EpisodeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True, default=lambda x: None if isinstance(x, float) and math.isnan(x) else x))
        return 0
    s = report["summary"]
    print(args.episode)
    print(f"  instruction  {report['instruction']}")
    print(f"  outcome      {s.get('outcome') or 'cut short (no end.json)'}")
    print(f"  steps        {s['steps']} in {s['duration']:.1f} s, {s.get('frames', 0)} frames, "
          f"{s.get('clamped_steps', 0)} clamped")
    for tail in ep.torn_tails:
        print(f"  torn tail    {tail['file']}: {tail['bytes']} bytes at {tail['offset']} dropped "
              f"({tail['dropped_steps']} step(s))")
    for title in ("state", "action"):
        for r in report[title]:
            print(f"  {title:6} {r['name']:14} min {r['min']:10.4f}  mean {r['mean']:10.4f}  max {r['max']:10.4f}")
    if args.frames:
        for shape, n in report["frames"].items():
            print(f"  frames       {n} x {shape}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
