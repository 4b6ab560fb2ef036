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
# SPARQL JSON is counted by :class:`JsonRows` instead: a row may be an empty object.
ROW_MARKERS = {
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
    _json: JsonRows | None = None

    def check(self, chunk: bytes) -> None:
        self._seen_bytes += len(chunk)
        if self.media_type == "application/sparql-results+json":
            self._json = self._json or JsonRows()
            if self._json.feed(chunk) > self.rows:
                raise ResultCapError(f"The answer has more than this endpoint's cap of {self.rows} rows: add a LIMIT.")
            return
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
class JsonRows:
    """Counts the objects in the ``bindings`` array of SPARQL JSON results as they stream past: every object
    that opens three levels down (results object, bindings array), minding strings and their escapes."""

    depth: int = 0
    rows: int = 0
    in_string: bool = False
    escaped: bool = False

    def feed(self, chunk: bytes) -> int:
        for byte in chunk:
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif byte == 0x5C:  # backslash
                    self.escaped = True
                elif byte == 0x22:  # quote
                    self.in_string = False
            elif byte == 0x22:
                self.in_string = True
            elif byte in (0x7B, 0x5B):  # { [
                if byte == 0x7B and self.depth == 3:
                    self.rows += 1
                self.depth += 1
            elif byte in (0x7D, 0x5D):  # } ]
                self.depth -= 1
        return self.rows


@dataclass
class FairUse:
    """A token bucket per client: ``per_minute`` queries (or writes) a minute, in bursts of up to that many; a costly
    request may take several tokens, at most a minute's."""

    per_minute: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def wait_seconds(self, client: str, weight: float = 1) -> int:
        """0 if ``client`` may go on now (and takes ``weight`` tokens, at most a minute's), else how many seconds
        until it may."""
        if self.per_minute <= 0 or weight <= 0:
            return 0
        weight = min(weight, float(self.per_minute))
        now = time.monotonic()
        rate = self.per_minute / 60
        tokens, then = self._buckets.get(client, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - then) * rate)
        if tokens >= weight:
            self._buckets[client] = (tokens - weight, now)
            if len(self._buckets) > 100_000:  # forget the quietest clients rather than grow without bound
                self._buckets = dict(sorted(self._buckets.items(), key=lambda kv: kv[1][1])[-50_000:])
            return 0
        self._buckets[client] = (tokens, now)
        return max(1, math.ceil((weight - tokens) / rate))
