"""The recordings pages and the audio they stream (mounted by cti/web.py).

Audio goes out with HTTP Range support (players seek with it); the play is audited once,
when the file is asked for from its first byte, never per range request nor on the
client's word. Names in URLs are resolved only inside the recordings directory.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from cti.dispositions import DISPOSITIONS
from cti.webkit import pages
from cti.webkit.i18n import N_, both_languages, labels, lang_of, translate
from cti.webkit.keys import IDENTITY, SETTINGS
from cti.webkit.nav import add_nav
from recordings import access
from recordings.names import UnsafeName, check_name, resolve
from recordings.ranges import Unsatisfiable, parse_range
from recordings.search import Filters, resolve_names, search
from recordings.service import RecordingsService

SERVICE: web.AppKey[RecordingsService] = web.AppKey("recordings")
CHUNK = 64 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def render(request: web.Request, template: str, **ctx: Any) -> web.Response:
    return pages.render(request, template, **ctx)


def who(request: web.Request) -> tuple[str, frozenset[str], str]:
    """(username, roles, agent extension) of the logged-in user."""
    ident = request[IDENTITY]
    return ident.username, ident.roles, request.app[SERVICE].agent_of(ident.username)


def problem(status: int, title: str) -> web.Response:
    return web.json_response({"type": "about:blank", "title": title, "status": status},
                             status=status, content_type="application/problem+json")


async def call_agents(svc: RecordingsService, call_id: str) -> tuple[dict | None, set[str]]:
    call = await asyncio.to_thread(svc.registry.call, call_id)
    if call is None or call["deleted_at"] is not None:
        return None, set()
    segs = await asyncio.to_thread(svc.registry.segments, call_id)
    return call, {s["agent"] for s in segs if s["agent"]} | ({call["agent"]} - {None})


async def allowed_call(request: web.Request, call_id: str) -> dict:
    svc = request.app[SERVICE]
    _user, roles, me = who(request)
    call, agents = await call_agents(svc, call_id)
    if call is None:
        raise web.HTTPNotFound(text="no such recording")
    if not access.may_play(roles, me, agents):
        raise web.HTTPForbidden(text="not your call")
    return call


# ---- pages ----------------------------------------------------------------------------
async def list_page(request: web.Request) -> web.Response:
    svc = request.app[SERVICE]
    _user, roles, me = who(request)
    if not (access.sees_all(roles) or "agent" in roles):
        raise web.HTTPForbidden(text="recordings are for QA staff, supervisors and agents")
    only = None if access.sees_all(roles) else me
    filters = resolve_names(Filters.from_query(request.query, only), *_aliases(request))
    filters = dataclasses.replace(filters, tz=request.app[SETTINGS].time_zone)
    rows = await asyncio.to_thread(search, svc.sql, filters)
    return render(request, "rec_list.html", rows=rows, f=filters, q=request.query,
                  services=_services(request), fmt=_fmt_time(request), **_names(request))


async def call_page(request: web.Request) -> web.Response:
    svc = request.app[SERVICE]
    call_id = request.match_info["call_id"]
    call = await allowed_call(request, call_id)
    _user, roles, me = who(request)
    segs = await asyncio.to_thread(svc.registry.segments, call_id)
    transcripts = await asyncio.to_thread(svc.registry.transcripts, call_id)
    evals = await asyncio.to_thread(svc.qa.for_call, call_id)
    if not access.sees_all(roles):
        evals = [e for e in evals if e["status"] == "submitted" and e["agent"] == me]
    forms = await asyncio.to_thread(svc.qa.forms)
    parsed = []
    for f in forms:
        _row, form = await asyncio.to_thread(svc.qa.form, f["id"])
        parsed.append((f, form))
    return render(request, "rec_call.html", call=call, segments=segs, transcripts=transcripts,
                  evaluations=evals, forms=parsed, may_score=access.may_score(roles),
                  may_amend=access.may_amend(roles), may_hold=access.may_hold(roles),
                  fmt=_fmt_time(request), **_names(request))


def _fmt_time(request: web.Request) -> Callable[[float | None], str]:
    """Times as the site's local wall clock (site.yaml time_zone)."""
    zone = ZoneInfo(request.app[SETTINGS].time_zone)

    def fmt(epoch: float | None) -> str:
        if epoch is None:
            return ""
        return datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%d %H:%M:%S")

    return fmt


def _services(request: web.Request) -> list[tuple[str, str, str]]:
    """(code, zh label, en label) of each service."""
    return [(s.name, s.label_zh or s.name, s.label_en or s.name)
            for s in request.app[SETTINGS].services]


