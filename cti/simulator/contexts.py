"""Which dialplan the simulator runs: the project's shipped ``cti-*`` contexts
(config/asterisk/extensions.conf, the default) or the lab's (the contexts of the recorded
traces in ../shared/fixtures/asterisk, for the fidelity tests that replay them).

The simulated parties' own contexts (``caller-sim``, ``caller-wait``, ``customers``) are
the simulator's, like the test-only ``parties.conf`` of the real-Asterisk harness; so is the
app_queue site's ``queue-entry`` with members ``Local/<ext>@agents``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Contexts:
    ivr: str  # an IVR caller's entry (basic flow, AGI route "ivr")
    hotline: str  # the complete hotline flow's entry (AGI route "hotline")
    hold: str
    connect: str
    agents: str  # agent legs: Local/<ext>@<agents>
    outbound: str  # click-to-call: Originate Local/<ext>@<agents>, Context <outbound>
    callback: str  # virtual-hold callbacks: Originate Local/<number>@<callback>
    shipped: bool  # run the shipped dialplan's steps (cti-entry, AGENT_DIAL, no MixMonitor)
    queue: str = "queue-entry"
    customers: str = "customers"

    def route_of(self, context: str) -> str | None:
        """The AGI route an entry context runs (None: not an IVR entry)."""
        if context == self.ivr:
            return "ivr"
        if context == self.hotline:
            return "hotline"
        return None


SHIPPED = Contexts(
    ivr="cti-ivr",
    hotline="cti-hotline",
    hold="cti-hold",
    connect="cti-connect",
    agents="cti-agents",
    outbound="cti-outbound",
    callback="cti-callback",
    shipped=True,
)

LAB = Contexts(
    ivr="ivr-entry",
    hotline="ivr-entry",
    hold="hold",
    connect="connect",
    agents="agents",
    outbound="outbound",
    callback="callback",
    shipped=False,
)
