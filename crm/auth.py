"""Users' passwords (argon2id) and bearer tokens, shared by the CRM API and the web layer.

Tokens are random; only their SHA-256 is stored, so a leaked database holds no live token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select

from crm.model.organization import Role, User
from crm.schema import auth_tokens
from crm.uow import Clock, UnitOfWork, utc_now

TOKEN_LIFETIME = timedelta(hours=12)


class AuthError(Exception):
    """Wrong username or password, or an unknown or expired token."""


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    return (hasher or PasswordHasher()).hash(password)


def verify_password(
    password_hash: str, password: str, hasher: PasswordHasher | None = None
) -> bool:
    try:
        return (hasher or PasswordHasher()).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    role: Role | str,
    display_name: str | None = None,
    department_id: int | None = None,
    actor: str = "system:admin",
    hasher: PasswordHasher | None = None,
) -> User:
    if uow.users.by_username(username) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name or username,
        role=Role(role),
        password_hash=hash_password(password, hasher),
        created_at=uow.clock(),
        department_id=department_id,
    )
    uow.users.add(user)
    uow.audit(actor, "user.create", "user", username, {"role": user.role.value})
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(
    uow: UnitOfWork, username: str, password: str, hasher: PasswordHasher | None = None
) -> tuple[str, User]:
    """Check the password and issue a bearer token; the attempt is audited either way.
    Runs in one write transaction: prefer :func:`authenticate` where many log in at once."""
    user = uow.users.by_username(username)
    if user is None or not user.active or not verify_password(user.password_hash, password, hasher):
        uow.audit(username, "auth.login_failed", "user", username)
        raise AuthError("wrong username or password")
    return issue_token(uow, user), user


def issue_token(uow: UnitOfWork, user: User) -> str:
    token = secrets.token_urlsafe(32)
    now = uow.clock()
    uow.connection.execute(
        insert(auth_tokens).values(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    uow.audit(user.username, "auth.login", "user", user.username)
    return token


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    *,
    hasher: PasswordHasher | None = None,
    clock: Clock = utc_now,
) -> tuple[str, User]:
    """:func:`login` without holding the database's write lock while the password hash is
    checked (~0.1 s of argon2 by design): a shift of agents logging in at once would
    otherwise queue behind each other's hashes, and on SQLite time out."""
    with UnitOfWork(engine, clock=clock, write=False) as uow:
        user = uow.users.by_username(username)
    good = (
        user is not None and user.active and verify_password(user.password_hash, password, hasher)
    )
    with UnitOfWork(engine, clock=clock) as uow:
        if not good or user is None:
            uow.audit(username, "auth.login_failed", "user", username)
            uow.commit()
            raise AuthError("wrong username or password")
        token = issue_token(uow, user)
        uow.commit()
    return token, user


def user_for_token(uow: UnitOfWork, token: str) -> User:
    row = uow.connection.execute(
        select(auth_tokens.c.user_id, auth_tokens.c.expires_at).where(
            auth_tokens.c.token_hash == _digest(token)
        )
    ).first()
    if row is None or row.expires_at <= uow.clock():
        raise AuthError("unknown or expired token")
    user = uow.users.get(row.user_id)
    if user is None or not user.active:
        raise AuthError("unknown or expired token")
    return user


def logout(uow: UnitOfWork, token: str, actor: str) -> None:
    uow.connection.execute(delete(auth_tokens).where(auth_tokens.c.token_hash == _digest(token)))
    uow.audit(actor, "auth.logout", "user", actor)


def revoke_tokens(uow: UnitOfWork, user: User) -> int:
    """End every session and bearer token of ``user`` (web sessions hold one of these)."""
    result = uow.connection.execute(delete(auth_tokens).where(auth_tokens.c.user_id == user.id))
    return result.rowcount or 0


def update_user(
    uow: UnitOfWork,
    username: str,
    *,
    actor: str,
    active: bool | None = None,
    role: Role | str | None = None,
    password: str | None = None,
    department_id: int | None = None,
    hasher: PasswordHasher | None = None,
    agent_id: str | None = None,
    extension: str | None = None,
) -> User:
    """Deactivate, change the role or set a new password; any of these ends the user's
    sessions at once (their tokens are deleted, and every session is checked against its
    token on each request). A new department applies from the next request (ticket scope
    is read from the user's row). Audited with old and new values (never the password)."""
    user = uow.users.by_username(username)
    if user is None:
        raise LookupError(f"no user {username!r}")
    changes: dict[str, object] = {}
    if active is not None and active != user.active:
        changes["active"] = {"old": user.active, "new": active}
        user.active = active
    if role is not None and Role(role) != user.role:
        changes["role"] = {"old": user.role.value, "new": Role(role).value}
        user.role = Role(role)
    if password is not None:
        user.password_hash = hash_password(password, hasher)
        changes["password"] = "changed"
    revoke = bool(changes)
    if department_id is not None and department_id != user.department_id:
        if uow.departments.get(department_id) is None:
            raise LookupError(f"no department {department_id}")
        changes["department_id"] = {"old": user.department_id, "new": department_id}
        user.department_id = department_id
    # The agent and extension link: "" unlinks. Not a reason to end the user's sessions.
    for name, value in (("agent_id", agent_id), ("extension", extension)):
        if value is not None and (value or None) != getattr(user, name):
            if name == "agent_id" and value:
                holder = uow.users.by_agent(value)
                if holder is not None and holder.username != username:
                    raise ValueError(f"agent {value} is already linked to {holder.username}")
            changes[name] = {"old": getattr(user, name), "new": value or None}
            setattr(user, name, value or None)
    if changes:
        uow.users.save(user)
        if revoke:
            revoke_tokens(uow, user)
        uow.audit(actor, "user.update", "user", username, changes)
    return user
