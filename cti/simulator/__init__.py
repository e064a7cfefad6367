"""A simulated Asterisk 22.10.1 (AMI + FastAGI client) for tests and the demo."""

from cti.simulator.contexts import LAB, SHIPPED, Contexts
from cti.simulator.parties import AgentPhone, CallerSpec, EndedCall
from cti.simulator.sim import SimConfig, Simulator

__all__ = [
    "LAB",
    "SHIPPED",
    "AgentPhone",
    "CallerSpec",
    "Contexts",
    "EndedCall",
    "SimConfig",
    "Simulator",
]
