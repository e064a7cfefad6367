"""`cti demo`: the engine against the built-in PBX simulator, on SQLite.

Interactive (no ``--calls``): serves the pages and keeps a gentle stream of simulated
callers flowing until SIGINT/SIGTERM. With ``--calls N``: runs N calls through the whole
path (IVR, wait, agent, hang-up), checks the CRM, prints one JSON line and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import secrets
import signal
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine as SqlEngine

from crm.db import create_schema, make_engine
from crm.scheduler import AnnouncementScheduler
from crm.store import InteractionStore
from cti.ami.session import AmiSettings
from cti.crm_sink import CrmSink
from cti.engine import Engine
from cti.events import CallEnded
from cti.settings import AgentConfig, DialplanConfig, ServiceConfig, Settings
from cti.simulator import AgentPhone, CallerSpec, SimConfig, Simulator
from cti.webauth import crm_authenticator

log = logging.getLogger(__name__)

DEMO_AGENTS = (
    AgentConfig("a1001", "王芳", "1001", {"billing": 5, "complaint": 4}),
    AgentConfig("a1002", "李伟", "1002", {"repair": 5, "installation": 3}),
    AgentConfig("a1003", "Emma Liu", "1003", {"billing": 3, "repair": 2, "english": 5}),
)
DEMO_SERVICES = (
    ServiceConfig("billing", {"billing": 1}, label_zh="账单查询", label_en="Billing"),
    ServiceConfig("repair", {"repair": 1}, priority=5, label_zh="故障报修", label_en="Repairs"),
    ServiceConfig(
        "installation", {"installation": 1}, label_zh="新装业务", label_en="New installations"
    ),
    ServiceConfig(
        "complaint", {"complaint": 1}, priority=8, label_zh="投诉建议", label_en="Complaints"
    ),
    ServiceConfig("general", {}, label_zh="人工服务", label_en="General enquiries"),
)
# Prompt name -> length in samples (8 kHz), as installed on the simulated PBX.
DEMO_PROMPTS = {
    f"{lang}/{name}": 16000 for lang in ("zh", "en") for name in ("welcome", "main-menu")
}
# The demo's callers as the PBX presents them (CallerIDNum, CallerIDName), the language
# key they press and their menu choice. Most are customers of crm/demo_data.py: 张伟 is
# the VIP, 张伟 and 刘洋 live in 朝阳区 where a fibre cut is open, 张伟, 刘洋, John Smith
# and Emily Wang have open tickets. Two numbers are unknown to the CRM.
DEMO_CALLERS = (
    ("13800138000", "ZHANG WEI", "1", "2", True),  # VIP, 朝阳区 incident, ticket: repairs
    ("13910002000", "LI NA", "1", "1", True),
    ("02160001234", "JOHN SMITH", "2", "1", True),  # open ticket
    ("13511112222", "LIU YANG", "1", "2", True),  # 朝阳区 incident, open ticket
    ("18622223333", "ZHAO MIN", "1", "3", True),
    ("13399998888", "王先生", "1", "1", False),  # unknown: keys no account, then the menu
    ("13733334444", "SUN LEI", "1", "4", True),
    ("13944445555", "EMILY WANG", "2", "1", True),  # open ticket
    ("02038881234", "ZHOU JIE", "1", "1", True),
    ("17755556666", "Li Ming", "2", "3", False),  # unknown
)
HOTLINE = {"IVR_SCRIPT": "hotline"}  # the complete hotline flow (config/ivr/hotline.yaml)


def demo_settings(workdir: Path, *, web_port: int, time_scale: float) -> Settings:
    return Settings(
        source="<demo>",
        asterisk=(
            AmiSettings(
                name="sim",
                host="127.0.0.1",
                port=0,
                username="cti",
                secret="ctisecret",
                md5_auth=True,
                ping_interval=5.0,
            ),
        ),
        fastagi_host="127.0.0.1",
        fastagi_port=0,
        database_url=f"sqlite:///{workdir / 'demo.sqlite3'}",
        web_host="127.0.0.1",
        web_port=web_port,
        journal_path=str(workdir / "journal.jsonl"),
        recordings_dir=str(workdir / "recordings"),
        wrap_up_seconds=3.0 * time_scale,
        dialplan=DialplanConfig(
            hold_context="hold", connect_context="connect", agent_context="agents"
        ),
        skills=("billing", "repair", "installation", "complaint", "english"),
        services=DEMO_SERVICES,
        agents=DEMO_AGENTS,
    )


def demo_caller(rng: random.Random, i: int) -> CallerSpec:
    """The i-th caller through the hotline: language key, then (unknown numbers) no
    account number twice, then the menu key. After the first round ``rng`` varies half
    of the menu choices so the services share the load."""
    number, name, lang, key, known = DEMO_CALLERS[i % len(DEMO_CALLERS)]
    if i >= len(DEMO_CALLERS) and rng.random() < 0.5:
        key = rng.choice(["1", "2", "3", "4"])
    keys = [lang, key] if known else [lang, "", "", key]
    return CallerSpec(
        number=number,
        name=name,
        entry="ivr",
        dtmf=keys,
        variables=dict(HOTLINE),
        language="zh" if lang == "1" else "en",
    )


def prompt_sounds(flows: Any) -> dict[str, int]:
    """Every prompt of the flows, in each of their languages, as 1 s sounds on the
    simulated PBX (a real site installs them with `cti prompts install`)."""
    return {
        flow.sound(p, lang): 8000
        for flow in flows.flows
        for p in flow.prompts()
        for lang in flow.languages
    }


def open_all_day(flows: Any) -> Any:
    """The flows with their calendars open round the clock: the demo runs at any hour,
    and its callers should reach agents rather than the after-hours menu."""
    from ivr.flow import Calendar, FlowSet

    day = ((0, 24 * 60),)
    always = Calendar({d: day for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    return FlowSet(
        tuple(
            dataclasses.replace(f, calendars={name: always for name in f.calendars})
            for f in flows.flows
        )
    )


def _sql_engine(settings: Settings) -> SqlEngine:
    sql = make_engine(settings.database_url)
    create_schema(sql)
    return sql


DEMO_LOGINS = (
    ("supervisor", "supervisor", "值班主管 Supervisor"),
    ("a1001", "agent", "王芳"),
    ("a1002", "agent", "李伟"),
    ("a1003", "agent", "Emma Liu"),
    ("qa1", "qa", "质检员 QA"),
    ("admin", "admin", "管理员 Administrator"),
)


def _ensure_demo_logins(sql: SqlEngine, workdir: Path) -> str:
    """Logins for the demo's pages: a supervisor, the three agents (user name = agent id),
    a QA user and an administrator. Their random passwords are printed and kept (mode
    600) in the demo's work directory; nothing is hard-coded."""
    from crm.auth import create_user
    from crm.uow import UnitOfWork

    creds = workdir / "demo-credentials.txt"
    lines = []
    with UnitOfWork(sql) as uow:
        for username, role, name in DEMO_LOGINS:
            if uow.users.by_username(username) is None:
                password = secrets.token_urlsafe(12)
                create_user(uow, username=username, password=password, role=role, display_name=name)
                lines.append(f"{username} {password} ({role})\n")
        uow.commit()
    if lines:
        with open(creds, "a", encoding="utf-8") as fh:
            fh.writelines(lines)
        creds.chmod(0o600)
    return creds.read_text(encoding="utf-8").strip() if creds.exists() else ""


