from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from crm.auth import AuthError, create_user, login, logout, user_for_token
from crm.model.organization import Permission, Role
from crm.services.knowledge import add_article, update_article
from crm.services.organization import add_department
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def kb(engine: Engine, clock: FakeClock) -> dict[str, int]:
    with UnitOfWork(engine, clock=clock) as uow:
        ids = {
            "outage": add_article(
                uow,
                actor="kb",
                title="停电怎么办",
                category="power",
                body="遇到停电时，请先检查空气开关，再拨打故障报修电话。",
                lang="zh",
            ).id,
            "settop": add_article(
                uow,
                actor="kb",
                title="机顶盒无信号的处理方法",
                category="cable",
                body="重启机顶盒并检查信号线连接。",
                lang="zh",
            ).id,
            "router": add_article(
                uow,
                actor="kb",
                title="Resetting your broadband router",
                category="network",
                lang="en",
                body="Unplug the router for thirty seconds, then "
                "reconnect. Troubleshooting connectivity issues.",
            ).id,
            "billing": add_article(
                uow,
                actor="kb",
                title="Understanding your bill",
                category="billing",
                lang="en",
                body="Charges, taxes and the broadband line fee.",
            ).id,
        }
        uow.commit()
    return ids


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("停电", "outage"),  # two Chinese characters: shorter than a trigram
        ("机顶盒", "settop"),
        ("无信号", "settop"),  # partial phrase inside a title
        ("空气开关", "outage"),  # inside the body
        ("rout", "router"),  # partial English word
        ("troubleshoot", "router"),
        ("BROADBAND", "router"),  # case-insensitive, title beats body
        ("bill", "billing"),
    ],
)
def test_search_finds_partial_words(
    engine: Engine, kb: dict[str, int], query: str, first: str
) -> None:
    with UnitOfWork(engine, write=False) as uow:
        hits = uow.knowledge.search(query)
    assert hits and hits[0][0].id == kb[first]


def test_search_ranks_and_filters(engine: Engine, kb: dict[str, int], clock: FakeClock) -> None:
    with UnitOfWork(engine, write=False) as uow:
        hits = uow.knowledge.search("broadband")
        assert [a.id for a, _ in hits] == [kb["router"], kb["billing"]]
        assert uow.knowledge.search("broadband", category="billing")[0][0].id == kb["billing"]
        assert uow.knowledge.search("量子") == [] and uow.knowledge.search("？！") == []
        assert uow.knowledge.search("100%_") == []
    with UnitOfWork(engine, clock=clock) as uow:
        update_article(uow, kb["billing"], actor="kb", title="账单说明 Understanding your bill")
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        assert uow.knowledge.search("账单")[0][0].id == kb["billing"]


def test_department_tree_rolls_up(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        head = add_department(uow, actor="admin", code="HQ", name="总部", kind="head_office")
        north = add_department(
            uow, actor="admin", code="N", name="华北区", kind="region", parent_id=head.id
        )
        bj = add_department(
            uow, actor="admin", code="BJ", name="北京", kind="province", parent_id=north.id
        )
        outlet = add_department(
            uow,
            actor="admin",
            code="BJ-1",
            name="朝阳营业厅",
            kind="outlet",
            parent_id=bj.id,
            area="北京/朝阳区",
        )
        south = add_department(
            uow, actor="admin", code="S", name="华南区", kind="region", parent_id=head.id
        )
        uow.commit()
        assert uow.departments.subtree_ids(north.id) == sorted([north.id, bj.id, outlet.id])
        assert uow.departments.ancestor_ids(outlet.id) == [outlet.id, bj.id, north.id, head.id]
        assert south.id not in uow.departments.subtree_ids(north.id)


def test_users_login_and_tokens(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        user = create_user(uow, username="qa1", password="s3cret-pass", role="qa", hasher=FAST)
        uow.commit()
    assert user.password_hash.startswith("$argon2id$") and "s3cret" not in user.password_hash
    assert user.can(Permission.RECORDING_PLAY) and not user.can(Permission.USER_ADMIN)
    with UnitOfWork(engine, clock=clock) as uow:
        with pytest.raises(AuthError):
            login(uow, "qa1", "wrong-password", FAST)
        token, _ = login(uow, "qa1", "s3cret-pass", FAST)
        uow.commit()
    with UnitOfWork(engine, clock=clock) as uow:
        assert user_for_token(uow, token).role is Role.QA
        clock.advance(hours=13)
        with pytest.raises(AuthError):
            user_for_token(uow, token)
        logout(uow, token, "qa1")
        uow.commit()
        actions = [e.action for e in uow.audit_log.query(actor="qa1")]
    assert actions[:1] == ["auth.logout"] and "auth.login" in actions
