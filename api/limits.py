"""Fair use and result caps for the public SPARQL endpoint.

The cap is enforced while the answer streams: SELECT rows are counted in whichever result format was
asked for (conservatively: a literal containing a row separator counts as an extra row), CONSTRUCT and
DESCRIBE answers are capped in bytes. An answer past its cap is cut off before its final chunk, the same
signal as a timeout, so no client takes a capped answer for a whole one; a cap reached within the first
64 KiB answers 413 with a message instead.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import re
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

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


# JsonRows keeps only quotes and brackets (bytes.translate), once escapes are gone.
NOT_MARKS = bytes(set(range(256)) - set(b'"{}[]'))
STRING = re.compile(rb'"[^"]*"')


@dataclass
class JsonRows:
    """Counts the objects in the ``bindings`` array of SPARQL JSON results as they stream past: every object
    that opens three levels down (results object, bindings array), minding strings and their escapes.

    Read a byte at a time in Python, a 2.4 KB answer took 79 µs and 1.6 MB took 54 ms (the profile's busiest
    function in a lookup); this way, 14 µs and 8.6 ms. Bytes methods drop the escapes (escaped backslashes, then
    escaped quotes), keep only quotes and brackets, and drop each ``""`` (an empty string, or the end of one string
    and the start of the next with nothing between): what is left is mostly the brackets outside strings, read one
    by one."""

    depth: int = 0
    rows: int = 0
    in_string: bool = False
    escaped: bool = False  # the chunk before ended on a backslash inside a string: this chunk's first byte is escaped

    def feed(self, chunk: bytes) -> int:
        if self.escaped and chunk:
            chunk, self.escaped = chunk[1:], False
        if b"\\" in chunk:
            chunk = chunk.replace(b"\\\\", b"").replace(b'\\"', b"")
            if chunk.endswith(b"\\"):
                chunk, self.escaped = chunk[:-1], True
        marks = ((b'"' if self.in_string else b"") + chunk.translate(None, NOT_MARKS)).replace(b'""', b"")
        if b'"' in marks:  # strings holding brackets, or one that runs on into the next chunk
            marks = STRING.sub(b"", marks)
            opened = marks.find(b'"')
            self.in_string = opened >= 0
            if self.in_string:
                marks = marks[:opened]
        else:
            self.in_string = False
        for bracket in marks:
            if bracket == 0x7B or bracket == 0x5B:  # { [
                if bracket == 0x7B and self.depth == 3:
                    self.rows += 1
                self.depth += 1
            else:
                self.depth -= 1
        return self.rows


# One client's bucket in the shared file: a fingerprint of the client, its tokens, and when they were counted.
SLOT = struct.Struct("<Qdd")
SLOTS = 1 << 16


class FairUse:
    """A token bucket per client: ``per_minute`` queries (or writes) a minute, in bursts of up to that many; a costly
    request may take several tokens, at most a minute's.

    The buckets are kept in a file (``path``) that the workers of one ``ecomap serve`` share, one fixed slot per
    client (by a hash of it), each read and written under an advisory lock on its own bytes: a few microseconds, and
    the allowance is the whole service's. Kept in each worker, it was each worker's: 120 queries a minute were 240
    with two workers. A client whose slot another takes over (a hash collision, one in 65,536) starts afresh."""

    def __init__(self, per_minute: int, path: Path) -> None:
        self.per_minute = per_minute
        self._path = path
        self._descriptor: int | None = None

    def _file(self) -> int:
        if self._descriptor is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(descriptor).st_size < SLOTS * SLOT.size:
                os.ftruncate(descriptor, SLOTS * SLOT.size)  # sparse: slots never written read as zeros
            self._descriptor = descriptor
        return self._descriptor

    def wait_seconds(self, client: str, weight: float = 1) -> int:
        """0 if ``client`` may go on now (and takes ``weight`` tokens, at most a minute's), else how many seconds
        until it may."""
        if self.per_minute <= 0 or weight <= 0:
            return 0
        weight = min(weight, float(self.per_minute))
        rate = self.per_minute / 60
        owner = int.from_bytes(hashlib.blake2b(client.encode(), digest_size=8).digest(), "little") or 1
        offset = (owner % SLOTS) * SLOT.size
        descriptor = self._file()
        fcntl.lockf(descriptor, fcntl.LOCK_EX, SLOT.size, offset, os.SEEK_SET)
        try:
            found, tokens, then = SLOT.unpack(os.pread(descriptor, SLOT.size, offset))
            now = time.time()
            if found != owner:
                tokens, then = float(self.per_minute), now
            tokens = min(float(self.per_minute), tokens + max(0.0, now - then) * rate)
            allowed = tokens >= weight
            os.pwrite(descriptor, SLOT.pack(owner, tokens - weight if allowed else tokens, now), offset)
        finally:
            fcntl.lockf(descriptor, fcntl.LOCK_UN, SLOT.size, offset, os.SEEK_SET)
        return 0 if allowed else max(1, math.ceil((weight - tokens) / rate))