def _load_demo_data(sql: SqlEngine) -> None:
    from sqlalchemy import select

    from crm.demo_data import load_demo
    from crm.schema import departments
    from crm.uow import UnitOfWork

    with UnitOfWork(sql) as uow:
        loaded = uow.connection.execute(
            select(departments.c.id).where(departments.c.code == "HQ")
        ).first()
        if loaded is not None:
            return  # loaded on an earlier run
        load_demo(uow)
        uow.commit()


async def run_demo(
    workdir: Path, *, calls: int | None, web_port: int, time_scale: float, seed: int = 1
) -> dict[str, Any]:
    settings = demo_settings(workdir, web_port=web_port, time_scale=time_scale)
    sql = await asyncio.to_thread(_sql_engine, settings)
    try:
        await asyncio.to_thread(_load_demo_data, sql)
        store = InteractionStore(sql)
        before = await asyncio.to_thread(store.count_interactions)
        sim_config = SimConfig(
            agents=[
                AgentPhone(a.extension, answer_after=2.0, talk_time=20.0) for a in settings.agents
            ],
            time_scale=time_scale,
            recordings_dir=Path(settings.recordings_dir),
            users={"cti": "ctisecret"},
            seed=seed,
            noanswer_to_hold=True,
        )
        sim_config.sounds.update(DEMO_PROMPTS)
        async with Simulator(sim_config) as sim:
            settings = dataclasses.replace(
                settings, asterisk=(dataclasses.replace(settings.asterisk[0], port=sim.ami_port),)
            )
            factory = None if calls is not None else _web_factory(sql)
            async with Engine(
                settings,
                CrmSink(store),
                web_app_factory=factory,
                authenticate=crm_authenticator(sql),
                crm_store=store,
                background=[("announcements", AnnouncementScheduler(sql).run)],
            ) as engine:
                engine.ivr.flows = open_all_day(engine.ivr.flows)
                sim.install_sounds(prompt_sounds(engine.ivr.flows))
                sim.set_agi_target(sim.config.agi_host, engine.agi_port)
                await engine.wait_ready(timeout=15)
                if calls is not None:
                    return await _run_batch(engine, sim, store, calls, before, seed)
                login = await asyncio.to_thread(_ensure_demo_logins, sql, workdir)
                await _run_interactive(engine, sim, seed, login)
                return {}
    finally:
        sql.dispose()


