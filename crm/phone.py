"""Phone numbers: turn a caller ID in any common written form into one lookup key.

The key is the E.164 number as digits without the plus sign (``8613812345678``), plus the
extension kept apart. Customers' numbers are stored under that key, so caller-ID lookup is a
single indexed equality match whatever form the trunk or the agent typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EXTENSION = re.compile(
    r"(?:\s*(?:ext\.?|extension|x|#|转|分机|,|;|p|w)\s*)(\d{1,8})\s*$", re.IGNORECASE
)
_URI_SCHEME = re.compile(r"^\s*(?:tel:|sip:|sips:)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-./()\[\]\u00a0\u3000\u2010-\u2015（）－]")
_OPTIONAL_TRUNK = re.compile(r"\(0\)")
_FULLWIDTH = str.maketrans("０１２３４５６７８９＋", "0123456789+")


@dataclass(frozen=True)
class NumberPlan:
    """Where the engine sits: decides how national and local numbers are completed.

    Defaults are mainland China: country code 86, trunk prefix 0, international prefix 00.
    ``area_code`` (without the trunk 0) completes short local numbers when set.
    """

    country_code: str = "86"
    trunk_prefix: str = "0"
    international_prefix: str = "00"
    area_code: str | None = None
    local_lengths: tuple[int, ...] = (7, 8)


@dataclass(frozen=True)
class PhoneNumber:
    key: str
    extension: str | None = None


class InvalidPhoneNumber(ValueError):
    def __init__(self, raw: str) -> None:
        super().__init__(f"not a phone number: {raw!r}")
        self.raw = raw


def normalize(raw: str, plan: NumberPlan | None = None) -> PhoneNumber:
    """Return the lookup key and extension of ``raw``; raise InvalidPhoneNumber if none."""
    plan = plan or NumberPlan()
    text = _URI_SCHEME.sub("", raw.translate(_FULLWIDTH)).split("@", 1)[0]
    extension = None
    match = _EXTENSION.search(text)
    if match and _digits(text[: match.start()]):
        extension = match.group(1)
        text = text[: match.start()]
    text = _OPTIONAL_TRUNK.sub("", text)
    text = _SEPARATORS.sub("", text)
    if not text or not re.fullmatch(r"\+?\d+", text):
        raise InvalidPhoneNumber(raw)
    key = _international(text, plan)
    if not 5 <= len(key) <= 15:
        raise InvalidPhoneNumber(raw)
    return PhoneNumber(key=key, extension=extension)


def normalize_or_none(raw: str | None, plan: NumberPlan | None = None) -> PhoneNumber | None:
    if not raw:
        return None
    try:
        return normalize(raw, plan)
    except InvalidPhoneNumber:
        return None


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _international(text: str, plan: NumberPlan) -> str:
    cc = plan.country_code
    if text.startswith("+"):
        return _drop_trunk_after_cc(text[1:], plan)
    if plan.international_prefix and text.startswith(plan.international_prefix):
        return _drop_trunk_after_cc(text[len(plan.international_prefix) :], plan)
    if plan.trunk_prefix and text.startswith(plan.trunk_prefix):
        return cc + text[len(plan.trunk_prefix) :]
    if cc == "86" and len(text) == 11 and text[0] == "1" and text[1] in "3456789":
        return cc + text  # a mainland mobile written without country code
    if text.startswith(cc) and len(text) - len(cc) >= 9:
        return text  # country code written without + or 00, as some trunks send it
    if plan.area_code and len(text) in plan.local_lengths:
        return cc + plan.area_code + text
    return cc + text


def _drop_trunk_after_cc(digits: str, plan: NumberPlan) -> str:
    # "+86 010 ..." is a common mistake; the trunk 0 never follows a country code.
    cc = plan.country_code
    if digits.startswith(cc + plan.trunk_prefix) and plan.trunk_prefix:
        return cc + digits[len(cc) + len(plan.trunk_prefix) :]
    return digits
