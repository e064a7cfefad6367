"""WAV arithmetic without I/O: header fields, durations, silent stretches.

MixMonitor writes RIFF WAV, PCM 16-bit mono 8 kHz (``wav`` format); a muted stretch is
digital silence (samples exactly 0), not a gap, so a pause can be found in the samples.
"""

from __future__ import annotations

import re
import struct
from array import array
from dataclasses import dataclass


class NotWav(ValueError):
    """The bytes are not a RIFF/WAVE PCM file we can read."""


@dataclass(frozen=True, slots=True)
class WavInfo:
    channels: int
    sample_width: int
    rate: int
    data_offset: int
    data_size: int  # bytes of samples actually present (the header may claim more or less)
    header_data_size: int  # what the data chunk header says

    @property
    def frames(self) -> int:
        return self.data_size // (self.channels * self.sample_width)

    @property
    def duration(self) -> float:
        return self.frames / self.rate if self.rate else 0.0

    @property
    def complete(self) -> bool:
        """The header was written after the samples (the writer closed the file)."""
        return self.header_data_size == self.data_size

    @property
    def format(self) -> str:
        return f"wav/pcm{8 * self.sample_width}/{self.rate}/{self.channels}ch"


def parse_header(head: bytes, file_size: int) -> WavInfo:
    """Read the chunks in the first bytes of a file (4 KB is plenty for Asterisk's)."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise NotWav("not a RIFF/WAVE file")
    pos, fmt = 12, None
    while pos + 8 <= len(head):
        cid, size = head[pos : pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt ":
            if body + 16 > len(head):
                raise NotWav("truncated fmt chunk")
            tag, channels, rate, _brate, _align, bits = struct.unpack_from("<HHIIHH", head, body)
            if tag != 1 or bits % 8 or not channels:
                raise NotWav(f"not integer PCM (format tag {tag}, {bits} bits)")
            fmt = (channels, bits // 8, rate)
        elif cid == b"data":
            if fmt is None:
                raise NotWav("data chunk before fmt chunk")
            present = max(0, file_size - body)
            return WavInfo(fmt[0], fmt[1], fmt[2], body, min(size, present) if size else present,
                           size)
        pos = body + size + (size & 1)
    raise NotWav("no data chunk in the header")


def samples(frames: bytes) -> array:
    """16-bit little-endian PCM bytes as signed integers."""
    out = array("h")
    out.frombytes(frames[: len(frames) // 2 * 2])
    return out


def zero_runs(frames: bytes, rate: int, min_seconds: float) -> list[tuple[float, float]]:
    """Stretches of exact digital silence at least ``min_seconds`` long, in seconds, from
    16-bit mono PCM bytes.

    Real speech and tones cross zero often but never stay at 0 for even a few ms, so a
    run of zeros longer than ~50 ms is a mute. A regex over the bytes finds them at C
    speed (a ten-minute call is 9.6 MB); an odd match start is moved to the next sample.
    """
    need = max(1, int(min_seconds * rate))
    runs: list[tuple[float, float]] = []
    for m in re.finditer(rb"\x00{%d,}" % (2 * need), frames):
        first = (m.start() + 1) // 2
        last = m.end() // 2
        if last - first >= need:
            runs.append((first / rate, last / rate))
    return runs


def snap_pauses(
    marked: list[tuple[float, float]], runs: list[tuple[float, float]], tolerance: float
) -> list[tuple[float, float]]:
    """Replace each pause the engine's clock marked by the silent run that covers it.

    The engine knows when it sent MixMonitorMute (clock time); the file knows where the
    zeros are. A run counts when both of its ends lie within ``tolerance`` seconds of the
    mark; otherwise the mark stays as it was (a pause on a stretch that was not bridged).
    """
    out = []
    for start, end in marked:
        best = None
        for rs, re_ in runs:
            if abs(rs - start) <= tolerance and abs(re_ - end) <= tolerance:
                best = (round(rs, 3), round(re_, 3))
                break
        out.append(best or (round(start, 3), round(end, 3)))
    return out


def peak(pcm: array) -> int:
    return max((abs(v) for v in pcm), default=0)
