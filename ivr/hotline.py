"""The engine's built-in hotline IVR: greet, one menu, hand the caller to routing.

A FastAGI handler. It learns the call id (the Linkedid) from Asterisk itself, so it does
not depend on the AMI link being up, records each step on the bus, and hands the call to
routing when the script returns and the dialplan parks the caller in the hold context.
The declarative flow runner (config/ivr/*.yaml) replaces this menu; the hand-off stays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from cti import events as ev
from cti.agi.channel import AgiHangup
from cti.bus import InProcessBus
from cti.calls import CallModel

log = logging.getLogger(__name__)

DEFAULT_MENU: Mapping[str, str] = {
    "1": "billing",
    "2": "repair",
    "3": "installation",
    "4": "complaint",
    "0": "general",
}


class HotlineIvr:
    def __init__(
        self,
        model: CallModel,
        bus: InProcessBus,
        *,
        menu: Mapping[str, str] = DEFAULT_MENU,
        fallback_service: str = "general",
        clock: Callable[[], float] = time.time,
        digit_timeout_ms: int = 5000,
    ) -> None:
        self.model = model
        self.bus = bus
        self.menu = dict(menu)
        self.fallback = fallback_service
        self.clock = clock
        self.digit_timeout_ms = digit_timeout_ms
        self.sessions = 0
        self.handed_off = 0

    async def __call__(self, channel: Any) -> None:
        self.sessions += 1
        env = channel.env
        lang = "zh" if env.language.startswith("zh") else "en"
        service = self.fallback
        call_id = env.uniqueid
        try:
            call_id = await channel.get_full_variable("${CHANNEL(linkedid)}") or env.uniqueid
            await channel.answer()
            self._step(call_id, "welcome", prompt=f"{lang}/welcome", language=lang)
            # Callers who know the menu key in during the greeting: let them barge in.
            greeting = await channel.stream_file(f"{lang}/welcome", "0123456789*#")
            key = greeting.digit or ""
            if not key:
                reply = await channel.get_data(f"{lang}/main-menu", self.digit_timeout_ms, 1)
                key = "" if reply.is_timeout or reply.failed else (reply.result or "")
            service = self.menu.get(key, self.fallback)
            self._step(call_id, "main-menu", prompt=f"{lang}/main-menu", key=key, language=lang)
            await channel.set_variable("CTI_SERVICE", service)
        except AgiHangup:
            log.info("caller hung up in the IVR", extra={"call_id": call_id})
        finally:
            # The dialplan moves the caller to the hold context when the script returns;
            # a caller who hung up in the IVR simply ends, and queueing them is a no-op.
            if not channel.hung_up:
                self.handed_off += 1
                self.bus.publish_all(self.model.queue(call_id, service, self.clock()))

    def _step(self, call_id: str, node: str, **kw: Any) -> None:
        step = ev.IvrStepTaken(call_id, self.clock(), node, **kw)
        self.model.record_ivr_step(step)
        self.bus.publish(step)
