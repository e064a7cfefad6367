"""Issue 11 finding 1, pure parts: a cancelled dial is not a no-answer, and no log call
in the code base passes a reserved LogRecord field in ``extra=``."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

from routing.model import AgentProfile, AgentState, Service
from routing.router import CANCEL_GRACE, Router

ROOT = Path(__file__).resolve().parents[3]
RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def router() -> Router:
    r = Router([Service("general")], [AgentProfile("a", "1001"), AgentProfile("b", "1002")])
    for aid in ("a", "b"):
        r.login(aid, 0.0, ready=True)
    return r


def test_cancel_frees_the_agent_but_does_not_offer_the_call_again() -> None:
    r = router()
    r.enqueue("x", "general", 1.0)
    [offer] = r.decide(1.0).offers
    r.ringing(offer.extension, "x", 1.1)
    r.no_answer(offer.extension, "x", 3.0, "CANCEL")
    assert r.agents[offer.agent_id].state == AgentState.READY
    assert not r.agents[offer.agent_id].refused, "a cancel is not the agent's refusal"
    # The caller's Hangup is on its way: no offer meanwhile, to anyone.
    assert r.decide(3.0).offers == []
    assert r.decide(3.0 + CANCEL_GRACE / 2).offers == []
    r.ended("x", 3.001)
    assert r.decide(3.0 + CANCEL_GRACE + 1).offers == []
    assert "x" not in r.calls


def test_a_cancelled_call_that_does_not_end_is_offered_after_the_grace() -> None:
    # Someone else redirected the caller out of the dial (no hang-up follows).
    r = router()
    r.enqueue("x", "general", 1.0)
    [offer] = r.decide(1.0).offers
    r.ringing(offer.extension, "x", 1.1)
    r.no_answer(offer.extension, "x", 3.0, "CANCEL")
    [again] = r.decide(3.0 + CANCEL_GRACE).offers
    assert again.call_id == "x"


def test_a_no_answer_still_requeues_at_once() -> None:
    r = router()
    r.enqueue("x", "general", 1.0)
    [offer] = r.decide(1.0).offers
    r.ringing(offer.extension, "x", 1.1)
    r.no_answer(offer.extension, "x", 21.1, "NOANSWER")
    [again] = r.decide(21.1).offers
    assert again.agent_id != offer.agent_id


def _extra_keys() -> list[tuple[str, int, str]]:
    found = []
    for package in ("cti", "ivr", "routing", "agent_desktop", "recordings", "crm", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                for kw in node.keywords:
                    if kw.arg == "extra" and isinstance(kw.value, ast.Dict):
                        for key in kw.value.keys:
                            if isinstance(key, ast.Constant):
                                found.append((str(path.relative_to(ROOT)), node.lineno, key.value))
    return found


def test_no_log_call_passes_a_reserved_logrecord_key() -> None:
    keys = _extra_keys()
    assert len(keys) > 50, "the audit must actually see the code base's log calls"
    bad = [k for k in keys if k[2] in RESERVED]
    assert bad == [], f"extra= keys that make logging raise KeyError: {bad}"
