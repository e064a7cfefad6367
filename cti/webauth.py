"""Web login against the CRM's users (argon2id hashes); every attempt is audited."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine as SqlEngine

from crm.auth import AuthError
from crm.auth import authenticate as authenticate_password
from cti.web import Authenticator
from cti.websession import Identity


def crm_authenticator(sql: SqlEngine) -> Authenticator:
    async def authenticate(username: str, password: str) -> Identity | None:
        def check() -> Identity | None:
            try:
                token, user = authenticate_password(sql, username, password)
            except AuthError:
                return None
            return Identity(user.username, frozenset({user.role.value}), api_token=token)

        return await asyncio.to_thread(check)

    return authenticate
