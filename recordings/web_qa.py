"""Scoring, amendments, score trends, calibration, legal hold and the desktop's
pause/resume: the JSON and pages that change things (all CSRF-checked)."""

from __future__ import annotations

import asyncio
import hmac
import time
from typing import Any

from aiohttp import web

from crm.jsonbody import BadBody, parse_object
from cti.webkit.pages import csrf_for
from recordings import access
from recordings.qa import EvaluationLocked, EvaluationNotFound
from recordings.retention_job import set_legal_hold
from recordings.scorecard import FormError, agreement, calibrate, trend
from recordings.segments import NotRecording
from recordings.web import SERVICE, _fmt_time, allowed_call, problem, render, who


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON body, after the CSRF header matched the session's token."""
    token = request.headers.get("X-CSRF-Token", "")
    if not hmac.compare_digest(token, csrf_for(request)):
        raise web.HTTPForbidden(text="CSRF token missing or wrong")
    if request.content_length and request.content_length > 64 * 1024:
        raise web.HTTPRequestEntityTooLarge(max_size=64 * 1024,
                                            actual_size=request.content_length)
    if not request.can_read_body:
        return {}
    try:
        return parse_object(await request.read())
    except BadBody as refused:
        raise web.HTTPBadRequest(text=str(refused)) from None


async def evaluate(request: web.Request) -> web.Response:
    svc = request.app[SERVICE]
    user, roles, _me = who(request)
    if not access.may_score(roles):
        return problem(403, "only QA staff score calls")
    call_id = request.match_info["call_id"]
    call = await allowed_call(request, call_id)
    body = await _body(request)
    try:
        form_id = int(body.get("form_id", 0))
        answers = {str(k): str(v) for k, v in dict(body.get("answers") or {}).items()}
        eid = await asyncio.to_thread(
            svc.qa.evaluate, call_id=call_id, form_id=form_id, evaluator=user,
            agent=call["agent"], answers=answers, comment=str(body.get("comment", ""))[:4000],
            submit=bool(body.get("submit")), now=time.time())
    except (FormError, ValueError, TypeError) as exc:
        return problem(422, str(exc))
    except EvaluationNotFound as exc:
        return problem(404, str(exc))
    ev = await asyncio.to_thread(svc.qa.get, eid)
    return web.json_response({"id": eid, "status": ev["status"], "score": ev["score"],
                              "fatal": ev["fatal"]}, status=201)


async def amend(request: web.Request) -> web.Response:
    svc = request.app[SERVICE]
    user, roles, _me = who(request)
    if not access.may_amend(roles):
        return problem(403, "only QA staff and supervisors amend evaluations")
    try:
        eid = int(request.match_info["evaluation_id"])
        ev = await asyncio.to_thread(svc.qa.get, eid)
    except (ValueError, EvaluationNotFound):
        return problem(404, "no such evaluation")
    body = await _body(request)
    try:
        await asyncio.to_thread(
            svc.qa.amend, eid, actor=user,
            answers={str(k): str(v) for k, v in dict(body.get("answers") or {}).items()},
            reason=str(body.get("reason", ""))[:2000], now=time.time())
    except (FormError, ValueError) as exc:
        return problem(422, str(exc))
    ev = await asyncio.to_thread(svc.qa.get, eid)
    return web.json_response({"id": eid, "score": ev["score"], "amendments": ev["amendments"]})


async def update_draft(request: web.Request) -> web.Response:
    """PUT on an evaluation: allowed on the evaluator's draft only (409 once submitted)."""
    svc = request.app[SERVICE]
    user, roles, _me = who(request)
    try:
        eid = int(request.match_info["evaluation_id"])
        ev = await asyncio.to_thread(svc.qa.get, eid)
    except (ValueError, EvaluationNotFound):
        return problem(404, "no such evaluation")
    if ev["evaluator"] != user or not access.may_score(roles):
        return problem(403, "not your evaluation")
    body = await _body(request)
    try:
        await asyncio.to_thread(
            svc.qa.update_draft, eid,
            answers={str(k): str(v) for k, v in dict(body.get("answers") or {}).items()},
            comment=str(body.get("comment", ""))[:4000], submit=bool(body.get("submit")),
            now=time.time())
    except EvaluationLocked as exc:
        return problem(409, str(exc))
    except (FormError, ValueError) as exc:
        return problem(422, str(exc))
    return web.json_response({"id": eid})


