"""`cti prompts install`: put the built prompts and a hold tone where Asterisk reads them.

Asterisk plays ``<astdatadir>/sounds/<lang>/<id>.wav`` for ``STREAM FILE <lang>/<id>`` (the
IVR's prompt names) and the shipped musiconhold.conf class ``default`` plays the files in
``<astdatadir>/moh/cti/``. Without the prompts every GET DATA fails at once and the IVR
falls through to its fallback; without a music file MusicOnHold returns at once.
Files are written to a temporary name and renamed, so a running Asterisk never opens a
half-written prompt.
"""

from __future__ import annotations

import math
import os
import shutil
import struct
import wave
from configparser import ConfigParser
from dataclasses import dataclass, field
from pathlib import Path

HOLD_TONE = "cti-hold-tone.wav"


@dataclass
class InstallReport:
    prompts: list[str] = field(default_factory=list)  # "zh/welcome", ...
    moh: list[str] = field(default_factory=list)


def data_dir_from(asterisk_conf: Path) -> Path:
    """``astdatadir`` from an asterisk.conf (``[directories]``), default /var/lib/asterisk."""
    parser = ConfigParser(delimiters=("=>", "="), inline_comment_prefixes=(";",), strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    text = asterisk_conf.read_text(encoding="utf-8")
    # Asterisk writes "[directories](!)" for a template; the name is what matters here.
    parser.read_string(text.replace("](!)", "]"))
    if parser.has_option("directories", "astdatadir"):
        return Path(parser.get("directories", "astdatadir").strip())
    return Path("/var/lib/asterisk")


def _atomic_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dst)


def hold_tone(path: Path, seconds: float = 8.0) -> None:
    """A soft two-note chime every 4 s (8 kHz mono s16): music on hold for a fresh site."""
    rate = 8000
    frames = bytearray()
    for n in range(int(seconds * rate)):
        t = (n / rate) % 4.0
        hz = 523.25 if t < 0.6 else 659.25 if t < 1.2 else 0.0
        envelope = math.sin(math.pi * (t % 0.6) / 0.6) if hz else 0.0
        sample = int(0.15 * 32767 * envelope * math.sin(2 * math.pi * hz * n / rate))
        frames += struct.pack("<h", sample)
    tmp = path.with_name(f".{path.name}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def install(built: Path, data_dir: Path, names: list[str]) -> InstallReport:
    """Copy ``<built>/<lang>/<id>.wav`` for ``names`` into ``<data_dir>/sounds`` and write
    the hold tone into ``<data_dir>/moh/cti``."""
    report = InstallReport()
    sounds = data_dir / "sounds"
    for name in sorted(names):
        _atomic_copy(built / f"{name}.wav", sounds / f"{name}.wav")
        report.prompts.append(name)
    moh = data_dir / "moh" / "cti" / HOLD_TONE
    hold_tone(moh)
    report.moh.append(str(moh))
    return report
