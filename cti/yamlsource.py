"""YAML loading that remembers where every value came from.

Validation errors must name the file and the line, so values are read from PyYAML's
node graph (which carries marks) instead of from plain ``safe_load`` output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """A broken configuration, with where it is broken."""

    def __init__(self, file: str, line: int, path: str, message: str) -> None:
        self.file, self.line, self.path, self.message = file, line, path, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {path}: {message}" if path else f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class Located:
    """A YAML value with its origin."""

    value: Any
    file: str
    line: int
    path: str

    def error(self, message: str) -> ConfigError:
        return ConfigError(self.file, self.line, self.path, message)

    # -- navigation -----------------------------------------------------------------
    def get(self, key: str) -> Located | None:
        if not isinstance(self.value, dict):
            raise self.error("expected a mapping")
        return self.value.get(key)

    def req(self, key: str) -> Located:
        item = self.get(key)
        if item is None:
            raise self.error(f"missing required key {key!r}")
        return item

    def items(self) -> list[tuple[str, Located]]:
        if not isinstance(self.value, dict):
            raise self.error("expected a mapping")
        return list(self.value.items())

    def list(self) -> list[Located]:
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.error("expected a list")
        return list(self.value)

    def keys_within(self, allowed: set[str]) -> None:
        for key, item in self.items():
            if key not in allowed:
                raise item.error(f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")

    # -- scalars --------------------------------------------------------------------
    def str(self) -> str:
        if (
            isinstance(self.value, bool)
            or self.value is None
            or isinstance(self.value, list | dict)
        ):
            raise self.error("expected a string")
        return str(self.value)

    def int(self, lo: int | None = None, hi: int | None = None) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.error(f"expected a whole number, got {self.value!r}")
        if (lo is not None and self.value < lo) or (hi is not None and self.value > hi):
            raise self.error(f"{self.value} is outside {lo}..{hi}")
        return self.value

    def float(self, lo: float | None = None) -> float:
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise self.error(f"expected a number, got {self.value!r}")
        if lo is not None and self.value < lo:
            raise self.error(f"{self.value} is below {lo}")
        return float(self.value)

    def bool(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {self.value!r}")
        return self.value

    def plain(self) -> Any:
        """The value with marks stripped, for free-form sections."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def _convert(node: yaml.Node, file: str, path: str) -> Located:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Located] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                raise ConfigError(
                    file, key_node.start_mark.line + 1, path, f"duplicate key {key!r}"
                )
            child = f"{path}.{key}" if path else key
            out[key] = _convert(value_node, file, child)
        return Located(out, file, line, path)
    if isinstance(node, yaml.SequenceNode):
        items = [_convert(n, file, f"{path}[{i}]") for i, n in enumerate(node.value)]
        return Located(items, file, line, path)
    # Resolve scalars with the safe constructor so "5038" is an int and "yes" a string.
    loader = yaml.SafeLoader("")
    try:
        scalar = loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
    return Located(scalar, file, line, path)


def load_yaml(path: Path | str) -> Located:
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(file, 0, "", f"cannot read: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ConfigError(file, line, "", f"invalid YAML: {exc.problem}") from None
    if node is None:
        raise ConfigError(file, 1, "", "the file is empty")
    return _convert(node, file, "")
