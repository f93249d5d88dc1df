"""Fixtures for the browser tests: the real server on a free loopback port and Debian's Chromium.

Outside CI a missing Chromium or playwright package skips these tests with the reason; with the
environment variable CI set it fails them, so CI can never pass without running a browser.
Screenshots go to a temporary folder, or to $LSTM_VIZ_SHOTS (e.g. LSTM_VIZ_SHOTS=docs to refresh the
README's docs/screenshot.png from this run).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from .harness import Server, browser_missing, install_run_counter, launch_chromium


def _require_browser() -> None:
    why = browser_missing()
    if why is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"Browser tests must run in CI but cannot: {why}.", pytrace=False)
    pytest.skip(f"Browser tests skipped: {why}.")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    _require_browser()
    srv = Server(log_path=tmp_path_factory.mktemp("server") / "streamlit.log")
    srv.start()
    yield srv
    srv.stop()
    # A traceback in the server log means a page crashed even if the browser showed nothing.
    log = srv.log_path.read_text(errors="replace")
    assert "Traceback" not in log, f"The server logged a traceback:\n{srv.log_tail(60)}"


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server.url)
    install_run_counter(context)
    context.set_default_timeout(30_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    folder = os.environ.get("LSTM_VIZ_SHOTS")
    path = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="lstm-viz-shots-"))
    path.mkdir(parents=True, exist_ok=True)
    return path
