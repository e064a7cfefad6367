"""Read config/ivr/*.yaml into flows and refuse broken ones.

Every error is a :class:`ConfigError` naming the file, the line and the node
(``config/ivr/hotline.yaml:42: nodes.main-menu.options.1: goes to unknown node 'bill'``).
Dangling references, unreachable nodes, loops made only of conditions, unknown prompts
(when a prompt catalog is given) and unknown services (when the site's services are given)
are errors, so `cti ivr check` catches them before a caller does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cti.yamlsource import ConfigError, Located, load_yaml
from ivr import flow as f

_TOP = {"flow", "route", "start", "fallback", "languages", "default_language", "agent",
        "language_from_customer", "timezone", "speech", "calendars", "nodes", "sounds_prefix",
        "description"}
_COMMON = {"kind", "description"}
_TESTS = {"open", "closed", "vip", "segment", "incident_in_area", "language", "customer"}
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class _Refs:
    """What a flow points at, with where, checked once every node is read."""

    nodes: list[tuple[Located, str]] = field(default_factory=list)
    prompts: list[tuple[Located, str]] = field(default_factory=list)
    services: list[tuple[Located, str]] = field(default_factory=list)
    calendars: list[tuple[Located, str]] = field(default_factory=list)
    edges: dict[str, list[str]] = field(default_factory=dict)

    def node(self, owner: str, item: Located) -> str:
        target = item.str()
        self.nodes.append((item, target))
        self.edges.setdefault(owner, []).append(target)
        return target

    def prompt(self, item: Located | None) -> str | None:
        if item is None:
            return None
        name = item.str()
        self.prompts.append((item, name))
        return name


def _opt(item: Located, key: str, conv: Callable[[Located], Any], default: Any) -> Any:
    """``conv(item[key])`` when the key is given, else ``default``."""
    value = item.get(key)
    return conv(value) if value is not None else default


def _opt_int(item: Located | None, default: int, lo: int, hi: int) -> int:
    return item.int(lo, hi) if item is not None else default


def _ms(item: Located | None, default_s: float) -> int:
    return int((item.float(0.1) if item is not None else default_s) * 1000)


def _play(nid: str, n: Located, r: _Refs) -> f.PlayNode:
    n.keys_within(_COMMON | {"prompt", "next", "barge_in"})
    return f.PlayNode(nid, n.line, r.prompt(n.req("prompt")) or "", r.node(nid, n.req("next")),
                      _opt(n, "barge_in", lambda v: v.bool(), False))


def _menu(nid: str, n: Located, r: _Refs, languages: tuple[str, ...]) -> f.MenuNode:
    n.keys_within(_COMMON | {"prompt", "options", "default", "timeout", "retries", "invalid",
                             "no_input", "speech", "agent"})
    options = []
    for key, item in n.req("options").items():
        if not re.fullmatch(r"[0-9*#]", key):
            raise item.error(f"menu key {key!r} must be one of 0-9, * or #")
        if isinstance(item.value, str):
            options.append(f.MenuOption(key, r.node(nid, item)))
            continue
        item.keys_within({"goto", "words", "language"})
        words: dict[str, tuple[str, ...]] = {}
        if item.get("words") is not None:
            for lang, phrases in item.req("words").items():
                words[lang] = tuple(p.str().strip() for p in phrases.list())
        lang_item = item.get("language")
        if lang_item is not None and lang_item.str() not in languages:
            raise lang_item.error(f"language {lang_item.str()!r} is not one of the flow's "
                                  f"languages {list(languages)}")
        options.append(f.MenuOption(key, r.node(nid, item.req("goto")), words,
                                    lang_item.str() if lang_item else None))
    if not options:
        raise n.req("options").error("a menu needs at least one option")
    speech = _opt(n, "speech", lambda v: v.bool(), False)
    if speech and not any(o.words for o in options):
        raise n.req("speech").error("speech is on but no option has words")
    return f.MenuNode(
        nid, n.line, r.prompt(n.req("prompt")) or "", tuple(options),
        r.node(nid, n.req("default")), _ms(n.get("timeout"), 5),
        _opt_int(n.get("retries"), 2, 0, 9), r.prompt(n.get("invalid")),
        r.prompt(n.get("no_input")), speech, _opt(n, "agent", lambda v: v.bool(), True))


def _collect(nid: str, n: Located, r: _Refs) -> f.CollectNode:
    n.keys_within(_COMMON | {"prompt", "store_as", "next", "default", "min_length", "max_length",
                             "checksum", "timeout", "retries", "invalid", "sensitive"})
    lo = _opt_int(n.get("min_length"), 1, 1, 30)
    hi = _opt_int(n.get("max_length"), max(lo, 20), 1, 30)
    if hi < lo:
        raise n.req("max_length").error(f"max_length {hi} is below min_length {lo}")
    checksum = _opt(n, "checksum", lambda v: v.str(), "none")
    if checksum not in ("none", "luhn", "mod11"):
        raise n.req("checksum").error(f"unknown checksum {checksum!r} (none, luhn, mod11)")
    return f.CollectNode(
        nid, n.line, r.prompt(n.req("prompt")) or "", n.req("store_as").str(),
        r.node(nid, n.req("next")), r.node(nid, n.req("default")), lo, hi, checksum,
        _ms(n.get("timeout"), 6), _opt_int(n.get("retries"), 2, 0, 9), r.prompt(n.get("invalid")),
        n.get("sensitive").bool() if n.get("sensitive") is not None else False)


def _lookup(nid: str, n: Located, r: _Refs) -> f.LookupNode:
    n.keys_within(_COMMON | {"by", "found", "not_found", "on_error"})
    by = tuple(b.str() for b in n.req("by").list())
    for b in n.req("by").list():
        if b.str() not in ("caller_id", "account"):
            raise b.error(f"lookup by {b.str()!r}: use caller_id and/or account")
    if not by:
        raise n.req("by").error("lookup needs caller_id and/or account")
    on_error = n.get("on_error")
    return f.LookupNode(nid, n.line, by, r.node(nid, n.req("found")),
                        r.node(nid, n.req("not_found")),
                        r.node(nid, on_error) if on_error else None)


def _test(name: str, item: Located, r: _Refs, languages: tuple[str, ...]) -> tuple[str, object]:
    if name not in _TESTS:
        raise item.error(f"unknown test {name!r} (allowed: {', '.join(sorted(_TESTS))})")
    if name in ("open", "closed"):
        r.calendars.append((item, item.str()))
        return name, item.str()
    if name in ("vip", "incident_in_area"):
        return name, item.bool()
    if name == "segment":
        values = item.list() if isinstance(item.value, list) else [item]
        return name, tuple(v.str() for v in values)
    if name == "language":
        if item.str() not in languages:
            raise item.error(f"language {item.str()!r} is not one of {list(languages)}")
        return name, item.str()
    if item.str() not in ("known", "unknown"):
        raise item.error("customer: known or unknown")
    return name, item.str()


def _condition(nid: str, n: Located, r: _Refs, languages: tuple[str, ...]) -> f.ConditionNode:
    n.keys_within(_COMMON | {"cases", "default"})
    cases = []
    for c in n.req("cases").list():
        c.keys_within({"when", "goto"})
        tests = tuple(_test(k, v, r, languages) for k, v in c.req("when").items())
        if not tests:
            raise c.req("when").error("a case needs at least one test")
        cases.append(f.Case(tests, r.node(nid, c.req("goto")), c.line))
    return f.ConditionNode(nid, n.line, tuple(cases), r.node(nid, n.req("default")))


def _announce(nid: str, n: Located, r: _Refs) -> f.AnnounceNode:
    n.keys_within(_COMMON | {"source", "prompt", "next", "until_prompt"})
    source = _opt(n, "source", lambda v: v.str(), "incident")
    if source not in ("incident", "prompt"):
        raise n.req("source").error("source: incident or prompt")
    if source == "prompt" and n.get("prompt") is None:
        raise n.error("an announcement with source: prompt needs a prompt")
    return f.AnnounceNode(nid, n.line, r.node(nid, n.req("next")), source,
                          r.prompt(n.get("prompt")), r.prompt(n.get("until_prompt")))


def _ticket(nid: str, n: Located, r: _Refs) -> f.TicketStatusNode:
    n.keys_within(_COMMON | {"ticket_from", "prompt", "not_found", "next", "on_error"})
    on_error = n.get("on_error")
    return f.TicketStatusNode(nid, n.line, n.req("ticket_from").str(),
                              r.prompt(n.req("prompt")) or "", r.prompt(n.req("not_found")) or "",
                              r.node(nid, n.req("next")),
                              r.node(nid, on_error) if on_error else None)


def _callback(nid: str, n: Located, r: _Refs) -> f.CallbackNode:
    n.keys_within(_COMMON | {"reason", "prompt", "next", "category", "on_error"})
    category = _opt(n, "category", lambda v: v.str(), "consultation")
    if category not in ("consultation", "repair", "installation", "complaint", "suggestion"):
        raise n.req("category").error(f"unknown ticket category {category!r}")
    on_error = n.get("on_error")
    return f.CallbackNode(nid, n.line, n.req("reason").str(), r.prompt(n.req("prompt")) or "",
                          r.node(nid, n.req("next")), category,
                          r.node(nid, on_error) if on_error else None)


def _transfer(nid: str, n: Located, r: _Refs) -> f.TransferNode:
    n.keys_within(_COMMON | {"service", "skills", "priority", "vip_priority", "prompt"})
    r.services.append((n.req("service"), n.req("service").str()))
    skills = tuple(s.str() for s in _opt(n, "skills", lambda v: v.list(), []))
    return f.TransferNode(nid, n.line, n.req("service").str(), skills,
                          _opt(n, "priority", lambda v: v.int(0, 100), None),
                          _opt_int(n.get("vip_priority"), 0, 0, 100), r.prompt(n.get("prompt")))


def _hangup(nid: str, n: Located, r: _Refs) -> f.HangupNode:
    n.keys_within(_COMMON | {"prompt"})
    return f.HangupNode(nid, n.line, r.prompt(n.get("prompt")))


_KINDS: dict[str, Callable[..., f.AnyNode]] = {
    "play": _play, "menu": _menu, "collect": _collect, "lookup": _lookup,
    "condition": _condition, "announce": _announce, "ticket_status": _ticket,
    "callback": _callback, "transfer": _transfer, "hangup": _hangup,
}
_WITH_LANGUAGES = {"menu", "condition"}


def _calendar(item: Located) -> f.Calendar:
    item.keys_within({"hours", "holidays"})
    hours: dict[str, list[tuple[int, int]]] = {}
    for days, spans in item.req("hours").items():
        names = _days(days, spans)
        for span in spans.list() if isinstance(spans.value, list) else [spans]:
            m = _SPAN.match(span.str())
            if not m:
                raise span.error(f"opening hours {span.str()!r}: write HH:MM-HH:MM")
            a, b = int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])
            if not a < b <= 24 * 60:
                raise span.error(f"opening hours {span.str()!r}: the end must follow the start")
            for d in names:
                hours.setdefault(d, []).append((a, b))
    holidays = set()
    for h in _opt(item, "holidays", lambda v: v.list(), []):
        text = str(h.value)
        if not _DATE.match(text):
            raise h.error(f"holiday {text!r}: write YYYY-MM-DD")
        holidays.add(text)
    return f.Calendar({d: tuple(s) for d, s in hours.items()}, frozenset(holidays))


def _days(spec: str, at: Located) -> list[str]:
    out: list[str] = []
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        if lo not in f.WEEKDAYS or (hi and hi not in f.WEEKDAYS):
            raise at.error(f"weekdays {spec!r}: use mon..sun, ranges like mon-fri")
        i, j = f.WEEKDAYS.index(lo), f.WEEKDAYS.index(hi or lo)
        out += list(f.WEEKDAYS[i:j + 1])
    return out


def parse_flow(root: Located) -> tuple[f.Flow, _Refs]:
    if not isinstance(root.value, dict):
        raise root.error("a flow file must be a mapping")
    root.keys_within(_TOP)
    languages = tuple(x.str() for x in _opt(root, "languages", lambda v: v.list(), [])) or (
        "zh", "en")
    default_lang = _opt(root, "default_language", lambda v: v.str(), languages[0])
    if default_lang not in languages:
        raise root.req("default_language").error(f"{default_lang!r} is not in languages")
    r = _Refs()
    nodes: dict[str, f.AnyNode] = {}
    for nid, n in root.req("nodes").items():
        if not isinstance(n.value, dict):
            raise n.error(f"node {nid!r} must be a mapping")
        kind = n.req("kind").str()
        build = _KINDS.get(kind)
        if build is None:
            raise n.req("kind").error(f"node {nid!r}: unknown kind {kind!r} "
                                      f"(allowed: {', '.join(sorted(_KINDS))})")
        nodes[nid] = build(nid, n, r, languages) if kind in _WITH_LANGUAGES else build(nid, n, r)
    agent_key, agent_node = None, None
    agent = root.get("agent")
    if agent is not None and agent.value is not None:
        agent.keys_within({"key", "goto"})
        agent_key = str(agent.req("key").value)
        agent_node = r.node("<agent>", agent.req("goto"))
    speech = root.get("speech")
    threshold, models = 0.6, {}
    if speech is not None:
        speech.keys_within({"threshold", "models"})
        threshold = _opt(speech, "threshold", lambda v: v.float(0), 0.6)
        models = {k: v.str() for k, v in _opt(speech, "models", lambda v: v.items(), [])}
    calendars = {k: _calendar(v) for k, v in _opt(root, "calendars", lambda v: v.items(), [])}
    flow = f.Flow(
        name=root.req("flow").str(), route=root.req("route").str(), file=root.file,
        start=r.node("<start>", root.req("start")), fallback=r.node("<fallback>",
                                                                   root.req("fallback")),
        nodes=nodes, languages=languages, default_language=default_lang,
        agent_key=agent_key, agent_node=agent_node,
        language_from_customer=_opt(root, "language_from_customer", lambda v: v.bool(), True),
        timezone=_opt(root, "timezone", lambda v: v.str(), "Asia/Shanghai"),
        calendars=calendars, speech_threshold=threshold, speech_models=models,
        sounds_prefix=_opt(root, "sounds_prefix", lambda v: v.str(), ""),
    )
    _check(flow, root, r)
    return flow, r


def _check(flow: f.Flow, root: Located, r: _Refs) -> None:
    for item, target in r.nodes:
        if target not in flow.nodes:
            raise item.error(f"goes to unknown node {target!r}")
    for item, name in r.calendars:
        if name not in flow.calendars:
            raise item.error(f"unknown calendar {name!r}; declare it under calendars:")
    fallback = flow.nodes[flow.fallback]
    if not isinstance(fallback, f.TransferNode | f.HangupNode):
        raise root.req("fallback").error(
            f"the fallback {flow.fallback!r} must be a transfer or hangup node, so a broken "
            "call always ends somewhere")
    seen = _reachable(flow, r)
    nodes_item = root.req("nodes")
    for nid in flow.nodes:
        if nid not in seen:
            raise nodes_item.req(nid).error(f"node {nid!r} is unreachable from {flow.start!r}")
    _no_silent_loops(flow, nodes_item)


def _reachable(flow: f.Flow, r: _Refs) -> set[str]:
    agent_used = any(isinstance(n, f.MenuNode) and n.agent for n in flow.nodes.values())
    todo = [flow.start, flow.fallback]
    if agent_used and flow.agent_node:
        todo.append(flow.agent_node)
    seen: set[str] = set()
    while todo:
        nid = todo.pop()
        if nid in seen:
            continue
        seen.add(nid)
        todo += r.edges.get(nid, [])
    return seen


def _no_silent_loops(flow: f.Flow, nodes_item: Located) -> None:
    """A loop of conditions would spin without ever waiting on the caller."""
    for start, node in flow.nodes.items():
        if not isinstance(node, f.ConditionNode):
            continue
        stack, seen = [start], set()
        while stack:
            nid = stack.pop()
            cur = flow.nodes[nid]
            if not isinstance(cur, f.ConditionNode):
                continue
            for nxt in [c.goto for c in cur.cases] + [cur.default]:
                if nxt == start:
                    raise nodes_item.req(start).error(
                        f"node {start!r} loops back to itself through conditions only")
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)


def check_references(flow: f.Flow, r: _Refs, *, prompts: Mapping[str, Mapping[str, str]] | None,
                     services: Iterable[str] | None) -> None:
    """Prompts and services exist outside the flow file: check them when they are known."""
    if prompts is not None:
        for item, name in r.prompts:
            texts = prompts.get(name)
            if texts is None:
                raise item.error(f"unknown prompt {name!r}; add it under config/prompts/")
            missing = [lang for lang in flow.languages if not texts.get(lang)]
            if missing:
                raise item.error(f"prompt {name!r} has no text for {', '.join(missing)}")
        for name in sorted(flow.prompts() - {n for _, n in r.prompts}):
            texts = prompts.get(name, {})
            missing = [lang for lang in flow.languages if not texts.get(lang)]
            if missing:
                raise ConfigError(flow.file, 0, "", f"prompt {name!r} (needed by this flow) has "
                                  f"no text for {', '.join(missing)}")
    if services is not None:
        known = set(services)
        for item, name in r.services:
            if name not in known:
                raise item.error(f"unknown service {name!r} (site services: "
                                 f"{', '.join(sorted(known))})")


def load_flow(path: Path | str, **refs: Any) -> f.Flow:
    flow, r = parse_flow(load_yaml(path))
    check_references(flow, r, prompts=refs.get("prompts"), services=refs.get("services"))
    return flow


def load_flows(directory: Path | str, *, prompts: Mapping[str, Mapping[str, str]] | None = None,
               services: Iterable[str] | None = None) -> f.FlowSet:
    """Every ``*.yaml`` in ``directory``; two flows on one route is an error."""
    flows: list[f.Flow] = []
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise ConfigError(str(directory), 0, "", "no flow files (*.yaml) here")
    svc = list(services) if services is not None else None
    for path in files:
        flow = load_flow(path, prompts=prompts, services=svc)
        other = next((x for x in flows if x.route == flow.route), None)
        if other is not None:
            raise ConfigError(flow.file, 1, "route", f"route {flow.route!r} is already served "
                              f"by {other.file}")
        flows.append(flow)
    return f.FlowSet(tuple(flows))
