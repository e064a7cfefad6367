"""The environment block Asterisk sends when a FastAGI session starts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AgiEnvironment(Mapping[str, str]):
    """The ``agi_*`` variables Asterisk sent first, as a read-only mapping with accessors."""

    variables: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def __getitem__(self, key: str) -> str:
        return self.variables[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.variables)

    def __len__(self) -> int:
        return len(self.variables)

    @property
    def network_script(self) -> str:
        """Path of the ``agi://host/<path>`` URL, query string included (``ivr?lang=zh``)."""
        return self.variables.get("agi_network_script", "")

    @property
    def route(self) -> str:
        """The script name the server dispatches on: the path without query or slashes."""
        return self.network_script.partition("?")[0].strip("/")

    @property
    def query(self) -> Mapping[str, str]:
        """``agi://engine/ivr?lang=zh&x=1`` -> ``{"lang": "zh", "x": "1"}`` (last one wins)."""
        qs = self.network_script.partition("?")[2]
        return MappingProxyType(dict(parse_qsl(qs, keep_blank_values=True)))

    @property
    def args(self) -> tuple[str, ...]:
        """``AGI(agi://..., a, b)`` arguments: ``agi_arg_1``, ``agi_arg_2``... in order."""
        out: list[str] = []
        while (value := self.variables.get(f"agi_arg_{len(out) + 1}")) is not None:
            out.append(value)
        return tuple(out)

    def _get(self, name: str) -> str:
        return self.variables.get(f"agi_{name}", "")

    # Asterisk writes "unknown" for an absent caller ID or DNID; kept verbatim.
    @property
    def request(self) -> str:
        return self._get("request")

    @property
    def channel(self) -> str:
        return self._get("channel")

    @property
    def uniqueid(self) -> str:
        return self._get("uniqueid")

    @property
    def callerid(self) -> str:
        return self._get("callerid")

    @property
    def calleridname(self) -> str:
        return self._get("calleridname")

    @property
    def language(self) -> str:
        return self._get("language")

    @property
    def context(self) -> str:
        return self._get("context")

    @property
    def extension(self) -> str:
        return self._get("extension")

    @property
    def dnid(self) -> str:
        return self._get("dnid")

    @property
    def rdnis(self) -> str:
        return self._get("rdnis")

    @property
    def accountcode(self) -> str:
        return self._get("accountcode")

    @property
    def version(self) -> str:
        return self._get("version")

    @property
    def priority(self) -> int | None:
        text = self._get("priority")
        return int(text) if text.isdigit() else None
