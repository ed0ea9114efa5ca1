"""The edge serves the dashboard's own files (no CDN) under a strict CSP, and nothing
outside its folder."""
from __future__ import annotations

import pytest

from tests.support.edge import EdgeProcess, split_response

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def edge():
    process = EdgeProcess({})
    yield process
    process.stop()


def get(edge, path: str):
    return split_response(edge.raw(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                   .encode()))


def test_the_page_its_script_and_the_chart_library_come_from_the_edge(edge):
    status, headers, body = get(edge, "/dashboard/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-eval" not in headers["content-security-policy"]
    assert b"http://" not in body and b"https://" not in body          # nothing from outside
    for path in ("/dashboard/app.js", "/dashboard/i18n.js", "/dashboard/app.css",
                 "/dashboard/vendor/echarts-6.1.0.min.js"):
        status, headers, body = get(edge, path)
        assert status == 200 and len(body) > 1000, path
        assert headers["x-content-type-options"] == "nosniff"
    assert get(edge, "/dashboard")[0] == 302


@pytest.mark.parametrize("path", ["/dashboard/../station/cli.py", "/dashboard/%2e%2e/__init__.py",
                                  "/dashboard/__init__.py", "/dashboard/nothing.js"])
def test_nothing_outside_the_static_folder(edge, path):
    assert get(edge, path)[0] == 404
