"""Contact-centre KPI arithmetic: pure functions of counts and seconds, no I/O, no clock.

Definitions (the wallboard and the CRM cross-check both use these):

- service level (SL): answered within the target T ÷ (answered + abandoned after T +
  still waiting beyond T), as a percentage. Callers who hung up within T are left out of
  both sides (they were never failed); callers still waiting past T are already failures,
  so a queue that builds up pulls the figure down at once instead of after they hang up.
- ASA (average speed of answer): total wait of answered calls / answered calls.
- AHT (average handle time): total talk + hold + wrap-up of handled calls / handled calls.
- abandon rate: long abandons / (answered + long abandons), as a percentage.
- occupancy: time busy with calls (talk, hold, wrap-up) / time logged in and not on a
  break (busy + idle), as a percentage.
- Erlang C: the probability that a call waits, with A erlangs of traffic offered to N
  agents; the service level it implies; and the fewest agents that reach a target.
"""

from __future__ import annotations

import math

BUCKET_SECONDS = 900  # the wallboard's chart: calls per 15 minutes
BUCKETS_PER_DAY = 86400 // BUCKET_SECONDS


def _ratio(part: float, whole: float) -> float | None:
    return None if whole <= 0 else part / whole


SERVICE_LEVEL_FORMULA = {
    "zh": "服务水平 = T 秒内接听数 ÷ (接听数 + 超过 T 秒后放弃数 + 已等待超过 T 秒的排队数)",
    "en": "Service level = answered within T ÷ (answered + abandoned after T + waiting beyond T)",
}


def service_level(
    answered_in_target: int,
    answered: int,
    abandoned_after_target: int,
    waiting_beyond_target: int = 0,
) -> float | None:
    """Percent answered within target T (see SERVICE_LEVEL_FORMULA); None when no call
    counts yet."""
    r = _ratio(answered_in_target, answered + abandoned_after_target + waiting_beyond_target)
    return None if r is None else 100.0 * r


def waiting_beyond(waits: list[float] | tuple[float, ...], target_seconds: float) -> int:
    """Callers waiting now who have already waited longer than the target."""
    return sum(1 for w in waits if w > target_seconds)


def asa(total_wait_answered: float, answered: int) -> float | None:
    return _ratio(total_wait_answered, answered)


def aht(total_handle: float, handled: int) -> float | None:
    return _ratio(total_handle, handled)


def abandon_rate(long_abandoned: int, answered: int) -> float | None:
    r = _ratio(long_abandoned, answered + long_abandoned)
    return None if r is None else 100.0 * r


def is_short_abandon(waited: float, threshold: float) -> bool:
    return waited < threshold


def occupancy(busy_seconds: float, idle_seconds: float) -> float | None:
    r = _ratio(busy_seconds, busy_seconds + idle_seconds)
    return None if r is None else 100.0 * r


def traffic(arrival_rate_per_second: float, aht_seconds: float) -> float:
    """Offered load in erlangs: arrivals per second times seconds each call holds an agent."""
    return arrival_rate_per_second * aht_seconds


def erlang_c(erlangs: float, agents: int) -> float:
    """Probability that an arriving call waits (1.0 when agents cannot keep up).

    Computed through the Erlang B recursion, which stays finite for hundreds of agents
    where the textbook form (A^N / N!) overflows."""
    if erlangs <= 0:
        return 0.0
    if agents <= erlangs:
        return 1.0
    b = 1.0
    for n in range(1, agents + 1):
        b = erlangs * b / (n + erlangs * b)
    return agents * b / (agents - erlangs * (1.0 - b))


def erlang_service_level(erlangs: float, agents: int, aht_seconds: float, target: float) -> float:
    """Fraction of calls answered within ``target`` seconds (0..1)."""
    if erlangs <= 0:
        return 1.0
    if agents <= erlangs:
        return 0.0
    pw = erlang_c(erlangs, agents)
    return max(0.0, 1.0 - pw * math.exp(-(agents - erlangs) * target / aht_seconds))


def agents_needed(
    arrival_rate_per_second: float,
    aht_seconds: float,
    target_percent: float,
    target_seconds: float,
    *,
    limit: int = 5000,
) -> int:
    """The fewest agents whose Erlang C service level reaches the target (0 with no
    traffic; ``limit`` if even that many cannot)."""
    a = traffic(arrival_rate_per_second, aht_seconds)
    if a <= 0:
        return 0
    goal = target_percent / 100.0
    n = max(1, math.floor(a) + 1)
    while n < limit:
        if erlang_service_level(a, n, aht_seconds, target_seconds) >= goal:
            return n
        n += 1
    return limit


def day_and_bucket(now: float, utc_offset: float) -> tuple[int, int]:
    """(local day number, 15-minute bucket of that day) for a Unix time."""
    local = now + utc_offset
    return int(local // 86400), int((local % 86400) // BUCKET_SECONDS)


def day_start(now: float, utc_offset: float) -> float:
    day, _ = day_and_bucket(now, utc_offset)
    return day * 86400 - utc_offset
