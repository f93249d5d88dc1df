"""A visitor without a browser: one Streamlit session driven through the websocket protocol the frontend speaks.

What the browser does, in the same order (read from Streamlit 1.67's server and frontend):
  1. GET /_stcore/health. The server sets the `_streamlit_xsrf` cookie; a proxy in front may set its own
     affinity cookie. Every later request carries the cookies, as a browser's would.
  2. Open ws://host/_stcore/stream offering the subprotocols "streamlit", <the xsrf cookie> and, when
     reconnecting, <the old session id> (Streamlit reads tokens from that header), with Origin and Cookie.
  3. Send BackMsg.rerun_script(ClientState): the query string, the page (its url path on the first load,
     its page_script_hash from the navigation message afterwards) and the widget states.
  4. Read ForwardMsgs until script_finished: new_session opens each run (session id, main script hash),
     navigation lists the pages, deltas carry the elements (path, the script that drew them), page_info_changed
     the query string. Big elements can come back as ref_hash, a reference to a message the client said it
     holds (cached_message_hashes), as the browser's message cache does.

Widgets are addressed by their user key: Streamlit's id of a keyed widget ends in "-<key>". A change sends
every widget state the session has set so far, as the frontend sends all of its widgets' values; on a page
change only the entry script's widgets (the sidebar) keep theirs. A background task reads every message as
it arrives, so a slow consumer never makes the server drop the session.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from urllib.parse import parse_qsl, urlencode, urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

FINISHED_EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
WIRE = {  # element type -> the WidgetState field the frontend fills for it
    "slider": "double_array_value", "number_input": "double_value", "text_area": "string_value",
    "text_input": "string_value", "selectbox": "string_value", "radio": "string_value",
    "multiselect": "string_array_value", "checkbox": "bool_value", "button": "trigger_value",
}
CACHE_AGE = 2          # runs a cached message is kept for, as Streamlit's global.maxCachedMessageAge


def run_sync(coro):
    """asyncio.run(coro), also where this thread already runs an event loop: Playwright's sync API keeps one
    running in the main thread for the whole test session once a browser test has started one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Disconnected(ConnectionError):
    """The websocket closed before the run finished."""


@dataclass
class Widget:
    key: str            # the user key (key= in the app)
    id: str             # Streamlit's element id
    kind: str           # element type: slider, number_input, button ...
    proto: object       # the element's own protobuf (min, max, options, disabled ...)
    main: bool          # drawn by the entry script (app.py's sidebar), so it survives page changes


@dataclass
class Run:
    """One script run as the visitor saw it."""

    status: int = -1                                          # ScriptFinishedStatus
    seconds: float = 0.0                                      # from the BackMsg sent until script_finished
    exceptions: list[str] = field(default_factory=list)       # exception elements shown, "Type: message"
    elements: dict = field(default_factory=dict)              # delta path -> (type, proto or None, script hash)


