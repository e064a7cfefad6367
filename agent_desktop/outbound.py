"""Click-to-call from the desk: the agent's phone rings first, then the customer's.

The desk chooses the call's id before asking Asterisk (``ChannelId`` of the Originate
becomes the Linkedid), so everything about the call is known up front: the CRM row is
started as an outbound call linked to the customer (the engine's later write of the
telephony fields keeps these), and the agent's pop and state follow the call.

Routing is told about the agent's leg here because the call model cannot see it: the
Originate's own dial of the agent has no caller channel, so no ``AgentRinging`` names
the agent. The desk gives routing the same inputs the executor gives for any leg it
sees (``ringing`` now, ``answered`` once the agent picked up, which is when Asterisk
starts dialling the customer); the call's end reaches routing through the bus as usual.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from typing import Any

from agent_desktop.crmview import CrmDesk
from agent_desktop.notifier import Notifier
from agent_desktop.protocol import Refused
from agent_desktop.telephony import NUMBER, Telephony
from cti import events as ev
from routing.model import AgentState


@dataclass(slots=True)
class Dialled:
    call_id: str
    agent_id: str
    extension: str
    number: str
    customer_id: int | None


class Outbound:
    def __init__(
        self, engine: Any, notifier: Notifier, crm: CrmDesk | None, telephony: Telephony
    ) -> None:
        self.engine = engine
        self.notifier = notifier
        self.crm = crm
        self.telephony = telephony
        self.calls: dict[str, Dialled] = {}

    @property
    def router(self) -> Any:
        return self.engine.router.router

    async def dial(
        self, agent_id: str, actor: str, number: str, customer_id: int | None
    ) -> dict[str, Any]:
        agent = self.router.agents.get(agent_id)
        if agent is None or agent.state not in (AgentState.READY, AgentState.NOT_READY):
            raise Refused("not_allowed", "click-to-call needs a free agent (wrap-up finished)")
        if not NUMBER.fullmatch(number):
            raise Refused("invalid", "not a phone number")
        digits = re.sub(r"[ \-]", "", number)
        # Asterisk's own uniqueids are "<epoch>.<counter>"; ours keep that look.
        call_id = f"{int(self.engine.clock())}.out{uuid.uuid4().hex[:12]}"
        card = None
        if self.crm is not None:
            card = await asyncio.to_thread(
                self.crm.start_outbound, actor, call_id, digits, customer_id, agent.extension
            )
        was, reason = agent.state, agent.reason
        now = self.engine.clock()
        # Busy before the Originate goes out: no inbound offer may reach the phone now.
        self.router.ringing(agent.extension, call_id, now)
        if was == AgentState.NOT_READY:
            self.router.set_not_ready(agent_id, now, reason)  # kept for after the call
        self.calls[call_id] = Dialled(
            call_id, agent_id, agent.extension, digits, card["id"] if card else None
        )
        try:
            await self.telephony.originate(agent.extension, agent_id, digits, call_id)
        except Refused:
            del self.calls[call_id]
            self.router.release(agent_id, self.engine.clock())
            self.notifier.sync_agents()
            raise
        self.notifier.outbound_pop(agent_id, call_id, digits, card)
        return {"dialing": digits, "call_id": call_id}

    def on_event(self, e: Any) -> None:
        """Bus events (synchronous): the customer's leg starting means the agent answered."""
        d = self.calls.get(getattr(e, "call_id", ""))
        if d is None:
            return
        # The call model names the agent on the customer's leg (the agent's own phone
        # leg is not an offer), so any ringing of this call is the customer's phone.
        if isinstance(e, ev.AgentRinging):
            agent = self.router.agents.get(d.agent_id)
            if agent is not None and agent.call_id == d.call_id:
                self.router.answered(d.extension, d.call_id, e.at)
            self.notifier.set_status(d.call_id, "calling")
        elif isinstance(e, ev.CallEnded):
            del self.calls[e.call_id]
