"""A circuit breaker: after a dependency fails, stop calling it for a while.

One per dependency per process. While it is open callers take their fallback at once
(the outbox leaves rows to the sweep, the throttle lets the request through) instead of
each paying the dependency's timeout; after the pause the next call tries again.
"""

import math
import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(self, *, pause_seconds: Callable[[], float]):
        """``pause_seconds`` is read at each failure, so settings overrides apply."""
        self._pause_seconds = pause_seconds
        self._open_until = -math.inf
        self._tripped = False
        self._lock = threading.Lock()

    @property
    def allows(self) -> bool:
        """False while the pause after the last failure lasts."""
        return time.monotonic() >= self._open_until

    def failed(self) -> bool:
        """Record a failure and open the breaker; True if it was closed until now (the
        caller's cue to log the outage once rather than on every request)."""
        with self._lock:
            first = not self._tripped
            self._tripped = True
            self._open_until = time.monotonic() + self._pause_seconds()
        return first

    def succeeded(self) -> bool:
        """Record a success; True if this ends an outage."""
        with self._lock:
            recovered = self._tripped
            self._tripped = False
            self._open_until = -math.inf
        return recovered
