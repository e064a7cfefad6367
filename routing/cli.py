"""``cti routing import-queues FILE``: turn an app_queue site's ``queues.conf`` into a
routing file (printed, or written with ``-o``), checked by loading it back."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from cti.yamlsource import ConfigError
from routing.config import load_routing
from routing.queues_import import import_queues, to_yaml


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cti routing", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import-queues", help="queues.conf -> routing.yaml")
    imp.add_argument("file", type=Path, help="queues.conf (its #include files are followed)")
    imp.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        text = to_yaml(import_queues(args.file))
        # The output must load as a routing file: check before anyone relies on it.
        with tempfile.TemporaryDirectory() as tmp:
            check = Path(tmp) / "routing.yaml"
            check.write_text(text, encoding="utf-8")
            load_routing(check)
    except ConfigError as exc:
        print(f"cti routing: {exc}", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
