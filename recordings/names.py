"""File names of recordings, and the one door from a stored name to a path on disk.

Names come from call ids (Asterisk Linkedids such as ``1795498539.3``) and may later come
back from the database or a URL, so they are checked both ways: we only ever make names of
a small alphabet, and a name is only resolved inside the recordings directory.
"""

from __future__ import annotations

import re
from pathlib import Path

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
LEGS = ("mix", "caller", "agent")


class UnsafeName(ValueError):
    """A recording name that could leave the recordings directory (or is not ours)."""


def segment_name(call_id: str, seq: int, leg: str = "mix") -> str:
    """``<call id>-<seq>.wav`` for the mixed file, ``<call id>-<seq>-caller.wav`` per leg."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", call_id) or "call"
    suffix = "" if leg == "mix" else f"-{leg}"
    return f"{base}-{seq}{suffix}.wav"


def check_name(name: str) -> str:
    if not _SAFE.fullmatch(name) or ".." in name:
        raise UnsafeName(name)
    return name


def resolve(directory: Path, name: str) -> Path:
    """The file for ``name`` inside ``directory``; refuses anything that escapes it."""
    check_name(name)
    base = directory.resolve()
    path = (base / name).resolve()
    if path.parent != base:
        raise UnsafeName(name)
    return path
