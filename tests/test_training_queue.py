"""The training queue as visitors see it: the real server with one training slot, driven over the protocol.

k + 3 students press "Start training" (k = 1 here): one trains, three see "you are number 1, 2, 3 in the
queue"; one presses Cancel and the others move up; Stop ends the first run and the next in line starts; a
student asking for a run that has finished before gets it from the cache at once, while the queue is full;
there is one training process per slot, and when the students leave their training processes end.
"""
from __future__ import annotations

import asyncio
import os
import time

import pytest
from e2e.harness import Server
from e2e.protocol import ProtocolSession, run_sync

from lstm_viz import jobs


@pytest.fixture
def one_slot_server(tmp_path, monkeypatch):
    monkeypatch.setenv(jobs.SLOTS_ENV, "1")          # the server process reads it on its first training
    with Server(log_path=tmp_path / "server.log") as srv:
        yield srv
    assert "Traceback" not in srv.log_path.read_text(errors="replace"), srv.log_tail(60)


async def _student(url: str, seed: int, steps: int, seconds: int, length: int | None = None) -> ProtocolSession:
    s = ProtocolSession(url)
    await s.open("train")
    await s.set("train_seed", seed)
    await s.set("train_steps", steps)
    await s.set("train_seconds", seconds)
    if length is not None:
        await s.set("train_length", length)
    return s


def _trainings(server_pid: int) -> list[int]:
    """The training processes: children of the server's children (its fork server forks them)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    kids = {pid for pid, parent in parents.items() if parent == server_pid}
    return sorted(pid for pid, parent in parents.items() if parent in kids)


async def _eventually(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.1)


async def _hall(url: str, server_pid: int) -> None:
    quick = await _student(url, seed=1, steps=10, seconds=5)
    await quick.click("train_go")                             # a tiny run that finishes: now it is cached
    assert any("LSTM: test MSE" in t for t in quick.texts()), quick.texts()

    long = await _student(url, seed=2, steps=3000, seconds=60, length=200)   # minutes of work: still running at Stop
    await long.press("train_go")
    await long.until("Training the")                           # it holds the one slot
    waiting = [await _student(url, seed=3 + n, steps=3000, seconds=60) for n in range(3)]
    for n, s in enumerate(waiting, start=1):
        await s.press("train_go")
        await s.until(f"you are number {n} in the queue")
    await _eventually(lambda: len(_trainings(server_pid)) == 1)   # one slot: one training process

    again = await _student(url, seed=1, steps=10, seconds=5)   # the quick run's recipe, while the queue is full
    await again.click("train_go", timeout=10)                  # past the queue: with it full this would hang
    assert any("From the cache" in t for t in again.texts()), again.texts()
    assert any("LSTM: test MSE" in t for t in again.texts())

    await waiting[0].click("train_cancel")                     # Cancel: its run ends and it leaves the queue
    await waiting[1].until("you are number 1 in the queue")
    await waiting[2].until("you are number 2 in the queue")

    await long.click("train_stop")                             # Stop: the slot goes to the next in line
    await waiting[1].until("Training the")
    await waiting[2].until("you are number 1 in the queue")
    await _eventually(lambda: len(_trainings(server_pid)) == 1)   # the stopped run's process has ended
    for s in (quick, long, again, *waiting):
        await s.close()                                        # leaving stops their scripts: slots come back
    await _eventually(lambda: _trainings(server_pid) == [])    # and their training processes end


def test_k_plus_three_students_queue_cancel_stop_and_a_cached_run(one_slot_server):
    run_sync(asyncio.wait_for(_hall(one_slot_server.url, one_slot_server.proc.pid), timeout=240))
