"""Web login against the CRM's users (argon2id hashes); every attempt is audited."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine as SqlEngine

from crm.auth import AuthError, login
from crm.uow import UnitOfWork
from cti.web import Authenticator
from cti.websession import Identity


def crm_authenticator(sql: SqlEngine) -> Authenticator:
    async def authenticate(username: str, password: str) -> Identity | None:
        def check() -> Identity | None:
            with UnitOfWork(sql) as uow:
                try:
                    token, user = login(uow, username, password)
                except AuthError:
                    uow.commit()  # keep the audit row of the failed attempt
                    return None
                uow.commit()
                return Identity(user.username, frozenset({user.role.value}), api_token=token)

        return await asyncio.to_thread(check)

    return authenticate
