"""Restarts in the middle of a call, on a real Asterisk with SIP phones: Asterisk's own
`core restart now`, and the engine process SIGKILLed and started again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from crm.db import make_engine
from crm.store import InteractionStore
from cti import events as ev
from tests.asterisk.media import AGENT_HZ, CALLER_HZ, read_wav, seconds_with_tone
from tests.asterisk.pbx import AMI_SECRET, Asterisk, free_port
from tests.asterisk.phones import AgentPhone, Caller
from tests.asterisk.rig import (
    SITE,
    Observer,
    agents_settle,
    install_prompts,
    real_rig,
    until,
)
from tests.conftest import REPO


async def test_core_restart_now_in_the_middle_of_a_call(tmp_path: Path) -> None:
    """Asterisk restarts under a connected call: the row says so, the engine reconnects,
    the agent is free, and the next call is routed and answered."""
    async with real_rig(tmp_path, agents_on=("a1001",)) as r:
        phone = AgentPhone(tmp_path, "1001", ring_ms=500, talk_ms=60000)
        first = Caller(tmp_path, keys="1", hold_ms=60000)
        try:
            await phone.register(r.pbx)
            first.dial(r.pbx)
            await until(lambda: r.of(ev.CallAnswered), 30, "the agent to answer")
            pid = r.pbx.proc.pid if r.pbx.proc else 0
            await r.pbx.rx("core restart now")
            await until(r.ended, 30, "the cut call to end")
            await r.pbx.wait_booted(60)
            assert r.pbx.proc is not None and r.pbx.proc.pid == pid  # re-exec in place
            await r.engine.wait_ready(timeout=30)
            end = r.ended()[0]
            row = await r.wait_row(end.call_id)
            for e in r.obs.events:
                if e.name in ("Hangup", "SoftHangupRequest", "Shutdown", "HangupRequest"):
                    print(
                        e.name,
                        e.get("Channel"),
                        e.get("Cause"),
                        e.get("Shutdown"),
                        e.get("Restart"),
                    )
            assert row.end_reason == "pbx_restart", row.end_reason
            assert row.agent_answered == "1001" and row.service == "billing"
            await agents_settle(r, {"a1001": "ready"}, timeout=30)
            assert r.engine_alive()
            # The phone's registration survived (astdb); the next call goes through.
            phone.stop()
            again = AgentPhone(tmp_path, "1001", ring_ms=500, talk_ms=3000, device="b")
            await again.register(r.pbx)
            second = Caller(tmp_path, keys="1", number="13800002222", hold_ms=60000)
            second.dial(r.pbx)
            await until(lambda: len(r.ended()) == 2, 40, "the next call to end")
            row2 = await r.wait_row(r.ended()[1].call_id)
            assert row2.end_reason == "completed" and row2.agent_answered == "1001"
            second.stop()
            again.stop()
        finally:
            first.stop()
            phone.stop()


def _site(tmp: Path, pbx: Asterisk, agi_port: int) -> Path:
    """The shipped site.yaml with this test's ports, database and directories."""
    text = SITE.read_text(encoding="utf-8")
    swaps = [
        (r"port: 5038", f"port: {pbx.ami_port}"),
        (r"host: 0\.0\.0\.0(\s+#[^\n]*)?\n  port: 4573", f"host: 127.0.0.1\n  port: {agi_port}"),
        (r"url: sqlite:///var/cti\.sqlite3", f"url: sqlite:///{tmp / 'crm.sqlite3'}"),
        (r"port: 8080", "port: 0"),
        (r"journal: var/journal\.jsonl", f"journal: {tmp / 'journal.jsonl'}"),
        (r"recordings_dir: \S+", f"recordings_dir: {pbx.monitor}"),
        (r"(?m)^wrap_up_seconds: \d+", "wrap_up_seconds: 0"),  # the site-wide one
    ]
    for pattern, value in swaps:
        text, n = re.subn(pattern, value, text)
        assert n == 1, f"site.yaml: {pattern!r} matched {n} times"
    site = tmp / "site.yaml"
    site.write_text(text, encoding="utf-8")
    return site


