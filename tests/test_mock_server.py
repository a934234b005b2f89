"""The mock server as a process and as an HTTP endpoint: its command line, and hostile requests
(answered with JSON errors, never a traceback)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

from harness.mock.server import MockServer

# --- CLI ------------------------------------------------------------------------------------------


def test_cli_prints_url_serves_and_exits_cleanly_on_ctrl_c() -> None:
    code = "from harness.cli.mock import mock_server; mock_server()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--policy", "oracle", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        with urllib.request.urlopen(url + "/models", timeout=5) as resp:
            assert resp.status == 200
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err


def test_cli_rejects_unknown_policy() -> None:
    from click.testing import CliRunner

    from harness.cli.mock import mock_server

    result = CliRunner().invoke(mock_server, ["--policy", "genius"])
    assert result.exit_code == 2 and "replay:FILE" in result.output


# ---------------------------------------------------------------- hostile requests (raw HTTP)
def _raw(server: MockServer, body: bytes | None, headers: dict[str, str]) -> tuple[int, dict]:
    import http.client

    host, port = server.base_url.split("//")[1].split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("POST", "/v1/chat/completions")
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        if body:
            conn.send(body)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_mock_server_answers_hostile_requests_with_json_errors(capfd):
    def post(body: bytes) -> tuple[int, dict]:
        return _raw(server, body, {"Content-Type": "application/json",
                                   "Content-Length": str(len(body))})

    with MockServer("oracle") as server:
        for body in (b"{not json", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b"[1, 2]",
                     b'{"messages": 5}', b'{"messages": [{"content": 7}]}',
                     b'{"messages": [], "max_tokens": "many"}', b'{"stream": "yes"}',
                     b'{"messages": ["x"]}', b'{"model": {"a": 1}}'):
            status, payload = post(body)
            assert status == 400, (body[:40], payload)
            assert payload["error"]["type"] == "invalid_request_error"
        status, payload = _raw(server, None, {"Content-Length": str(100 << 20)})
        assert status == 413 and "MiB" in payload["error"]["message"]
        status, payload = _raw(server, None, {"Content-Length": "lots"})
        assert status == 400
        status, payload = _raw(server, b"{}", {"Content-Length": "-5"})
        assert status == 400
        status, payload = post(json.dumps({"messages": [{"role": "user",
                                                         "content": "fn_a"}]}).encode())
        assert status == 200  # still serving
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
