"""The training queue (lstm_viz/jobs.py) with real threads, as Streamlit runs every session's script in one.

The story of the tests: k students train, three more wait at positions 1-3, one cancels and the others move
up, a run finishes and the next in line starts, a student who leaves (their ticket dropped) frees the slot,
and a student who asks for a run that has already finished gets it at once, past the queue. Training itself
runs in a child process at lower priority (jobs.elsewhere), with the same numbers as in the server.
"""
from __future__ import annotations

import gc
import os
import threading
import time

import pytest

from lstm_viz import jobs
from lstm_viz.train import recipe, train

K = 2


def eventually(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.01)


class Student(threading.Thread):
    """Asks for a slot in its own thread and waits; `admitted` is set once it holds one."""

    def __init__(self, slots: jobs.TrainingSlots):
        super().__init__(daemon=True)
        self.ticket = slots.request()       # in the caller's thread, so the arrival order is the test's
        self.admitted = threading.Event()
        self.left = threading.Event()

    def run(self) -> None:
        if self.ticket.wait(timeout=10):
            self.admitted.set()
        self.left.set()


def test_k_train_three_wait_a_cancel_moves_them_up_and_a_release_admits_the_next():
    slots = jobs.TrainingSlots(k=K)
    students = [Student(slots) for _ in range(K + 3)]
    for s in students:
        s.start()
    for s in students[:K]:
        assert s.admitted.wait(5)
    assert [s.ticket.position for s in students] == [0] * K + [1, 2, 3]
    assert (slots.running, slots.waiting) == (K, 3)

    students[K].ticket.cancel()                           # the first in line gives up
    assert students[K].left.wait(5) and not students[K].admitted.is_set()
    assert [s.ticket.position for s in students[K + 1:]] == [1, 2]
    assert students[K].ticket.position == -1

    students[0].ticket.release()                          # a run finishes: the next in line starts
    assert students[K + 1].admitted.wait(5)
    assert [s.ticket.position for s in students] == [-1] + [0] * (K - 1) + [-1, 0, 1]
    assert slots.running == K


def test_a_student_who_leaves_frees_the_slot_when_the_ticket_is_dropped():
    slots = jobs.TrainingSlots(k=1)
    holder = slots.request()
    waiter = Student(slots)
    waiter.start()
    assert waiter.ticket.position == 1
    del holder                                            # the visitor's script went away without a release
    gc.collect()
    assert waiter.admitted.wait(5)
    assert waiter.ticket.position == 0


def test_a_dropped_waiter_leaves_the_queue():
    slots = jobs.TrainingSlots(k=1)
    holder = slots.request()
    gone, last = slots.request(), slots.request()
    assert last.position == 2
    del gone
    gc.collect()
    assert last.position == 1
    with holder:                                          # a context manager releases on the way out
        pass
    assert last.wait(5)


def test_a_cached_recipe_skips_the_queue():
    slots, cache = jobs.TrainingSlots(k=1), jobs.RunCache(max_entries=4)
    default = recipe("adding")                            # a frozen TrainConfig: hashable, seeded
    busy, queued = slots.request(), slots.request()
    result, ticket = jobs.ask(default, slots, cache)
    assert result is None and ticket.position == 2        # not run yet: into the queue like anyone
    ticket.cancel()
    cache.put(default, "the finished run")
    result, ticket = jobs.ask(recipe("adding"), slots, cache)   # an equal recipe from another student
    assert (result, ticket) == ("the finished run", None)
    assert slots.waiting == 1 and queued.position == 1 and busy.admitted


def test_the_cache_is_bounded_and_drops_the_least_recently_used():
    cache = jobs.RunCache(max_entries=2)
    a, b, c = (recipe("adding", seed=s) for s in range(3))
    cache.put(a, 1)
    cache.put(b, 2)
    assert cache.get(a) == 1                              # a used again: b is now the oldest
    cache.put(c, 3)
    assert (a in cache, b in cache, c in cache, len(cache)) == (True, False, True, 2)
    with pytest.raises(TypeError):
        cache.put(["not", "hashable"], 4)


def test_never_more_than_k_at_once_and_first_come_first_served():
    slots = jobs.TrainingSlots(k=K)
    lock, inside, most, order = threading.Lock(), [0], [0], []

    def train(ticket):
        with ticket:
            assert ticket.wait(20)
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                # first come, first served: everyone who asked earlier holds a slot or is done already
                order.append(all(t.position in (0, -1) for t in tickets[:tickets.index(ticket)]))
            time.sleep(0.005)
            with lock:
                inside[0] -= 1

    tickets = [slots.request() for _ in range(30)]
    threads = [threading.Thread(target=train, args=(t,)) for t in tickets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most[0] <= K and len(order) == 30 and all(order)
    eventually(lambda: slots.running == 0 and slots.waiting == 0)


def test_k_comes_from_the_environment_or_the_cores(monkeypatch):
    monkeypatch.setenv(jobs.SLOTS_ENV, "3")
    assert jobs.TrainingSlots().k == 3
    monkeypatch.delenv(jobs.SLOTS_ENV)
    assert jobs.TrainingSlots().k == jobs.cores() >= 1
    monkeypatch.setenv(jobs.SLOTS_ENV, "none")
    with pytest.raises(ValueError, match="LSTM_VIZ_TRAINING_SLOTS must be a whole number"):
        jobs.TrainingSlots()


# -- training in a child process at lower priority ----------------------------------------------------


def _where_am_i(n: int):
    """Yields (process id, niceness) n times; runs in the child when passed to jobs.elsewhere."""
    for _ in range(n):
        yield os.getpid(), os.nice(0)


def _forever():
    yield os.getpid()
    while True:
        time.sleep(0.05)
        yield None


def _fails():
    yield 1
    raise ValueError("went wrong in the child")


def test_elsewhere_runs_the_generator_in_a_child_at_lower_priority_with_the_same_numbers():
    seen = list(jobs.elsewhere(_where_am_i, 3))
    assert len(seen) == 3 and {pid for pid, _ in seen} != {os.getpid()}
    assert all(nice >= os.nice(0) + min(jobs.NICE, 19 - os.nice(0)) for _, nice in seen)
    here = [(p.step, p.loss, p.test_loss) for p in train(task="adding", length=10, kind="lstm", max_steps=20)]
    there = [(p.step, p.loss, p.test_loss) for p in jobs.elsewhere(train, task="adding", length=10, kind="lstm",
                                                                    max_steps=20)]
    assert there == here                                   # seeded: bit for bit the same run


def test_elsewhere_raises_the_childs_error_and_closing_early_ends_the_child():
    with pytest.raises(ValueError, match="went wrong in the child"):
        list(jobs.elsewhere(_fails))
    gen = jobs.elsewhere(_forever)
    pid = next(gen)
    gen.close()                                            # Stop pressed, or the visitor left

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    eventually(gone)
