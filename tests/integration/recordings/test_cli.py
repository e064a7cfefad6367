"""`cti recordings verify|transcribe` on a site file with SQLite and real files."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import yaml

from crm.db import create_schema, make_engine
from recordings.cli import transcribe_main, verify_main
from recordings.registry import Registry
from recordings.schema import create_tables
from tests.integration.recordings.test_transcription import ko_model, register


def site(tmp: Path) -> Path:
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump({
        "asterisk": [{"host": "127.0.0.1", "port": 5038, "username": "cti", "secret": "x"}],
        "database": {"url": f"sqlite:///{tmp / 'crm.sqlite3'}"},
        "recordings_dir": str(tmp / "rec"),
    }))
    (tmp / "recordings.yaml").write_text(yaml.safe_dump(
        {"models": {"ko": ko_model()}, "default_language": "ko"}))
    return path


async def test_verify_and_transcribe_backlog(tmp_path: Path) -> None:
    config = site(tmp_path)
    sql = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    try:
        create_schema(sql)
        create_tables(sql)
        (tmp_path / "rec").mkdir()
        reg = Registry(sql)
        await asyncio.to_thread(register, reg, "1800000001.1", tmp_path / "rec", ["네 네"])
        out = io.StringIO()
        assert await asyncio.to_thread(verify_main, config, out) == 0
        assert "1 file(s) checked: 0 missing, 0 changed" in out.getvalue()

        out = io.StringIO()
        assert await asyncio.to_thread(transcribe_main, config, out) == 0
        text = out.getvalue()
        assert "1/1" in text and "1 segment(s) transcribed" in text and "real time" in text
        assert reg.call("1800000001.1")["transcript_status"] == "done"

        (tmp_path / "rec" / "1800000001.1-1.wav").unlink()
        out = io.StringIO()
        assert await asyncio.to_thread(verify_main, config, out) == 1
        assert "missing  1800000001.1-1.wav" in out.getvalue()
    finally:
        sql.dispose()
