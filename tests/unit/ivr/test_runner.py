"""The pure runner on the bundled flows: every path is a list of inputs and outputs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ivr import messages as m
from ivr.runner import CallState, step
from tests.unit.ivr.helpers import CLOSED_AT, OPEN_AT, Driver, basic, hotline

BJ = m.CustomerInfo(7, "张伟", "10000123", "北京/朝阳区", "residential", "gold", vip=False)
OUTAGE = m.IncidentInfo(3, "power", "朝阳区停电", expected_end=OPEN_AT + 7200)


@pytest.mark.parametrize(("key", "service", "priority"),
                         [("1", "billing", None), ("2", "repair", None),
                          ("3", "installation", None), ("4", "complaint", None),
                          ("0", "general", None)])
def test_basic_menu_keys_hand_off(key: str, service: str, priority: int | None) -> None:
    d = Driver(basic())
    assert d.start(language="en") == [m.Prompt((m.File("en/welcome"),), barge_in=True)]
    assert d.played() == [m.RecordStep("welcome", "en/welcome", language="en"),
                          m.ReadKeys("en/main-menu", 1, 5000)]
    d.keys(key)
    assert d.transfer() == m.Transfer(service, (), priority, 0)
    assert d.nodes() == ["welcome", "main-menu"]
    assert d.state.done and d.state.outcome == f"transfer:{service}"


def test_key_pressed_during_the_greeting_answers_the_menu() -> None:
    d = Driver(basic())
    d.start()
    d.played(digit="3")
    assert d.transfer().service == "installation"
    # Pressed once, recorded once: by the menu it answered (issue 11: a key that
    # interrupted a prompt showed as two steps' keys).
    assert [(s.node, s.key) for s in d.steps()] == [("welcome", ""), ("main-menu", "3")]


def test_invalid_key_then_timeout_then_default() -> None:
    d = Driver(basic())
    d.start()
    d.played()
    assert d.keys("7")[-1] == m.ReadKeys("zh/main-menu", 1, 5000, (m.File("zh/invalid-key"),))
    d.keys("")  # retries: 1 -> the default
    assert d.transfer().service == "general"
    assert [(s.node, s.key) for s in d.steps()] == [
        ("welcome", ""), ("main-menu", "7"), ("main-menu", "")]


def test_timeout_plays_the_no_input_prompt_and_a_retry_can_succeed() -> None:
    d = Driver(basic())
    d.start()
    d.played()
    assert d.keys("")[-1] == m.ReadKeys("zh/main-menu", 1, 5000, (m.File("zh/no-input"),))
    d.keys("4")
    assert d.transfer().service == "complaint"


def walk_to_main_menu(d: Driver, customer: m.CustomerInfo | None = BJ,
                      incidents: tuple[m.IncidentInfo, ...] = ()) -> None:
    d.start()
    assert d.keys("") and isinstance(d.request, m.Lookup)  # no language key: channel's
    d.looked_up(customer, incidents)


def test_known_caller_hears_the_incident_then_reaches_repair() -> None:
    d = Driver(hotline())
    walk_to_main_menu(d, BJ, (OUTAGE,))
    assert d.request == m.Prompt((m.File("zh/incident-intro"), m.File("zh/incident-power"),
                                  m.File("zh/incident-until"), m.SayDate(int(OPEN_AT + 7200))))
    d.played()
    assert isinstance(d.request, m.Listen)  # keys work too; the adapter reads keys when
    # the model directory is missing
    d.keys("2")
    assert d.transfer() == m.Transfer("repair", ("repair",), 2, 0)
    assert d.nodes() == ["language", "identify", "hours", "incident-check", "incident",
                         "main-menu", "repair-route"]
    assert d.steps()[1].recognized == "customer:7 by caller_id"


def test_vip_gets_a_priority_boost_and_agent_key_routes_to_vip_desk() -> None:
    d = Driver(hotline())
    walk_to_main_menu(d, replace(BJ, vip=True))
    d.keys("1")
    assert d.transfer() == m.Transfer("billing", ("billing",), None, 3)
    d = Driver(hotline())
    walk_to_main_menu(d, replace(BJ, vip=True))
    d.keys("0")
    assert d.actions[-3:] == [m.Speak((m.File("zh/vip-hold"),)),
                              m.SetVariable("CTI_SERVICE", "general"),
                              m.Transfer("general", ("vip",), 9, 0)]


def test_language_from_key_and_from_the_customer_record() -> None:
    d = Driver(hotline())
    d.start(language="zh")
    d.keys("2")  # English chosen by the caller
    d.looked_up(replace(BJ, language="zh"))
    assert d.state.language == "en" and d.request.prompt == "en/hotline-menu"  # type: ignore
    d = Driver(hotline())
    d.start(language="zh")
    d.keys("")  # nothing chosen: the record decides
    d.looked_up(replace(BJ, language="en"))
    assert d.state.language == "en"
    d.keys("0")
    assert d.transfer() == m.Transfer("general", ("english",), 1, 0)


def test_unknown_caller_keys_a_valid_account_after_a_bad_one() -> None:
    d = Driver(hotline())
    d.start()
    d.keys("")
    d.looked_up(None)
    assert d.request == m.ReadKeys("zh/enter-account", 8, 6000)
    d.keys("1234#")  # too short
    assert d.request == m.ReadKeys("zh/enter-account", 8, 6000, (m.File("zh/account-invalid"),))
    d.keys("10000123#")  # Luhn-valid
    assert d.request == m.Lookup("", "10000123")
    d.looked_up(replace(BJ, found_by="account"))
    d.keys("3")
    assert d.transfer().service == "installation"
    assert ("ask-account", "10000123") in [(s.node, s.key) for s in d.steps()]


def test_account_retries_exhausted_goes_on_unidentified() -> None:
    d = Driver(hotline())
    d.start()
    d.keys("")
    d.looked_up(None)
    d.keys("12345678")  # fails Luhn
    d.keys("")
    assert isinstance(d.request, m.Listen) and d.request.prompt == "zh/hotline-menu"


def test_after_hours_and_holidays() -> None:
    d = Driver(hotline(), at=CLOSED_AT)
    walk_to_main_menu(d)
    assert d.request == m.ReadKeys("zh/after-hours", 1, 5000)
    d.keys("0")  # no agents after hours: 0 is just an invalid key here
    assert d.request == m.ReadKeys("zh/after-hours", 1, 5000, (m.File("zh/invalid-key"),))
    holiday = OPEN_AT - 68 * 86400  # 2026-01-01 10:00 Shanghai
    d = Driver(hotline(), at=holiday)
    walk_to_main_menu(d)
    assert d.request.prompt == "zh/after-hours"  # type: ignore[union-attr]


def test_ticket_status_is_read_back() -> None:
    d = Driver(hotline())
    walk_to_main_menu(d)
    d.keys("5")
    assert d.request == m.ReadKeys("zh/enter-ticket", 10, 6000)
    d.keys("42#")
    assert d.request == m.FetchTicket("42")
    d.feed(m.TicketFetched(OPEN_AT, "42", "in_progress"))
    assert d.request == m.Prompt((m.File("zh/ticket-intro"), m.SayDigits("42"),
                                  m.File("zh/ticket-state-in_progress")))
    d.played()
    assert d.request.prompt == "zh/anything-else"  # type: ignore[union-attr]
    d.keys("")
    assert d.actions[-1] == m.Hangup() and d.state.outcome == "hangup"
    d = Driver(hotline())
    walk_to_main_menu(d)
    d.keys("5")
    d.keys("9")
    d.feed(m.TicketFetched(OPEN_AT, "9", None))
    assert d.request == m.Prompt((m.File("zh/ticket-not-found"),))


def test_callback_creates_a_ticket_and_says_its_number() -> None:
    d = Driver(hotline())
    walk_to_main_menu(d)
    d.keys("6")
    assert isinstance(d.request, m.CreateCallback) and d.request.customer_id == 7
    d.feed(m.CallbackCreated(OPEN_AT, 314, 15))
    assert d.request == m.Prompt((m.File("zh/callback-confirm"), m.SayDigits("314")))
    d.played()
    assert d.actions[-3:] == [m.Speak((m.File("zh/goodbye"),)),
                              m.RecordStep("goodbye", "zh/goodbye", language="zh"), m.Hangup()]


def test_speech_match_takes_the_keys_branch_and_low_confidence_falls_back() -> None:
    flow = replace(hotline(), speech_models={"zh": "/models/zh"})
    d = Driver(flow)
    walk_to_main_menu(d)
    listen = d.request
    assert isinstance(listen, m.Listen) and "报修" in listen.grammar and listen.language == "zh"
    d.heard("报修", 0.93)
    assert d.transfer().service == "repair"
    rec = d.steps()[-2]
    assert (rec.node, rec.key, rec.recognized, rec.confidence) == ("main-menu", "2", "报修", 0.93)
    d = Driver(flow)
    walk_to_main_menu(d)
    d.heard("报修", 0.3)  # not sure: keys
    assert d.request == m.ReadKeys("zh/hotline-menu", 1, 5000, (m.File("zh/no-input"),))
    d.keys("2")
    assert d.transfer().service == "repair"
    d = Driver(flow)
    walk_to_main_menu(d)
    d.feed(m.Keys(OPEN_AT, "4"))  # a key pressed instead of speaking
    assert d.transfer().service == "complaint"


def test_broken_inputs_take_on_error_or_the_fallback() -> None:
    d = Driver(hotline())
    d.start()
    d.keys("")
    d.feed(m.Broken(OPEN_AT, "crm timeout after 2.0s"))  # identify: on_error -> hours
    assert d.request.prompt == "zh/hotline-menu"  # type: ignore[union-attr]
    assert d.steps()[-3].recognized == "error: crm timeout after 2.0s"
    d.feed(m.Broken(OPEN_AT, "prompt missing: zh/hotline-menu"))  # menu: the fallback
    assert d.transfer() == m.Transfer("general", (), None, 0)


def test_unexpected_input_is_treated_as_broken() -> None:
    d = Driver(basic())
    d.start()
    d.feed(m.TicketFetched(OPEN_AT, "1", "new"))
    assert d.transfer().service == "general"


def test_hang_up_at_every_waiting_node_ends_quietly() -> None:
    for flow in (basic(), hotline()):
        for nid in flow.nodes:
            state = CallState(node=nid, language="zh", caller_id="1")
            new, actions = step(flow, state, m.HungUp(OPEN_AT))
            assert actions == [] and new.done and new.outcome == "caller_hangup"
            assert step(flow, new, m.Keys(OPEN_AT, "1")) == (new, [])
