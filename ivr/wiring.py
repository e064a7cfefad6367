"""Build the engine's IVR from the site: flows, prompt catalog, services, CRM, speech.

Flows are read from ``<site dir>/ivr`` and prompts from ``<site dir>/prompts`` when the
settings came from a file; otherwise (tests, the demo) from the repository's ``config/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ivr.adapter import FlowIvr
from ivr.crm import StoreDirectory
from ivr.flow import FlowSet
from ivr.loader import load_flows
from ivr.prompts import load_catalog
from ivr.speech import ModelCache

BUNDLED = Path(__file__).resolve().parent.parent / "config"


def config_dirs(settings: Any) -> tuple[Path, Path]:
    """(flows directory, prompts directory) for these settings."""
    source = Path(str(getattr(settings, "source", "")))
    base = source.parent if source.is_file() and (source.parent / "ivr").is_dir() else BUNDLED
    return base / "ivr", base / "prompts"


def site_flows(settings: Any) -> FlowSet:
    flows_dir, prompts_dir = config_dirs(settings)
    catalog = load_catalog(prompts_dir) if prompts_dir.is_dir() else None
    services = [s.name for s in settings.services] if settings.services else None
    return load_flows(flows_dir, prompts=catalog, services=services)


def build_ivr(settings: Any, model: Any, bus: Any, *, clock: Callable[[], float] = time.time,
              crm_store: Any = None, speech_cache: ModelCache | None = None) -> FlowIvr:
    return FlowIvr(
        site_flows(settings), model, bus, clock=clock,
        crm=StoreDirectory(crm_store) if crm_store is not None else None,
        services={s.name: s for s in settings.services},
        speech_cache=speech_cache,
        record_dir=Path(settings.recordings_dir) / "ivr-speech",
    )
