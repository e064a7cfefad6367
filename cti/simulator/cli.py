"""``cti simulate``: the simulated Asterisk alone (AMI server + FastAGI client), optionally
placing a steady load of calls."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from dataclasses import asdict
from pathlib import Path

from cti.simulator.load import run_load
from cti.simulator.parties import AgentPhone
from cti.simulator.sim import SimConfig, Simulator


def _user(text: str) -> tuple[str, str]:
    name, sep, secret = text.partition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError("expected USER:SECRET")
    return name, secret


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cti simulate", description=__doc__)
    p.add_argument("--ami-host", default="127.0.0.1")
    p.add_argument("--ami-port", type=int, default=5038, help="0 picks a free port")
    p.add_argument("--agi-host", default="127.0.0.1", help="where AGI(agi://...) connects")
    p.add_argument("--agi-port", type=int, default=4573)
    p.add_argument("--time-scale", type=float, default=1.0, help="multiplier of durations")
    p.add_argument("--agents", type=int, default=3, help="agent phones 1001.. (auto-answer)")
    p.add_argument("--load", type=float, metavar="CPS", help="place CPS calls per second")
    p.add_argument("--seconds", type=float, default=10.0, help="how long to place calls")
    p.add_argument("--recordings", type=Path, default=Path("recordings-sim"))
    p.add_argument("--users", type=_user, action="append", metavar="USER:SECRET", help="AMI users")
    return p


async def serve(args: argparse.Namespace) -> int:
    agents = [AgentPhone(str(1001 + n), 0.0, 30.0) for n in range(args.agents)]
    agents.append(AgentPhone("1009", None))
    config = SimConfig(
        ami_host=args.ami_host,
        ami_port=args.ami_port,
        agi_host=args.agi_host,
        agi_port=args.agi_port,
        users=dict(args.users or [("cti", "ctisecret")]),
        agents=agents,
        time_scale=args.time_scale,
        recordings_dir=args.recordings,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with Simulator(config) as sim:
            print(
                f"Simulated Asterisk 22.10.1: AMI on {args.ami_host}:{sim.ami_port}, "
                f"AGI to agi://{args.agi_host}:{args.agi_port}",
                flush=True,
            )
            print(f"AMI_PORT={sim.ami_port}", flush=True)
            if args.load:
                load = asyncio.create_task(run_load(sim, args.load, args.agents, args.seconds))
                stopped = asyncio.create_task(stop.wait())
                try:
                    await asyncio.wait({load, stopped}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stopped.cancel()
                    if not load.done():
                        load.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await load
                if not load.cancelled():
                    print(json.dumps(asdict(load.result())), flush=True)
            else:
                await stop.wait()
            print("stopping", flush=True)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return asyncio.run(serve(args))
    except OSError as exc:
        print(f"cti simulate: {exc}", flush=True)
        return 1
