"""The shipped config/asterisk files on a real Asterisk: what a site loads is what works.

Findings of issue 11 that live in those files: callers heard English (3), the hold loop
spun (4), the hotline flow had no entry and the prompts no way into Asterisk (6), and the
manager interface listened on every address (11).
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from cti.ami import wanted
from tests.asterisk.pbx import Asterisk, free_port
from tests.asterisk.phones import Caller
from tests.asterisk.rig import Observer, install_prompts, real_rig, until
from tests.conftest import REPO


async def _observed(pbx: Asterisk) -> Observer:
    obs = Observer()
    await obs.connect(pbx.ami_port)
    await obs.login()
    return obs


def _first_prompt(obs: Observer, channel_prefix: str) -> str:
    return next(
        e.get("Command") for e in obs.named("AGIExecStart")
        if e.get("Channel").startswith(channel_prefix) and "FILE" in e.get("Command")
    )  # fmt: skip


async def test_callers_hear_mandarin_unless_their_trunk_says_english(tmp_path: Path) -> None:
    """Asterisk's own default language is en, so CHANNEL(language) is never empty: the
    shipped dialplan must choose Chinese itself, and an endpoint's CTI_LANGUAGE wins."""
    async with real_rig(tmp_path, agents_on=()) as r:
        zh = Caller(tmp_path, keys="", hold_ms=2500)
        en = Caller(tmp_path, keys="", hold_ms=2500, number="13800009999", party="caller-en")
        try:
            zh.dial(r.pbx)
            await until(lambda: len(r.ended()) == 1, 20, "the first call to end")
            en.dial(r.pbx)
            await until(lambda: len(r.ended()) == 2, 20, "the second call to end")
        finally:
            zh.stop()
            en.stop()
        langs = [e.get("Language") for e in r.obs.named("Newchannel")]
        assert langs == ["en", "en"], langs  # what Asterisk gives every channel
        first = _first_prompt(r.obs, "PJSIP/sipp-caller-0")
        second = _first_prompt(r.obs, "PJSIP/sipp-caller-en-")
        assert first.startswith("STREAM FILE zh/welcome"), first
        assert second.startswith("STREAM FILE en/welcome"), second


async def test_the_hold_loop_never_spins(tmp_path: Path) -> None:
    """A caller waits in cti-hold for 3 s: without music files (a fresh site) the loop
    rings back and waits instead of spinning; with the installed class it plays music
    and never loops."""
    for with_music in (False, True):
        await _wait_in_hold(tmp_path, with_music)


async def _wait_in_hold(tmp_path: Path, with_music: bool) -> None:
    pbx = Asterisk(tmp_path / f"pbx-{with_music}", agi_port=free_port())
    pbx.write_config()
    if with_music:
        install_prompts(pbx, tmp_path / "prompts-build")
    await pbx.start()
    obs = await _observed(pbx)
    try:
        reply = await obs.action(
                [("Action", "Originate"), ("ActionID", "hold-1"),
                 ("Channel", "Local/s@cti-hold"), ("Application", "Wait"), ("Data", "30"),
                 ("Async", "true")]
            )  # fmt: skip
        assert reply.ok, reply
        await until(lambda: obs.named("Newexten", Context="cti-hold"), 10, "cti-hold")
        await asyncio.sleep(3.0)  # scenario time: how often the loop turns in 3 s
        loops = [
                e for e in obs.named("Newexten", Context="cti-hold")
                if e.get("Application") == "MusicOnHold"
            ]  # fmt: skip
        starts = obs.named("MusicOnHoldStart")
        if with_music:
            assert len(loops) == 1 and starts and starts[0].get("Class") == "default"
        else:
            assert 1 <= len(loops) <= 2, f"{len(loops)} MusicOnHold runs in 3 s"
            assert obs.named("Newexten", Context="cti-hold", Application="Wait")
        log = (pbx.log / "messages.log").read_text(encoding="utf-8", errors="replace")
        assert len(log.splitlines()) < 100, f"{len(log.splitlines())} log lines"
    finally:
        await obs.close()
        await pbx.stop()


