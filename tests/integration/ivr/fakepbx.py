"""A scripted Asterisk for the FastAGI adapter: answers like Asterisk 22 over real TCP.

Replies follow the recorded sessions (../shared/fixtures/asterisk/agi): a missing file
gives ``-1`` at once, keys come back from GET DATA as digits, a hang-up makes the pending
command return ``-1``, then an out-of-band ``HANGUP`` line, then 511 for channel commands
while SET/GET VARIABLE still answer 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cti import events as ev

DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
ALWAYS = ("SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE", "VERBOSE")


def env_bytes(route: str, *, callerid: str = "13800138000", uniqueid: str = "1795498539.3",
              language: str = "zh") -> bytes:
    pairs = [("agi_network", "yes"), ("agi_network_script", route),
             ("agi_request", f"agi://127.0.0.1:4573/{route}"),
             ("agi_channel", "Local/s@ivr-entry-00000001;2"), ("agi_language", language),
             ("agi_type", "Local"), ("agi_uniqueid", uniqueid), ("agi_version", "22.10.1"),
             ("agi_callerid", callerid), ("agi_calleridname", "Caller"),
             ("agi_context", "ivr-entry"), ("agi_extension", "s"), ("agi_priority", "4"),
             ("agi_enhanced", "0.0"), ("agi_accountcode", ""), ("agi_threadid", "1")]
    return ("".join(f"{k}: {v}\n" for k, v in pairs) + "\n").encode()


@dataclass
class FakePbx:
    sounds: set[str]
    keys: list[str] = field(default_factory=list)  # one item per GET DATA ("" = timeout)
    speech: Path | None = None
    hangup_at: int | None = None  # the command (1-based) during which the caller leaves
    refuse: str | None = None  # a verb answered with 510
    silent_at: int | None = None  # stop answering from this command on
    commands: list[str] = field(default_factory=list)
    dead: bool = False

    def answer(self, line: str) -> list[str]:
        self.commands.append(line)
        n = len(self.commands)
        words = shlex.split(line)
        verb = " ".join(words[:3]) if line.startswith("GET FULL") else " ".join(words[:2])
        if not line.startswith(("GET", "SET", "STREAM", "WAIT", "CHANNEL", "SAY", "RECORD")):
            verb = words[0]
        if self.refuse and line.startswith(self.refuse):
            return ["510 Invalid or unknown command"]
        if self.dead:
            return ["200 result=1"] if verb in ALWAYS else [DEAD]
        if self.hangup_at == n:
            self.dead = True
            return ["200 result=-1", "HANGUP"] if verb not in ALWAYS else ["200 result=1"]
        return [self._reply(verb, words)]

    def _reply(self, verb: str, words: list[str]) -> str:
        args = words[len(verb.split()):]
        if verb == "GET FULL VARIABLE":
            return "200 result=1 (1795498539.3)"
        if verb in ("SET VARIABLE", "HANGUP"):
            return "200 result=1"
        if verb == "CHANNEL STATUS":
            return "200 result=6"
        if verb == "STREAM FILE":
            return "200 result=0 endpos=8000" if args[0] in self.sounds else \
                "200 result=-1 endpos=0"
        if verb == "GET DATA":
            if args[0] not in self.sounds:
                return "200 result=-1"
            key = self.keys.pop(0) if self.keys else ""
            return f"200 result={key}" if key else "200 result= (timeout)"
        if verb == "RECORD FILE":
            if self.speech is not None:
                shutil.copyfile(self.speech, f"{args[0]}.{args[1]}")
            return "200 result=0 endpos=16000"
        return "200 result=0"


async def converse(port: int, env: bytes, pbx: FakePbx) -> None:
    """Be Asterisk for one session until the engine closes the socket."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(env)
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                return
            if pbx.silent_at is not None and len(pbx.commands) + 1 >= pbx.silent_at:
                pbx.commands.append(line.decode().strip())
                with contextlib.suppress(ConnectionError):
                    await reader.read()  # the engine gives up and closes: we see EOF
                return
            writer.write("".join(r + "\n" for r in pbx.answer(line.decode().strip())).encode())
            await writer.drain()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


class FakeModel:
    """The call model's two doors the IVR uses."""

    def __init__(self) -> None:
        self.steps: list[ev.IvrStepTaken] = []
        self.queued: list[tuple[str, str, tuple[str, ...], int]] = []

    def record_ivr_step(self, step: ev.IvrStepTaken) -> None:
        self.steps.append(step)

    def queue(self, call_id: str, service: str, now: float, *, skills: tuple[str, ...] = (),
              priority: int = 0) -> list[Any]:
        self.queued.append((call_id, service, skills, priority))
        return [ev.CallQueued(call_id, now, service, skills, priority)]


class FakeBus:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def publish(self, event: Any) -> None:
        self.events.append(event)

    def publish_all(self, events: list[Any]) -> None:
        self.events += events