class ProtocolSession:
    """One visitor. `await s.open("cell")`, `await s.set("seed", 3)`, `await s.goto("gates")`, `await s.close()`."""

    def __init__(self, base_url: str, open_timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.open_timeout = open_timeout
        self.session_id = ""                 # the server's id of this session (kept to offer on reconnect)
        self.main_hash = ""                  # page_script_hash of the entry script
        self.page_hash = ""                  # the page the last run showed
        self.pages: dict[str, str] = {}      # url path ("" for the default page) -> page_script_hash
        self.query = ""                      # the URL's query string, as the browser's address bar holds it
        self.widgets: dict[str, Widget] = {}  # user key -> widget, from the last finished run
        self.states: dict[str, object] = {}  # widget id -> WidgetState proto the session has set
        self.reconnects = 0
        self.upstreams: list[str] = []       # X-Upstream of each websocket handshake, when a proxy adds one
        self._cookies = CookieJar()
        self._http = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                 urllib.request.HTTPCookieProcessor(self._cookies))
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._run = Run()
        self._done: asyncio.Future | None = None
        self._cache: dict[str, tuple[str, int]] = {}   # message hash -> (element type, run number)
        self._runs = 0

    # -- connection -------------------------------------------------------------------------------------

    async def _connect(self) -> None:
        await asyncio.to_thread(self._get, "/_stcore/health")
        cookies = {c.name: c.value for c in self._cookies}
        protocols = ["streamlit", cookies.get("_streamlit_xsrf", "")] + ([self.session_id] if self.session_id else [])
        url = urlsplit(self.base_url)
        self._ws = await connect(
            f"ws://{url.netloc}{url.path}/_stcore/stream", subprotocols=[p for p in protocols if p] or None,
            origin=f"http://{url.netloc}", proxy=None, ping_interval=None, max_size=None,
            open_timeout=self.open_timeout,
            additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else None)
        self.upstreams.append(self._ws.response.headers.get("X-Upstream", ""))
        self._reader = asyncio.create_task(self._read(self._ws))

    def _get(self, path: str) -> None:
        with self._http.open(self.base_url + path, timeout=self.open_timeout) as r:
            r.read()

    async def open(self, page: str = "", timeout: float = 60.0) -> Run:
        """Load the app at /<page> (a page's url path, "" for the default page) and wait for the first run."""
        await self._connect()
        return await self._send(self._client_state(page_name=page), timeout)

    async def reconnect(self, timeout: float = 60.0) -> Run:
        """What the frontend does when the socket drops: connect again, offer the old session id, rerun the page."""
        await self._drop()
        self.reconnects += 1
        await self._connect()
        return await self._send(self._client_state(page_hash=self.page_hash), timeout)

    async def close(self) -> None:
        await self._drop()

    async def _drop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self._ws = self._reader = None

    # -- interactions -----------------------------------------------------------------------------------

    async def set(self, key: str, value, timeout: float = 60.0) -> Run:
        """Change the widget with this user key, as a visitor would, and wait for the run it causes."""
        w = self.widget(key)
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        state = WidgetState(id=w.id)
        wire = WIRE[w.kind]
        if wire == "double_array_value":
            state.double_array_value.data[:] = [float(v) for v in (value if isinstance(value, list) else [value])]
        elif wire == "string_array_value":
            state.string_array_value.data[:] = list(value)
        else:
            setattr(state, wire, value if wire != "double_value" else float(value))
        if wire != "trigger_value":
            self.states[w.id] = state
            self._bind_to_url(w, value)
        return await self._send(self._client_state(page_hash=self.page_hash, extra=[state]), timeout)

    async def click(self, key: str, timeout: float = 60.0) -> Run:
        """Press a button: a trigger sent once, never repeated by later runs."""
        return await self.set(key, True, timeout)

    async def goto(self, page: str, timeout: float = 60.0) -> Run:
        """Follow the sidebar's link to the page at this url path; the sidebar keeps its values."""
        main = {w.id for w in self.widgets.values() if w.main}
        self.states = {i: s for i, s in self.states.items() if i in main}
        keep = {w.proto.query_param_key for w in self.widgets.values() if w.main and w.proto.query_param_key}
        self.query = urlencode([(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True) if k in keep])
        return await self._send(self._client_state(page_hash=self.pages[page]), timeout)

    async def rerun(self, timeout: float = 60.0) -> Run:
        return await self._send(self._client_state(page_hash=self.page_hash), timeout)

    def widget(self, key: str) -> Widget:
        """The widget with this key: drawn by the run in progress (a Cancel button while it waits) or the last."""
        try:
            return self._widgets(self._run.elements).get(key) or self.widgets[key]
        except KeyError:
            raise KeyError(f"no widget with key {key!r} on this page; there are {sorted(self.widgets)}") from None

    def page(self) -> str:
        """The url path of the page the last run showed."""
        return next((p for p, h in self.pages.items() if h == self.page_hash), "")

    def _bind_to_url(self, w: Widget, value) -> None:
        """A widget bound to the URL writes its value into the address bar, as the frontend does."""
        key = getattr(w.proto, "query_param_key", "")
        if key:
            pairs = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True) if k != key]
            values = value if isinstance(value, list) else [value]
            pairs += [(key, f"{v:g}" if isinstance(v, float) else str(v).lower() if isinstance(v, bool) else str(v))
                      for v in values]
            self.query = urlencode(pairs)

    def _client_state(self, page_name: str = "", page_hash: str = "", extra=()):
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_name, cs.page_script_hash = page_name, page_hash
        sent = {s.id for s in extra}
        cs.widget_states.widgets.extend([s for i, s in self.states.items() if i not in sent] + list(extra))
        cs.cached_message_hashes.extend(self._cache)
        cs.context_info.timezone, cs.context_info.locale = "UTC", "en-GB"
        cs.context_info.url = f"{self.base_url}/{page_name}"
        return msg

    async def _send(self, msg, timeout: float) -> Run:
        t = time.perf_counter()
        await self._start(msg)
        return await self.finished(timeout, since=t)

    async def _start(self, msg) -> None:
        if self._ws is None:
            raise Disconnected("not connected")
        self._run, self._done = Run(), asyncio.get_running_loop().create_future()
        try:
            await self._ws.send(msg.SerializeToString())
        except ConnectionClosed as e:
            raise Disconnected(f"the connection was closed: {e}") from None

    async def press(self, key: str) -> None:
        """Press a button and return at once, while its run goes on (a training); `finished()` waits for it."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        await self._start(self._client_state(page_hash=self.page_hash,
                                             extra=[WidgetState(id=self.widget(key).id, trigger_value=True)]))

    async def finished(self, timeout: float = 60.0, since: float | None = None) -> Run:
        """Wait for the run in progress to end (its script_finished message)."""
        try:
            run = await asyncio.wait_for(asyncio.shield(self._done), timeout)
        except TimeoutError:
            raise TimeoutError(f"no script_finished within {timeout:.0f} s") from None
        run.seconds = time.perf_counter() - since if since is not None else 0.0
        return run

    def texts(self) -> list[str]:
        """The words of the run in progress (or the last one): alerts, markdown, toasts, progress bars' text."""
        out = []
        for what, proto, _ in list(self._run.elements.values()):
            text = getattr(proto, {"alert": "body", "markdown": "body", "progress": "text", "toast": "body"}.get(what, ""), None)
            if isinstance(text, str):
                out.append(text)
        return out

    async def until(self, words: str, timeout: float = 30.0) -> str:
        """Wait until the run in progress shows these words; the text that holds them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [t for t in self.texts() if words in t]
            if found:
                return found[-1]
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{words!r} not shown within {timeout:.0f} s; the page shows {self.texts()}")

    # -- the reader -------------------------------------------------------------------------------------

    async def _read(self, ws) -> None:
        try:
            async for data in ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._take(msg)
        except ConnectionClosed:
            pass
        finally:
            if self._done is not None and not self._done.done():
                self._done.set_exception(Disconnected("the server closed the connection"))
                self._done.exception()    # marks it seen: after a timed-out wait nobody may be awaiting it

    def _take(self, msg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self._runs += 1
            self._run.elements.clear()
            self.session_id = msg.new_session.initialize.session_id or self.session_id
            self.main_hash = msg.new_session.main_script_hash
            self.page_hash = msg.new_session.page_script_hash
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta":
            self._element(msg)
        elif kind == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            path = tuple(msg.metadata.delta_path)
            self._run.elements[path] = (cached[0] if cached else "unknown", None, msg.metadata.active_script_hash)
        elif kind == "script_finished":
            self._finish(msg.script_finished)

    def _element(self, msg) -> None:
        kind = msg.delta.WhichOneof("type")
        if kind not in ("new_element", "add_block"):
            return
        path, elements = tuple(msg.metadata.delta_path), self._run.elements
        if path in elements:         # redrawn in place (st.empty): whatever sat inside the old one is gone
            for old in [p for p in elements if len(p) > len(path) and p[:len(path)] == path]:
                del elements[old]
        if kind == "add_block":
            elements[path] = ("block", None, msg.metadata.active_script_hash)
            return
        el = msg.delta.new_element
        what = el.WhichOneof("type")
        proto = getattr(el, what) if what else None
        elements[path] = (what, proto, msg.metadata.active_script_hash)
        if what == "exception" and not proto.is_warning:
            self._run.exceptions.append(f"{proto.type}: {proto.message}"[:300])
        if msg.metadata.cacheable and msg.hash:
            self._cache[msg.hash] = (what, self._runs)

    def _widgets(self, elements: dict) -> dict[str, Widget]:
        widgets = {}
        for what, proto, script in list(elements.values()):
            if what in WIRE and proto is not None and proto.id.count("-") >= 2:
                key = proto.id.split("-", 2)[2]         # "$$ID-<hash>-<user key>"
                if key != "None":
                    widgets[key] = Widget(key, proto.id, what, proto, script == self.main_hash)
        return widgets

    def _finish(self, status: int) -> None:
        if status == FINISHED_EARLY:
            return                       # a rerun replaced this run; the one that replaces it will finish
        self._run.status = status
        self.widgets = self._widgets(self._run.elements)
        self._cache = {h: v for h, v in self._cache.items() if v[1] > self._runs - CACHE_AGE}
        if self._done is not None and not self._done.done():
            self._done.set_result(self._run)
