"""Finding recorded calls: filters to one SQL query over the registry and the CRM's
interactions (disposition, customer), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, exists, func, or_, select

from crm.schema import customers, interactions
from recordings.schema import rec_calls, rec_segments

PAGE = 50


@dataclass(frozen=True, slots=True)
class Filters:
    date_from: str = ""  # YYYY-MM-DD (a day in ``tz``), inclusive
    date_to: str = ""  # YYYY-MM-DD (a day in ``tz``), inclusive
    agent: str = ""
    customer: str = ""  # name or number, a part of it
    service: str = ""
    disposition: str = ""
    min_seconds: float | None = None
    max_seconds: float | None = None
    words: str = ""  # every word must be in the transcript
    only_agent: str | None = None  # an agent sees only calls they took part in
    tz: str = "UTC"  # the site's time zone: where its days begin

    @classmethod
    def from_query(cls, q: Any, only_agent: str | None) -> Filters:
        def num(key: str) -> float | None:
            try:
                return float(q.get(key)) if q.get(key) not in (None, "") else None
            except ValueError:
                return None

        return cls(str(q.get("from", ""))[:10], str(q.get("to", ""))[:10],
                   str(q.get("agent", ""))[:64].strip(), str(q.get("customer", ""))[:100].strip(),
                   str(q.get("service", ""))[:64].strip(),
                   str(q.get("disposition", ""))[:64].strip(), num("min"), num("max"),
                   str(q.get("q", ""))[:200].strip(), only_agent)


def resolve_names(
    f: Filters, agents: Mapping[str, str], dispositions: Mapping[str, str]
) -> Filters:
    """People type what they read: an agent's name or id (王芳, a1001) becomes the
    extension the recordings keep, a disposition's label in either language (已建工单,
    Ticket opened) its code. Matching ignores case; anything unknown is kept as typed."""
    agent = agents.get(f.agent.casefold(), f.agent)
    disposition = dispositions.get(f.disposition.casefold(), f.disposition)
    return dataclasses.replace(f, agent=agent, disposition=disposition)


def _day(text: str, end: bool, tz: str = "UTC") -> float | None:
    """The start of that local day (or of the next one, for an inclusive end)."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        return None
    return (day + timedelta(days=1) if end else day).timestamp()


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(sql: Engine, f: Filters, limit: int = PAGE) -> list[dict[str, Any]]:
    c, i, cu = rec_calls, interactions, customers
    cols = [col for col in c.c if col.name != "customer_id"]
    q = (select(*cols, i.c.disposition, i.c.caller_name, func.coalesce(i.c.customer_id,
                c.c.customer_id).label("customer_id"), cu.c.name.label("customer_name"))
         .select_from(c.outerjoin(i, i.c.call_id == c.c.call_id)
                      .outerjoin(cu, cu.c.id == func.coalesce(i.c.customer_id,
                                                              c.c.customer_id)))
         .where(c.c.deleted_at.is_(None)))
    cond = []
    if (start := _day(f.date_from, False, f.tz)) is not None:
        cond.append(c.c.started_at >= start)
    if (stop := _day(f.date_to, True, f.tz)) is not None:
        cond.append(c.c.started_at < stop)

    def took_part(agent: str) -> Any:
        return or_(c.c.agent == agent, exists().where(
            rec_segments.c.call_id == c.c.call_id, rec_segments.c.agent == agent))

    if f.agent:
        cond.append(took_part(f.agent))
    if f.only_agent is not None:
        cond.append(took_part(f.only_agent))
    if f.service:
        cond.append(c.c.service == f.service)
    if f.disposition:
        cond.append(i.c.disposition == f.disposition)
    if f.customer:
        pat = _like(f.customer)
        cond.append(or_(cu.c.name.like(pat, escape="\\"), i.c.caller_name.like(pat, escape="\\"),
                        c.c.caller_number.like(pat, escape="\\")))
    if f.min_seconds is not None:
        cond.append(c.c.duration >= f.min_seconds)
    if f.max_seconds is not None:
        cond.append(c.c.duration <= f.max_seconds)
    for word in f.words.lower().split()[:10]:
        cond.append(c.c.transcript_text.like(_like(word), escape="\\"))
    if cond:
        q = q.where(and_(*cond))
    with sql.connect() as conn:
        rows = conn.execute(q.order_by(c.c.started_at.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]
