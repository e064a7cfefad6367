from __future__ import annotations

import pytest

from crm.phone import InvalidPhoneNumber, NumberPlan, normalize, normalize_or_none

MOBILE = "8613812345678"
BEIJING = "861088886666"


@pytest.mark.parametrize(
    "raw",
    [
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "0086 138 1234 5678",
        "008613812345678",
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "013812345678",
        "8613812345678",
        "tel:+86-138-1234-5678",
        "（+86）138１２３４５６７８",
        "+86 (138) 1234.5678",
    ],
)
def test_mobile_forms(raw: str) -> None:
    assert normalize(raw).key == MOBILE


@pytest.mark.parametrize(
    "raw",
    [
        "010-88886666",
        "(010) 8888 6666",
        "01088886666",
        "+86 10 8888 6666",
        "+86 (0)10 8888 6666",
        "+86 010 8888 6666",
        "0086-10-88886666",
        "8610 88886666",
        "sip:01088886666@pbx.example",
    ],
)
def test_landline_forms(raw: str) -> None:
    assert normalize(raw).key == BEIJING


@pytest.mark.parametrize(
    ("raw", "ext"),
    [
        ("010-88886666 ext 123", "123"),
        ("010-88886666 ext.123", "123"),
        ("010-88886666 x123", "123"),
        ("010-88886666#123", "123"),
        ("010-88886666转123", "123"),
        ("+86 10 8888 6666 分机 8001", "8001"),
        ("01088886666,123", "123"),
    ],
)
def test_extensions_are_kept_apart(raw: str, ext: str) -> None:
    number = normalize(raw)
    assert number.key == BEIJING
    assert number.extension == ext


def test_local_number_completed_with_area_code() -> None:
    assert normalize("88886666", NumberPlan(area_code="10")).key == BEIJING


def test_other_country_plan() -> None:
    uk = NumberPlan(country_code="44", trunk_prefix="0", international_prefix="00")
    assert normalize("020 7946 0018", uk).key == "442079460018"
    assert normalize("+44 20 7946 0018", uk).key == "442079460018"
    assert normalize("+86 138 1234 5678", uk).key == MOBILE


@pytest.mark.parametrize("raw", ["", "anonymous", "abc123", "12", "+", "1" * 20])
def test_garbage_is_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalize(raw)
    assert normalize_or_none(raw) is None
