"""The real server and a real browser, shared by the browser tests, the load test and the memory script.

`Server` starts `streamlit run app.py` on a free loopback port with its output going to a file, waits for
/_stcore/health and stops it again; `launch_chromium` starts Debian's Chromium through Playwright (never a
downloaded browser); `install_run_counter` / `wait_for_run` tell when Streamlit has finished a script run,
by counting the server's script-finished messages in the page itself.
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

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


# Counts finished script runs in the page by reading Streamlit's own messages: every run ends with a
# ForwardMsg whose field 6 (script_finished) is set; status 2 means "stopped early for a rerun" and is not
# counted. The app's DOM cannot tell: a fast run can start and finish within one React render.
RUN_COUNTER = """
(() => {
  if (window.__runs !== undefined) return;
  window.__runs = 0;
  window.__log = [];
  const finished = (buf) => {            // scan the top-level fields of one ForwardMsg
    const b = new Uint8Array(buf);
    let i = 0;
    const varint = () => { let v = 0, s = 0, c; do { c = b[i++]; v += (c & 0x7f) * 2 ** s; s += 7; } while (c & 0x80 && i < b.length); return v; };
    while (i < b.length) {
      const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) { const v = varint(); if (field === 6) return v; }
      else if (wire === 2) { const n = varint(); i += n; }   // not i += varint(): that reads i first
      else if (wire === 1) { i += 8; } else if (wire === 5) { i += 4; } else { return null; }
    }
    return null;
  };
  const Native = window.WebSocket;
  window.__sent = 0;                     // when the page last sent the server something (a rerun request)
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        if (!(ev.data instanceof ArrayBuffer)) return;
        const status = finished(ev.data);
        if (status === null) return;
        const now = performance.now();
        window.__log.push([Math.round(now), status, Math.round(now - window.__sent)]);   // [t, status, server ms]
        if (status !== 2) window.__runs++;
      });
    }
    send(data) { window.__sent = performance.now(); return super.send(data); }
  };
})();
"""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'


def install_run_counter(context_or_page) -> None:
    context_or_page.add_init_script(RUN_COUNTER)


def runs(page) -> int:
    return page.evaluate("window.__runs || 0")


SETTLE = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"   # let React draw the run


def wait_for_run(page, before: int, timeout: float = 30_000) -> None:
    """Wait until a script run that started after `before` runs were counted has finished and is drawn."""
    page.wait_for_function(f"(window.__runs || 0) > {before}", timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)
    page.evaluate(SETTLE)


def goto(page, url: str, timeout: float = 60_000) -> None:
    """Open a URL and wait until the app's first run has finished."""
    page.goto(url, timeout=timeout)
    page.wait_for_function("(window.__runs || 0) > 0", timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)
    page.evaluate(SETTLE)
