"""What the recorder knows about one call while it is live, without I/O.

A call has numbered segments (one per agent connection: a transfer starts the next);
each segment has pauses, kept as offsets from the segment's start in the engine's clock.
The recorder feeds this object events and carries out the actions it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Segment:
    seq: int
    name: str
    channel: str
    agent: str
    started_at: float
    ended_at: float | None = None
    pauses: list[list[float | str]] = field(default_factory=list)  # [start, end, reason]
    paused_since: float | None = None
    pause_reason: str = ""

    def offset(self, at: float) -> float:
        return round(max(0.0, at - self.started_at), 3)


class NotRecording(LookupError):
    """Pause/resume asked for a call that has no running recording."""

    def __init__(self, call_id: str) -> None:
        super().__init__(f"call {call_id} is not being recorded")
        self.call_id = call_id


@dataclass(slots=True)
class CallRecording:
    call_id: str
    segments: list[Segment] = field(default_factory=list)
    # Pause asked while nothing was recording (e.g. the IVR collecting a card number before
    # an agent joined): the next segment starts muted.
    pending_pause: str = ""
    adopted: bool = False  # the registry's segments of an earlier engine were read

    @property
    def current(self) -> Segment | None:
        seg = self.segments[-1] if self.segments else None
        return seg if seg is not None and seg.ended_at is None else None

    @property
    def paused(self) -> bool:
        seg = self.current
        return seg is not None and seg.paused_since is not None

    def start(self, name: str, channel: str, agent: str, at: float) -> Segment:
        """A new segment; the running one (if any) ends now (a transfer's hand-over)."""
        self.end(at)
        seg = Segment(self.next_seq(), name, channel, agent, at)
        self.segments.append(seg)
        if self.pending_pause:
            seg.paused_since, seg.pause_reason = at, self.pending_pause
        return seg

    def next_seq(self) -> int:
        """Never a number used before for this call, also by an engine that ran earlier
        (its segments are adopted from the registry first), so no file is overwritten."""
        return max((s.seq for s in self.segments), default=0) + 1

    def end(self, at: float) -> None:
        seg = self.current
        if seg is None:
            return
        if seg.paused_since is not None:
            seg.pauses.append([seg.offset(seg.paused_since), seg.offset(at), seg.pause_reason])
            seg.paused_since = None
        seg.ended_at = at

    def pause(self, at: float, reason: str) -> bool:
        """True when the caller must send MixMonitorMute State 1 now."""
        seg = self.current
        if seg is None:
            self.pending_pause = reason
            return False
        if seg.paused_since is not None:
            return False
        seg.paused_since, seg.pause_reason = at, reason
        return True

    def resume(self, at: float) -> bool:
        """True when the caller must send MixMonitorMute State 0 now."""
        self.pending_pause = ""
        seg = self.current
        if seg is None or seg.paused_since is None:
            return False
        seg.pauses.append([seg.offset(seg.paused_since), seg.offset(at), seg.pause_reason])
        seg.paused_since = None
        return True
