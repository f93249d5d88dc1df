"""Two app processes behind nginx (cookie affinity, websockets passed through); one is killed mid-run.

Slow: `python -m pytest -m slow tests/test_replicas.py`. The protocol load test drives visitors through
nginx (tests/e2e/nginx.py has the configuration and why it uses a cookie and not ip_hash). A few seconds in,
one app process is killed with SIGKILL, as a crashed or evicted replica would be. Then:
  - its visitors' websockets drop; they reconnect through nginx, land on the other process and keep working
    (a new session there, rerun with the widget values their frontend still holds);
  - nobody sees an exception, every connection is made or remade, the surviving server logs no traceback;
  - the visitors of the other process are not disturbed: no reconnect, and they keep getting their pages.
Outside CI a missing nginx skips with the reason; with CI set it fails, as a missing Chromium does.
"""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from e2e.harness import Server
from e2e.nginx import Nginx, nginx_path
from e2e.protocol import run_sync

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

SESSIONS, SECONDS, KILL_AFTER = 12, 24.0, 6.0


def _require_nginx() -> None:
    if nginx_path():
        return
    why = "nginx is not installed (apt-get install nginx; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"The replica test must run in CI but cannot: {why}.", pytrace=False)
    pytest.skip(f"Replica test skipped: {why}.")


@pytest.mark.slow
def test_killing_one_of_two_replicas_moves_its_visitors_and_leaves_the_others_alone(tmp_path):
    _require_nginx()
    import load_protocol

    with Server(log_path=tmp_path / "a.log") as a, Server(log_path=tmp_path / "b.log") as b, \
            Nginx([a.port, b.port], tmp_path) as proxy:
        victim, killed_at = f"127.0.0.1:{a.port}", []

        def kill_later():
            def kill():
                killed_at.append(asyncio.get_running_loop().time())
                a.proc.kill()
            asyncio.get_running_loop().call_later(KILL_AFTER, kill)

        report = run_sync(load_protocol.drive(proxy.url, [a, b], SESSIONS, SECONDS, think=(1.0, 2.0),
                                                 arrival=0.2, on_start=kill_later))
    report["errors"] += load_protocol.tracebacks([b.log_path])
    print("\n" + load_protocol.summary(report), f"reconnects {report['reconnects']}")
    assert killed_at, "the replica was never killed"
    assert report["errors"] == [], report["errors"]

    moved = {n: v for n, v in report["visitors"].items() if v["upstreams"][0] == victim}
    stayed = {n: v for n, v in report["visitors"].items() if v["upstreams"][0] != victim}
    assert moved and stayed, f"the cookie sent every visitor to one process: {report['visitors']}"
    for n, v in moved.items():
        assert v["reconnects"] >= 1 and v["upstreams"][-1] == f"127.0.0.1:{b.port}", (n, v)
        assert any(t > killed_at[0] for t in v["done_at"]), f"visitor {n} got no page after moving: {v}"
    for n, v in stayed.items():
        assert v["reconnects"] == 0 and set(v["upstreams"]) == {f"127.0.0.1:{b.port}"}, (n, v)
        assert any(t > killed_at[0] for t in v["done_at"]), f"visitor {n} stopped getting pages: {v}"
