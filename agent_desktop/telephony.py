"""Call controls carried out through AMI: hang up, transfer to a service, recording pause,
click-to-call. (A transfer to an agent is routing's: it reserves them and redirects.)

The caller's channel is the one to act on (the call model knows which half of a Local
pair runs the dialplan). Asterisk's refusals come back as :class:`Refused` with the
reason, so the desktop can say "the call is gone" rather than fail silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent_desktop.protocol import Refused
from cti.ami.session import AmiError

NUMBER = re.compile(r"\+?[0-9][0-9 \-]{1,30}")


@dataclass(frozen=True, slots=True)
class DialConfig:
    # Click-to-call: the agent's phone rings first (``agent_channel``); when they answer,
    # Asterisk runs ``outbound_context`` with the customer's number as the extension.
    agent_channel: str = "Local/{extension}@{agent_context}"
    outbound_context: str = ""  # empty: the site's dialplan.outbound_context
    ring_timeout: float = 30.0


class Telephony:
    def __init__(self, engine: Any, dial: DialConfig | None = None) -> None:
        self.engine = engine
        self.dial = dial or DialConfig()

    def _ami(self) -> Any:
        ami = self.engine._primary_ami()
        if ami is None:
            raise Refused("pbx_down", "no Asterisk connection")
        return ami

    def _channel(self, call_id: str) -> str:
        channel = self.engine.model.caller_channel(call_id)
        if channel is None:
            raise Refused("gone", "the call has ended")
        return channel

    async def _send(self, action: str, fields: dict[str, str]) -> None:
        try:
            reply = await self._ami().send(action, fields)
        except AmiError as exc:
            raise Refused("pbx_error", str(exc)) from None
        if not reply.ok:
            raise Refused("pbx_refused", reply.response.message or action)

    async def hangup(self, call_id: str) -> None:
        await self._send("Hangup", {"Channel": self._channel(call_id), "Cause": "16"})

    async def record(self, call_id: str, paused: bool) -> None:
        """Pause or resume the call's recording (card numbers, passwords): the recorder
        sends MixMonitorMute on the caller's channel, so the file keeps its length with
        silence, and marks the paused stretch in the registry."""
        from recordings.recorder import RecorderError
        from recordings.segments import NotRecording

        recorder = self.engine.recordings
        try:
            if paused:
                await recorder.pause(call_id, "agent")
            else:
                await recorder.resume(call_id)
        except NotRecording:
            raise Refused("not_recording", call_id) from None
        except (RecorderError, AmiError) as exc:
            raise Refused("pbx_refused", str(exc)) from None

    async def transfer_to_service(self, call_id: str, service: str) -> None:
        """The caller goes back to waiting (keeping their place in time) for ``service``."""
        dp = self.engine.settings.dialplan
        await self._send(
            "Redirect",
            {
                "Channel": self._channel(call_id),
                "Context": dp.hold_context,
                "Exten": "s",
                "Priority": "1",
            },
        )
        engine = self.engine
        engine.bus.publish_all(engine.model.queue(call_id, service, engine.clock()))

    async def originate(self, extension: str, agent_id: str, digits: str, call_id: str) -> None:
        """Ring the agent's phone; once answered Asterisk dials ``digits`` from the
        outbound context. ``call_id`` becomes the call's Linkedid (``ChannelId``)."""
        dp = self.engine.settings.dialplan
        await self._send(
            "Originate",
            {
                "Channel": self.dial.agent_channel.format(
                    extension=extension, agent_context=dp.agent_context
                ),
                "Context": self.dial.outbound_context or dp.outbound_context,
                "Exten": digits,
                "Priority": "1",
                "CallerID": f"<{digits}>",
                "Timeout": str(int(self.dial.ring_timeout * 1000)),
                "Async": "true",
                "ChannelId": call_id,
                "OtherChannelId": f"{call_id}-2",
                # The agent's own dial string, which cti-agents dials (Local copies ;1's
                # variables to ;2).
                "Variable": (
                    f"CTI_AGENT={agent_id},"
                    f"{dp.agent_dial_variable}={self.engine.settings.agent_dial(extension)}"
                ),
            },
        )
