"""Virtual hold: a caller waiting on hold presses a key (or the API asks) to be called
back; they hang up and keep their place, and at their turn the engine originates a call
to their number that runs the connect dialplan with the chosen agent.

The key arrives as an AMI ``DTMFEnd`` on the held channel (Asterisk reports DTMF received
during ``Wait()`` in the hold loop); these functions decide and build actions, the
executor sends them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from routing.config import CallbackConfig
from routing.model import Offer

if TYPE_CHECKING:
    from cti.settings import DialplanConfig
    from routing.executor import RoutingExecutor


def key_requests_callback(ex: RoutingExecutor, event: Any) -> str | None:
    """The call id whose caller pressed the callback key while waiting, if any."""
    if event.name != "DTMFEnd" or event.get("Direction") != "Received":
        return None
    key = ex.config.callback.key
    if not key or event.get("Digit") != key:
        return None
    call = ex.model.call_for_channel(event.get("Uniqueid"))
    if call is None:
        return None
    waiting = ex.router.calls.get(call.call_id)
    if waiting is None or waiting.offered_to is not None or waiting.callback:
        return None
    svc = ex.router.service(waiting.service)
    if any(s.offer_callback for s in svc.escalation) and not waiting.callback_offered:
        # The service offers callbacks only from an escalation step on: not yet.
        return None
    return call.call_id


def callback_for(cb: CallbackConfig, dp: DialplanConfig) -> CallbackConfig:
    """Without a ``callback:`` section in routing.yaml the site's dialplan names decide."""
    if cb != CallbackConfig():
        return cb
    return replace(
        cb, channel=f"Local/{{number}}@{dp.callback_context}", context=dp.connect_context
    )


def originate_fields(
    offer: Offer, cb: CallbackConfig, agent_variable: str, dial: tuple[str, str] | None = None
) -> dict[str, str]:
    number = offer.callback or ""
    variables = f"{agent_variable}={offer.extension},CTI_CALLBACK={offer.call_id}"
    if dial is not None:
        variables += f",{dial[0]}={dial[1]}"
    return {
        "Channel": cb.channel.format(number=number),
        "Context": cb.context,
        "Exten": cb.exten,
        "Priority": "1",
        "CallerID": f"<{number}>",
        "Timeout": str(int(cb.timeout * 1000)),
        "Async": "true",
        # CTI_CALLBACK ties the new call to the one whose place it kept.
        "Variable": variables,
    }
