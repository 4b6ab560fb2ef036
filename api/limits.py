"""Fair use and result caps for the public SPARQL endpoint.

The cap is enforced while the answer streams: SELECT rows are counted in whichever result format was
asked for (conservatively: a literal containing a row separator counts as an extra row), CONSTRUCT and
DESCRIBE answers are capped in bytes. An answer past its cap is cut off before its final chunk, the same
signal as a timeout, so no client takes a capped answer for a whole one; a cap reached within the first
64 KiB answers 413 with a message instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

# For each result format: what marks a row, and how many rows n such marks mean (n + offset).
ROW_MARKERS = {
    "application/sparql-results+json": (b"}},{", 1),  # between two bindings
    "application/sparql-results+xml": (b"<result>", 0),
    "text/csv": (b"\n", -1),  # after the header line and each row
    "text/tab-separated-values": (b"\n", -1),
}


class ResultCapError(Exception):
    """The answer is larger than the endpoint's cap."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Cap:
    """Counts an answer's rows (or bytes) as it passes."""

    media_type: str
    rows: int
    size: int
    _seen_rows: int = 0
    _seen_bytes: int = 0
    _carry: bytes = b""

    def check(self, chunk: bytes) -> None:
        self._seen_bytes += len(chunk)
        if self.media_type not in ROW_MARKERS:
            if self._seen_bytes > self.size:
                raise ResultCapError(f"The answer is larger than this endpoint's cap of {self.size} bytes.")
            return
        marker, offset = ROW_MARKERS[self.media_type]
        window = self._carry + chunk
        self._seen_rows += window.count(marker)  # the carry is shorter than a marker, so nothing counts twice
        self._carry = window[-(len(marker) - 1) :] if len(marker) > 1 else b""
        if self._seen_rows + offset > self.rows:
            raise ResultCapError(f"The answer has more than this endpoint's cap of {self.rows} rows: add a LIMIT.")

    async def through(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            self.check(chunk)
            yield chunk


@dataclass
class FairUse:
    """A token bucket per client: ``per_minute`` queries a minute, in bursts of up to that many."""

    per_minute: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def wait_seconds(self, client: str) -> int:
        """0 if ``client`` may query now (and takes a token), else how many seconds until it may."""
        if self.per_minute <= 0:
            return 0
        now = time.monotonic()
        rate = self.per_minute / 60
        tokens, then = self._buckets.get(client, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - then) * rate)
        if tokens >= 1:
            self._buckets[client] = (tokens - 1, now)
            if len(self._buckets) > 100_000:  # forget the quietest clients rather than grow without bound
                self._buckets = dict(sorted(self._buckets.items(), key=lambda kv: kv[1][1])[-50_000:])
            return 0
        self._buckets[client] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / rate))
