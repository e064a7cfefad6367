"""Import an existing ``queues.conf`` into the routing configuration.

Each app_queue queue becomes a skill and a service needing that skill (level 1); each
static ``member =>`` becomes an agent (by the extension in its interface) holding the
queue's skill, its level from the member's penalty (penalty 0 -> 10, each penalty point
one level lower, never below 1: app_queue prefers lower penalties, routing higher levels).
The strategy maps where routing has an equivalent; ``timeout`` and ``wrapuptime`` become the
ring timeout and the service's wrap-up; ``servicelevel`` the service-level target.

pyst2's ``asterisk.config`` reads the file, wrapped where it is weak:
* ``#include`` / ``#tryinclude`` lines make it raise "Item must be in name = value pairs",
  so includes are expanded here first (relative to the including file, cycles refused);
* template categories ``[name](!)`` and ``[name](tpl)`` make it raise "Missing '[' or ']'",
  so the ``(...)`` suffix is cut before it parses and the inheritance applied here;
* errors carry only a line number of the expanded text, so each line keeps its own file
  and line and errors are reported against those;
* repeated keys (several ``member =>``) are kept in order by pyst2, so they need nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from asterisk.config import Config, ParseError

from cti.yamlsource import ConfigError
from routing.config import RoutingConfig
from routing.model import AgentProfile, Service, Strategy

STRATEGIES = {
    "leastrecent": Strategy.LONGEST_IDLE,
    "fewestcalls": Strategy.FEWEST_CALLS,
    "ringall": Strategy.LONGEST_IDLE,
    "rrmemory": Strategy.LONGEST_IDLE,
    "rrordered": Strategy.LONGEST_IDLE,
    "linear": Strategy.LONGEST_IDLE,
    "random": Strategy.LONGEST_IDLE,
    "wrandom": Strategy.LONGEST_IDLE,
}
CATEGORY = re.compile(r"^\[([^\]]+)\]\s*(?:\(([^)]*)\))?\s*(;.*)?$")
INCLUDE = re.compile(r"^#(try)?include\s+[\"<]?([^\">]+)[\">]?\s*$")


@dataclass
class _Queue:
    name: str
    line: tuple[str, int]
    template: bool = False
    settings: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    members: list[tuple[str, str, int]] = field(default_factory=list)


class _Lines(Config):
    """pyst2's parser over lines we prepared (it otherwise opens the file itself)."""

    def __init__(self, lines: list[str]) -> None:
        self._prepared = lines
        super().__init__("<prepared>")

    def load(self) -> None:
        self.raw_lines = self._prepared


