"""Who may act on a live call (hang up, transfer, pause or resume its recording).

Pure, over the call model: one rule that the desk's websocket and the HTTP routes both
apply, so neither path lets an agent act on another agent's call. A supervisor (or an
administrator) may act on any live call; an agent only on a call that is in progress
and that they answered (or, for a click-to-call, that they placed).
"""

from __future__ import annotations

from typing import Any

IN_PROGRESS = frozenset({"connected", "on_hold"})


class CallNotInProgress(Exception):
    """The call is unknown, not yet answered or already over."""


class NotYourCall(Exception):
    """The call is live, but this person may not act on it."""


def check_may_control(
    model: Any,
    call_id: str,
    extension: str | None,
    *,
    supervisor: bool = False,
    placed_by_them: bool = False,
) -> None:
    """Raise unless the person (agent ``extension``; ``supervisor`` for supervisors and
    administrators) may act on live call ``call_id``."""
    call = model.calls.get(call_id)
    if call is None or call.state.value not in IN_PROGRESS:
        raise CallNotInProgress(call_id)
    if supervisor or placed_by_them:
        # A click-to-call: the model names the customer, not the agent, as answering.
        return
    if extension is None or call.answered_by != extension:
        raise NotYourCall(call_id)
