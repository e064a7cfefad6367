"""``/static/{name}``: the toolkit's files, the vendored libraries (htmx, ECharts) and
every feature's ``static/`` folder (so a page's script needs no route of its own).

A fixed map read at start: no request path ever reaches the file system. File names are
unique across the packages (tests/unit/test_webkit.py checks).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from cti.webkit.i18n import package_dirs

HERE = Path(__file__).parent / "static"
SUFFIXES = (".js", ".css", ".txt")


def static_files() -> dict[str, Path]:
    """name -> file; the toolkit's own folder wins over a feature's."""
    folders = [HERE] + [
        p
        for root in package_dirs()
        for p in sorted(root.rglob("static"))
        if p.is_dir() and p != HERE and "__pycache__" not in p.parts
    ]
    out: dict[str, Path] = {}
    for folder in folders:
        for f in sorted(folder.iterdir()):
            if f.suffix in SUFFIXES:
                out.setdefault(f.name, f)
    return out


FILES = static_files()


async def static(request: web.Request) -> web.FileResponse:
    path = FILES.get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    resp = web.FileResponse(path)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-cache"
    return resp
