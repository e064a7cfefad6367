"""Web login against the CRM's users, through the CRM's login gate (throttled, hashed in
its own pool, audited), and the session checks that make sessions revocable."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine as SqlEngine

from crm.auth import AuthError, user_for_token
from crm.auth import logout as end_token
from crm.login import Busy, LoginGate, LoginPolicy, Throttled
from crm.uow import UnitOfWork
from cti.corepages import LoginRefused
from cti.websession import Identity


class CrmAuthenticator:
    """Called as the web app's authenticator; also carries the session checks."""

    def __init__(self, sql: SqlEngine, policy: LoginPolicy | None = None) -> None:
        self.sql = sql
        self.gate = LoginGate(sql, policy=policy)

    async def __call__(self, username: str, password: str, remote: str) -> Identity | None:
        try:
            token, user = await self.gate.login(username, password, remote)
        except Throttled as refused:
            raise LoginRefused(429, "throttled", refused.retry_after) from None
        except Busy:
            raise LoginRefused(503, "busy", Busy.retry_after) from None
        except AuthError:
            return None
        return Identity(user.username, frozenset({user.role.value}), api_token=token)

    async def revalidate(self, identity: Identity) -> Identity | None:
        def check() -> Identity | None:
            with UnitOfWork(self.sql, write=False) as uow:
                try:
                    user = user_for_token(uow, identity.api_token)
                except AuthError:
                    return None
            return Identity(user.username, frozenset({user.role.value}), identity.api_token)

        return await asyncio.to_thread(check)

    async def end_token(self, identity: Identity) -> None:
        def work() -> None:
            with UnitOfWork(self.sql) as uow:
                end_token(uow, identity.api_token, identity.username)
                uow.commit()

        await asyncio.to_thread(work)


def crm_authenticator(sql: SqlEngine, policy: LoginPolicy | None = None) -> CrmAuthenticator:
    return CrmAuthenticator(sql, policy)
