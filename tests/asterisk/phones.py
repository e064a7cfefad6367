"""SIPp phones (Debian's sip-tester, SIPp 3.6.1) on loopback: callers and agents' phones.

Scenario XML lives in tests/asterisk/sipp/; ``@@NAME@@`` placeholders are filled per phone
(SIPp reads exec/pause attributes when it loads the file, so they cannot be variables).
Every SIPp binds 127.0.0.1 for SIP, media and its control socket (-i/-mi/-ci), and
answers the NOTIFYs that follow a REFER by itself (-aa).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
from pathlib import Path

from tests.asterisk.media import AGENT_HZ, CALLER_HZ, rtp_pcap, tone_pcap
from tests.asterisk.pbx import AGENT_PASSWORDS, Asterisk, free_port, free_udp_pair

SCENARIOS = Path(__file__).resolve().parent / "sipp"


def render(name: str, values: dict[str, str]) -> str:
    text = (SCENARIOS / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    assert "@@" not in text, f"{name}: unfilled placeholder"
    return text


class Sipp:
    """One SIPp process; its screen, errors and messages go to files in its directory."""

    def __init__(self, workdir: Path, name: str, scenario: str, values: dict[str, str]) -> None:
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.xml = self.dir / scenario
        self.xml.write_text(render(scenario, values), encoding="utf-8")
        self.port = free_port(socket.SOCK_DGRAM)
        self.media_port = free_udp_pair()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, pbx: Asterisk, *args: str) -> None:
        cmd = [
            "sipp", f"127.0.0.1:{pbx.sip_port}", "-sf", str(self.xml),
            "-i", "127.0.0.1", "-mi", "127.0.0.1", "-ci", "127.0.0.1",
            "-cp", str(free_port(socket.SOCK_DGRAM)), "-aa", "-nostdin",
            "-p", str(self.port), "-mp", str(self.media_port),
            "-trace_err", "-error_file", str(self.dir / "errors.log"),
            "-trace_msg", "-message_file", str(self.dir / "messages.log"),
            *args,
        ]  # fmt: skip
        with open(self.dir / "screen.log", "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)

    async def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(asyncio.to_thread(self.proc.wait), timeout)

    def messages(self) -> str:
        path = self.dir / "messages.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def action_xml(name: str, values: dict[str, str]) -> str:
    """A snippet of agent.xml's answered call (sipp/agent_<name>.xml): REFER, hold..."""
    return "" if name == "none" else render(f"agent_{name}.part", values)


class AgentPhone(Sipp):
    """An agent's SIP phone registered to its shipped endpoint (``1001``...)."""

    def __init__(
        self,
        workdir: Path,
        ext: str,
        *,
        ring_ms: int = 1000,
        talk_ms: int = 4000,
        action: str = "none",
        action_values: dict[str, str] | None = None,
        device: str = "a",
    ) -> None:
        self.ext = ext
        values = {"USER": ext, **(action_values or {})}
        super().__init__(
            workdir,
            f"agent-{ext}{device}",
            "agent.xml",
            {
                "USER": ext,
                "RING_MS": str(ring_ms),
                "TALK_MS": str(talk_ms),
                "ACTION": action_xml(action, values),
            },
        )
        tone_pcap(self.dir / "agent.pcap", AGENT_HZ, 30)

    async def register(self, pbx: Asterisk) -> None:
        """Answer calls on this port, then REGISTER its contact with the endpoint's auth."""
        self.start(pbx)
        reg = Sipp(
            self.dir.parent,
            f"{self.dir.name}-register",
            "register.xml",
            {"USER": self.ext, "CONTACT_PORT": str(self.port)},
        )
        reg.start(pbx, "-m", "1", "-s", self.ext, "-au", self.ext, "-ap",
                  AGENT_PASSWORDS[self.ext], "-timeout", "15s", "-timeout_error")  # fmt: skip
        code = await reg.wait(20)
        assert code == 0, f"{self.ext} did not register: {reg.messages()[-2000:]}"


class Caller(Sipp):
    """A caller from the carrier: dials a DID, keys in, talks (or gives up)."""

    _n = 0

    def __init__(
        self,
        workdir: Path,
        *,
        did: str = "4008001234",
        number: str = "13800001234",
        name: str = "张三丰",
        keys: str = "1",
        keys_after_ms: int = 1500,
        hold_ms: int = 15000,
        party: str = "caller",
    ) -> None:
        Caller._n += 1
        super().__init__(
            workdir,
            f"caller-{number}-{Caller._n}",
            "caller.xml",
            {
                "DID": did,
                "NUMBER": number,
                "NAME": name,
                "HOLD_MS": str(hold_ms),
                "PARTY": party,
            },
        )
        rtp_pcap(self.dir / "caller.pcap", CALLER_HZ, 60, keys, keys_after_ms / 1000)

    def dial(self, pbx: Asterisk) -> None:
        self.start(pbx, "-m", "1", "-s", "caller")


@contextlib.contextmanager
def phones_stopped(*groups: list[Sipp]):  # type: ignore[no-untyped-def]
    try:
        yield
    finally:
        for group in groups:
            for p in group:
                p.stop()
