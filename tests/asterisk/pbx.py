"""A real Asterisk 22 for the tests: built by scripts/build_asterisk.sh, run on loopback.

Each :class:`Asterisk` gets its own directory tree (``asterisk.conf`` whose
``[directories]`` all point under it, ``-C`` on every start and every ``-rx``) and its own
free ports. It loads the project's shipped ``config/asterisk/*.conf`` unchanged: every
file in its etc directory that has a shipped counterpart is a two-part wrapper,

    #include "<repo>/config/asterisk/<name>.conf"    ; the shipped file, byte for byte
    [section](+)                                      ; test-only: ports on loopback
    port = <free port>

Asterisk's ``(+)`` appends to a section the include defined, and for single-valued options
the last line wins, so the shipped files keep their production ports (5038, 5060, the
engine's FastAGI address) while the test binds free ones. The simulated parties (SIPp
endpoints, Local-channel callers and agents, the app_queue site) come from one test-only
file, ``tests/asterisk/parties.conf``, included into extensions.conf (its dialplan half)
and pjsip.conf (its endpoint half, ``parties_pjsip.conf``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import REPO

SHIPPED = REPO / "config" / "asterisk"
HERE = Path(__file__).resolve().parent
AMI_SECRET = "change-me"  # the shipped manager.conf's [cti] secret, used as is
OBSERVER = ("observer", "observer-secret")  # test-only AMI user without event filters
# The shipped agent endpoints (pjsip.conf): extension -> password.
AGENT_PASSWORDS = {
    ext: f"change-me-{ext}"
    for ext in ("1001", "1002", "1003", "1004", "1005", "1006", "1006-mobile")
}


class AsteriskMissing(RuntimeError):
    pass


def asterisk_prefix() -> Path:
    """The built Asterisk (scripts/build_asterisk.sh), or a clear error: never a skip."""
    env = os.environ.get("CTI_ASTERISK_PREFIX")
    if env:
        prefix = Path(env)
    else:
        out = subprocess.run(
            [str(REPO / "scripts" / "build_asterisk.sh"), "--print-prefix"],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise AsteriskMissing(
                "Asterisk is not built: run scripts/build_asterisk.sh (make test does it via "
                f"scripts/bootstrap.sh test). {out.stderr.strip()}"
            )
        prefix = Path(out.stdout.strip())
    if not (prefix / "sbin" / "asterisk").is_file():
        raise AsteriskMissing(f"no sbin/asterisk under {prefix}")
    return prefix


_GIVEN: set[int] = set()  # ports handed out in this process (bound later by children)


def _ephemeral(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free on 127.0.0.1 for TCP and UDP (AMI is TCP, SIP and RTP UDP), never one
    handed out before in this process: the kernel gives a just-closed ephemeral port
    again, and ten phones created in a row would otherwise share one."""
    while True:
        port = _ephemeral(kind)
        if port in _GIVEN:
            continue
        other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
        try:
            with socket.socket(socket.AF_INET, other) as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        _GIVEN.add(port)
        return port


def free_udp_pair() -> int:
    """An even UDP port with the next three free too (RTP/RTCP; SIPp uses port+2), none
    of them handed out before in this process."""
    while True:
        base = _ephemeral(socket.SOCK_DGRAM) & ~1
        ports = set(range(base, base + 4))
        if _GIVEN & ports:
            continue
        socks = []
        try:
            for p in sorted(ports):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        _GIVEN.update(ports)
        return base


