"""`cti recordings verify` and `cti recordings transcribe` (called from cti/cli.py)."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from recordings import files
from recordings.config import RecordingsConfig
from recordings.names import UnsafeName, resolve
from recordings.registry import Registry


@dataclass
class VerifyReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)  # missing at the call's end, found now

    @property
    def ok(self) -> bool:
        return not self.missing and not self.changed


def verify_files(config: RecordingsConfig, registry: Registry) -> VerifyReport:
    """Every stored file against the checksum the registry took when the call ended."""
    report = VerifyReport()
    for seg in registry.all_segments():
        report.checked += 1
        try:
            path = resolve(Path(config.directory), seg["name"])
        except UnsafeName:
            report.changed.append(seg["name"])
            continue
        if not path.is_file():
            report.missing.append(seg["name"])
            continue
        if seg["status"] == "missing":
            # It was not there when the call ended (a shared spool that lagged, a mount
            # that was down): now it is, so register it as the recorder would have.
            facts = files.facts(path)
            registry.update_segment(
                seg["id"], status="stored", size=facts.size, sha256=facts.sha256,
                duration=round(facts.info.duration, 3) if facts.info else 0.0,
                format=facts.info.format if facts.info else "unknown")
            report.recovered.append(seg["name"])
            continue
        size, digest = files.sha256_of(path)
        if size != seg["size"] or digest != seg["sha256"]:
            report.changed.append(seg["name"])
    return report


def progress_bar(out: TextIO, started: float) -> object:
    def show(done: int, total: int, audio: float) -> None:
        width = 30
        filled = width * done // total if total else width
        cpu = time.process_time() - started
        speed = f"{audio / cpu:.1f}x" if cpu > 0 else "-"
        out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                  f"{audio:.0f}s audio, {speed} real time ")
        out.flush()

    return show


def _services(site: Path) -> tuple[RecordingsConfig, Registry, object]:
    from crm.db import make_engine
    from cti.settings import load_settings
    from recordings.config import load_config
    from recordings.schema import create_tables

    settings = load_settings(site)
    config = load_config(settings.source, settings.recordings_dir)
    sql = make_engine(settings.database_url)
    create_tables(sql)
    return config, Registry(sql), sql


def verify_main(site: Path, out: TextIO = sys.stdout) -> int:
    from cti.yamlsource import ConfigError

    try:
        config, registry, sql = _services(site)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        report = verify_files(config, registry)
    finally:
        sql.dispose()  # type: ignore[attr-defined]
    for name in report.missing:
        out.write(f"missing  {name}\n")
    for name in report.changed:
        out.write(f"changed  {name}\n")
    for name in report.recovered:
        out.write(f"found    {name} (was missing when the call ended; now registered)\n")
    out.write(f"{report.checked} file(s) checked: {len(report.missing)} missing, "
              f"{len(report.changed)} changed\n")
    return 0 if report.ok else 1


def transcribe_main(site: Path, out: TextIO = sys.stdout) -> int:
    from cti.yamlsource import ConfigError
    from ivr.speech import ModelCache
    from recordings.worker import transcribe_backlog

    try:
        config, registry, sql = _services(site)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        started = time.process_time()
        done = asyncio.run(transcribe_backlog(config, registry, ModelCache(),
                                              progress=progress_bar(out, started)))  # type: ignore[arg-type]
    finally:
        sql.dispose()  # type: ignore[attr-defined]
    out.write(f"\n{done} segment(s) transcribed\n")
    return 0
