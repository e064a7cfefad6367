"""IVR load: N simultaneous callers through the hotline flow, over real TCP.

    .venv/bin/python bench/ivr_sessions.py [--sessions 200] [--time-scale 0.01]

The PBX simulator places every call at once (AGI(agi://engine/hotline)); the engine runs
the flow with the SQLite CRM (caller lookup, incident in the area, menus) and hands each
caller to routing. Prints one JSON line: sessions, errors, seconds, sessions per second.
Prompts last 1 s of model time each; with --time-scale 0.01 that is 10 ms of wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm.db import create_schema, make_engine
from crm.model.customer import Customer
from crm.services.customers import add_customer, make_phone
from crm.services.incidents import open_incident
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from cti import events as ev
from cti.crm_sink import CrmSink
from cti.demo import demo_settings
from cti.engine import Engine
from cti.simulator import AgentPhone, CallerSpec, SimConfig, Simulator

AREAS = ["北京/朝阳区", "北京/海淀区", "上海/浦东新区", "广东/广州/天河区"]
# (language key, menu key): Chinese, English, wait for the default; every service
PATHS = [["1", "1"], ["2", "2"], ["1", "3"], ["2", "4"], ["1", "0"], ["", "2"]]
# 10:00 on a Tuesday in Shanghai: the flow's office calendar is open.
OPEN_AT = 1773108000.0


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _seed(sql: Any, n: int) -> None:
    with UnitOfWork(sql) as uow:
        for i in range(n):
            add_customer(uow, Customer(name=f"客户{i}", account_number=f"AC{i:08d}",
                                       area=AREAS[i % len(AREAS)], tags={"VIP"} if i % 7 == 0
                                       else set(), phones=[make_phone(f"1390000{i:04d}")]),
                         "bench")
        open_incident(uow, actor="bench", type="power", title="朝阳区停电",
                      areas=["北京/朝阳区"],
                      started_at=datetime.fromtimestamp(OPEN_AT - 3600, UTC),
                      expected_end_at=datetime.fromtimestamp(OPEN_AT + 7200, UTC))
        uow.commit()


async def run(sessions: int, workdir: Path, time_scale: float = 0.01) -> dict[str, Any]:
    settings = demo_settings(workdir, web_port=0, time_scale=time_scale)
    sql = make_engine(settings.database_url)
    create_schema(sql)
    _seed(sql, sessions)
    store = InteractionStore(sql)
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    cfg = SimConfig(agents=[AgentPhone(a.extension, 1.0, 2.0) for a in settings.agents],
                    time_scale=time_scale, recordings_dir=workdir / "rec",
                    noanswer_to_hold=True, auth_failure_delay=0.05)
    offset = OPEN_AT - time.time()
    try:
        async with Simulator(cfg) as sim:
            settings = dataclasses.replace(settings, asterisk=(dataclasses.replace(
                settings.asterisk[0], port=sim.ami_port),))
            engine = Engine(settings, CrmSink(store), clock=lambda: time.time() + offset,
                            crm_store=store)
            sim.install_sounds({f.sound(p, lang): 8000 for f in engine.ivr.flows.flows
                                for p in f.prompts() for lang in f.languages})
            done: set[str] = set()
            queued: dict[str, str] = {}
            through_ivr, all_ended = asyncio.Event(), asyncio.Event()
            ids: list[str] = []

            def on_queued(e: ev.CallQueued) -> None:
                queued[e.call_id] = e.service
                check()

            def on_ended(e: ev.CallEnded) -> None:
                done.add(e.call_id)
                check()

            def check() -> None:
                if len(ids) == sessions and set(ids) <= set(queued) | done:
                    through_ivr.set()
                if len(ids) == sessions and set(ids) <= done:
                    all_ended.set()

            engine.bus.subscribe(on_queued, ev.CallQueued)
            engine.bus.subscribe(on_ended, ev.CallEnded)
            async with engine:
                sim.set_agi_target(sim.config.agi_host, engine.agi_port)
                await engine.wait_ready(timeout=15)
                started = time.monotonic()
                ids += [sim.place_call(CallerSpec(
                    f"1390000{i:04d}", f"客户{i}", dtmf=PATHS[i % len(PATHS)], patience=300.0,
                    variables={"IVR_SCRIPT": "hotline"})) for i in range(sessions)]
                limit = 120 + sessions * 0.5
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(limit):
                        await through_ivr.wait()
                ivr_seconds = time.monotonic() - started
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(limit):
                        await all_ended.wait()
                await engine.writer.drain(timeout=30)
                ivr = engine.ivr
                return {
                    "sessions": sessions,
                    "ivr_sessions": ivr.sessions,
                    "handed_off": len(set(ids) & set(queued)),
                    "ended": len(set(ids) & done),
                    "fallbacks": ivr.fallbacks,
                    "errors": len(errors.records),
                    "services": {s: list(queued.values()).count(s)
                                 for s in sorted(set(queued.values()))},
                    "seconds": round(ivr_seconds, 3),
                    "sessions_per_second": round(sessions / ivr_seconds, 1),
                }
    finally:
        logging.getLogger().removeHandler(errors)
        sql.dispose()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=200)
    p.add_argument("--time-scale", type=float, default=0.01)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.sessions, Path(tmp), args.time_scale))
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["errors"] == 0 and result["handed_off"] == args.sessions else 1


if __name__ == "__main__":
    raise SystemExit(main())
