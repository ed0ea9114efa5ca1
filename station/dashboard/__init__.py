"""The web dashboard (Chinese first, English on a toggle), served by the edge itself at
/dashboard/: one page, one script, one style sheet and the vendored ECharts, all from
this package (no CDN: a station's network may be offline). The page calls the same
/api/v1 endpoints with the bearer token the log-in returns, so roles, scopes and masking
are the API's; it writes data into the page only as text (textContent), never as HTML.
"""
from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"
PREFIX = "/dashboard"
TYPES = {".html": "text/html; charset=utf-8", ".js": "application/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".txt": "text/plain; charset=utf-8",
         ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json; charset=utf-8"}
# Scripts only from us; no inline script, no eval; the API on the same origin.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "font-src 'self' data:; worker-src 'self'; manifest-src 'self'; "
       "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def is_dashboard(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def asset(path: str) -> tuple[bytes, str] | None:
    """(bytes, content type) of a dashboard file by its URL path; the page for the
    folder itself; None for anything else (no path outside STATIC, no other suffix)."""
    name = path[len(PREFIX):].lstrip("/") or "index.html"
    if "\\" in name or any(part in ("", ".", "..") for part in name.split("/")):
        return None
    target = (STATIC / name).resolve()
    if STATIC.resolve() not in target.parents or target.suffix not in TYPES \
            or not target.is_file():
        return None
    return target.read_bytes(), TYPES[target.suffix]
