"""Browser desks with their WebRTC phone on the suite's real Asterisk.

``phone_rig`` is ``real_rig`` plus the desk's softphone: ``cti phones write-endpoints``'s
code writes the agents' WebRTC endpoints into Asterisk's etc directory before it starts,
the chosen agents are dialled at ``PJSIP/<ext>-web``, and the engine hands their desks the
credentials. ``BrowserDesk`` is real Chromium (the system's) with a fake microphone that
plays a 1000 Hz tone (AGENT_HZ), logged in through the form, its phone registered.

Media stays on 127.0.0.1: Asterisk binds RTP there, offers only 127.0.0.1 as its ICE host
candidate (rtp.conf [ice_host_candidates] maps each interface address to it; Asterisk
never offers loopback itself) and Chromium may use loopback
(--allow-loopback-in-peer-connection) with plain addresses, not mDNS names.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import dataclasses
import fcntl
import math
import socket
import struct
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from cti.phones import PhoneAgent, write_endpoints
from cti.settings import PhoneConfig, Settings
from tests.asterisk.media import AGENT_HZ
from tests.asterisk.pbx import Asterisk, free_port
from tests.asterisk.rig import RealRig, real_rig
from tests.e2e.browser import ARGS, CHROMIUM, log_in

WEBRTC_FLAGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
SUFFIX = "-web"
EXTENSIONS = ("1001", "1002", "1003", "1004", "1005")


def interface_addresses() -> list[str]:
    """Every IPv4 address of this machine's interfaces but loopback (SIOCGIFADDR)."""
    out = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            try:
                raw = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))
            except OSError:
                continue
            addr = socket.inet_ntoa(raw[20:24])
            if not addr.startswith("127."):
                out.append(addr)
    return out


def pbx_options() -> dict[str, Any]:
    media = "".join(
        f"[{ext}{SUFFIX}](+)\nmedia_address = 127.0.0.1\nbind_rtp_to_media_address = yes\n"
        for ext in EXTENSIONS
    )
    hosts = "".join(f"{addr} => 127.0.0.1\n" for addr in interface_addresses())
    rtp = "ice_deny = 0.0.0.0/0\nice_permit = 127.0.0.1/32\n\n[ice_host_candidates]\n" + hosts
    return {"extra_pjsip": media, "extra_rtp": rtp}


def tone_wav(path: Path, hz: float = AGENT_HZ, seconds: float = 10.0) -> Path:
    """The fake microphone's input, which Chromium loops: the tone in bursts like speech
    (0.5 s on, 0.25 s off), since the browser's noise suppression fades a steady tone."""
    rate = 48000

    def sample(i: int) -> int:
        on = (i % (rate * 3 // 4)) < rate // 2
        return int(8000 * math.sin(2 * math.pi * hz * i / rate)) if on else 0

    samples = array.array("h", (sample(i) for i in range(int(rate * seconds))))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


class CuttableLink:
    """A TCP relay between the browsers and Asterisk's HTTP port that the test can cut
    (every connection dropped, new ones refused) and restore: a network outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.target = 0  # Asterisk's http port, set once the rig has it
        self.up = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target)
        self._writers |= {writer, up_w}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer), return_exceptions=True)
        self._writers -= {writer, up_w}

    def cut(self) -> None:
        self.up = False
        for w in list(self._writers):
            w.transport.abort()

    def restore(self) -> None:
        self.up = True

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@contextlib.asynccontextmanager
async def phone_rig(
    tmp: Path,
    *,
    agents_on: tuple[str, ...],
    browser_agents: tuple[str, ...],
    link: CuttableLink | None = None,
    **kw: Any,
) -> AsyncIterator[RealRig]:
    """``browser_agents``: extensions whose calls ring their desk's browser phone;
    ``link``: the browsers reach Asterisk through it."""

    def hook(pbx: Asterisk, settings: Settings) -> Settings:
        secrets = tmp / "phone-secrets.json"
        agents = [PhoneAgent(a.extension, a.name) for a in settings.agents]
        write_endpoints(agents, SUFFIX, secrets, pbx.etc / "pjsip_webrtc_agents.conf")
        rewired = tuple(
            dataclasses.replace(a, dial=f"PJSIP/{a.extension}{SUFFIX}")
            if a.extension in browser_agents
            else a
            for a in settings.agents
        )
        return dataclasses.replace(
            settings,
            agents=rewired,
            phone=PhoneConfig(
                websocket_url=f"ws://127.0.0.1:{link.port if link else pbx.http_port}/ws",
                secrets_path=str(secrets),
                endpoint_suffix=SUFFIX,
            ),
        )

    async with real_rig(
        tmp, agents_on=agents_on, pbx_options=pbx_options(), pbx_hook=hook, **kw
    ) as r:
        if link is None:
            yield r
            return
        link.target = r.pbx.http_port
        await link.start()
        try:
            yield r
        finally:
            await link.close()


@dataclasses.dataclass
class BrowserDesk:
    agent_id: str
    context: BrowserContext
    page: Page

    async def phone(self) -> dict[str, Any]:
        return await self.page.evaluate("window.ctiPhone")

    async def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in (await self.phone())["events"] if e["type"] == kind]

    async def wait_status(self, status: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while True:
            got = await self.page.evaluate("window.ctiPhone && window.ctiPhone.status")
            if got == status:
                return
            if time.monotonic() > deadline:
                text = await self.page.text_content("#ph-toast")
                raise AssertionError(f"{self.agent_id}: phone {got!r}, not {status!r} ({text})")
            await self.page.wait_for_timeout(50)

    async def wait_event(self, kind: str, count: int = 1, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            got = await self.events(kind)
            if len(got) >= count:
                return got[count - 1]
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.agent_id}: no {kind} #{count} ({await self.phone()})")
            await self.page.wait_for_timeout(20)


@contextlib.asynccontextmanager
async def chromium_for_phones(tmp: Path) -> AsyncIterator[Browser]:
    mic = tone_wav(tmp / "agent-mic.wav")
    args = [*ARGS, *WEBRTC_FLAGS, f"--use-file-for-fake-audio-capture={mic}"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield browser
        finally:
            await browser.close()


async def open_desk(browser: Browser, r: RealRig, agent_id: str, lang: str = "en") -> BrowserDesk:
    """Log the agent in through the form, open the desk; its phone registers by itself."""
    with contextlib.suppress(Exception):  # the user may exist from an earlier desk
        r.add_user(agent_id)
    context = await browser.new_context()
    page = await context.new_page()
    await log_in(page, r.base, agent_id, f"/desk?lang={lang}")
    desk = BrowserDesk(agent_id, context, page)
    await desk.wait_status("registered")
    return desk


async def registered(r: RealRig, endpoint: str, timeout: float = 10) -> None:
    """Asterisk lists a contact for the endpoint (pjsip show contacts)."""
    deadline = time.monotonic() + timeout
    while f"{endpoint}/sip:" not in (text := await r.pbx.rx("pjsip show contacts")):
        if time.monotonic() > deadline:
            raise AssertionError(f"{endpoint} not registered: {text}")
        await asyncio.sleep(0.1)