def _expand(path: Path, seen: tuple[Path, ...] = ()) -> list[tuple[str, str, int]]:
    """(text, file, line) of the file with its includes spliced in."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(str(seen[-1]), 0, "", f"#include cycle through {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), 0, "", f"cannot read: {exc.strerror}") from exc
    out: list[tuple[str, str, int]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        m = INCLUDE.match(raw.strip())
        if m is None:
            out.append((raw, str(path), n))
            continue
        target = (path.parent / m.group(2).strip()).resolve()
        if m.group(1) and not target.exists():
            continue  # #tryinclude of a missing file is fine in Asterisk
        if not target.exists():
            raise ConfigError(str(path), n, "", f"#include {m.group(2)}: no such file")
        out += _expand(target, (*seen, path))
    return out


def read_queues(path: Path | str) -> dict[str, _Queue]:
    lines = _expand(Path(path))
    prepared: list[str] = []
    templates: dict[int, tuple[bool, list[str]]] = {}  # prepared line -> (is template, bases)
    for i, (text, _file, _n) in enumerate(lines, 1):
        m = CATEGORY.match(text.strip())
        if m is not None and m.group(2) is not None:
            opts = [o.strip() for o in m.group(2).split(",") if o.strip()]
            templates[i] = ("!" in opts, [o for o in opts if o != "!"])
            text = f"[{m.group(1)}]"
        prepared.append(text)
    try:
        conf = _Lines(prepared)
    except ParseError as exc:
        num, message = exc.args if len(exc.args) == 2 else (0, str(exc))
        file, line = (
            (lines[num - 1][1], lines[num - 1][2]) if 0 < num <= len(lines) else (str(path), 0)
        )
        raise ConfigError(file, line, "", str(message)) from exc
    queues: dict[str, _Queue] = {}
    for cat in conf.categories:
        file, line = lines[cat.number - 1][1], lines[cat.number - 1][2]
        is_tpl, bases = templates.get(cat.number, (False, []))
        q = _Queue(cat.name, (file, line), is_tpl)
        for base in bases:
            if base not in queues:
                raise ConfigError(file, line, cat.name, f"unknown template {base!r}")
            q.settings.update(queues[base].settings)
            q.members += queues[base].members
        for item in cat.items:
            where = lines[item.number - 1]
            value = (item.value.strip(), where[1], where[2])
            if item.name == "member":
                q.members.append(value)
            else:
                q.settings[item.name] = value
        queues[cat.name] = q  # a repeated [name] replaces the first, as Asterisk does
    return queues


def _member(value: tuple[str, str, int], queue: str) -> tuple[str, str, int]:
    """(extension, name, penalty) of ``member => Local/1001@agents,0,Name,...``."""
    text, file, line = value
    parts = [p.strip() for p in text.split(",")]
    m = re.match(r"^[A-Za-z0-9]+/([^@/]+)", parts[0])
    if m is None:
        raise ConfigError(file, line, f"{queue}.member", f"cannot read an interface in {text!r}")
    try:
        penalty = int(parts[1]) if len(parts) > 1 and parts[1] else 0
    except ValueError:
        raise ConfigError(
            file, line, f"{queue}.member", f"penalty {parts[1]!r} is not a number"
        ) from None
    name = parts[2] if len(parts) > 2 else ""
    return m.group(1), name, penalty


def _number(q: _Queue, key: str, default: float) -> float:
    if key not in q.settings:
        return default
    text, file, line = q.settings[key]
    try:
        return float(text)
    except ValueError:
        raise ConfigError(file, line, f"{q.name}.{key}", f"{text!r} is not a number") from None


def import_queues(path: Path | str) -> RoutingConfig:
    """The routing configuration an app_queue site's ``queues.conf`` describes."""
    queues = {n: q for n, q in read_queues(path).items() if n != "general" and not q.template}
    services: list[Service] = []
    skills_of: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    ring_timeout = 15.0
    for q in queues.values():
        strategy = q.settings.get("strategy", ("ringall", "", 0))
        if strategy[0] not in STRATEGIES:
            raise ConfigError(
                strategy[1], strategy[2], f"{q.name}.strategy", f"unknown strategy {strategy[0]!r}"
            )
        wrap = _number(q, "wrapuptime", 0.0)
        ring_timeout = max(ring_timeout, _number(q, "timeout", 15.0))
        target = _number(q, "servicelevel", 0.0)
        services.append(
            Service(
                q.name,
                ((q.name, 1),),
                priority=int(_number(q, "weight", 0.0)),
                target_seconds=target if target > 0 else 20.0,
                strategy=STRATEGIES[strategy[0]],
                wrap_up=wrap,
            )
        )
        for value in q.members:
            ext, name, penalty = _member(value, q.name)
            skills_of.setdefault(ext, {})[q.name] = max(1, 10 - penalty)
            if name:
                names.setdefault(ext, name)
            members.setdefault(ext, []).append(q.name)
    agents = tuple(
        AgentProfile(f"a{ext}", ext, tuple(sk.items()), frozenset({"zh", "en"}), names.get(ext, ""))
        for ext, sk in skills_of.items()
    )
    return RoutingConfig(
        source=str(path),
        skills=tuple(q.name for q in queues.values()),
        services=tuple(services),
        agents=agents,
        ring_timeout=ring_timeout,
        queue_members=tuple((f"a{ext}", tuple(qs)) for ext, qs in members.items()),
    )


def to_yaml(cfg: RoutingConfig) -> str:
    """A ``config/routing/routing.yaml`` for the imported configuration (reviewed by the
    administrator, then loaded like any routing file)."""
    out = [
        f"# imported from {cfg.source}",
        f"skills: [{', '.join(cfg.skills)}]",
        f"defaults: {{ring_timeout: {cfg.ring_timeout:g}}}",
        "services:",
    ]
    for s in cfg.services:
        out += [
            f"  - name: {s.name}",
            f"    skills: {{{s.skills[0][0]}: 1}}",
            f"    strategy: {s.strategy.value}",
            f"    target: {{percent: {s.target_percent}, seconds: {s.target_seconds:g}}}",
        ]
        if s.priority:
            out.append(f"    priority: {s.priority}")
        if s.wrap_up is not None:  # app_queue's wrapuptime (0: none), not our default
            out.append(f"    wrap_up_seconds: {s.wrap_up:g}")
    queues_of = dict(cfg.queue_members)
    out.append("agents:" if cfg.agents else "agents: []")
    for a in cfg.agents:
        skills = ", ".join(f"{k}: {v}" for k, v in a.skills)
        name = f", name: {_quote(a.name)}" if a.name else ""
        out.append(
            f'  - {{id: {a.id}, extension: "{a.extension}"{name}, skills: {{{skills}}}, '
            f"queues: [{', '.join(queues_of.get(a.id, ()))}]}}"
        )
    return "\n".join(out) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
