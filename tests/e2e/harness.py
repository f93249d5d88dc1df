"""The real server and a real browser, shared by the browser tests, the load test and the memory script.

`Server` starts `streamlit run app.py` on a free loopback port with its output going to a file, waits for
/_stcore/health and stops it again; `launch_chromium` starts Debian's Chromium through Playwright (never a
downloaded browser); `install_run_counter` / `wait_for_run` tell when Streamlit has finished a script run,
by counting the app's running -> notRunning transitions in the page itself.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m streamlit run app.py` on 127.0.0.1:<free port>, output to `log_path`."""

    def __init__(self, log_path: str | Path | None = None, port: int | None = None, root: Path = ROOT):
        self.root = root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkdtemp(prefix="lstm-viz-server-")) / "server.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Server:
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1",
               "--server.port", str(self.port)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"The server exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"The server did not answer /_stcore/health within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    def _status(self, field: str) -> int:
        """A memory figure of the server process from /proc, in bytes (VmRSS now, VmHWM peak)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"{field} not in /proc/{self.proc.pid}/status")

    def rss(self) -> int:
        return self._status("VmRSS")

    def peak_rss(self) -> int:
        return self._status("VmHWM")


def chromium_path() -> str | None:
    """$CHROMIUM, else /usr/bin/chromium, else chromium on PATH; None when there is none."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -r requirements-test.txt)"
    if chromium_path() is None:
        return "no Chromium found at $CHROMIUM or /usr/bin/chromium (apt-get install chromium)"
    return None


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)


# Counts finished script runs in the page: Streamlit sets data-test-script-state on the stApp element to
# "running" while the script runs and back to "notRunning" when it is done.
RUN_COUNTER = """
(() => {
  if (window.__runs !== undefined) return;
  window.__runs = 0;
  new MutationObserver(ms => {
    for (const m of ms) {
      const s = m.target.getAttribute('data-test-script-state');
      (window.__log = window.__log || []).push([Math.round(performance.now()), m.oldValue, s]);
      if (s === 'notRunning' && m.oldValue === 'running') window.__runs++;
    }
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
})();
"""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'


def install_run_counter(context_or_page) -> None:
    context_or_page.add_init_script(RUN_COUNTER)


def runs(page) -> int:
    return page.evaluate("window.__runs || 0")


def wait_for_run(page, before: int, timeout: float = 30_000) -> None:
    """Wait until a script run that started after `before` runs were counted has finished."""
    page.wait_for_function(f"(window.__runs || 0) > {before}", timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)


def goto(page, url: str, timeout: float = 60_000) -> None:
    """Open a URL and wait until the app's first run has finished."""
    page.goto(url, timeout=timeout)
    page.wait_for_function("(window.__runs || 0) > 0", timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)