class EngineProcess:
    """`cti run --config site.yaml` as a child process, output to files."""

    def __init__(self, tmp: Path, site: Path, name: str) -> None:
        self.out = tmp / f"{name}.out"
        env = {**os.environ, "CTI_AMI_SECRET": AMI_SECRET, "CTI_WEB_SECRET": "s" * 32}
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cti.cli", "run", "--config", str(site)],
                stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=env,
            )  # fmt: skip

    def text(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    async def running(self) -> None:
        def up() -> bool:
            assert self.proc.poll() is None, self.text()[-3000:]
            return "CTI engine running" in self.text()

        await until(up, 60, "the engine to start")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


async def test_engine_sigkilled_and_restarted_in_the_middle_of_a_call(tmp_path: Path) -> None:
    """The engine dies while the caller talks to the agent; a new engine takes over. The
    row keeps the service, the IVR steps and the wait; talk time counts from the answer;
    the recording is one whole file, not restarted or overwritten."""
    agi_port = free_port()
    pbx = Asterisk(tmp_path / "pbx", agi_port=agi_port)
    pbx.write_config()
    install_prompts(pbx, tmp_path / "prompts-build")
    site = _site(tmp_path, pbx, agi_port)
    engines: list[EngineProcess] = []
    phone = AgentPhone(tmp_path, "1001", ring_ms=500, talk_ms=12000)
    caller = Caller(tmp_path, keys="1", hold_ms=60000)
    obs = Observer()
    try:
        await pbx.start()
        await obs.connect(pbx.ami_port)
        await obs.login()
        await phone.register(pbx)
        engines.append(EngineProcess(tmp_path, site, "engine1"))
        await engines[0].running()
        await until(lambda: obs.named("SuccessfulAuth", AccountID="cti"), 30, "engine login")
        caller.dial(pbx)

        def agent_bridged() -> bool:
            return any(e.get("Channel").startswith("PJSIP/1001-") for e in obs.named("BridgeEnter"))

        await until(agent_bridged, 40, "the agent to answer")
        answered = time.time()
        await until(lambda: obs.named("MixMonitorStart"), 10, "the engine's recording")
        await until(lambda: time.time() > answered + 3, 5, "3 s of talk")
        engines[0].kill()
        engines.append(EngineProcess(tmp_path, site, "engine2"))
        await engines[1].running()
        await until(lambda: obs.named("Hangup"), 40, "the call to end")
        store = InteractionStore(make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}"))

        def written() -> bool:
            rows = [store.get_interaction(e.get("Linkedid")) for e in obs.named("Hangup")]
            return any(row is not None and row.end_reason for row in rows)

        await until(written, 30, "the row")
        call_id = obs.named("Hangup")[0].get("Linkedid")
        row = store.get_interaction(call_id)
        assert row is not None
        assert row.service == "billing" and row.agent_answered == "1001"
        assert [s["key"] for s in row.ivr_steps][-1:] == ["1"], row.ivr_steps
        assert row.wait_seconds > 0
        assert 10 <= row.talk_seconds <= 14, row.talk_seconds
        assert row.end_reason == "completed"
        files = sorted(pbx.monitor.glob(f"{call_id}-*.wav"))
        assert [f.name for f in files] == [f"{call_id}-1.wav"], files
        seconds = len(read_wav(files[0])) / 8000

        assert 11 <= seconds <= 13, seconds  # begun before the kill, whole to the hang-up
        assert len(obs.named("MixMonitorStart")) == 1  # the new engine did not start over
        assert seconds_with_tone(files[0], AGENT_HZ) >= 8
        assert seconds_with_tone(files[0], CALLER_HZ) >= 5
        assert engines[1].proc.poll() is None
    finally:
        caller.stop()
        phone.stop()
        for e in engines:
            e.stop()
        await obs.close()
        await pbx.stop()
