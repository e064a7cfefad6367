"""Shared by the IVR unit tests: the bundled flows and a driver for the pure runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ivr import messages as m
from ivr.flow import Flow
from ivr.loader import load_flow
from ivr.prompts import load_catalog
from ivr.runner import CallState, step

REPO = Path(__file__).resolve().parents[3]
FLOWS = REPO / "config" / "ivr"
PROMPTS = REPO / "config" / "prompts"
SERVICES = ["billing", "repair", "installation", "complaint", "general"]
# Tuesday 2026-03-10 10:00 in Shanghai (02:00 UTC): the office is open.
OPEN_AT = 1773108000.0
# Tuesday 2026-03-10 22:00 in Shanghai: closed.
CLOSED_AT = OPEN_AT + 12 * 3600


def hotline() -> Flow:
    return load_flow(FLOWS / "hotline.yaml", prompts=load_catalog(PROMPTS), services=SERVICES)


def basic() -> Flow:
    return load_flow(FLOWS / "basic.yaml", prompts=load_catalog(PROMPTS), services=SERVICES)


@dataclass
class Driver:
    """Feeds inputs to ``step`` and keeps what came out."""

    flow: Flow
    at: float = OPEN_AT
    state: CallState = field(default_factory=CallState)
    actions: list[m.Action] = field(default_factory=list)
    all_actions: list[m.Action] = field(default_factory=list)

    def feed(self, event: m.Input) -> list[m.Action]:
        self.state, self.actions = step(self.flow, self.state, event)
        self.all_actions += self.actions
        return self.actions

    def start(self, caller: str = "13800138000", language: str = "zh") -> list[m.Action]:
        return self.feed(m.Started(self.at, caller_id=caller, channel_language=language))

    def keys(self, digits: str) -> list[m.Action]:
        return self.feed(m.Keys(self.at, digits))

    def played(self, digit: str | None = None) -> list[m.Action]:
        return self.feed(m.Played(self.at, digit))

    def heard(self, text: str, confidence: float) -> list[m.Action]:
        return self.feed(m.Heard(self.at, text, confidence))

    def looked_up(self, customer: m.CustomerInfo | None = None,
                  incidents: tuple[m.IncidentInfo, ...] = ()) -> list[m.Action]:
        return self.feed(m.LookedUp(self.at, customer, incidents))

    @property
    def request(self) -> m.Action:
        return self.actions[-1]

    def steps(self) -> list[m.RecordStep]:
        return [a for a in self.all_actions if isinstance(a, m.RecordStep)]

    def nodes(self) -> list[str]:
        return [s.node for s in self.steps()]

    def transfer(self) -> m.Transfer:
        last = self.actions[-1]
        assert isinstance(last, m.Transfer), self.actions
        return last
