"""Everything an agent reads exists in Simplified Chinese and English: ticket words too."""

from __future__ import annotations

import re

from agent_desktop.texts import (
    DESK_TICKET_ACTIONS,
    SCRIPT_KEYS,
    STATES,
    TEXT,
    TICKET_ACTIONS,
    TICKET_STATES,
    both_languages,
    script_strings,
    text,
)
from crm.model.ticket import TicketAction, TicketState
from routing.model import AgentState

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_ticket_state_and_desk_action_has_both_languages() -> None:
    assert set(TICKET_STATES) == {s.value for s in TicketState}
    assert set(DESK_TICKET_ACTIONS) <= set(TICKET_ACTIONS)
    assert set(TICKET_ACTIONS) <= {a.value for a in TicketAction}
    assert set(STATES) == {s.value for s in AgentState}
    tables = {
        "ticket states": TICKET_STATES,
        "ticket actions": TICKET_ACTIONS,
        "states": STATES,
    }
    for context, table in tables.items():
        for key, (zh, en) in both_languages(context, table).items():
            assert HAN.search(zh), (key, zh)
            assert en and not HAN.search(en), (key, en)
    for key in TEXT:
        zh, en = text(key, "zh"), text(key, "en")
        assert HAN.search(zh), (key, zh)
        assert en and not HAN.search(en), (key, en)


def test_scripts_get_the_ticket_words_in_one_language() -> None:
    zh, en = script_strings("zh"), script_strings("en")
    assert zh["ticket_states"]["in_progress"] == "处理中"  # type: ignore[index]
    assert en["ticket_actions"]["suspend"] == "Suspend"  # type: ignore[index]
    assert set(SCRIPT_KEYS) <= set(TEXT)
    for placeholder in ("{ticket}", "{state}", "{action}"):
        assert placeholder in zh["text"]["illegal_transition"]  # type: ignore[index]
        assert placeholder in en["text"]["illegal_transition"]  # type: ignore[index]
