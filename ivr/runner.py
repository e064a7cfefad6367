"""The flow runner: ``step(flow, state, input) -> (state, actions)``. No I/O, no clock.

A step enters nodes until one needs something from outside (a prompt played, keys,
speech, a CRM answer) and returns that request as the last action, after any effects
(step records, variables). A terminal action (Transfer, Hangup) ends the flow. A
``Broken`` input sends the call to the node's ``on_error`` or the flow's fallback, which
the loader guarantees is a transfer or hang-up, so a broken call always ends somewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ivr import flow as f
from ivr import messages as m

MAX_HOPS = 64  # nodes entered in one step without waiting on anyone: a flow bug beyond this


@dataclass(frozen=True, slots=True)
class CallState:
    node: str = ""
    language: str = ""
    language_chosen: bool = False
    caller_id: str = ""
    attempts: int = 0  # failed tries at the current node
    speech_failed: bool = False  # speech did not work at this node: keys only now
    phase: str = ""  # within a node: "" (asking) or "speak" (reading a result back)
    typeahead: str = ""  # a key that barged into a prompt, for the next menu
    customer: m.CustomerInfo | None = None
    incidents: tuple[m.IncidentInfo, ...] = ()
    values: tuple[tuple[str, str], ...] = ()  # collected digits by name
    done: bool = False
    outcome: str = ""  # "transfer:<service>", "hangup", "caller_hangup"

    def value(self, name: str) -> str:
        return dict(self.values).get(name, "")

    def with_value(self, name: str, value: str) -> CallState:
        return replace(self, values=(*((k, v) for k, v in self.values if k != name),
                                     (name, value)))


Result = tuple[CallState, list[m.Action]]


def step(flow: f.Flow, state: CallState, event: m.Input) -> Result:
    if state.done:
        return state, []
    if isinstance(event, m.HungUp):
        return replace(state, done=True, outcome="caller_hangup"), []
    if isinstance(event, m.Started):
        lang = _channel_language(flow, event.channel_language)
        state = CallState(language=lang, caller_id=event.caller_id)
        return _goto(flow, state, flow.start, event.at, [])
    node = flow.nodes[state.node]
    if isinstance(event, m.Broken):
        return _broken(flow, state, node, event)
    handler = _HANDLERS.get((type(node), type(event)))
    if handler is None:
        reason = f"unexpected {type(event).__name__} at {type(node).__name__} {node.id!r}"
        return _broken(flow, state, node, m.Broken(event.at, reason))
    return handler(flow, state, node, event)


def _channel_language(flow: f.Flow, channel: str) -> str:
    for lang in flow.languages:
        if channel.lower().startswith(lang.lower()):
            return lang
    return flow.default_language


def _record(state: CallState, node: str, **kw: Any) -> m.RecordStep:
    return m.RecordStep(node, language=state.language, **kw)


def _broken(flow: f.Flow, state: CallState, node: f.AnyNode, event: m.Broken) -> Result:
    target = getattr(node, "on_error", None) or flow.fallback
    if node.id == target or isinstance(node, f.TransferNode | f.HangupNode):
        target = flow.fallback
    actions: list[m.Action] = [_record(state, node.id, recognized=f"error: {event.reason}")]
    return _goto(flow, state, target, event.at, actions)


def _goto(flow: f.Flow, state: CallState, target: str, at: float,
          actions: list[m.Action]) -> Result:
    """Enter ``target`` and every node after it that needs nobody, up to a request."""
    for _ in range(MAX_HOPS):
        node = flow.nodes[target]
        state = replace(state, node=target, attempts=0, speech_failed=False, phase="")
        state, nxt = _enter(flow, state, node, at, actions)
        if nxt is None:
            return state, actions
        target = nxt
    raise RuntimeError(f"flow {flow.name!r}: more than {MAX_HOPS} nodes without a request")


Next = tuple[CallState, str | None]  # the state, and the node to enter next (None: wait)


def _enter(flow: f.Flow, state: CallState, node: f.AnyNode, at: float,
           actions: list[m.Action]) -> Next:
    """Append the node's actions; return the state and the next node (None: wait here)."""
    sound = lambda p: flow.sound(p, state.language)  # noqa: E731 - local shorthand
    if isinstance(node, f.PlayNode):
        actions.append(m.Prompt((m.File(sound(node.prompt)),), node.barge_in))
    elif isinstance(node, f.MenuNode):
        if state.typeahead:  # the caller already answered while the last prompt played
            key, state = state.typeahead[:1], replace(state, typeahead="")
            return _menu_keys_into(flow, state, node, m.Keys(at, key), actions)
        actions.append(_ask(flow, state, node))
    elif isinstance(node, f.CollectNode):
        actions.append(m.ReadKeys(sound(node.prompt), node.max_length, node.timeout_ms,
                                  sensitive=node.sensitive))
    elif isinstance(node, f.LookupNode):
        actions.append(m.Lookup(
            state.caller_id if "caller_id" in node.by else "",
            state.value("account") if "account" in node.by else ""))
    elif isinstance(node, f.ConditionNode):
        goto, why = _decide(flow, state, node, at)
        actions.append(_record(state, node.id, recognized=why))
        return state, goto
    elif isinstance(node, f.AnnounceNode):
        segments = _announcement(flow, state, node)
        if not segments:
            return state, node.next  # nothing open in the caller's area: nothing to say
        actions.append(m.Prompt(segments, barge_in=False))
    elif isinstance(node, f.TicketStatusNode):
        number = state.value(node.ticket_from)
        if not number:
            actions.append(m.Prompt((m.File(sound(node.not_found)),)))
            return replace(state, phase="speak"), None
        actions.append(m.FetchTicket(number))
    elif isinstance(node, f.CallbackNode):
        actions.append(m.CreateCallback(state.caller_id, state.customer.id if state.customer
                                        else None, node.reason, node.category))
    elif isinstance(node, f.TransferNode):
        if node.prompt:
            actions.append(m.Speak((m.File(sound(node.prompt)),)))
        boost = node.vip_priority if state.customer and state.customer.vip else 0
        actions += [m.SetVariable("CTI_SERVICE", node.service),
                    m.Transfer(node.service, node.skills, node.priority, boost)]
        return replace(state, done=True, outcome=f"transfer:{node.service}"), None
    elif isinstance(node, f.HangupNode):
        prompt = sound(node.prompt) if node.prompt else ""
        if prompt:
            actions.append(m.Speak((m.File(prompt),)))
        actions += [_record(state, node.id, prompt=prompt), m.Hangup()]
        return replace(state, done=True, outcome="hangup"), None
    return state, None


