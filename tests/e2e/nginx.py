"""nginx in front of several app processes on loopback, configured as the README tells an operator to.

Streamlit keeps a visitor's session in one process, so a proxy must send every request of a visitor to the
same process (sticky sessions) and pass the websocket through. Open-source nginx has no `sticky` directive
(that is NGINX Plus), so the affinity is the common recipe: nginx gives each new visitor a random route key
in a cookie and picks the upstream by `hash $route_key consistent`. ip_hash would do on the internet but
not here: every test client comes from 127.0.0.1, and so would every visitor behind one NAT or one
corporate proxy (a whole lecture hall on the campus network). When a process dies, nginx marks it failed
and rehashes its visitors to the ones left; their frontends reconnect and get a new session there.

    with Nginx([8601, 8602], log_dir) as proxy:
        proxy.url                   # http://127.0.0.1:<port>; each websocket's handshake says X-Upstream
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Self

from .harness import free_port

COOKIE = "lstm_viz_route"

CONFIG = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log notice;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;

    # websockets: pass the Upgrade through, close plain requests' upstream connections as usual
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # affinity: a visitor's route key is their cookie, or a fresh random one (set below) on the first request
    map $cookie_{cookie} $route_key {{ '' $request_id; default $cookie_{cookie}; }}

    upstream lstm_viz {{
        hash $route_key consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://lstm_viz;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;      # a session's websocket is quiet while its visitor reads
            proxy_send_timeout 1h;
            add_header Set-Cookie "{cookie}=$route_key; Path=/; HttpOnly; SameSite=Lax" always;
            add_header X-Upstream $upstream_addr always;   # for the test: which process served this
        }}
    }}
}}
"""


def nginx_path() -> str | None:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class Nginx:
    """`nginx -c <conf>` in the foreground on a free loopback port, in front of the given upstream ports."""

    def __init__(self, upstream_ports: list[int], log_dir: Path):
        self.dir = Path(log_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstream_ports)
        self.conf = self.dir / "nginx.conf"
        self.conf.write_text(CONFIG.format(dir=self.dir, cookie=COOKIE, servers=servers, port=self.port))
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> Self:
        exe = nginx_path()
        if exe is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.proc = subprocess.Popen([exe, "-p", str(self.dir), "-e", str(self.dir / "error.log"),
                                      "-c", str(self.conf)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}:\n{self.error_log()}")
            try:
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                        self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"nginx did not pass /_stcore/health through within {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)     # fast: a graceful stop would wait for open websockets
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def error_log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else "(no error log)"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