class Asterisk:
    """One Asterisk process: ``start()``, ``rx(cli)``, ``stop()``."""

    def __init__(
        self,
        root: Path,
        *,
        agi_port: int,
        extra_dialplan: str = "",
        extra_queues: str = "",
        manager_bind_override: bool = True,
        extra_pjsip: str = "",
        extra_rtp: str = "",
    ) -> None:
        self.prefix = asterisk_prefix()
        self.manager_bind_override = manager_bind_override
        self.root = root
        self.agi_port = agi_port
        self.ami_port = free_port()
        self.sip_port = free_port(socket.SOCK_DGRAM)
        self.http_port = free_port()  # http.conf: the browser phones' WebSocket (/ws)
        self.extra_pjsip = extra_pjsip
        self.extra_rtp = extra_rtp
        # Asterisk's RTP ports below the kernel's ephemeral range (32768+), where the SIPp
        # phones' media ports come from: the two never collide.
        self.rtp_start = 20000 + (self.sip_port % 12) * 1000
        self.extra_dialplan = extra_dialplan
        self.extra_queues = extra_queues
        self.etc = root / "etc"
        self.conf = self.etc / "asterisk.conf"
        self.data = root / "data"
        self.spool = root / "spool"
        self.monitor = self.spool / "monitor"
        self.log = root / "log"
        self.proc: subprocess.Popen[bytes] | None = None

    # ---- configuration -------------------------------------------------------------
    def write_config(self) -> None:
        dirs = ("etc", "data/sounds", "data/moh", "spool/monitor", "log", "run", "lib/keys", "agi")
        for d in dirs:
            (self.root / d).mkdir(parents=True, exist_ok=True)
        mods = self.prefix / "lib" / "asterisk" / "modules"
        # The installed XML documentation: Asterisk refuses to start its core without it.
        docs = self.data / "documentation"
        if not docs.exists():
            docs.symlink_to(self.prefix / "var" / "lib" / "asterisk" / "documentation")
        r = self.root
        files = {
            "asterisk.conf": f"""[directories]
astetcdir => {self.etc}
astmoddir => {mods}
astvarlibdir => {r}/lib
astdbdir => {r}/lib
astkeydir => {r}/lib
astdatadir => {self.data}
astagidir => {r}/agi
astspooldir => {self.spool}
astrundir => {r}/run
astlogdir => {self.log}
astsbindir => {self.prefix}/sbin

[options]
astctl = asterisk.ctl
""",
            "modules.conf": "[modules]\nautoload = yes\n",
            "logger.conf": "[general]\n[logfiles]\nmessages.log => notice,warning,error\n",
            "cdr.conf": "[general]\nenable = no\n",
            # Present and empty: Asterisk's defaults, without "unable to load" noise.
            **{
                f: ""
                for f in (
                    "features.conf",
                    "acl.conf",
                    "udptl.conf",
                    "pjproject.conf",
                    "pjsip_wizard.conf",
                    "stasis.conf",
                    "ccss.conf",
                    "queuerules.conf",
                )
            },
            "cel.conf": "[general]\nenable = no\n",
            "http.conf": self._wrap(
                "http.conf", f"[general](+)\nbindaddr = 127.0.0.1\nbindport = {self.http_port}\n"
            ),
            "indications.conf": "[general]\ncountry = cn\n\n[cn]\ndescription = China\n"
            "ringcadence = 1000,4000\nring = 450/1000,0/4000\nbusy = 450/350,0/350\n",
            "manager.conf": self._wrap(
                "manager.conf",
                f"""[general](+)
port = {self.ami_port}
{"bindaddr = 127.0.0.1" if self.manager_bind_override else ""}

[{OBSERVER[0]}]
secret = {OBSERVER[1]}
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = all
""",
            ),
            "extensions.conf": self._wrap(
                "extensions.conf",
                f"""[globals](+)
CTI_AGI = agi://127.0.0.1:{self.agi_port}

#include "{HERE / "parties.conf"}"
{self.extra_dialplan}
""",
            ),
            "pjsip.conf": self._wrap(
                "pjsip.conf",
                f"""[transport-udp](+)
bind = 127.0.0.1:{self.sip_port}
"""
                # Media on loopback too: the first section of each shipped name is its endpoint.
                + "".join(
                    f"[{ext}](+)\nmedia_address = 127.0.0.1\nbind_rtp_to_media_address = yes\n"
                    for ext in [*AGENT_PASSWORDS, "trunk"]
                )
                + f'\n#include "{HERE / "parties_pjsip.conf"}"\n'
                + self.extra_pjsip,
            ),
            "rtp.conf": self._wrap(
                "rtp.conf",
                f"[general](+)\nrtpstart = {self.rtp_start}\nrtpend = {self.rtp_start + 998}\n"
                + self.extra_rtp,
            ),
            "musiconhold.conf": self._wrap("musiconhold.conf", ""),
            "queues.conf": self._wrap("queues.conf", self.extra_queues),
        }
        for name, text in files.items():
            (self.etc / name).write_text(text, encoding="utf-8")

    @staticmethod
    def _wrap(name: str, overrides: str) -> str:
        return f'#include "{SHIPPED / name}"\n\n; ---- test-only overrides ----\n{overrides}'

    # ---- process -------------------------------------------------------------------
    def _cmd(self, *args: str) -> list[str]:
        return [str(self.prefix / "sbin" / "asterisk"), "-C", str(self.conf), *args]

    def spawn(self) -> None:
        """Start in the foreground as our child: ``core restart now`` re-execs in place, so
        the pid (and this handle) stays the same."""
        self.write_config()
        with open(self.log / "stdout.log", "ab") as out:
            self.proc = subprocess.Popen(
                self._cmd("-f", "-n", "-q"), stdout=out, stderr=subprocess.STDOUT, cwd=self.root
            )

    async def start(self, timeout: float = 60) -> None:
        self.spawn()
        await self.wait_booted(timeout)

    async def wait_booted(self, timeout: float = 60) -> None:
        """``core waitfullybooted`` fails until the control socket exists: retry."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"Asterisk exited ({self.proc.returncode}): {self.tail()}")
            code, text = await self._rx("core waitfullybooted", timeout=timeout)
            if code == 0 and "fully booted" in text.lower():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"Asterisk did not boot: {text} {self.tail()}")
            await asyncio.sleep(0.1)

    async def _rx(self, command: str, timeout: float = 20) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            *self._cmd("-rx", command),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            async with asyncio.timeout(timeout):
                out, _ = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return -1, "timeout"
        return proc.returncode or 0, out.decode("utf-8", "replace")

    async def rx(self, command: str, timeout: float = 20) -> str:
        code, text = await self._rx(command, timeout)
        if code != 0:
            raise AssertionError(f"asterisk -rx {command!r} failed ({code}): {text}")
        return text

    def tail(self, n: int = 3000) -> str:
        parts = []
        for name in ("stdout.log", "messages.log"):
            path = self.log / name
            if path.exists():
                parts.append(path.read_text(encoding="utf-8", errors="replace")[-n:])
        return "\n".join(parts)

    async def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        await self._rx("core stop now", timeout=10)
        try:
            await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 15)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