def _ask(flow: f.Flow, state: CallState, node: f.MenuNode,
         before: tuple[m.Segment, ...] = ()) -> m.Action:
    prompt = flow.sound(node.prompt, state.language)
    digits = max(len(o.key) for o in node.options)
    if node.speech and not state.speech_failed and state.language in flow.speech_models:
        grammar = tuple(p for o in node.options for p in o.words.get(state.language, ()))
        if grammar:
            return m.Listen(prompt, state.language, grammar, before=before, max_digits=digits,
                            timeout_ms=node.timeout_ms)
    return m.ReadKeys(prompt, digits, node.timeout_ms, before)


# ---------------------------------------------------------------- menus and digits


def _menu_keys(flow: f.Flow, state: CallState, node: Any, event: Any) -> Result:
    actions: list[m.Action] = []
    state, nxt = _menu_keys_into(flow, state, node, event, actions)
    if nxt is not None:
        return _goto(flow, state, nxt, event.at, actions)
    return state, actions


def _menu_keys_into(flow: f.Flow, state: CallState, node: f.MenuNode, event: m.Keys,
                    actions: list[m.Action]) -> Next:
    key = event.digits.rstrip("#")[:1]
    prompt = flow.sound(node.prompt, state.language)
    option = node.option(key) if key else None
    if option is not None:
        actions.append(_record(state, node.id, prompt=prompt, key=key))
        return _chosen(state, option), option.goto
    if key and key == flow.agent_key and node.agent and flow.agent_node:
        actions.append(_record(state, node.id, prompt=prompt, key=key))
        return state, flow.agent_node
    actions.append(_record(state, node.id, prompt=prompt, key=key))
    return _retry(flow, state, node, actions, node.invalid if key else
                  (node.no_input or node.invalid))