async def test_each_ivr_route_has_a_dialplan_entry(tmp_path: Path) -> None:
    """cti-inbound: the hotline number reaches the complete hotline flow (its first node
    asks for the language), every other DID the basic menu."""
    async with real_rig(tmp_path, agents_on=()) as r:
        hotline = Caller(tmp_path, did="95598", keys="1", hold_ms=4000)
        basic = Caller(tmp_path, did="4008001234", number="13800005555", keys="", hold_ms=3000)
        try:
            hotline.dial(r.pbx)
            basic.dial(r.pbx)
            await until(lambda: len(r.ended()) == 2, 30, "both calls to end")
        finally:
            hotline.stop()
            basic.stop()
        rows = {row.caller_number: row for row in [await r.wait_row(e.call_id) for e in r.ended()]}
        assert rows["13800001234"].ivr_steps[0]["node"] == "language"  # hotline.yaml
        assert rows["13800001234"].ivr_steps[0]["key"] == "1"
        basic_channel = next(
            e.get("Channel") for e in r.obs.named("Newchannel")
            if e.get("CallerIDNum") == "13800005555"
        )  # fmt: skip
        assert _first_prompt(r.obs, basic_channel).startswith("STREAM FILE zh/welcome")
        agi = [e.get("AppData") for e in r.obs.named("Newexten", Application="AGI")]
        assert any(a.endswith("/hotline") for a in agi) and any(a.endswith("/ivr") for a in agi)


async def test_prompts_install_puts_prompts_and_music_where_asterisk_reads_them(
    tmp_path: Path,
) -> None:
    """`cti prompts install` (the real command) into an Asterisk's astdatadir, read from
    its asterisk.conf: that Asterisk then plays the prompts and has a music class."""
    pbx = Asterisk(tmp_path / "pbx", agi_port=free_port())
    pbx.write_config()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cti.cli", "prompts", "install", "--out",
        str(tmp_path / "built"), "--asterisk-conf", str(pbx.conf),
        cwd=REPO, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    for lang in ("zh", "en"):
        assert (pbx.data / "sounds" / lang / "welcome.wav").is_file()
        assert (pbx.data / "sounds" / lang / "main-menu.wav").is_file()
    await pbx.start()
    try:
        classes = await pbx.rx("moh show classes")
        assert "Class: default" in classes and "Mode: files" in classes, classes
        files = await pbx.rx("moh show files")
        assert "cti-hold-tone" in files, files
    finally:
        await pbx.stop()


async def test_manager_listens_on_loopback_only(tmp_path: Path) -> None:
    """The shipped manager.conf's own bind address (the test overrides only the port)."""
    pbx = Asterisk(tmp_path, agi_port=free_port(), manager_bind_override=False)
    await pbx.start()
    try:
        settings = await pbx.rx("manager show settings")
        assert f"127.0.0.1:{pbx.ami_port}" in settings, settings
        assert "0.0.0.0" not in settings
        reader, writer = await asyncio.open_connection("127.0.0.1", pbx.ami_port)
        assert (await reader.readline()).startswith(b"Asterisk Call Manager/")
        writer.close()
    finally:
        await pbx.stop()


def test_manager_filters_keep_every_event_the_engine_reads() -> None:
    """The shipped eventfilter lines drop noise, never what the engine needs (a filtered
    SoftHangupRequest hid that a restart of Asterisk cut the calls)."""
    text = (REPO / "config" / "asterisk" / "manager.conf").read_text(encoding="utf-8")
    dropped = set(re.findall(r"^eventfilter\s*=\s*!Event:\s*(\w+)", text, re.MULTILINE))
    assert dropped, "the shipped filters are gone: update this test"
    read = set().union(*(v for v in vars(wanted).values() if isinstance(v, frozenset)))
    assert "SoftHangupRequest" in read
    assert not dropped & read, dropped & read
