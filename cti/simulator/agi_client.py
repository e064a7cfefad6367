"""The FastAGI client side of ``AGI(agi://host:port/script)``, as Asterisk 22 speaks it.

Connects to the engine, sends the environment block (``\\n`` line endings), executes each
command against the model and answers like Asterisk, emitting AGIExecStart/AGIExecEnd.
Returns AGISTATUS: HANGUP if the caller hung up, FAILURE if any STREAM FILE failed (as
observed), else SUCCESS.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from cti.simulator.recorder import synth, write_wav

PENDING_GRACE = 2.0  # real seconds a read waits for a key already being pressed

if TYPE_CHECKING:
    from cti.simulator.dialplan import Dialplan, Leg

DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
DEAD_TEXT = "Command Not Permitted on a dead channel or intercept routine"
ALWAYS_OK = {"SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE", "VERBOSE"}
USAGE = {
    "GET DATA": [
        "Stream the given <replaceable>file</replaceable>, and receive DTMF data.",
        "Returns the digits received from the channel at the other end.",
    ],
}
COMMANDS = (
    "ANSWER",
    "STREAM FILE",
    "GET DATA",
    "WAIT FOR DIGIT",
    "SET VARIABLE",
    "GET VARIABLE",
    "GET FULL VARIABLE",
    "CHANNEL STATUS",
    "VERBOSE",
    "EXEC",
    "RECORD FILE",
    "SAY DIGITS",
    "SAY NUMBER",
    "SAY DATE",
    "HANGUP",
)
MIN_ARGS = {
    "STREAM FILE": 2,
    "GET DATA": 1,
    "WAIT FOR DIGIT": 1,
    "SET VARIABLE": 2,
    "GET VARIABLE": 1,
    "GET FULL VARIABLE": 1,
    "VERBOSE": 1,
    "EXEC": 1,
    "RECORD FILE": 4,
    "SAY DIGITS": 2,
    "SAY NUMBER": 2,
    "SAY DATE": 2,
}


class _Dead(Exception):
    pass


class AgiSession:
    def __init__(self, dp: Dialplan, leg: Leg, script: str, sounds: dict[str, int]) -> None:
        self.dp, self.leg, self.script = dp, leg, script
        self.sounds = sounds  # prompt name -> samples at 8 kHz
        self.pbx = dp.pbx
        self.ch = leg.c2
        self.failed_stream = False
        self.dead = False
        self.sent_hangup = False

    def env(self) -> bytes:
        ch, dp = self.ch, self.dp
        pairs = [
            ("agi_network", "yes"),
            ("agi_network_script", self.script),
            ("agi_request", f"agi://{dp.agi_host}:{dp.agi_port}/{self.script}"),
            ("agi_channel", ch.name),
            ("agi_language", ch.language),
            ("agi_type", "Local"),
            ("agi_uniqueid", ch.uniqueid),
            ("agi_version", "22.10.1"),
            ("agi_callerid", ch.cid_num),
            ("agi_calleridname", ch.cid_name),
            ("agi_callingpres", "0"),
            ("agi_callingani2", "0"),
            ("agi_callington", "0"),
            ("agi_callingtns", "0"),
            ("agi_dnid", "unknown"),
            ("agi_rdnis", "unknown"),
            ("agi_context", ch.context),
            ("agi_extension", ch.exten),
            ("agi_priority", str(ch.priority)),
            ("agi_enhanced", "0.0"),
            ("agi_accountcode", ch.accountcode),
            ("agi_threadid", str(threading.get_ident())),
        ]
        return ("".join(f"{k}: {v}\n" for k, v in pairs) + "\n").encode()

    async def run(self) -> str:
        try:
            reader, writer = await asyncio.open_connection(self.dp.agi_host, self.dp.agi_port)
        except OSError:
            return "FAILURE"
        try:
            writer.write(self.env())
            await writer.drain()
            while True:
                line = await self._read_line(reader, writer)
                if line is None:
                    break
                if not line.strip():
                    continue
                replies = await self.execute(line.strip())
                writer.write("".join(r + "\n" for r in replies).encode())
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
        if self.dead or self.ch.hangup_requested.is_set():
            return "HANGUP"
        return "FAILURE" if self.failed_stream else "SUCCESS"

    async def _read_line(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> str | None:
        read = asyncio.ensure_future(reader.readline())
        try:
            while True:
                if self.dead and not self.sent_hangup:
                    # Out-of-band notice once the channel is gone and no command is pending.
                    self.sent_hangup = True
                    writer.write(b"HANGUP\n")
                    await writer.drain()
                hung = asyncio.ensure_future(self.ch.hangup_requested.wait())
                try:
                    await asyncio.wait({read, hung}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    hung.cancel()
                if read.done():
                    data = read.result()
                    return data.decode("utf-8", "replace") if data else None
                self.dead = True
        finally:
            if not read.done():
                read.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await read

    def _cmd_name(self, words: list[str]) -> str | None:
        upper = [w.upper() for w in words]
        for name in sorted(COMMANDS, key=len, reverse=True):
            parts = name.split()
            if upper[: len(parts)] == parts:
                return name
        return None

    async def execute(self, line: str) -> list[str]:
        pbx, ch = self.pbx, self.ch
        cid = str(self.pbx.rng.randrange(10**7, 2**31))
        pbx.chan_event("AGIExecStart", ch, [("CommandId", cid), ("Command", line)])
        try:
            words = shlex.split(line, posix=True)
        except ValueError:
            words = line.split()
        name = self._cmd_name(words)
        args = words[len(name.split()) :] if name else []
        if name is None:
            replies, code, text = (
                ["510 Invalid or unknown command"],
                "510",
                "Invalid or unknown command",
            )
        elif len(args) < MIN_ARGS.get(name, 0):
            usage = USAGE.get(name, ["Usage: see 'agi show commands'."])
            replies = [
                "520-Invalid command syntax.  Proper usage follows:",
                *usage,
                "520 End of proper usage.",
            ]
            code, text = "520", "Usage"
        elif (self.dead or ch.hangup_requested.is_set()) and name not in ALWAYS_OK:
            self.dead = True
            replies, code, text = [DEAD], "511", DEAD_TEXT
        else:
            result = await self._run(name, args)
            while not ch.dtmf.empty():  # keys the command did not take: gone with it
                ch.dtmf.get_nowait()
            replies = [f"200 result={result}"]
            code = "200"
            text = (
                "Failure"
                if result.startswith("-1") and name == "STREAM FILE"
                else ("Unknown Result" if result == "-2" else "Success")
            )
            if name == "STREAM FILE" and result.startswith("-1"):
                code = "-1"
        pbx.chan_event(
            "AGIExecEnd",
            ch,
            [("CommandId", cid), ("Command", line), ("ResultCode", code), ("Result", text)],
        )
        return replies

    async def _interrupted(self, seconds: float) -> bool:
        """Wait model seconds; True if the caller hung up meanwhile."""
        return await self.dp.wait(self.ch, seconds)

    async def _digit(self, seconds: float, accept: str | None = None) -> str | None:
        """A digit within ``seconds`` (model time), None on timeout; raises _Dead. Keys
        not in ``accept`` (when given) are read and dropped, as Asterisk does with keys
        that are not a prompt's escape digits."""
        ch = self.ch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds * self.pbx.time_scale
        ch.reading_dtmf = True
        ch.dtmf_wanted.set()
        try:
            while True:
                get = asyncio.ensure_future(ch.dtmf.get())
                hung = asyncio.ensure_future(ch.hangup_requested.wait())
                try:
                    await asyncio.wait(
                        {get, hung},
                        timeout=max(0.0, deadline - loop.time()),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    hung.cancel()
                    if not get.done():
                        get.cancel()
                if get.done() and not get.cancelled():
                    digit = get.result()
                    if accept is None or digit in accept:
                        return digit
                    continue
                if ch.hangup_requested.is_set():
                    raise _Dead
                if ch.dtmf_pending and loop.time() < deadline + PENDING_GRACE:
                    continue  # a caller's key is on its way (see Channel.dtmf_pending)
                return None
        finally:
            ch.reading_dtmf = False
            ch.dtmf_wanted.clear()

    async def _run(self, name: str, args: list[str]) -> str:
        ch, pbx = self.ch, self.pbx
        try:
            if name == "ANSWER":
                return "0"
            if name == "VERBOSE":
                return "1"
            if name == "HANGUP":
                ch.hangup_requested.set()
                return "1"
            if name == "SET VARIABLE":
                pbx.varset(ch, args[0], args[1])
                return "1"
            if name == "GET VARIABLE":
                value = self._var(args[0])
                return "0" if value is None else f"1 ({value})"
            if name == "GET FULL VARIABLE":
                return f"1 ({self._expand(args[0])})"
            if name == "CHANNEL STATUS":
                return "6" if ch.state == 6 else "4"
            if name == "STREAM FILE":
                samples = self.sounds.get(args[0])
                if samples is None:
                    self.failed_stream = True
                    return "-1 endpos=0"
                escape = args[1].strip('"') if len(args) > 1 else ""
                if escape:
                    # A key among the escape digits stops the prompt: its ASCII code and
                    # how far the prompt got (the IVR then takes it as the answer).
                    started = asyncio.get_running_loop().time()
                    digit = await self._digit(samples / 8000, accept=escape)
                    if digit is not None:
                        played = (asyncio.get_running_loop().time() - started) / pbx.time_scale
                        return f"{ord(digit)} endpos={min(samples, int(played * 8000))}"
                elif await self._interrupted(samples / 8000):
                    raise _Dead
                pbx.varset(ch, "PLAYBACKSTATUS", "SUCCESS")
                return f"0 endpos={samples}"
            if name == "GET DATA":
                return await self._get_data(args)
            if name == "WAIT FOR DIGIT":
                timeout = int(args[0])
                digit = await self._digit(FOREVER_S if timeout < 0 else timeout / 1000)
                return "0" if digit is None else str(ord(digit))
            if name == "EXEC":
                return await self._exec(args)
            if name == "RECORD FILE":
                return await self._record(args)
            if name.startswith("SAY"):
                if await self._interrupted(0.5 * max(1, len(args[0]))):
                    raise _Dead
                return "0"
        except _Dead:
            self.dead = True
            return "-1"
        return "0"

    async def _get_data(self, args: list[str]) -> str:
        samples = self.sounds.get(args[0])
        if samples is None:
            return "-1"
        timeout = int(args[1]) / 1000 if len(args) > 1 else 5.0
        max_digits = int(args[2]) if len(args) > 2 else 1024
        digits = ""
        # The prompt plays first; a key during it interrupts and counts.
        digit = await self._digit(samples / 8000)
        while True:
            if digit is not None:
                if digit == "#":
                    break
                digits += digit
                if len(digits) >= max_digits:
                    break
            digit = await self._digit(timeout)
            if digit is None:
                return f"{digits} (timeout)" if digits else " (timeout)"
        return digits

    async def _exec(self, args: list[str]) -> str:
        app = args[0].lower()
        if app == "playback":
            sound = args[1] if len(args) > 1 else ""
            samples = self.sounds.get(sound.split(",")[0])
            if samples is None:
                self.pbx.varset(self.ch, "PLAYBACKSTATUS", "FAILED")
                return "0"
            if await self._interrupted(samples / 8000):
                raise _Dead
            self.pbx.varset(self.ch, "PLAYBACKSTATUS", "SUCCESS")
            return "0"
        if app in ("noop", "set", "wait"):
            return "0"
        return "-2"

    async def _record(self, args: list[str]) -> str:
        path, fmt, timeout_ms = args[0], args[1], int(args[3])
        target = Path(f"{path}.{fmt}")
        seconds = await asyncio.to_thread(_store_recording, self.leg.spec.speech_wav, target)
        limit = timeout_ms / 1000 if timeout_ms > 0 else seconds
        escape = args[2].strip('"')
        if escape:
            # A key among the escape digits ends the recording: its ASCII code.
            digit = await self._digit(min(seconds, limit), accept=escape)
            if digit is not None:
                return f"{ord(digit)} (dtmf) endpos=0"
        elif await self._interrupted(min(seconds, limit)):
            raise _Dead
        return f"0 endpos={int(min(seconds, limit) * 8000)}"

    def _var(self, name: str) -> str | None:
        ch = self.ch
        builtins = {
            "CHANNEL": ch.name,
            "UNIQUEID": ch.uniqueid,
            "CALLERID(num)": ch.cid_num,
            "CALLERID(name)": ch.cid_name,
            "CHANNEL(linkedid)": ch.linkedid,
            "CHANNEL(language)": ch.language,
            "EXTEN": ch.exten,
            "CONTEXT": ch.context,
        }
        if name in builtins:
            return builtins[name]
        return ch.variables.get(name)

    def _expand(self, text: str) -> str:
        out, i = "", 0
        while i < len(text):
            if text.startswith("${", i):
                end = text.find("}", i)
                if end > 0:
                    out += self._var(text[i + 2 : end]) or ""
                    i = end + 1
                    continue
            out += text[i]
            i += 1
        return out


FOREVER_S = 10.0**9


def _store_recording(speech: Path | None, target: Path) -> float:
    """RECORD FILE writes the caller's speech (a WAV given in CallerSpec) or 3 s of pips;
    returns its length in seconds."""
    if speech is not None and Path(speech).is_file():
        data = Path(speech).read_bytes()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return max(0.0, (len(data) - 44) / 16000)
    write_wav(target, synth(3.0, 0.0, agent=False))
    return 3.0


async def run_agi(dp: Dialplan, leg: Leg, script: str, sounds: dict[str, int]) -> str:
    return await AgiSession(dp, leg, script, sounds).run()