def _retry(flow: f.Flow, state: CallState, node: f.MenuNode | f.CollectNode,
           actions: list[m.Action], again: str | None) -> Next:
    if state.attempts >= node.retries:
        return state, node.default
    state = replace(state, attempts=state.attempts + 1)
    before = (m.File(flow.sound(again, state.language)),) if again else ()
    if isinstance(node, f.MenuNode):
        actions.append(_ask(flow, state, node, before))
    else:
        actions.append(m.ReadKeys(flow.sound(node.prompt, state.language), node.max_length,
                                  node.timeout_ms, before, sensitive=node.sensitive))
    return state, None


def _menu_heard(flow: f.Flow, state: CallState, node: Any, event: Any) -> Result:
    actions: list[m.Action] = []
    prompt = flow.sound(node.prompt, state.language)
    option = _match(node, state.language, event.text)
    record = _record(state, node.id, prompt=prompt, recognized=event.text,
                     confidence=round(event.confidence, 3),
                     key=option.key if option and event.confidence >= flow.speech_threshold
                     else "")
    actions.append(record)
    if option is not None and event.confidence >= flow.speech_threshold:
        return _goto(flow, _chosen(state, option), option.goto, event.at, actions)
    # Not sure what was said: ask again for keys, which never mishear.
    state = replace(state, speech_failed=True)
    again = node.no_input or node.invalid
    before = (m.File(flow.sound(again, state.language)),) if again else ()
    actions.append(_ask(flow, state, node, before))
    return state, actions


def _chosen(state: CallState, option: f.MenuOption) -> CallState:
    if option.language:
        return replace(state, language=option.language, language_chosen=True)
    return state


def _normal(text: str) -> str:
    return "".join(text.lower().split())


def _match(node: f.MenuNode, language: str, text: str) -> f.MenuOption | None:
    heard = _normal(text)
    if not heard:
        return None
    best: tuple[int, f.MenuOption] | None = None
    for option in node.options:
        for phrase in option.words.get(language, ()):
            p = _normal(phrase)
            if p and p in heard and (best is None or len(p) > best[0]):
                best = (len(p), option)
    return best[1] if best else None


def _collect_keys(flow: f.Flow, state: CallState, node: Any, event: Any) -> Result:
    digits = (state.typeahead + event.digits).rstrip("#")
    state = replace(state, typeahead="")
    prompt = flow.sound(node.prompt, state.language)
    actions: list[m.Action] = [_record(state, node.id, prompt=prompt, key=digits)]
    ok = (digits.isdigit() and node.min_length <= len(digits) <= node.max_length
          and f.checksum_ok(node.checksum, digits))
    if ok:
        return _goto(flow, state.with_value(node.store_as, digits), node.next, event.at, actions)
    state, nxt = _retry(flow, state, node, actions, node.invalid)
    if nxt is not None:
        return _goto(flow, state, nxt, event.at, actions)
    return state, actions


# ---------------------------------------------------------------- prompts and results


def _played(flow: f.Flow, state: CallState, node: Any, event: Any) -> Result:
    prompt = "+".join(s.name if isinstance(s, m.File) else type(s).__name__
                      for s in _spoken(flow, state, node))
    carried = isinstance(node, f.PlayNode) and node.barge_in and bool(event.digit)
    # A key that cut the prompt short is the next node's answer (typeahead): it is recorded
    # there, once, not here too (a key pressed once must not show as two steps' keys).
    key = "" if carried else event.digit or ""
    actions: list[m.Action] = [_record(state, node.id, prompt=prompt, key=key)]
    if carried:
        state = replace(state, typeahead=event.digit)
    return _goto(flow, state, node.next, event.at, actions)


