from __future__ import annotations

from pathlib import Path

import pytest

from recordings.names import UnsafeName, check_name, resolve, segment_name


def test_names_from_call_ids() -> None:
    assert segment_name("1795498539.3", 1) == "1795498539.3-1.wav"
    assert segment_name("1795498539.3", 2, "caller") == "1795498539.3-2-caller.wav"
    assert segment_name("../../x", 1) == ".._.._x-1.wav"
    with pytest.raises(UnsafeName):
        check_name(segment_name("../../x", 1))  # a leading dot is never ours


@pytest.mark.parametrize("name", ["..", "../etc/passwd", "/etc/passwd", "a/../../b.wav",
                                  ".hidden.wav", "a\\..\\b.wav", "x..wav", "", "a\x00.wav"])
def test_escaping_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnsafeName):
        resolve(tmp_path, name)


def test_a_good_name_stays_inside(tmp_path: Path) -> None:
    assert resolve(tmp_path, "1795498539.3-1.wav") == tmp_path.resolve() / "1795498539.3-1.wav"
