"""The per-process store behind kept rankings and kept search output."""

from __future__ import annotations

import pytest

from marketplace.listings import memo
from marketplace.listings.memo import ProcessStore


def test_the_least_recently_used_values_go_once_the_budget_is_passed() -> None:
    store: ProcessStore[bytes] = ProcessStore(budget=40, weigh=len)
    store.put("a", b"x" * 10)
    store.put("b", b"x" * 10)
    store.put("c", b"x" * 10)
    assert store.get("a") == b"x" * 10  # "a" is now the most recently used
    store.put("d", b"x" * 10)
    store.put("e", b"x" * 10)  # 50 > 40: the least recently used, "b", goes
    assert store.get("b") is None
    assert [store.get(k) is not None for k in "acde"] == [True, True, True, True]


def test_a_value_heavier_than_a_quarter_of_the_budget_is_not_kept() -> None:
    store: ProcessStore[bytes] = ProcessStore(budget=40, weigh=len)
    store.put("big", b"x" * 11)
    store.put("fits", b"x" * 10)
    assert store.get("big") is None
    assert store.get("fits") == b"x" * 10


def test_a_replaced_value_counts_once() -> None:
    store: ProcessStore[bytes] = ProcessStore(budget=40, weigh=len)
    for _ in range(10):
        store.put("same", b"x" * 10)
    store.put("other", b"x" * 10)
    assert store.get("same") is not None and store.get("other") is not None


def test_values_are_not_trusted_past_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: now[0])
    store: ProcessStore[str] = ProcessStore(budget=8)
    store.put("k", "v")
    now[0] += memo.TTL_S - 0.1
    assert store.get("k") == "v"
    now[0] += 0.2
    assert store.get("k") is None
    store.clear()
    store.put("k", "w")
    assert store.get("k") == "w"
