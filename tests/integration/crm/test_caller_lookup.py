from __future__ import annotations

import pytest
from sqlalchemy import Engine

from crm.model.customer import Contact, Customer, CustomerKind
from crm.services.customers import add_customer, make_phone
from crm.store import InteractionStore
from crm.uow import UnitOfWork

FORMS_MOBILE = [
    "+8613812345678",
    "+86 138 1234 5678",
    "0086-138-1234-5678",
    "13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "013812345678",
    "8613812345678",
]
FORMS_OFFICE = [
    "010-88886666",
    "(010) 8888 6666",
    "+86 10 8888 6666",
    "+86 (0)10 8888-6666",
    "0086 10 88886666",
    "010-88886666 ext 123",
    "01088886666#123",
    "010 8888 6666 转 8001",
]


@pytest.fixture
def seeded(engine: Engine) -> dict[str, int]:
    with UnitOfWork(engine) as uow:
        person = add_customer(
            uow,
            Customer(
                name="张伟",
                account_number="GD-0001",
                grade="gold",
                tags={"VIP"},
                phones=[make_phone("138-1234-5678", "mobile")],
            ),
            "admin",
        )
        company = add_customer(
            uow,
            Customer(
                name="Acme Logistics 顺达物流",
                kind=CustomerKind.GROUP,
                account_number="GD-0002",
                phones=[make_phone("+86 10 8888 6666 ext 100", "switchboard")],
                contacts=[
                    Contact(name="Li Na", title="IT", phones=[make_phone("+86 139 0000 1111")])
                ],
            ),
            "admin",
        )
        uow.commit()
    return {"person": person, "company": company}


@pytest.mark.parametrize("raw", FORMS_MOBILE)
def test_every_mobile_form_finds_the_customer(
    engine: Engine, seeded: dict[str, int], raw: str
) -> None:
    card = InteractionStore(engine).find_customer_by_phone(raw)
    assert card is not None and card.id == seeded["person"]
    assert card.name == "张伟"


@pytest.mark.parametrize("raw", FORMS_OFFICE)
def test_every_office_form_finds_the_company(
    engine: Engine, seeded: dict[str, int], raw: str
) -> None:
    card = InteractionStore(engine).find_customer_by_phone(raw)
    assert card is not None and card.id == seeded["company"]
    assert card.kind is CustomerKind.GROUP


def test_contact_phone_finds_its_company(engine: Engine, seeded: dict[str, int]) -> None:
    card = InteractionStore(engine).find_customer_by_phone("0086 139-0000-1111")
    assert card is not None and card.id == seeded["company"] and card.contact_id is not None


@pytest.mark.parametrize("raw", ["", None, "anonymous", "+86 139 9999 9999"])
def test_unknown_caller_is_none(engine: Engine, seeded: dict[str, int], raw: str | None) -> None:
    assert InteractionStore(engine).find_customer_by_phone(raw) is None
