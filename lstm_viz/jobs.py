"""Training that shares the machine: at most k runs at once, a first-come queue for the rest, finished runs cached.

Layer: engine side, pure Python (threading, multiprocessing, weakref, collections, os). Imports nothing else of
the app and never streamlit; lstm_viz/ui/queue.py shows the queue on a page.

Streamlit runs every visitor's script in a thread of one process, and a training run holds a core for up to
a minute, so without a limit ten students pressing "Start training" take every core from everyone else.

    slots = TrainingSlots(k=2)
    ticket = slots.request()       # a slot at once while fewer than k hold one, else a place in the queue
    ticket.position                # 0 once it holds a slot, else 1, 2, ... (1 = next), -1 once it has left
    ticket.wait(timeout)           # True once it holds a slot
    ticket.release()               # give the slot back or leave the queue; so do `with ticket:` and dropping
                                   # the last reference (a visitor who leaves: their script's frame goes away)

    cache = RunCache(max_entries=64)
    result, ticket = ask(recipe, slots, cache)   # a cached result (no ticket, no wait) or a ticket to wait on

    for progress in elsewhere(train, task="adding"):   # the run itself, in a child process at lower priority

k is LSTM_VIZ_TRAINING_SLOTS when set, else the number of cores this process may run on (its CPU affinity,
which is what a container's cpuset gives it). The cache holds finished runs by their recipe: a frozen,
hashable description of everything that decides the result (lstm_viz.train.TrainConfig is one), so a
seeded recipe gives the same numbers every time and the second student asking for it gets it at once.
LSTM_VIZ_TRAINING_CACHE sets how many it keeps (default 64; the least recently used goes first).
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Hashable
from typing import Self

SLOTS_ENV = "LSTM_VIZ_TRAINING_SLOTS"
CACHE_ENV = "LSTM_VIZ_TRAINING_CACHE"
POLL = 0.25        # seconds a waiter sleeps at most before looking for tickets dropped without a release


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:             # not on Linux
        return os.cpu_count() or 1


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1; it is {raw!r}.")
    return int(raw)


class TrainingSlots:
    """At most k holders at once; the rest wait first come, first served. Thread-safe."""

    def __init__(self, k: int | None = None):
        self.k = k if k is not None else _env_int(SLOTS_ENV, cores())
        if self.k < 1:
            raise ValueError(f"At least one training slot is needed; got {self.k}.")
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._holders: set[int] = set()    # serials of tickets that hold a slot
        self._queue: deque[int] = deque()  # serials of waiting tickets, the next in line first
        self._serials = itertools.count(1)
        # Serials of tickets garbage-collected without a release. A finalizer may run in any thread at any
        # allocation, even inside this class's own locked code, so it only appends here (deque.append is
        # atomic) and the slot is freed the next time anyone asks or a waiter wakes.
        self._dropped: deque[int] = deque()

    def request(self) -> Ticket:
        """A ticket that holds a slot at once if one is free, else waits at the end of the queue."""
        with self._lock:
            self._reap()
            serial = next(self._serials)
            self._queue.append(serial)
            self._admit()
        return Ticket(self, serial)

    @property
    def running(self) -> int:
        with self._lock:
            self._reap()
            return len(self._holders)

    @property
    def waiting(self) -> int:
        with self._lock:
            self._reap()
            return len(self._queue)

    # -- used by Ticket ---------------------------------------------------------------------------------

    def _position(self, serial: int) -> int:
        with self._lock:
            self._reap()
            if serial in self._holders:
                return 0
            try:
                return self._queue.index(serial) + 1
            except ValueError:
                return -1

    def _wait(self, serial: int, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                self._reap()
                if serial in self._holders:
                    return True
                if serial not in self._queue:
                    return False                     # released or cancelled meanwhile
                left = POLL if deadline is None else min(POLL, deadline - time.monotonic())
                if left <= 0:
                    return False
                self._changed.wait(left)

    def _leave(self, serial: int) -> None:
        with self._lock:
            self._drop(serial)
            self._reap()

    # -- with the lock held -----------------------------------------------------------------------------

    def _drop(self, serial: int) -> None:
        self._holders.discard(serial)
        try:
            self._queue.remove(serial)
        except ValueError:
            pass
        self._admit()

    def _reap(self) -> None:
        while self._dropped:
            self._drop(self._dropped.popleft())

    def _admit(self) -> None:
        while self._queue and len(self._holders) < self.k:
            self._holders.add(self._queue.popleft())
        self._changed.notify_all()


class Ticket:
    """A place in the queue, then a slot. Release it once (again is harmless); dropping it releases it too."""

    def __init__(self, slots: TrainingSlots, serial: int):
        self._slots = slots
        self.serial = serial
        self._finalizer = weakref.finalize(self, slots._dropped.append, serial)

    @property
    def position(self) -> int:
        """0 while it holds a slot, 1 for the next in line, 2 ..., -1 once released or cancelled."""
        return self._slots._position(self.serial)

    @property
    def admitted(self) -> bool:
        return self.position == 0

    def wait(self, timeout: float | None = None) -> bool:
        """Block until it holds a slot (True) or the timeout passes or it was cancelled (False)."""
        return self._slots._wait(self.serial, timeout)

    def release(self) -> None:
        """Give the slot back, or leave the queue; the next in line is admitted."""
        if self._finalizer.detach() is not None:
            self._slots._leave(self.serial)

    cancel = release

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class RunCache:
    """Finished runs by recipe, at most max_entries, the least recently used dropped first. Thread-safe."""

    def __init__(self, max_entries: int | None = None):
        self.max_entries = max_entries if max_entries is not None else _env_int(CACHE_ENV, 64)
        self._lock = threading.Lock()
        self._runs: OrderedDict = OrderedDict()

    def get(self, recipe: Hashable):
        with self._lock:
            if recipe not in self._runs:
                return None
            self._runs.move_to_end(recipe)
            return self._runs[recipe]

    def put(self, recipe: Hashable, result) -> None:
        hash(recipe)                     # an unhashable recipe fails here, not at some later lookup
        with self._lock:
            self._runs[recipe] = result
            self._runs.move_to_end(recipe)
            while len(self._runs) > self.max_entries:
                self._runs.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)

    def __contains__(self, recipe) -> bool:
        with self._lock:
            return recipe in self._runs


def ask(recipe: Hashable, slots: TrainingSlots | None = None, cache: RunCache | None = None):
    """(cached result, None) when this recipe has run before, else (None, a ticket in the queue)."""
    slots, cache = slots or shared_slots(), cache or shared_cache()
    found = cache.get(recipe)
    if found is not None:
        return found, None
    return None, slots.request()


NICE = 10          # how much lower a training process's CPU priority is than the server's (0-19)


def elsewhere(fn, /, *args, nice: int = NICE, **kwargs):
    """Run the generator fn(*args, **kwargs) in a child process at lower CPU priority; yield what it yields.

    The server runs every visitor's page in threads of one Python process, and Python runs one thread at a
    time: a training loop there takes turns with every page render (measured: 40 visitors' p95 went from
    1.0 s to 2.8 s while two trainings ran). In a child process training has an interpreter of its own, and
    `nice` lets the operating system give the cores to the server first. fn and the items must pickle
    (fn importable by name). Closing this generator early (Stop, a visitor who left) ends the child; an
    exception in the child is raised here.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")   # a clean process to fork from, not the threaded server
        # Import once in the fork server what every child needs (and the main module, which a child would run
        # again otherwise): a child then starts in milliseconds, not the second NumPy and Streamlit take.
        ctx.set_forkserver_preload(["__main__", getattr(fn, "__module__", "__main__")])
    else:
        ctx = multiprocessing.get_context("spawn")        # Windows: slower to start, the same otherwise
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_pump, args=(send, fn, args, kwargs, nice), daemon=True,
                        name=f"lstm-viz {getattr(fn, '__name__', 'job')}")
    child.start()
    send.close()                     # only the child holds the sending end: end of file means it is gone
    try:
        while True:
            try:
                kind, item = receive.recv()   # waits without holding Python's lock
            except EOFError:
                raise RuntimeError(f"The training process ended unexpectedly (exit code {child.exitcode}).") from None
            if kind == "error":
                raise item
            if kind == "done":
                return
            yield item
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join(5)


def _pump(send, fn, args, kwargs, nice: int) -> None:
    """In the child: lower our priority, run the generator, send every item, then "done" (or the error)."""
    if hasattr(os, "nice"):          # not on Windows
        os.nice(nice)
    try:
        for item in fn(*args, **kwargs):
            send.send(("item", item))
        send.send(("done", None))
    except BrokenPipeError:
        pass                         # the parent stopped listening: Stop was pressed or the visitor left
    except Exception as e:  # noqa: BLE001  every failure goes back to the page that asked
        send.send(("error", e))
    finally:
        send.close()


_shared: dict = {}
_shared_lock = threading.Lock()


def shared_slots() -> TrainingSlots:
    """The process's slots (k from LSTM_VIZ_TRAINING_SLOTS or the cores), made on first use."""
    with _shared_lock:
        if "slots" not in _shared:
            _shared["slots"] = TrainingSlots()
        return _shared["slots"]


def shared_cache() -> RunCache:
    """The process's cache of finished runs, made on first use."""
    with _shared_lock:
        if "cache" not in _shared:
            _shared["cache"] = RunCache()
        return _shared["cache"]
