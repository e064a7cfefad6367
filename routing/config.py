"""Routing configuration: skills, services (with escalation), agents, timers, callback.

Read from ``config/routing/routing.yaml`` (next to the site file) when it exists, else
built from the site file's ``skills``/``services``/``agents``. Every error names the file,
line and key; a reload that fails keeps the configuration in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cti.settings import Settings
from cti.yamlsource import ConfigError, Located, load_yaml
from routing.model import AgentProfile, EscalationStep, Service, Strategy


@dataclass(frozen=True, slots=True)
class CallbackConfig:
    """How a virtual-hold callback is originated: ``channel`` dials the customer
    (``{number}`` is replaced), then the call runs ``context``/``exten`` with the agent
    variable set, i.e. the connect dialplan."""

    channel: str = "Local/{number}@cti-callback"
    context: str = "cti-connect"
    exten: str = "s"
    timeout: float = 30.0
    key: str = "*"  # the DTMF key a caller on hold presses to ask for a callback ("": off)


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    source: str = "<settings>"
    skills: tuple[str, ...] = ()
    services: tuple[Service, ...] = ()
    agents: tuple[AgentProfile, ...] = ()
    wrap_up: float = 10.0
    wrap_up_mode: str = "timed"
    refuse_cooldown: float = 30.0
    reserve_timeout: float = 10.0
    ring_timeout: float = 60.0
    agents_start_ready: bool = True
    utc_offset: float = 0.0
    callback: CallbackConfig = field(default_factory=CallbackConfig)
    # app_queue membership mirrored from agent states (members.py): agent id -> queues.
    queue_members: tuple[tuple[str, tuple[str, ...]], ...] = ()
    member_interface: str = "Local/{extension}@agents"


def default_path(settings: Settings) -> Path | None:
    if settings.source.startswith("<"):
        return None
    path = Path(settings.source).parent / "routing" / "routing.yaml"
    return path if path.exists() else None


def from_settings(settings: Settings) -> RoutingConfig:
    services = tuple(
        Service(
            s.name,
            tuple(s.skills.items()),
            s.priority,
            s.target_percent,
            float(s.target_seconds),
            wrap_up=s.wrap_up_seconds,
            wrap_up_mode=s.wrap_up_mode,
        )
        for s in settings.services
    )
    agents = tuple(
        AgentProfile(a.id, a.extension, tuple(a.skills.items()), frozenset(a.languages), a.name)
        for a in settings.agents
    )
    # The site's time zone decides where a day starts (calls today); its offset now.
    offset = datetime.now(ZoneInfo(settings.time_zone)).utcoffset()
    return RoutingConfig(
        utc_offset=offset.total_seconds() if offset is not None else 0.0,
        skills=settings.skills,
        services=services,
        agents=agents,
        wrap_up=settings.wrap_up_seconds,
        wrap_up_mode=settings.wrap_up_mode,
    )


def load_routing(path: Path | str) -> RoutingConfig:
    root = load_yaml(path)
    if not isinstance(root.value, dict):
        raise root.error("the top level must be a mapping")
    return parse_routing(root)


def _skills(item: Located | None, known: set[str]) -> tuple[tuple[str, int], ...]:
    if item is None:
        return ()
    out = []
    for name, level in item.items():
        if name not in known:
            raise level.error(f"unknown skill {name!r}; declare it under skills:")
        out.append((name, level.int(1, 10)))
    return tuple(out)


def _opt(item: Located, key: str, default: float, lo: float = 0) -> float:
    value = item.get(key)
    return value.float(lo) if value is not None else default


def _escalation(item: Located | None, known: set[str]) -> tuple[EscalationStep, ...]:
    steps: list[EscalationStep] = []
    for s in item.list() if item is not None else []:
        s.keys_within({"after", "lower_by", "backup", "offer_callback"})
        after = s.req("after").float(0)
        if steps and after <= steps[-1].after:
            raise s.req("after").error(
                f"steps must come in increasing order of 'after' ({after} <= {steps[-1].after})"
            )
        backup = tuple(
            _skills(g, known) for g in (s.get("backup").list() if s.get("backup") else [])
        )
        if any(not g for g in backup):
            raise s.req("backup").error("a backup group needs at least one skill")
        lower = s.get("lower_by")
        cb = s.get("offer_callback")
        step = EscalationStep(
            after, lower.int(0, 9) if lower else 0, backup, cb.bool() if cb else False
        )
        if not (step.lower_by or step.backup or step.offer_callback):
            raise s.error("a step must lower levels, add a backup group or offer a callback")
        steps.append(step)
    return tuple(steps)


def parse_routing(root: Located) -> RoutingConfig:
    root.keys_within({"skills", "services", "agents", "defaults", "callback", "app_queue"})
    skills = tuple(s.str() for s in root.req("skills").list())
    known = set(skills)
    if len(known) != len(skills):
        raise root.req("skills").error("skills must be unique")
    d = root.get("defaults")
    if d is not None:
        d.keys_within(
            {
                "wrap_up_seconds",
                "wrap_up_mode",
                "refuse_cooldown",
                "reserve_timeout",
                "ring_timeout",
                "agents_start",
                "utc_offset_hours",
            }
        )
    start = d.get("agents_start") if d is not None else None
    if start is not None and start.str() not in ("ready", "logged_out"):
        raise start.error("agents_start is 'ready' or 'logged_out'")
    services: list[Service] = []
    for s in root.req("services").list():
        s.keys_within(
            {
                "name",
                "skills",
                "priority",
                "target",
                "strategy",
                "escalation",
                "wrap_up_seconds",
                "wrap_up_mode",
                "label_zh",
                "label_en",
            }
        )
        name = s.req("name").str()
        if any(x.name == name for x in services):
            raise s.req("name").error(f"service {name!r} is defined twice")
        target = s.get("target")
        if target is not None:
            target.keys_within({"percent", "seconds"})
        strategy = s.get("strategy")
        if strategy is not None and strategy.str() not in {x.value for x in Strategy}:
            raise strategy.error(
                f"unknown strategy {strategy.str()!r} (allowed: "
                f"{', '.join(x.value for x in Strategy)})"
            )
        wrap = s.get("wrap_up_seconds")
        services.append(
            Service(
                name=name,
                skills=_skills(s.get("skills"), known),
                priority=s.get("priority").int(0, 100) if s.get("priority") else 0,
                target_percent=target.req("percent").int(1, 100) if target else 80,
                target_seconds=target.req("seconds").float(1) if target else 20.0,
                strategy=Strategy(strategy.str()) if strategy else Strategy.LONGEST_IDLE,
                escalation=_escalation(s.get("escalation"), known),
                wrap_up=wrap.float(0) if wrap is not None else None,
                wrap_up_mode=_mode(s.get("wrap_up_mode")),
            )
        )
    agents: list[AgentProfile] = []
    members: list[tuple[str, tuple[str, ...]]] = []
    ids: set[str] = set()
    exts: set[str] = set()
    for a in root.get("agents").list() if root.get("agents") else []:
        a.keys_within({"id", "name", "extension", "skills", "languages", "queues"})
        aid, ext = a.req("id").str(), a.req("extension").str()
        if aid in ids:
            raise a.req("id").error(f"agent id {aid} is used twice")
        if ext in exts:
            raise a.req("extension").error(f"extension {ext} is already used by another agent")
        ids.add(aid)
        exts.add(ext)
        queues = a.get("queues")
        if queues is not None:
            members.append((aid, tuple(q.str() for q in queues.list())))
        langs = a.get("languages")
        agents.append(
            AgentProfile(
                aid,
                ext,
                _skills(a.get("skills"), known),
                frozenset(x.str() for x in langs.list()) if langs else frozenset({"zh", "en"}),
                a.get("name").str() if a.get("name") else "",
            )
        )
    cb = root.get("callback")
    callback = CallbackConfig()
    if cb is not None:
        cb.keys_within({"channel", "context", "exten", "timeout", "key"})
        channel = cb.get("channel").str() if cb.get("channel") else callback.channel
        if "{number}" not in channel and not channel.startswith("Local/s@"):
            raise cb.req("channel").error("the callback channel needs {number}")
        callback = CallbackConfig(
            channel,
            cb.get("context").str() if cb.get("context") else callback.context,
            cb.get("exten").str() if cb.get("exten") else callback.exten,
            _opt(cb, "timeout", callback.timeout, 1),
            _key(cb.get("key"), callback.key),
        )
    interface = "Local/{extension}@agents"
    aq = root.get("app_queue")
    if aq is not None:
        aq.keys_within({"member_interface"})
        mi = aq.get("member_interface")
        if mi is not None:
            interface = mi.str()
            if "{extension}" not in interface and "{id}" not in interface:
                raise mi.error("member_interface needs {extension} or {id}")
    none = Located({}, root.file, root.line, "defaults")
    d = d or none
    return RoutingConfig(
        source=root.file,
        skills=skills,
        services=tuple(services),
        agents=tuple(agents),
        wrap_up=_opt(d, "wrap_up_seconds", 10.0),
        wrap_up_mode=_mode(d.get("wrap_up_mode")) or "timed",
        refuse_cooldown=_opt(d, "refuse_cooldown", 30.0),
        reserve_timeout=_opt(d, "reserve_timeout", 10.0, 0.1),
        ring_timeout=_opt(d, "ring_timeout", 60.0, 1),
        agents_start_ready=start is None or start.str() == "ready",
        utc_offset=_opt(d, "utc_offset_hours", 0.0, -12) * 3600,
        callback=callback,
        queue_members=tuple(members),
        member_interface=interface,
    )


def _mode(item: Located | None) -> str | None:
    if item is None:
        return None
    if item.str() not in ("agent", "timed"):
        raise item.error("wrap_up_mode is 'agent' (ended by the agent) or 'timed'")
    return item.str()


def _key(item: Located | None, default: str) -> str:
    if item is None:
        return default
    key = item.str()
    if key and (len(key) != 1 or key not in "0123456789*#ABCD"):
        raise item.error("the callback key is one DTMF key (0-9, *, #, A-D) or empty")
    return key


__all__ = [
    "CallbackConfig",
    "ConfigError",
    "RoutingConfig",
    "default_path",
    "from_settings",
    "load_routing",
    "parse_routing",
]