def _web_factory(sql: SqlEngine) -> Any:
    from cti.web import make_app

    return lambda engine: make_app(engine, crm_sql=sql)


async def _run_batch(
    engine: Engine, sim: Simulator, store: InteractionStore, calls: int, before: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    started = time.monotonic()
    ids: list[str] = []
    ended: set[str] = set()
    all_ended = asyncio.Event()

    def on_ended(event: CallEnded) -> None:
        ended.add(event.call_id)
        if len(ids) == calls and ended >= set(ids):
            all_ended.set()

    unsubscribe = engine.bus.subscribe(on_ended, CallEnded)
    try:
        for i in range(calls):
            ids.append(sim.place_call(demo_caller(rng, i)))
            await asyncio.sleep(0.02)  # pacing of arrivals, not synchronization
        if ended >= set(ids):
            all_ended.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(60 + calls * 2.0):
                await all_ended.wait()  # a call that never ends is reported as lost below
    finally:
        unsubscribe()
    await engine.writer.drain(timeout=30)
    rows = await asyncio.to_thread(store.count_interactions)
    found = [await asyncio.to_thread(store.get_interaction, cid) for cid in ids]
    written = sum(1 for f in found if f is not None)
    rows_found = [f for f in found if f is not None]
    identified = sum(1 for f in rows_found if f.customer_id is not None)
    return {
        "calls": calls,
        "interactions_written": rows - before,
        "lost": calls - written,
        "duplicated": max(0, (rows - before) - written),
        "answered": sum(1 for f in found if f is not None and f.agent_answered),
        # Callers the CRM knew (by caller ID or the account they keyed) and what they heard.
        "identified": identified,
        "identified_percent": round(100.0 * identified / calls, 1) if calls else 0.0,
        "incident_announced": sum(
            1 for f in rows_found if any(s.get("node") == "incident" for s in f.ivr_steps or [])
        ),
        "seconds": round(time.monotonic() - started, 2),
    }


async def _run_interactive(engine: Engine, sim: Simulator, seed: int, login: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    base = f"http://127.0.0.1:{engine.web_port}"
    print(f"CTI demo running. Log in: {base}/   Status: {base}/status", flush=True)
    print(
        f"Agent desktop: {base}/desk   Wallboard: {base}/wallboard   Recordings: {base}/recordings",
        flush=True,
    )
    if login:
        print("Logins (user password role):", flush=True)
        for line in login.splitlines():
            print(f"  {line}", flush=True)
    print(
        f"Simulated Asterisk AMI on 127.0.0.1:{sim.ami_port}; FastAGI on "
        f"127.0.0.1:{engine.agi_port}. Press Ctrl-C to stop.",
        flush=True,
    )
    rng = random.Random(seed)
    i = 0
    try:
        while not stop.is_set():
            if len(sim.live_calls()) < 4:
                sim.place_call(demo_caller(rng, i))
                i += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(rng.uniform(2.0, 6.0)):
                    await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    print("stopping...", flush=True)


def main(workdir: str, calls: int | None, web_port: int, time_scale: float | None) -> int:
    Path(workdir).mkdir(parents=True, exist_ok=True)
    scale = time_scale if time_scale is not None else (0.02 if calls is not None else 0.25)
    result = asyncio.run(run_demo(Path(workdir), calls=calls, web_port=web_port, time_scale=scale))
    if calls is not None:
        print(json.dumps(result, ensure_ascii=False), flush=True)
        return 0 if result["lost"] == 0 and result["duplicated"] == 0 else 1
    return 0