def _aliases(request: web.Request) -> tuple[dict[str, str], dict[str, str]]:
    """What people type in the filters -> what the recordings keep (see resolve_names)."""
    agents: dict[str, str] = {}
    for a in request.app[SETTINGS].agents:
        for alias in (a.name, a.id, a.extension):
            agents[alias.casefold()] = a.extension
    dispositions: dict[str, str] = {}
    for code, (zh, en) in both_languages("dispositions", DISPOSITIONS).items():
        for alias in (code, zh, en):
            dispositions[alias.casefold()] = code
    return agents, dispositions


def _names(request: web.Request) -> dict[str, Any]:
    """Lookups for the templates: show names and labels, never raw codes."""
    settings = request.app[SETTINGS]
    lang = lang_of(request)
    pick = 0 if lang == "zh" else 1
    status, missing = request.app[SERVICE].config.transcription_status()
    return {
        "agent_name": {a.extension: f"{a.name} ({a.extension})" for a in settings.agents},
        "service_label": {s.name: (s.label_zh, s.label_en)[pick] or s.name
                          for s in settings.services},
        "disposition_label": labels("dispositions", DISPOSITIONS, lang),
        "stt_status": status,
        "stt_missing": missing,
        "stt_config": request.app[SERVICE].config.source
        or translate(request, "recordings.yaml (beside site.yaml)"),
    }


# ---- audio ----------------------------------------------------------------------------
async def audio(request: web.Request) -> web.StreamResponse:
    svc = request.app[SERVICE]
    try:
        segment_id = int(request.match_info["segment_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    seg = await asyncio.to_thread(svc.registry.segment, segment_id)
    if seg is None or seg["status"] not in ("stored", "changed"):
        raise web.HTTPNotFound(text="no such recording")
    await allowed_call(request, seg["call_id"])
    return await _stream(request, svc, seg)


async def audio_by_name(request: web.Request) -> web.StreamResponse:
    """/recordings/files/<name>: for links that carry the file's name (and the tests of
    names that try to leave the directory)."""
    svc = request.app[SERVICE]
    name = request.match_info["name"]
    try:
        check_name(name)
    except UnsafeName:
        raise web.HTTPBadRequest(text="bad recording name") from None
    segs = await asyncio.to_thread(svc.registry.segment_by_name, name)
    if segs is None or segs["status"] not in ("stored", "changed"):
        raise web.HTTPNotFound(text="no such recording")
    await allowed_call(request, segs["call_id"])
    return await _stream(request, svc, segs)


async def _stream(request: web.Request, svc: RecordingsService,
                  seg: dict[str, Any]) -> web.StreamResponse:
    try:
        path = resolve(Path(svc.config.directory), seg["name"])
    except UnsafeName:
        raise web.HTTPNotFound() from None
    try:
        size = (await asyncio.to_thread(path.stat)).st_size
    except FileNotFoundError:
        raise web.HTTPNotFound(text="the file is missing") from None
    headers = {"Accept-Ranges": "bytes", "Content-Type": "audio/wav",
               "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except Unsatisfiable:
        return web.Response(status=416, headers={**headers,
                                                  "Content-Range": f"bytes */{size}"})
    start, length = (0, size) if byte_range is None else (byte_range.start, byte_range.length)
    if start == 0 and request.method == "GET":
        user, _roles, _me = who(request)
        await asyncio.to_thread(svc.crm.record_playback, user, call_id=seg["call_id"],
                                recording_id=seg["id"], detail={"name": seg["name"]})
    resp = web.StreamResponse(status=200 if byte_range is None else 206, headers=headers)
    if byte_range is not None:
        resp.headers["Content-Range"] = byte_range.content_range(size)
    resp.content_length = length
    await resp.prepare(request)
    if request.method == "HEAD":
        return resp
    f = await asyncio.to_thread(path.open, "rb")
    try:
        await asyncio.to_thread(f.seek, start)
        left = length
        while left > 0:
            chunk = await asyncio.to_thread(f.read, min(CHUNK, left))
            if not chunk:
                break
            await resp.write(chunk)
            left -= len(chunk)
    finally:
        await asyncio.to_thread(f.close)
    await resp.write_eof()
    return resp


def mount_recordings(app: web.Application, engine: Any) -> None:
    """Add the recordings pages to the web app (one call from cti/web.py)."""
    from recordings import web_qa

    if getattr(engine, "recordings", None) is None:
        return  # an engine built without recordings (a test double): nothing to mount
    app[SERVICE] = engine.recordings
    app.router.add_get("/recordings", list_page)
    app.router.add_get("/recordings/calls/{call_id}", call_page)
    app.router.add_get("/recordings/audio/{segment_id}", audio)
    app.router.add_get("/recordings/files/{name}", audio_by_name)
    web_qa.mount(app)
    add_nav(app, "/recordings", N_("Recordings"), 40)