async def scores_page(request: web.Request) -> web.Response:
    svc = request.app[SERVICE]
    _user, roles, me = who(request)
    agent = request.query.get("agent", "")[:64] if access.sees_all(roles) else me
    evals = await asyncio.to_thread(svc.qa.for_agent, agent) if agent else []
    days = trend([(e["submitted_at"], e["score"]) for e in evals])
    return render(request, "rec_scores.html", agent=agent, evaluations=evals, days=days,
                  mine=not access.sees_all(roles),
                  fmt=_fmt_time(request))


async def calibration_page(request: web.Request) -> web.Response:
    svc = request.app[SERVICE]
    _user, roles, _me = who(request)
    if not access.sees_all(roles):
        raise web.HTTPForbidden(text="calibration is for QA staff and supervisors")
    call_id = request.match_info["call_id"]
    await allowed_call(request, call_id)
    evals = [e for e in await asyncio.to_thread(svc.qa.for_call, call_id)
             if e["status"] == "submitted"]
    pairs = []
    by_form: dict[int, list[dict[str, Any]]] = {}
    for e in evals:
        by_form.setdefault(e["form_id"], []).append(e)
    for form_id, group in by_form.items():
        if len(group) < 2:
            continue
        a, b = group[0], group[1]
        _row, form = await asyncio.to_thread(svc.qa.form, form_id)
        rows = calibrate(form, a["answers"], b["answers"])
        pairs.append({"form": form, "a": a, "b": b, "rows": rows, "agreement": agreement(rows)})
    return render(request, "rec_calibration.html", call_id=call_id, pairs=pairs)


async def amendments(request: web.Request) -> web.Response:
    svc = request.app[SERVICE]
    _user, roles, me = who(request)
    try:
        eid = int(request.match_info["evaluation_id"])
        ev = await asyncio.to_thread(svc.qa.get, eid)
    except (ValueError, EvaluationNotFound):
        return problem(404, "no such evaluation")
    if not access.sees_all(roles) and ev["agent"] != me:
        return problem(403, "not your evaluation")
    rows = await asyncio.to_thread(svc.qa.amendments, eid)
    return web.json_response([{k: v for k, v in r.items()} for r in rows])


async def pause_resume(request: web.Request) -> web.Response:
    """The agent desktop's button: mute/unmute the call's recording (MixMonitorMute)."""
    svc = request.app[SERVICE]
    _user, roles, _me = who(request)
    if not ({"agent", "supervisor", "admin"} & set(roles)):
        return problem(403, "agents and supervisors only")
    await _body(request)
    call_id = request.match_info["call_id"]
    try:
        if request.match_info["action"] == "pause":
            await svc.pause(call_id, "agent")
        else:
            await svc.resume(call_id)
    except NotRecording as exc:
        return problem(409, str(exc))
    return web.json_response({"call_id": call_id, "paused": svc.recorder.is_paused(call_id)})


async def legal_hold(request: web.Request) -> web.Response:
    svc = request.app[SERVICE]
    user, roles, _me = who(request)
    if not access.may_hold(roles):
        return problem(403, "supervisors and admins only")
    call_id = request.match_info["call_id"]
    await allowed_call(request, call_id)
    body = await _body(request)
    await asyncio.to_thread(set_legal_hold, svc.registry, call_id, bool(body.get("hold")), user)
    return web.json_response({"call_id": call_id, "legal_hold": bool(body.get("hold"))})


def mount(app: web.Application) -> None:
    app.router.add_post("/recordings/calls/{call_id}/evaluations", evaluate)
    app.router.add_put("/recordings/evaluations/{evaluation_id}", update_draft)
    app.router.add_post("/recordings/evaluations/{evaluation_id}/amend", amend)
    app.router.add_get("/recordings/evaluations/{evaluation_id}/amendments", amendments)
    app.router.add_get("/recordings/scores", scores_page)
    app.router.add_get("/recordings/calibration/{call_id}", calibration_page)
    app.router.add_post("/recordings/calls/{call_id}/{action:pause|resume}", pause_resume)
    app.router.add_post("/recordings/calls/{call_id}/hold", legal_hold)
