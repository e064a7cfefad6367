"""Times as people read them: in the site's time zone (``settings.time_zone``), whatever
the server's or the browser's zone. Pure functions; the Jinja filters wrap them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


def _aware(value: datetime | float | int) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    # Naive datetimes in this code base are UTC (the database stores UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def localtime(value: datetime | float | int | None, zone: str = DEFAULT_ZONE) -> str:
    """``YYYY-MM-DD HH:MM`` in ``zone``; empty for None."""
    if value is None or value == "":
        return ""
    return _aware(value).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def localdate(value: datetime | float | int | None, zone: str = DEFAULT_ZONE) -> str:
    if value is None or value == "":
        return ""
    return _aware(value).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d")


def today(zone: str = DEFAULT_ZONE, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(zone)).date()


def day_bounds(day: date, zone: str = DEFAULT_ZONE) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of ``day`` in the site's zone."""
    start = datetime.combine(day, time(0), ZoneInfo(zone))
    end = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone))
    return start.astimezone(UTC), end.astimezone(UTC)


def days_range(first: date, last: date, zone: str = DEFAULT_ZONE) -> tuple[datetime, datetime]:
    """The UTC instants [start of ``first``, end of ``last``) in the site's zone."""
    if last < first:
        raise ValueError("the last day is before the first")
    return day_bounds(first, zone)[0], day_bounds(last, zone)[1]


def parse_day(text: str) -> date:
    """A ``YYYY-MM-DD`` query parameter; ValueError (say 400) on anything else."""
    return date.fromisoformat(text.strip())
