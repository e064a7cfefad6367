"""Blocking file work on recordings: checksum, header, silent stretches (run in a thread)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from recordings.wavmath import NotWav, WavInfo, parse_header, zero_runs

CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class FileFacts:
    size: int
    sha256: str
    info: WavInfo | None  # None: not a WAV we can read (still checksummed and kept)


def sha256_of(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def header_of(path: Path) -> WavInfo | None:
    """The WAV header's facts; None for a missing file or one that is not a WAV."""
    try:
        size = os.stat(path).st_size
        with path.open("rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        return None
    try:
        return parse_header(head, size)
    except NotWav:
        return None


def facts(path: Path) -> FileFacts:
    size, digest = sha256_of(path)
    return FileFacts(size, digest, header_of(path))


def silent_stretches(path: Path, min_seconds: float = 0.2) -> list[tuple[float, float]]:
    info = header_of(path)
    if info is None or info.channels != 1 or info.sample_width != 2:
        return []
    with path.open("rb") as f:
        f.seek(info.data_offset)
        data = f.read(info.data_size)
    return zero_runs(data, info.rate, min_seconds)


def pcm_window(path: Path, start: float, end: float) -> bytes:
    """16-bit mono samples between two offsets (seconds), for checks and tests."""
    info = header_of(path)
    if info is None:
        raise NotWav(str(path))
    step = info.channels * info.sample_width
    first = int(start * info.rate) * step
    last = min(info.data_size, int(end * info.rate) * step)
    with path.open("rb") as f:
        f.seek(info.data_offset + first)
        return f.read(max(0, last - first))
