"""Audit of sensitive reads that happen outside the CRM: listening to a call recording."""

from __future__ import annotations

from typing import Any

from crm.uow import UnitOfWork

PLAY = "recording.play"


def record_playback(
    uow: UnitOfWork,
    actor: str,
    *,
    call_id: str | None = None,
    recording_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write who started playing which recording. Call it once per playback, where the audio
    is served (not once per HTTP range request, and never on the client's word).

    The audit object is the call (``interaction``/call id) when it is known, since QA asks
    "who listened to this call"; otherwise the recording (``recording``/recording id). Both
    ids go into the detail either way.
    """
    if not actor:
        raise ValueError("a playback needs the user who listens")
    if call_id is None and recording_id is None:
        raise ValueError("a playback needs a call id or a recording id")
    object_type, object_id = (
        ("interaction", call_id) if call_id is not None else ("recording", recording_id)
    )
    ids = {"call_id": call_id, "recording_id": None if recording_id is None else str(recording_id)}
    uow.audit(actor, PLAY, object_type, object_id, {**(detail or {}), **ids})
