"""How often to try a packet again, and how long to wait in between.

Only where it is safe: the transport retries a packet whose connection failed
before it was sent, or a packet that only reads; one that changes something
and may have reached the server is never sent twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Retry:
    """When and how often to try a packet again: capped exponential backoff, jittered.

    ``attempts`` counts every try (1: never retry). The n-th retry waits
    ``min(cap, backoff * 2**n)`` seconds, each wait shortened by up to
    ``jitter`` of itself, so many clients do not retry in step.
    """

    attempts: int = 3
    backoff: float = 0.25
    cap: float = 4.0
    jitter: float = 0.5

    def wait(self, retry: int) -> float:
        """Seconds before retry number ``retry`` (from 0): doubling, capped, jittered."""
        full = min(self.cap, self.backoff * 2.0**retry)
        return full * (1 - self.jitter * random.random())


NO_RETRY = Retry(attempts=1)