def _spoken(flow: f.Flow, state: CallState, node: Any) -> tuple[m.Segment, ...]:
    """What the node played, for its step record."""
    if isinstance(node, f.PlayNode):
        return (m.File(flow.sound(node.prompt, state.language)),)
    if isinstance(node, f.AnnounceNode):
        return _announcement(flow, state, node)
    lang = state.language
    if isinstance(node, f.TicketStatusNode):
        status = state.value("ticket_state")
        if not status:
            return (m.File(flow.sound(node.not_found, lang)),)
        return (m.File(flow.sound(node.prompt, lang)),
                m.SayDigits(state.value(node.ticket_from)),
                m.File(flow.sound(f"{flow.ticket_state_prompt_prefix}{status}", lang)))
    if isinstance(node, f.CallbackNode):
        return (m.File(flow.sound(node.prompt, lang)), m.SayDigits(state.value("callback")))
    return ()


def _announcement(flow: f.Flow, state: CallState, node: f.AnnounceNode) -> tuple[m.Segment, ...]:
    lang = state.language
    if node.source == "prompt":
        return (m.File(flow.sound(node.prompt or "", lang)),)
    if not state.incidents:
        return ()
    incident = state.incidents[0]
    parts: list[m.Segment] = []
    if node.prompt:
        parts.append(m.File(flow.sound(node.prompt, lang)))
    kind = incident.type if incident.type in f.INCIDENT_TYPES else "other"
    parts.append(m.File(flow.sound(f"{flow.incident_prompt_prefix}{kind}", lang)))
    if incident.expected_end is not None and node.until_prompt:
        parts += [m.File(flow.sound(node.until_prompt, lang)),
                  m.SayDate(int(incident.expected_end))]
    return tuple(parts)


def _looked_up(flow: f.Flow, state: CallState, node: Any, event: Any) -> Result:
    customer = event.customer
    state = replace(state, customer=customer, incidents=event.incidents)
    if (customer is not None and flow.language_from_customer and not state.language_chosen
            and customer.language in flow.languages):
        state = replace(state, language=customer.language)
    what = f"customer:{customer.id} by {customer.found_by}" if customer else "customer:none"
    actions: list[m.Action] = [_record(state, node.id, recognized=what)]
    return _goto(flow, state, node.found if customer else node.not_found, event.at, actions)


def _ticket_fetched(flow: f.Flow, state: CallState, node: Any, event: Any) -> Result:
    state = replace(state.with_value("ticket_state", event.state or ""), phase="speak")
    return state, [m.Prompt(_spoken(flow, state, node))]


def _callback_created(flow: f.Flow, state: CallState, node: Any, event: Any) -> Result:
    state = replace(state.with_value("callback", str(event.ticket_id)), phase="speak")
    return state, [m.Prompt(_spoken(flow, state, node))]


def _decide(flow: f.Flow, state: CallState, node: f.ConditionNode, at: float) -> tuple[str, str]:
    for i, case in enumerate(node.cases):
        if all(_holds(flow, state, name, want, at) for name, want in case.tests):
            return case.goto, f"case {i + 1} -> {case.goto}"
    return node.default, f"default -> {node.default}"


def _holds(flow: f.Flow, state: CallState, name: str, want: object, at: float) -> bool:
    c = state.customer
    if name in ("open", "closed"):
        is_open = flow.calendars[str(want)].is_open(at, flow.timezone)
        return is_open if name == "open" else not is_open
    if name == "vip":
        return bool(c and c.vip) == want
    if name == "segment":
        return bool(c and c.segment and c.segment in want)  # type: ignore[operator]
    if name == "incident_in_area":
        return bool(state.incidents) == want
    if name == "language":
        return state.language == want
    return (c is not None) == (want == "known")


_HANDLERS: dict[tuple[type, type], Any] = {
    (f.PlayNode, m.Played): _played,
    (f.AnnounceNode, m.Played): _played,
    (f.TicketStatusNode, m.Played): _played,
    (f.CallbackNode, m.Played): _played,
    (f.MenuNode, m.Keys): _menu_keys,
    (f.MenuNode, m.Heard): _menu_heard,
    (f.CollectNode, m.Keys): _collect_keys,
    (f.LookupNode, m.LookedUp): _looked_up,
    (f.TicketStatusNode, m.TicketFetched): _ticket_fetched,
    (f.CallbackNode, m.CallbackCreated): _callback_created,
}
