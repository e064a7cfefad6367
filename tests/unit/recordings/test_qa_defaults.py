"""QA out of the box: the shipped scorecard, what the pages say about transcription, and
filters that take names and labels."""

from __future__ import annotations

from pathlib import Path

from recordings.config import RecordingsConfig, parse_config
from recordings.scorecard import parse_form, score
from recordings.search import Filters, resolve_names


def test_the_shipped_scorecard_is_bilingual_and_used_when_none_is_configured() -> None:
    (raw,) = RecordingsConfig().scorecards
    form = parse_form(raw)
    assert form.name == "标准服务质检 Standard service QA"
    for section in form.sections:
        assert section.title_zh != section.title_en
        for q in section.questions:
            assert q.text_zh != q.text_en and q.weight > 0
    assert [q.id for q in form.questions() if q.fatal] == ["privacy"]
    every = {q.id: "yes" for q in form.questions()}
    assert score(form, every).percent == 100.0
    assert score(form, {**every, "privacy": "no"}).percent == 0.0
    assert parse_config({}, Path("/"), "rec").scorecards == (raw,)
    mine = {"name": "mine", "sections": []}
    assert parse_config({"scorecards": [mine]}, Path("/"), "rec").scorecards == (mine,)


def test_transcription_status(tmp_path: Path) -> None:
    assert RecordingsConfig().transcription_status() == ("no_model", [])
    assert RecordingsConfig(transcribe=False).transcription_status() == ("off", [])
    gone = str(tmp_path / "nope")
    there = tmp_path / "zh-model"
    there.mkdir()
    missing = RecordingsConfig(models={"zh": str(there), "en": gone})
    assert missing.transcription_status() == ("missing", [gone])
    assert RecordingsConfig(models={"zh": str(there)}).transcription_status() == ("ready", [])


def test_filters_take_agent_names_and_disposition_labels() -> None:
    agents = {"王芳": "1001", "a1001": "1001", "1001": "1001", "emma liu": "1003"}
    dispositions = {"已建工单": "ticket_opened", "ticket opened": "ticket_opened"}
    f = resolve_names(Filters(agent="王芳", disposition="已建工单"), agents, dispositions)
    assert (f.agent, f.disposition) == ("1001", "ticket_opened")
    f = resolve_names(Filters(agent="Emma Liu", disposition="Ticket Opened"), agents, dispositions)
    assert (f.agent, f.disposition) == ("1003", "ticket_opened")
    f = resolve_names(Filters(agent="9999", disposition="odd"), agents, dispositions)
    assert (f.agent, f.disposition) == ("9999", "odd")  # unknown: kept as typed


def test_date_filters_are_days_of_the_site_time_zone() -> None:
    from recordings.search import _day

    # 2026-03-01 in Shanghai starts at 2026-02-28 16:00 UTC.
    assert _day("2026-03-01", False, "Asia/Shanghai") == 1772294400.0
    assert _day("2026-03-01", True, "Asia/Shanghai") == 1772294400.0 + 86400
    assert _day("2026-03-01", False, "UTC") == 1772294400.0 + 8 * 3600
    assert _day("yesterday", False, "UTC") is None
