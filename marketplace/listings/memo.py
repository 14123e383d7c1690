"""What this process keeps between requests: one bounded, time-limited store.

Both the search's rankings (:mod:`marketplace.listings.ranking`) and the rendered search
output (:mod:`marketplace.listings.kept`) keep values under keys that carry a change
stamp; this module holds the part they share: the lock, least-recently-used eviction
within a budget, the time limit, and the key prefix that tells databases and secret keys
apart (tests run several apps in one process).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from flask import current_app

from marketplace.extensions import db

V = TypeVar("V")

#: Seconds a kept value is trusted even when its change stamp seems the same: bounds the
#: effect of a transaction that commits a change stamped earlier than the newest one,
#: and of changes no stamp sees (a deleted row).
TTL_S = 30.0


def process_key() -> tuple[str, str]:
    """The database and (a fingerprint of) the secret key the kept values belong to."""
    secret = str(current_app.config.get("SECRET_KEY"))
    return (str(db.engine.url), hashlib.sha256(secret.encode()).hexdigest()[:16])


class ProcessStore(Generic[V]):
    """Values kept for :data:`TTL_S`, the least recently used dropped once their weights
    pass ``budget``; a value heavier than a quarter of the budget is not kept."""

    def __init__(self, budget: int, weigh: Callable[[V], int] = lambda _: 1) -> None:
        self.budget = budget
        self.weigh = weigh
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, tuple[float, int, V]] = OrderedDict()
        self._weight = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            hit = self._values.get(key)
            if hit is None or time.monotonic() - hit[0] >= TTL_S:
                return None
            self._values.move_to_end(key)
            return hit[2]

    def put(self, key: Hashable, value: V) -> None:
        weight = self.weigh(value)
        if weight > self.budget // 4:
            return
        with self._lock:
            old = self._values.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._values[key] = (time.monotonic(), weight, value)
            self._weight += weight
            while self._weight > self.budget and self._values:
                _, (_, dropped, _) = self._values.popitem(last=False)
                self._weight -= dropped

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._weight = 0
