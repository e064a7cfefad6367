"""Errors as JSON problem objects (RFC 9457); domain errors are mapped to codes only here."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from crm.auth import AuthError
from crm.jsonbody import BadBody
from crm.login import Busy, Throttled
from crm.model.announcement import AnnouncementError, AnnouncementNotFound
from crm.model.customer import ArchiveLocked, CustomerNotFound
from crm.model.followup import FollowUpError, FollowUpNotFound
from crm.model.incident import IncidentError, IncidentNotFound
from crm.model.interaction import UnknownInteractionField
from crm.model.ticket import IllegalTransition, TicketError, TicketNotFound
from crm.phone import InvalidPhoneNumber
from crm.repository.tickets import StaleTicket

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Forbidden(Exception):
    pass


class Conflict(Exception):
    """The request clashes with stored data (409), e.g. an account number already taken."""


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/problem+json",
        headers=headers,
    )


_NOT_FOUND = (
    TicketNotFound,
    CustomerNotFound,
    FollowUpNotFound,
    IncidentNotFound,
    AnnouncementNotFound,
    LookupError,
)
_CONFLICT = (
    Conflict,
    IllegalTransition,
    StaleTicket,
    ArchiveLocked,
    AnnouncementError,
    FollowUpError,
    IncidentError,
    TicketError,
)
_BAD_INPUT = (InvalidPhoneNumber, UnknownInteractionField, ValueError, TypeError)


def _ids(error: Exception) -> dict[str, Any]:
    names = ("ticket_id", "customer_id", "followup_id", "incident_id", "announcement_id", "call_id")
    return {n: getattr(error, n) for n in names if getattr(error, n, None) is not None}


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return problem(
            error.status,
            error.reason,
            error.text if error.text != (f"{error.status}: {error.reason}") else None,
        )
    except Throttled as error:
        return problem(429, "Too Many Requests", str(error), retry_after=error.retry_after)
    except Busy as error:
        return problem(503, "Service Unavailable", str(error), retry_after=error.retry_after)
    except AuthError as error:
        return problem(401, "Unauthorized", str(error))
    except BadBody as error:
        return problem(error.status, "Bad Request" if error.status == 400 else "Too Large",
                       str(error))  # fmt: skip
    except Forbidden as error:
        return problem(403, "Forbidden", str(error))
    except KeyError as error:  # before LookupError, its parent: a missing input field
        return problem(400, "Bad Request", f"missing field {error}")
    except _NOT_FOUND as error:
        return problem(404, "Not Found", str(error).strip("'\""), **_ids(error))
    except _CONFLICT as error:
        return problem(409, "Conflict", str(error), **_ids(error))
    except IntegrityError as error:
        # A unique value already taken (an account number, a username, a code) or a
        # reference to a row that does not exist: the request conflicts with the data.
        log.info("CRM API %s %s refused: %s", request.method, request.path, error.orig)
        return problem(
            409,
            "Conflict",
            "the request conflicts with existing data (a value already taken, "
            "or a reference to a record that does not exist)",
        )
    except _BAD_INPUT as error:
        return problem(400, "Bad Request", str(error), **_ids(error))
    except Exception:
        log.exception("CRM API %s %s failed", request.method, request.path)
        return problem(500, "Internal Server Error")
