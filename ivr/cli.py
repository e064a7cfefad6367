"""`cti ivr check`, `cti prompts build` and `cti prompts install`: the IVR's commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ivr.wiring import BUNDLED


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    i = sub.add_parser("ivr", help="IVR flows: validate config/ivr/*.yaml")
    i.add_argument("action", choices=["check"])
    i.add_argument("--dir", type=Path, default=BUNDLED / "ivr", help="flow directory")
    i.add_argument("--prompts", type=Path, default=BUNDLED / "prompts",
                   help="prompt texts, to check every prompt a flow plays exists")
    i.add_argument("--config", type=Path, default=None,
                   help="site file, to check the services the flows hand off to")
    p = sub.add_parser("prompts", help="prompt audio: synthesize config/prompts/*.yaml")
    p.add_argument("action", choices=["build", "install"],
                   help="build: synthesize into --out; install: build, then copy into "
                        "Asterisk's sounds directory with a music-on-hold tone")
    p.add_argument("--prompts", type=Path, default=BUNDLED / "prompts")
    p.add_argument("--out", type=Path, default=Path("var/sounds"),
                   help="sounds directory (<out>/<lang>/<id>.wav); Asterisk plays <lang>/<id>")
    p.add_argument("--lang", action="append", default=None, help="only these languages")
    p.add_argument("--only", action="append", default=None, help="only these prompt ids")
    p.add_argument("--jobs", type=int, default=4)
    p.add_argument("--data-dir", type=Path, default=None,
                   help="install: Asterisk's astdatadir (default: read from --asterisk-conf, "
                        "else /var/lib/asterisk); prompts go to <data-dir>/sounds/<lang>/")
    p.add_argument("--asterisk-conf", type=Path, default=Path("/etc/asterisk/asterisk.conf"),
                   help="install: where to read astdatadir from")


def main(args: argparse.Namespace) -> int:
    from cti.yamlsource import ConfigError

    try:
        if args.command == "ivr":
            return _check(args)
        return _install(args) if args.action == "install" else _build(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _check(args: argparse.Namespace) -> int:
    from ivr.loader import load_flows
    from ivr.prompts import load_catalog

    services = None
    if args.config is not None:
        from cti.settings import load_settings

        services = [s.name for s in load_settings(args.config).services]
    catalog = load_catalog(args.prompts) if args.prompts.is_dir() else None
    flows = load_flows(args.dir, prompts=catalog, services=services)
    for f in flows.flows:
        print(f"{f.file}: ok (flow {f.name!r} on route {f.route!r}, {len(f.nodes)} nodes, "
              f"{len(f.prompts())} prompts, languages {', '.join(f.languages)})")
    return 0


def _build(args: argparse.Namespace) -> int:
    from ivr.prompts import PromptBuildError, build_prompts, load_catalog

    try:
        report = build_prompts(load_catalog(args.prompts), args.out, languages=args.lang,
                               only=args.only, jobs=args.jobs)
    except PromptBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out}: {len(report.built)} built, {len(report.cached)} from the cache, "
          f"{len(report.samples)} prompts (8 kHz mono WAV)")
    return 0


def _install(args: argparse.Namespace) -> int:
    from ivr.install import data_dir_from, install
    from ivr.prompts import PromptBuildError, build_prompts, load_catalog

    data_dir = args.data_dir
    if data_dir is None:
        conf = args.asterisk_conf
        data_dir = data_dir_from(conf) if conf.is_file() else Path("/var/lib/asterisk")
    try:
        report = build_prompts(load_catalog(args.prompts), args.out, languages=args.lang,
                               only=args.only, jobs=args.jobs)
        done = install(args.out, data_dir, list(report.samples))
    except (PromptBuildError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{data_dir / 'sounds'}: {len(done.prompts)} prompts installed "
          f"({len(report.built)} synthesized); music on hold: {', '.join(done.moh)}")
    return 0
