"""`cti prompts build` (espeak-ng + sox, cached by content) and `cti ivr check`."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

from ivr.prompts import build_prompts, installed_sounds, load_catalog
from tests.unit.ivr.helpers import PROMPTS, REPO

CTI = [sys.executable, "-m", "cti.cli"]


def test_build_synthesizes_8khz_mono_and_caches_by_content(tmp_path: Path) -> None:
    catalog = {"welcome": {"zh": "您好，欢迎致电。", "en": "Hello."},
               "goodbye": {"zh": "再见。", "en": "Goodbye."}}
    first = build_prompts(catalog, tmp_path)
    assert sorted(first.built) == ["en/goodbye", "en/welcome", "zh/goodbye", "zh/welcome"]
    with wave.open(str(tmp_path / "zh" / "welcome.wav"), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() > 4000
    again = build_prompts(catalog, tmp_path)
    assert again.built == [] and len(again.cached) == 4
    catalog["goodbye"]["en"] = "Goodbye, and thank you."
    changed = build_prompts(catalog, tmp_path)
    assert changed.built == ["en/goodbye"]
    assert installed_sounds(tmp_path)["en/goodbye"] == changed.samples["en/goodbye"]


def test_cli_prompts_build_and_ivr_check(tmp_path: Path) -> None:
    out = subprocess.run([*CTI, "prompts", "build", "--out", str(tmp_path), "--only",
                          "welcome", "--only", "main-menu"], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "4 built" in out.stdout and (tmp_path / "en" / "main-menu.wav").is_file()
    ok = subprocess.run([*CTI, "ivr", "check"], capture_output=True, text=True, cwd=REPO,
                        timeout=60)
    assert ok.returncode == 0 and "hotline.yaml: ok" in ok.stdout, ok.stderr
    flows = tmp_path / "flows"
    flows.mkdir()
    text = (REPO / "config" / "ivr" / "basic.yaml").read_text(encoding="utf-8")
    (flows / "basic.yaml").write_text(text.replace('"2": to-repair', '"2": to-repiar'),
                                      encoding="utf-8")
    bad = subprocess.run([*CTI, "ivr", "check", "--dir", str(flows)], capture_output=True,
                         text=True, cwd=REPO, timeout=60)
    assert bad.returncode == 1
    line = 1 + text.splitlines().index('      "2": to-repair')
    assert f"{flows / 'basic.yaml'}:{line}: nodes.main-menu.options.2: goes to unknown " \
           "node 'to-repiar'" in bad.stderr


def test_every_bundled_prompt_has_both_languages() -> None:
    catalog = load_catalog(PROMPTS)
    assert all(set(t) >= {"zh", "en"} and all(t.values()) for t in catalog.values())
