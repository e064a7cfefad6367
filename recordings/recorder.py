"""The recorder: MixMonitor when an agent connects, a segment per agent, mute on demand.

The bus hands events to :meth:`Recorder.on_event`, which only queues them; one task
(:meth:`run`) carries them out in order, so a segment's MixMonitor is sent before the
call's end finalizes it. Pause/resume (desktop or IVR) send ``MixMonitorMute`` on the
caller's channel, where the recording runs, and are marked on the segment.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cti import events as ev
from recordings import files
from recordings.config import RecordingsConfig
from recordings.events import RecordingStored, SensitiveInputEnded, SensitiveInputStarted
from recordings.names import segment_name
from recordings.registry import Registry
from recordings.segments import CallRecording, NotRecording, Segment
from recordings.wavmath import snap_pauses

log = logging.getLogger(__name__)

WATCHED = (ev.CallAnswered, ev.CallEnded, ev.CallTransferred,
           SensitiveInputStarted, SensitiveInputEnded)


class RecorderError(RuntimeError):
    """Asterisk refused (or could not be asked) to start or mute a recording."""


class Recorder:
    def __init__(self, config: RecordingsConfig, registry: Registry, model: Any,
                 ami: Callable[[], Any], publish: Callable[[Any], None], *,
                 clock: Callable[[], float] = time.time, crm: Any = None) -> None:
        self.config = config
        self._crm = crm  # crm.store.InteractionStore: the interaction gets our file names
        self.directory = Path(config.directory)
        self.asterisk_directory = Path(config.asterisk_directory or config.directory)
        self.registry = registry
        self._model = model
        self._ami = ami
        self._publish = publish
        self._clock = clock
        self._calls: dict[str, CallRecording] = {}
        self._segment_ids: dict[tuple[str, int, str], int] = {}
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self.stored = 0
        self.errors = 0  # steps that raised (logged; cti_task_errors)

    # ---- bus side (synchronous, no I/O) -----------------------------------------------
    def on_event(self, event: Any) -> None:
        self._queue.put_nowait(event)

    async def run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._handle(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                # One call's failure (a vanished file, a DB hiccup) must not stop the others'
                # recordings; the segment stays "recording" and `verify` reports it.
                self.errors += 1
                log.exception("recording step failed", extra={"event": type(event).__name__})
            finally:
                self._queue.task_done()

    async def idle(self) -> None:
        """Every queued event handled (tests and shutdown)."""
        await self._queue.join()

    async def _handle(self, event: Any) -> None:
        if isinstance(event, ev.CallAnswered):
            await self._start_segment(event.call_id, event.agent, event.at)
        elif isinstance(event, ev.CallTransferred):
            if event.merged_call_id:
                await self._merge(event.merged_call_id, event.call_id)
        elif isinstance(event, SensitiveInputStarted):
            await self.pause(event.call_id, event.reason, strict=False)
        elif isinstance(event, SensitiveInputEnded):
            await self.resume(event.call_id, strict=False)
        elif isinstance(event, ev.CallEnded):
            await self._finish(event)

    # ---- segments ---------------------------------------------------------------------
    def _call(self, call_id: str) -> CallRecording:
        return self._calls.setdefault(call_id, CallRecording(call_id))

    async def _start_segment(self, call_id: str, agent: str, at: float) -> None:
        channel = self._model.recording_channel(call_id)
        ami = self._ami()
        if channel is None or ami is None:
            log.warning("cannot record: no caller channel or AMI link",
                        extra={"call_id": call_id})
            return
        rec = self._call(call_id)
        if not rec.adopted:
            rec.adopted = True
            if await self._adopt(call_id, rec, channel, at):
                return  # an earlier engine's MixMonitor still records this channel
        seq = rec.next_seq()
        name = segment_name(call_id, seq)
        # Asterisk writes where it sees the spool (asterisk_directory); we read the same
        # files where they are mounted here (directory). One host: the same path.
        where = self.asterisk_directory
        options = "b"
        if self.config.split_legs:
            options += (f"r({where / segment_name(call_id, seq, 'caller')})"
                        f"t({where / segment_name(call_id, seq, 'agent')})")
        # One MixMonitor per channel: stop whatever records it now (the previous agent's
        # segment), so a transfer does not record twice.
        await ami.send("StopMixMonitor", {"Channel": channel})
        reply = await ami.send("MixMonitor", {"Channel": channel, "File":
                                              str(where / name), "Options": options})
        if not reply.ok:
            # Usually the caller hung up between the answer and our action ("No such
            # channel"): nothing to record, and the call's end comes next.
            log.warning("MixMonitor refused", extra={"call_id": call_id, "channel": channel,
                                                     "reason": reply.response.message})
            return
        now = self._clock()
        seg = rec.start(name, channel, agent, now)
        self._note_ref(call_id, name)
        await self._register(call_id, seg, at)
        if seg.paused_since is not None:  # a pause asked before anyone was recording
            await self._mute(channel, True)

    async def _adopt(self, call_id: str, rec: CallRecording, channel: str, at: float) -> bool:
        """Segments an earlier engine registered for this call (it died mid-call): their
        numbers are taken, and one still recording is finished by us. True when it
        records the caller's channel now: it simply goes on (one complete file)."""
        rows = await asyncio.to_thread(self.registry.segments, call_id)
        live: Segment | None = None
        for row in rows:
            leg, seq = row["leg"], int(row["seq"])
            if row["status"] == "recording":
                self._segment_ids[(call_id, seq, leg)] = int(row["id"])
            if leg != "mix":
                continue
            seg = Segment(seq, row["name"], row["channel"] or "", row["agent"] or "",
                          float(row["started_at"] or at))
            seg.pauses = list(row.get("pauses") or [])
            if row["status"] == "recording":
                live = seg
            else:
                seg.ended_at = float(row.get("ended_at") or seg.started_at)
            rec.segments.append(seg)
        rec.segments.sort(key=lambda s: s.seq)
        for seg in rec.segments:
            if seg is not live and seg.ended_at is None:
                seg.ended_at = at
        if live is None:
            return False
        if live.channel == channel:
            rec.segments.remove(live)
            rec.segments.append(live)  # the current one
            for seg in rec.segments:
                self._note_ref(call_id, seg.name)
            return True
        live.ended_at = at
        return False

    def _note_ref(self, call_id: str, name: str) -> None:
        """The call's row names its recordings from the start (the interaction writer
        takes them from the call model when the call ends)."""
        call = getattr(self._model, "calls", {}).get(call_id)
        refs = getattr(call, "recordings", None)
        if refs is not None and name not in refs:
            refs.append(name)

    async def _register(self, call_id: str, seg: Segment, at: float) -> None:
        call = getattr(self._model, "calls", {}).get(call_id)
        legs = ["mix"] + (["caller", "agent"] if self.config.split_legs else [])
        await asyncio.to_thread(
            self.registry.ensure_call, call_id, getattr(call, "started_at", at),
            caller_number=getattr(call, "caller_number", None),
            service=getattr(call, "service", None) or None,
        )
        for leg in legs:
            name = seg.name if leg == "mix" else segment_name(call_id, seg.seq, leg)
            sid = await asyncio.to_thread(
                self.registry.add_segment, call_id, seg.seq, leg, name, channel=seg.channel,
                agent=seg.agent, started_at=seg.started_at)
            self._segment_ids[(call_id, seg.seq, leg)] = sid

    async def _merge(self, gone: str, keep: str) -> None:
        old = self._calls.pop(gone, None)
        if old is None:
            return
        target = self._call(keep)
        target.segments = sorted(target.segments + old.segments, key=lambda s: s.started_at)
        for (cid, seq, leg), sid in list(self._segment_ids.items()):
            if cid == gone:
                self._segment_ids[(keep, seq, leg)] = sid
                await asyncio.to_thread(self.registry.update_segment, sid, call_id=keep)

    # ---- pause / resume ---------------------------------------------------------------
    async def pause(self, call_id: str, reason: str = "agent", *, strict: bool = True) -> None:
        rec = self._calls.get(call_id)
        if rec is None or rec.current is None:
            if strict:
                raise NotRecording(call_id)
            self._call(call_id).pause(self._clock(), reason)  # mute the next segment
            return
        if rec.pause(self._clock(), reason):
            await self._mute(rec.current.channel, True)

    async def resume(self, call_id: str, *, strict: bool = True) -> None:
        rec = self._calls.get(call_id)
        if rec is None or rec.current is None:
            if rec is not None:
                rec.pending_pause = ""
            if strict:
                raise NotRecording(call_id)
            return
        channel = rec.current.channel
        if rec.resume(self._clock()):
            await self._mute(channel, False)

    def is_paused(self, call_id: str) -> bool:
        rec = self._calls.get(call_id)
        return rec is not None and rec.paused

    async def _mute(self, channel: str, on: bool) -> None:
        ami = self._ami()
        if ami is None:
            raise RecorderError("no AMI link to mute the recording")
        reply = await ami.send("MixMonitorMute", {"Channel": channel, "Direction": "both",
                                                  "State": "1" if on else "0"})
        if not reply.ok:
            raise RecorderError(f"MixMonitorMute refused on {channel}")

    # ---- end of call ------------------------------------------------------------------
    async def _finish(self, event: ev.CallEnded) -> None:
        rec = self._calls.pop(event.call_id, None)
        if rec is None:
            # Not answered while this engine ran: an earlier engine may have started a
            # recording that nobody finished (it died, the call ended meanwhile).
            rec = CallRecording(event.call_id)
            await self._adopt(event.call_id, rec, "", event.at)
        if not rec.segments:
            return
        rec.end(self._clock())
        total = 0.0
        for seg in rec.segments:
            legs = ["mix"] + (["caller", "agent"] if self.config.split_legs else [])
            for leg in legs:
                sid = self._segment_ids.pop((event.call_id, seg.seq, leg), None)
                if sid is None:
                    continue
                name = seg.name if leg == "mix" else segment_name(event.call_id, seg.seq, leg)
                duration = await self._store(sid, self.directory / name, seg)
                if leg == "mix":
                    total += duration
        summary = event.summary or {}
        await asyncio.to_thread(
            self.registry.update_call, event.call_id, ended_at=event.at,
            duration=round(total, 3), agent=event.answered_by or rec.segments[0].agent,
            service=summary.get("service") or None,
            transcript_status="pending" if self.config.transcribe else "none",
        )
        if self._crm is not None:
            names = [s.name for s in rec.segments]
            await asyncio.to_thread(self._crm.update_interaction, event.call_id,
                                    recording_refs=names)
        self.stored += 1
        self._publish(RecordingStored(event.call_id, self._clock(), len(rec.segments)))

    async def _store(self, segment_id: int, path: Path, seg: Segment) -> float:
        """Checksum the closed file and put its facts in the registry; its duration."""
        info = None
        for _ in range(self.config.finalize_retries):
            # Asterisk closes the file (and rewrites the header's sizes) just after the
            # hang-up: wait until the header agrees with the bytes on disk.
            info = await asyncio.to_thread(files.header_of, path)
            if info is not None and info.complete:
                break
            await asyncio.sleep(self.config.finalize_delay)
        if not await asyncio.to_thread(path.is_file):
            # Asterisk on another host: the file is written there; this host must see the
            # same spool (recordings.yaml directory / asterisk_directory). `cti recordings
            # verify` re-checks later; the segment stays listed as missing until then.
            log.error(
                "recording file not found after the call; marked missing",
                extra={"call_id": seg.name.rsplit("-", 1)[0], "engine_path": str(path),
                       "asterisk_path": str(self.asterisk_directory / path.name),
                       "waited_s": round(self.config.finalize_retries
                                         * self.config.finalize_delay, 1)})
            await asyncio.to_thread(self.registry.update_segment, segment_id, status="missing",
                                    ended_at=seg.ended_at, pauses=seg.pauses)
            return 0.0
        facts = await asyncio.to_thread(files.facts, path)
        pauses = seg.pauses
        if pauses and facts.info is not None:
            runs = await asyncio.to_thread(files.silent_stretches, path, 0.1)
            snapped = snap_pauses([(float(p[0]), float(p[1])) for p in pauses], runs, 0.15)
            pauses = [[s, e, p[2]] for (s, e), p in zip(snapped, pauses, strict=True)]
        duration = facts.info.duration if facts.info else 0.0
        await asyncio.to_thread(
            self.registry.update_segment, segment_id, status="stored", ended_at=seg.ended_at,
            duration=round(duration, 3), size=facts.size, sha256=facts.sha256,
            format=facts.info.format if facts.info else "unknown", pauses=pauses)
        return duration
