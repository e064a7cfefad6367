"""The bench's site: site.yaml + routing/routing.yaml for N agents, and their CRM users.

Agents start logged out (``agents_start: logged_out``): each one becomes available only
when its websocket client logs in and says ready, as on a real floor. Wrap-up is long
(``WRAP_UP``) so an agent takes its next call only after its desk sent ``ready``: the
desktop round trip is inside the measured loop, not beside it.
"""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher

from cti.demo import DEMO_SERVICES

PASSWORD = "load-bench-password"
SECRET = "load-bench-web-secret-" + "x" * 24
SKILLS = ("billing", "repair", "installation", "complaint", "english")
WRAP_UP = 30.0


def agent_ids(first_ext: int, n: int) -> list[tuple[str, str]]:
    """(agent id / username, extension) of each agent."""
    return [(f"a{first_ext + i}", str(first_ext + i)) for i in range(n)]


def write_site(
    tmp: Path, *, ami_port: int, agents: int, first_ext: int, redis_url: str | None = None
) -> Path:
    every = "{" + ", ".join(f"{s}: 5" for s in SKILLS) + "}"
    lines = [
        "asterisk:",
        f"  - {{name: sim, host: 127.0.0.1, port: {ami_port}, username: cti,"
        " secret: ctisecret, md5_auth: true, ping_interval: 5}",
        "fastagi: {host: 127.0.0.1, port: 0}",
        f"database: {{url: 'sqlite:///{tmp / 'crm.sqlite3'}'}}",
        f"redis: {{url: {repr(redis_url) if redis_url else 'null'}}}",
        f"web: {{host: 127.0.0.1, port: 0, secret: '{SECRET}'}}",
        f"journal: {tmp / 'journal.jsonl'}",
        f"recordings_dir: {tmp / 'recordings'}",
        f"wrap_up_seconds: {WRAP_UP}",
        f"skills: [{', '.join(SKILLS)}]",
        "services:",
    ]
    for svc in DEMO_SERVICES:  # the bundled IVR flow hands off to these
        skills = ", ".join(f"{k}: {v}" for k, v in svc.skills.items())
        lines.append(f"  - {{name: {svc.name}, skills: {{{skills}}}, priority: {svc.priority}}}")
    lines.append("agents:")
    ids = agent_ids(first_ext, agents)
    lines += [f"  - {{id: {aid}, name: {aid}, extension: '{ext}', skills: {every}}}"
              for aid, ext in ids]  # fmt: skip
    site = tmp / "site.yaml"
    site.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # routing.yaml next to the site file wins over the site's services/agents: it is the
    # only place where agents can be made to start logged out.
    routing = tmp / "routing"
    routing.mkdir(exist_ok=True)
    rlines = [
        f"skills: [{', '.join(SKILLS)}]",
        f"defaults: {{wrap_up_seconds: {WRAP_UP}, agents_start: logged_out}}",
        "services:",
    ]
    for svc in DEMO_SERVICES:
        skills = ", ".join(f"{k}: {v}" for k, v in svc.skills.items())
        rlines.append(f"  - {{name: {svc.name}, skills: {{{skills}}}, priority: {svc.priority}}}")
    rlines.append("agents:")
    rlines += [f"  - {{id: {aid}, name: {aid}, extension: '{ext}', skills: {every}}}"
               for aid, ext in ids]  # fmt: skip
    (routing / "routing.yaml").write_text("\n".join(rlines) + "\n", encoding="utf-8")
    return site


class _OneHash(PasswordHasher):
    """Every bench user has the same password: hash it once (argon2id, default cost,
    ~0.1 s) instead of 500 times. Logins still verify at full cost."""

    def __init__(self) -> None:
        super().__init__()
        self._hash = super().hash(PASSWORD)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        return self._hash


def create_users(database_url: str, first_ext: int, agents: int) -> None:
    """The agents' CRM users (role agent, username = agent id), before the engine starts."""
    from crm.auth import create_user
    from crm.db import create_schema, make_engine
    from crm.uow import UnitOfWork

    sql = make_engine(database_url)
    try:
        create_schema(sql)
        hasher = _OneHash()
        with UnitOfWork(sql) as uow:
            for aid, _ext in agent_ids(first_ext, agents):
                create_user(uow, username=aid, password=PASSWORD, role="agent", hasher=hasher)
            uow.commit()
    finally:
        sql.dispose()
