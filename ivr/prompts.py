"""Prompt texts (config/prompts/*.yaml) and `cti prompts build`.

Each prompt is spoken by espeak-ng and converted by sox to what Asterisk plays without
transcoding surprises: 8 kHz, mono, signed 16-bit WAV, at ``<out>/<lang>/<id>.wav``.
Audio is cached by a hash of (voice, text, conversion version) under ``<out>/.cache``, so
a rebuild only synthesizes what changed, and a renamed prompt costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cti.yamlsource import ConfigError, load_yaml

VOICES: Mapping[str, str] = {"zh": "cmn", "en": "en-us", "ko": "ko"}
CONVERSION = "8k-mono-s16-v1"  # change when the sox line changes: every hash changes with it
MANIFEST = "manifest.json"

Catalog = dict[str, dict[str, str]]


def load_catalog(directory: Path | str) -> Catalog:
    """Every ``*.yaml`` in ``directory``: ``id: {lang: text}``; an id twice is an error."""
    catalog: Catalog = {}
    where: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        root = load_yaml(path)
        for pid, texts in root.items():
            if pid in catalog:
                raise texts.error(f"prompt {pid!r} is already defined in {where[pid]}")
            if not isinstance(texts.value, dict):
                raise texts.error(f"prompt {pid!r}: expected a mapping of language: text")
            catalog[pid] = {lang: t.str().strip() for lang, t in texts.items()}
            where[pid] = f"{path}:{texts.line}"
    if not catalog:
        raise ConfigError(str(directory), 0, "", "no prompt texts (*.yaml) here")
    return catalog


def content_hash(voice: str, text: str) -> str:
    return hashlib.sha256(f"{CONVERSION}\0{voice}\0{text}".encode()).hexdigest()[:32]


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)  # synthesized now
    cached: list[str] = field(default_factory=list)  # audio already in the cache
    samples: dict[str, int] = field(default_factory=dict)  # "en/welcome" -> 8 kHz samples


class PromptBuildError(Exception):
    pass


def _run(argv: list[str]) -> None:
    try:
        out = subprocess.run(argv, capture_output=True, timeout=60, check=False)
    except FileNotFoundError:
        raise PromptBuildError(f"{argv[0]} is not installed (apt-get install espeak-ng sox)") \
            from None
    if out.returncode != 0:
        raise PromptBuildError(f"{' '.join(argv[:3])}...: {out.stderr.decode(errors='replace')}")


def synthesize(text: str, voice: str, target: Path) -> None:
    """espeak-ng -> sox -> ``target`` (8 kHz mono s16 WAV), written atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        raw, converted = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        _run(["espeak-ng", "-v", voice, "-w", str(raw), text])
        _run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
              str(converted)])
        os.replace(converted, target)


def wav_samples(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        return w.getnframes()


def build_prompts(catalog: Mapping[str, Mapping[str, str]], out: Path | str, *,
                  languages: Iterable[str] | None = None, only: Iterable[str] | None = None,
                  voices: Mapping[str, str] = VOICES, jobs: int = 4) -> BuildReport:
    out = Path(out)
    cache = out / ".cache"
    wanted = set(only) if only is not None else None
    langs = set(languages) if languages is not None else None
    work: list[tuple[str, str, str]] = []  # (name, voice, text)
    for pid, texts in sorted(catalog.items()):
        if wanted is not None and pid not in wanted:
            continue
        for lang, text in sorted(texts.items()):
            if langs is not None and lang not in langs:
                continue
            voice = voices.get(lang)
            if voice is None:
                raise PromptBuildError(f"no espeak-ng voice for language {lang!r} "
                                       f"(prompt {pid!r})")
            work.append((f"{lang}/{pid}", voice, text))
    report = BuildReport()

    def one(item: tuple[str, str, str]) -> tuple[str, bool, int]:
        name, voice, text = item
        cached = cache / f"{content_hash(voice, text)}.wav"
        fresh = not cached.exists()
        if fresh:
            synthesize(text, voice, cached)
        target = out / f"{name}.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(cached, tmp)
        os.replace(tmp, target)
        return name, fresh, wav_samples(target)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for name, fresh, samples in pool.map(one, work):
            (report.built if fresh else report.cached).append(name)
            report.samples[name] = samples
    manifest = out / MANIFEST
    old = json.loads(manifest.read_text()) if manifest.exists() else {}
    manifest.write_text(json.dumps({**old, **report.samples}, indent=1, sort_keys=True))
    return report


def installed_sounds(out: Path | str) -> dict[str, int]:
    """``{"en/welcome": samples}`` as built, for a simulated PBX's sound list."""
    manifest = Path(out) / MANIFEST
    return json.loads(manifest.read_text()) if manifest.exists() else {}
