"""Sources finishing while an evaluation runs share the next evaluation instead of queueing one each."""

from __future__ import annotations

import threading
import time

import pytest

from scheduler.collection import CoalescedEvaluation


def test_requests_made_during_an_evaluation_share_the_next_one() -> None:
    evaluations = CoalescedEvaluation()
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow() -> None:
        ran.append("first")
        started.set()
        assert release.wait(10)

    first = threading.Thread(target=evaluations.request, args=(slow,))
    first.start()
    assert started.wait(10)
    results: list[bool] = []
    others = [threading.Thread(target=lambda n=n: results.append(evaluations.request(lambda: ran.append(f"later{n}"))))
              for n in range(3)]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while evaluations.requested < 4 and time.monotonic() < deadline:  # all three asked while the first runs
        time.sleep(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert len(ran) == 2 and ran[0] == "first"  # one evaluation covered the three sources that finished meanwhile
    assert sorted(results) == [False, False, True]


def test_a_request_after_an_evaluation_ended_evaluates_again() -> None:
    evaluations = CoalescedEvaluation()
    ran: list[int] = []
    assert evaluations.request(lambda: ran.append(1))
    assert evaluations.request(lambda: ran.append(2))  # new data since the last evaluation began: evaluate it
    assert ran == [1, 2]


def test_a_failed_evaluation_covers_nothing() -> None:
    evaluations = CoalescedEvaluation()

    def broken() -> None:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        evaluations.request(broken)
    ran: list[int] = []
    assert evaluations.request(lambda: ran.append(1)) and ran == [1]
