"""Issue 16, Hardening: the body size is capped at the server before it is read.

The real server (waitress with townbrain/server.py's options, as `townbrain serve`
runs it) answers a 200 MB body 413 at once, without reading it; the API's own caps
answer a too-large report or batch with the GeoReport error body.
"""
from __future__ import annotations

import socket
import time

import psutil
import pytest
import requests
from flask import Flask, request

from tests.intake.conftest import report, served_intake
from townbrain.server import MAX_BODY


@pytest.fixture
def served(tmp_path):
    app = Flask("caps")

    @app.post("/_dash-update-component")
    def callback():  # stands in for Dash: reads the whole body
        return {"read": len(request.get_data())}

    with served_intake(tmp_path, app) as (_state, key, base, port):
        app.intake_key = key
        yield app, base.rsplit("/open311/v2", 1)[0], port


def _raw_post(port: int, path: str, length: int, send: int) -> tuple[bytes, float]:
    """POST declaring ``length`` bytes, send ``send`` of them, return the answer and its time."""
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {length}\r\n\r\n".encode())
        try:
            s.sendall(b"{" + b" " * (send - 1))
        except OSError:
            pass  # the server may have answered and closed already
        answer = s.recv(4096)
    return answer, time.perf_counter() - t0


@pytest.mark.parametrize("path", ["/open311/v2/requests.json", "/_dash-update-component"])
def test_a_200_mb_body_is_refused_at_once_without_being_read(served, path):
    _app, _base, port = served
    rss0 = psutil.Process().memory_info().rss
    answer, took = _raw_post(port, path, 200 * 1024 * 1024, 256 * 1024)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert took < 2.0
    assert psutil.Process().memory_info().rss - rss0 < 20 * 1024 * 1024


def test_a_legitimate_callback_body_passes(served):
    _app, base, _port = served
    resp = requests.post(base + "/_dash-update-component", data=b"x" * (MAX_BODY // 2), timeout=10)
    assert resp.status_code == 200 and resp.json()["read"] == MAX_BODY // 2


def test_api_caps_answer_with_the_georeport_body(served):
    app, base, _port = served
    url = base + "/open311/v2/requests.json"
    big = requests.post(url, json=report(api_key=app.intake_key, description="x" * 100_000), timeout=10)
    assert big.status_code == 413 and "over the limit of 65536 bytes" in big.json()[0]["description"]
    ok = requests.post(base + "/open311/v2/requests/batch.json", timeout=10,
                       json={"api_key": app.intake_key, "requests": [report(description="摊贩" * 100)] * 500})
    assert ok.status_code == 201 and len(ok.json()) == 500
