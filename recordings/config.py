"""Recording settings: ``recordings.yaml`` next to the site file (optional).

Kept apart from cti/settings.py so the site file stays the telephony's; every key has a
default, so a site without the file records (AMI mode), keeps everything, and transcribes
nothing until a model path is given.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from recordings.retention import RetentionPolicy


class RecordingsConfigError(ValueError):
    pass


DEFAULT_SCORECARD = Path(__file__).parent / "default_scorecard.yaml"


def default_scorecards() -> tuple[dict[str, Any], ...]:
    """The bilingual scorecard that ships, so QA can score out of the box."""
    with DEFAULT_SCORECARD.open(encoding="utf-8") as f:
        return (yaml.safe_load(f),)


@dataclass(frozen=True, slots=True)
class RecordingsConfig:
    directory: str = "var/recordings"
    # Asterisk on another host: the spool as *Asterisk* sees it (MixMonitor's File: path),
    # while ``directory`` is the same spool mounted on the engine's host (NFS, a shared
    # volume). Empty: one host, the same path (deploy/README.md, "Recordings").
    asterisk_directory: str = ""
    # One recording owner: the engine. It sends MixMonitor when an agent connects (one file
    # per segment, named by the call id, never reused); the shipped dialplan records nothing.
    # "ami" is the only mode: a dialplan MixMonitor beside it left an empty second file,
    # and the engine could not learn a dialplan file's name (issue 11 finding 7).
    mode: str = "ami"
    # MixMonitor r()/t() files for the caller's and the agent's side, besides the mix.
    split_legs: bool = False
    models: dict[str, str] = field(default_factory=dict)  # language -> Vosk model directory
    default_language: str = "zh"
    service_languages: dict[str, str] = field(default_factory=dict)
    transcribe: bool = True
    transcribe_parallel: int = 1  # Vosk is CPU-bound; one thread leaves a core for calls
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    retention_interval: float = 3600.0
    finalize_retries: int = 25
    finalize_delay: float = 0.2
    scorecards: tuple[dict[str, Any], ...] = field(default_factory=default_scorecards)
    source: str = ""  # the recordings.yaml read ("" when none: the defaults)

    def language_for(self, service: str | None) -> str:
        return self.service_languages.get(service or "", self.default_language)

    def transcription_status(self) -> tuple[str, list[str]]:
        """("ready" | "off" | "no_model" | "missing", model directories not found): what
        the pages tell QA staff when transcripts do not appear."""
        if not self.transcribe:
            return "off", []
        if not self.models:
            return "no_model", []
        missing = [path for path in self.models.values() if not Path(path).is_dir()]
        return ("missing", missing) if missing else ("ready", [])


def parse_config(raw: dict[str, Any], base: Path, directory: str) -> RecordingsConfig:
    known = {"mode", "split_legs", "models", "default_language", "service_languages",
             "transcribe", "transcribe_parallel", "retention", "retention_interval",
             "scorecards", "directory", "asterisk_directory"}
    extra = set(raw) - known
    if extra:
        raise RecordingsConfigError(f"unknown key(s) in recordings config: {sorted(extra)}")
    mode = str(raw.get("mode", "ami"))
    if mode != "ami":
        raise RecordingsConfigError(
            "mode must be ami: the engine is the one recording owner (remove any MixMonitor "
            "from your dialplan's connect context)"
        )
    models = {
        str(k): str(v if Path(str(v)).is_absolute() else base / str(v))
        for k, v in (raw.get("models") or {}).items()
    }
    ret = raw.get("retention") or {}
    policy = RetentionPolicy(
        default_days=int(ret["default_days"]) if ret.get("default_days") else None,
        per_service={str(k): int(v) for k, v in (ret.get("services") or {}).items()},
    )
    return RecordingsConfig(
        directory=str(raw.get("directory") or directory),
        asterisk_directory=str(raw.get("asterisk_directory") or ""),
        mode=mode,
        split_legs=bool(raw.get("split_legs", False)),
        models=models,
        default_language=str(raw.get("default_language", "zh")),
        service_languages={str(k): str(v) for k, v in
                           (raw.get("service_languages") or {}).items()},
        transcribe=bool(raw.get("transcribe", True)),
        transcribe_parallel=max(1, int(raw.get("transcribe_parallel", 1))),
        retention=policy,
        retention_interval=float(raw.get("retention_interval", 3600.0)),
        scorecards=tuple(raw.get("scorecards") or ()) or default_scorecards(),
    )


def load_config(site_source: str, recordings_dir: str) -> RecordingsConfig:
    """``recordings.yaml`` beside the site file, or the defaults when there is none."""
    base = Path(site_source).parent if site_source and not site_source.startswith("<") \
        else Path.cwd()
    path = base / "recordings.yaml"
    if not path.is_file():
        return RecordingsConfig(directory=recordings_dir)
    with path.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f) or {}
    if not isinstance(raw, dict):
        raise RecordingsConfigError(f"{path}: the top level must be a mapping")
    return dataclasses.replace(parse_config(raw, base, recordings_dir), source=str(path))
