"""`gridapi-healthcheck`, the container's HEALTHCHECK: answers for /healthz and starts fast
(nothing of the app imported: it runs every 30 s in every container)."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.ops import healthcheck


class _Probe(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    httpd = HTTPServer(("127.0.0.1", 0), _Probe)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_healthy_when_healthz_answers_200(server, monkeypatch):
    assert healthcheck.main(["--url", f"{server}/healthz"]) == 0
    assert healthcheck.main(["--url", f"{server}/elsewhere"]) == 1
    monkeypatch.setenv("GRID_PORT", server.rsplit(":", 1)[1])  # the default URL follows it
    assert healthcheck.main([]) == 0


def test_unhealthy_when_nothing_listens(server):
    closed = server.rsplit(":", 1)[0] + ":1/healthz"
    assert healthcheck.main(["--url", closed, "--timeout", "1"]) == 1


def test_only_http_urls():
    with pytest.raises(SystemExit):
        healthcheck.main(["--url", "file:///etc/passwd"])


def test_imports_nothing_of_the_app():
    code = ("import sys, app.ops.healthcheck; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('fastapi', 'sqlalchemy', 'pydantic', 'starlette')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
